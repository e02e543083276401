// bicg: s = A^T r, q = A p, repeated.
#include "polybench.h"
#define M 1900
#define N 2100
static double A[N][M], s[M], q[N], p[M], r[N];
EXPORT long long run(void) {
  for (int i = 0; i < M; i++) p[i] = (double)(i % M) / M;
  for (int i = 0; i < N; i++) {
    r[i] = (double)(i % N) / N;
    for (int j = 0; j < M; j++) A[i][j] = (double)(i * (j + 1) % N) / N;
  }
  for (int rep = 0; rep < 5; rep++) {
    for (int i = 0; i < M; i++) s[i] = 0;
    for (int i = 0; i < N; i++) {
      q[i] = 0;
      for (int j = 0; j < M; j++) {
        s[j] += r[i] * A[i][j];
        q[i] += A[i][j] * p[j];
      }
    }
  }
  return as_ll(checksum2(1, M, s) + checksum2(1, N, q));
}
