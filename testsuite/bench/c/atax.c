// atax: y = A^T (A x), repeated.
#include "polybench.h"
#define M 1900
#define N 2100
static double A[M][N], x[N], y[N], tmp[M];
EXPORT long long run(void) {
  for (int j = 0; j < N; j++) x[j] = 1 + (double)j / N;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) A[i][j] = (double)((i + j) % N) / (5 * M);
  for (int r = 0; r < 5; r++) {
    for (int j = 0; j < N; j++) y[j] = 0;
    for (int i = 0; i < M; i++) {
      double t = 0;
      for (int j = 0; j < N; j++) t += A[i][j] * x[j];
      tmp[i] = t;
      for (int j = 0; j < N; j++) y[j] += A[i][j] * t;
    }
  }
  return as_ll(checksum2(1, N, y));
}
