// C = alpha*A*B + beta*C over doubles.
#include "polybench.h"
#define N 400
static double A[N][N], B[N][N], C[N][N];
EXPORT long long run(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      A[i][j] = (double)((i * j + 1) % N) / N;
      B[i][j] = (double)((i * (j + 1) + 2) % N) / N;
      C[i][j] = (double)((i + j) % N) / N;
    }
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) C[i][j] *= 1.2;
    for (int k = 0; k < N; k++)
      for (int j = 0; j < N; j++) C[i][j] += 1.5 * A[i][k] * B[k][j];
  }
  return as_ll(checksum2(N, N, &C[0][0]));
}
