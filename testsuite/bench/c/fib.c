// Recursive Fibonacci: calls and integer arithmetic.
#include "common.h"
static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
EXPORT long long run(void) { return fib(35); }
