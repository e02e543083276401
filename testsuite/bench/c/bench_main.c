// Native driver: times one call of run() and prints "checksum nanoseconds".
#include <stdio.h>
#include <time.h>
long long run(void);
int main(void) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  long long r = run();
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%lld %lld\n", r, (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
  return 0;
}
