// Traps (unreachable) at the bottom of a call chain; the report names the innermost function.
#include <stdio.h>

__attribute__((noinline)) void innermost_boom(int depth) {
  if (depth == 0) __builtin_trap();
  printf("not reached\n");
}
__attribute__((noinline)) void level(int n) {
  if (n == 0) innermost_boom(0);
  else level(n - 1);
  __asm__ volatile("");
}

int main(void) {
  level(50);
  return 0;
}
