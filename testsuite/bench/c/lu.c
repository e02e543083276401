// lu: LU decomposition without pivoting of a diagonally dominant matrix.
#include "polybench.h"
#define N 500
static double A[N][N];
EXPORT long long run(void) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j <= i; j++) A[i][j] = (double)(-j % N) / N + 1;
    for (int j = i + 1; j < N; j++) A[i][j] = 0;
    A[i][i] = N;
  }
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < i; j++) {
      for (int k = 0; k < j; k++) A[i][j] -= A[i][k] * A[k][j];
      A[i][j] /= A[j][j];
    }
    for (int j = i; j < N; j++)
      for (int k = 0; k < i; k++) A[i][j] -= A[i][k] * A[k][j];
  }
  return as_ll(checksum2(N, N, &A[0][0]));
}
