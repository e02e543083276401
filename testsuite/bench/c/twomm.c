// 2mm: D = alpha*A*B*C + beta*D.
#include "polybench.h"
#define N 300
static double A[N][N], B[N][N], C[N][N], D[N][N], T[N][N];
EXPORT long long run(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      A[i][j] = (double)((i * j + 1) % N) / N;
      B[i][j] = (double)(i * (j + 1) % N) / N;
      C[i][j] = (double)((i * (j + 3) + 1) % N) / N;
      D[i][j] = (double)(i * (j + 2) % N) / N;
    }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double s = 0;
      for (int k = 0; k < N; k++) s += 1.5 * A[i][k] * B[k][j];
      T[i][j] = s;
    }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double s = D[i][j] * 1.2;
      for (int k = 0; k < N; k++) s += T[i][k] * C[k][j];
      D[i][j] = s;
    }
  return as_ll(checksum2(N, N, &D[0][0]));
}
