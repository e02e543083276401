// Helpers for the PolyBench-style kernels (written for sowa; sizes chosen to run ~0.1-1 s).
#include "common.h"
static double checksum2(int n, int m, double *x) {
  double s = 0;
  for (int i = 0; i < n * m; i += 13) s += x[i] * (1 + (i % 7));
  return s;
}
static long long as_ll(double s) { return (long long)(s * 1000.0); }
