// Quicksort of random integers: recursion, comparisons, memory traffic.
#include "common.h"
#define N 2000000
static int a[N];
static void qs(int *v, int lo, int hi) {
  while (lo < hi) {
    int p = v[(lo + hi) >> 1], i = lo, j = hi;
    while (i <= j) {
      while (v[i] < p) i++;
      while (v[j] > p) j--;
      if (i <= j) { int t = v[i]; v[i] = v[j]; v[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { qs(v, lo, j); lo = i; } else { qs(v, i, hi); hi = j; }
  }
}
EXPORT long long run(void) {
  for (int i = 0; i < N; i++) a[i] = (int)rng();
  qs(a, 0, N - 1);
  long long s = 0;
  for (int i = 0; i < N; i += 1001) s = s * 7 + a[i];
  return s;
}
