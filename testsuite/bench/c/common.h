// Shared by every workload: a deterministic generator, so every runtime computes the same
// checksum. Each workload defines `long long run(void)`, exported from the wasm build and called
// by bench_main.c in the native build.
#include <stdint.h>
#include <stddef.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static inline uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 16);
}

#define EXPORT __attribute__((visibility("default"), used))
