// jacobi-1d: 3-point stencil over two arrays.
#include "polybench.h"
#define N 20000
#define T 2000
static double A[N], B[N];
EXPORT long long run(void) {
  for (int i = 0; i < N; i++) { A[i] = ((double)i + 2) / N; B[i] = ((double)i + 3) / N; }
  for (int t = 0; t < T; t++) {
    for (int i = 1; i < N - 1; i++) B[i] = 0.33333 * (A[i - 1] + A[i] + A[i + 1]);
    for (int i = 1; i < N - 1; i++) A[i] = 0.33333 * (B[i - 1] + B[i] + B[i + 1]);
  }
  return as_ll(checksum2(1, N, A));
}
