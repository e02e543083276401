// Unbounded recursion on the native stack: must become a "call stack exhausted" trap, never a
// crash. (No address-taken locals, so the recursion does not use wasi-libc's shadow stack.)
#include <stdio.h>

volatile int sink;

__attribute__((noinline)) int recurse(int n) {
  sink = n;
  return recurse(n + 1) + sink;
}

int main(void) {
  printf("%d\n", recurse(0));
  return 0;
}
