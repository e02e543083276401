// AES-128 encryption (table-free S-box rounds) of a buffer in ECB mode: byte operations.
#include "common.h"
#define LEN (1 << 19)
static uint8_t buf[LEN];
static uint8_t sbox[256];
static uint8_t xt(uint8_t x) { return (uint8_t)((x << 1) ^ ((x >> 7) * 0x1b)); }
static void init_sbox(void) {
  uint8_t p = 1, q = 1;
  do {
    p = p ^ (uint8_t)(p << 1) ^ (p & 0x80 ? 0x1b : 0);
    q ^= q << 1; q ^= q << 2; q ^= q << 4; if (q & 0x80) q ^= 0x09;
    uint8_t x = q ^ (uint8_t)((q << 1) | (q >> 7)) ^ (uint8_t)((q << 2) | (q >> 6)) ^
                (uint8_t)((q << 3) | (q >> 5)) ^ (uint8_t)((q << 4) | (q >> 4));
    sbox[p] = x ^ 0x63;
  } while (p != 1);
  sbox[0] = 0x63;
}
static void expand(const uint8_t key[16], uint8_t rk[176]) {
  for (int i = 0; i < 16; i++) rk[i] = key[i];
  uint8_t rcon = 1;
  for (int i = 16; i < 176; i += 4) {
    uint8_t t[4] = {rk[i-4], rk[i-3], rk[i-2], rk[i-1]};
    if (i % 16 == 0) {
      uint8_t u = t[0];
      t[0] = sbox[t[1]] ^ rcon; t[1] = sbox[t[2]]; t[2] = sbox[t[3]]; t[3] = sbox[u];
      rcon = xt(rcon);
    }
    for (int j = 0; j < 4; j++) rk[i+j] = rk[i-16+j] ^ t[j];
  }
}
static void encrypt(uint8_t s[16], const uint8_t rk[176]) {
  for (int i = 0; i < 16; i++) s[i] ^= rk[i];
  for (int r = 1; r <= 10; r++) {
    uint8_t t[16];
    for (int i = 0; i < 16; i++) t[i] = sbox[s[(i + 4 * (i % 4)) % 16]];
    if (r < 10)
      for (int c = 0; c < 4; c++) {
        uint8_t *col = t + 4 * c, a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3], all = a0 ^ a1 ^ a2 ^ a3;
        col[0] ^= all ^ xt(a0 ^ a1); col[1] ^= all ^ xt(a1 ^ a2);
        col[2] ^= all ^ xt(a2 ^ a3); col[3] ^= all ^ xt(a3 ^ a0);
      }
    for (int i = 0; i < 16; i++) s[i] = t[i] ^ rk[16 * r + i];
  }
}
EXPORT long long run(void) {
  init_sbox();
  uint8_t key[16], rk[176];
  for (int i = 0; i < 16; i++) key[i] = (uint8_t)rng();
  expand(key, rk);
  for (int i = 0; i < LEN; i++) buf[i] = (uint8_t)rng();
  for (int r = 0; r < 4; r++)
    for (int i = 0; i < LEN; i += 16) encrypt(buf + i, rk);
  long long s = 0;
  for (int i = 0; i < LEN; i += 4099) s = s * 31 + buf[i];
  return s;
}
