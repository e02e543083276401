// Arithmetic of the four number types; every line of output is checked by the tests.
#include <stdint.h>
#include <stdio.h>
#include <math.h>

__attribute__((noinline)) int32_t i32_ops(int32_t a, int32_t b) {
  return (a * b) ^ (a / b) ^ (a % b) ^ (a << (b & 31)) ^ ((uint32_t)a >> 3) ^ (a >> 2);
}
__attribute__((noinline)) int64_t i64_ops(int64_t a, int64_t b) {
  return (a * b) ^ (a / b) ^ (a % b) ^ (a << (b & 63)) ^ ((uint64_t)a >> 5) ^ (a >> 7);
}
__attribute__((noinline)) float f32_ops(float a, float b) {
  return fminf(a, b) + fmaxf(a, b) * sqrtf(fabsf(a)) - floorf(b) + ceilf(a) / truncf(b + 10.5f);
}
__attribute__((noinline)) double f64_ops(double a, double b) {
  return fmin(a, b) + fmax(a, b) * sqrt(fabs(a)) - floor(b) + ceil(a) / trunc(b + 10.5) + nearbyint(a);
}

int main(void) {
  volatile int32_t a = -123456789, b = 7;
  volatile int64_t c = -1234567890123456789LL, d = 13;
  volatile float e = 3.75f, f = -2.5f;
  volatile double g = 1e10, h = -0.125;
  printf("i32 %d\n", i32_ops(a, b));
  printf("u32 %u\n", (uint32_t)a / (uint32_t)b);
  printf("i64 %lld\n", (long long)i64_ops(c, d));
  printf("u64 %llu\n", (unsigned long long)((uint64_t)c / (uint64_t)d));
  printf("clz %d ctz %d pop %d\n", __builtin_clz(12345), __builtin_ctzll(1ULL << 40), __builtin_popcountll(0xF0F0F0F0F0F0ULL));
  printf("f32 %.6f\n", f32_ops(e, f));
  printf("f64 %.6f\n", f64_ops(g, h));
  printf("conv %d %lld %.3f %.3f\n", (int)(float)e, (long long)g, (float)a, (double)c);
  printf("sat %d\n", (int)(signed char)(a & 0xff));
  return 0;
}
