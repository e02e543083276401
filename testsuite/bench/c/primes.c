// Primality of 4294967029 by trial division, repeated: 64-bit division.
#include "common.h"
static int is_prime(uint64_t n) {
  if (n < 2) return 0;
  for (uint64_t d = 2; d * d <= n; d++)
    if (n % d == 0) return 0;
  return 1;
}
EXPORT long long run(void) {
  long long c = 0;
  for (int i = 0; i < 300; i++) c += is_prime(4294967029ull);
  return c;
}
