// Direct, recursive and indirect calls (function pointers go through call_indirect).
#include <stdio.h>

typedef int (*op_fn)(int, int);
__attribute__((noinline)) static int add(int a, int b) { return a + b; }
__attribute__((noinline)) static int sub(int a, int b) { return a - b; }
__attribute__((noinline)) static int mul(int a, int b) { return a * b; }
static op_fn ops[] = {add, sub, mul};

__attribute__((noinline)) static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv) {
  (void)argv;
  int acc = 1;
  for (int i = 0; i < 30; i++) acc = ops[(i + argc) % 3](acc, i + 1);
  printf("indirect %d\n", acc);
  printf("fib %d\n", fib(25));
  return 0;
}
