// 800 x 800 integer matrix multiplication (values 1..100), as in published comparisons.
#include "common.h"
#define N 800
static int A[N][N], B[N][N], C[N][N];
EXPORT long long run(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) { A[i][j] = 1 + rng() % 100; B[i][j] = 1 + rng() % 100; }
  for (int i = 0; i < N; i++)
    for (int k = 0; k < N; k++) {
      int a = A[i][k];
      for (int j = 0; j < N; j++) C[i][j] += a * B[k][j];
    }
  long long s = 0;
  for (int i = 0; i < N; i++) s += C[i][(i * 7) % N];
  return s;
}
