// seidel-2d: 9-point Gauss-Seidel stencil (in place, so sequential).
#include "polybench.h"
#define N 400
#define T 40
static double A[N][N];
EXPORT long long run(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) A[i][j] = ((double)i * (j + 2) + 2) / N;
  for (int t = 0; t < T; t++)
    for (int i = 1; i <= N - 2; i++)
      for (int j = 1; j <= N - 2; j++)
        A[i][j] = (A[i - 1][j - 1] + A[i - 1][j] + A[i - 1][j + 1] + A[i][j - 1] + A[i][j] +
                   A[i][j + 1] + A[i + 1][j - 1] + A[i + 1][j] + A[i + 1][j + 1]) / 9.0;
  return as_ll(checksum2(N, N, &A[0][0]));
}
