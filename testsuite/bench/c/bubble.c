// Bubble sort of a random array (only the sort is timed by the harness's call).
#include "common.h"
#define N 6000
static int a[N];
EXPORT long long run(void) {
  for (int i = 0; i < N; i++) a[i] = (int)(rng() % 100000);
  for (int i = 0; i < N - 1; i++)
    for (int j = 0; j < N - 1 - i; j++)
      if (a[j] > a[j + 1]) { int t = a[j]; a[j] = a[j + 1]; a[j + 1] = t; }
  long long s = 0;
  for (int i = 0; i < N; i += 97) s = s * 31 + a[i];
  return s;
}
