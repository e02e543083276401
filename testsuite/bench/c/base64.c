// Base64 encoding and decoding of a buffer, repeated: table lookups and byte shuffling.
#include "common.h"
#define LEN (3 << 18)
static uint8_t in[LEN], enc[LEN / 3 * 4], dec[LEN];
static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static uint8_t R[256];
EXPORT long long run(void) {
  for (int i = 0; i < LEN; i++) in[i] = (uint8_t)rng();
  for (int i = 0; i < 64; i++) R[(uint8_t)T[i]] = (uint8_t)i;
  long long s = 0;
  for (int r = 0; r < 20; r++) {
    size_t o = 0;
    for (size_t i = 0; i < LEN; i += 3) {
      uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i+1] << 8 | in[i+2];
      enc[o++] = T[v >> 18]; enc[o++] = T[(v >> 12) & 63]; enc[o++] = T[(v >> 6) & 63]; enc[o++] = T[v & 63];
    }
    size_t d = 0;
    for (size_t i = 0; i < o; i += 4) {
      uint32_t v = (uint32_t)R[enc[i]] << 18 | (uint32_t)R[enc[i+1]] << 12 | (uint32_t)R[enc[i+2]] << 6 | R[enc[i+3]];
      dec[d++] = v >> 16; dec[d++] = (v >> 8) & 255; dec[d++] = v & 255;
    }
    s += dec[(r * 7919) % LEN] + enc[(r * 104729) % o];
    in[r] ^= (uint8_t)s;
  }
  return s;
}
