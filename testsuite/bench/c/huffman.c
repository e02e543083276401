// Huffman code construction and encoding of skewed random bytes: heaps and bit packing.
#include "common.h"
#define LEN (1 << 21)
static uint8_t data[LEN];
static uint32_t out[LEN / 2];
static long long freq[512];
static int left[512], right[512], heap[512], hn;
static uint32_t code[256];
static int len[256];
static void push(int x) {
  int i = hn++;
  heap[i] = x;
  while (i > 0 && freq[heap[(i - 1) / 2]] > freq[heap[i]]) {
    int p = (i - 1) / 2, t = heap[p]; heap[p] = heap[i]; heap[i] = t; i = p;
  }
}
static int pop(void) {
  int top = heap[0], i = 0;
  heap[0] = heap[--hn];
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < hn && freq[heap[l]] < freq[heap[m]]) m = l;
    if (r < hn && freq[heap[r]] < freq[heap[m]]) m = r;
    if (m == i) break;
    int t = heap[m]; heap[m] = heap[i]; heap[i] = t; i = m;
  }
  return top;
}
static void assign(int n, uint32_t c, int l) {
  if (n < 256) { code[n] = c; len[n] = l; return; }
  assign(left[n], c << 1, l + 1);
  assign(right[n], (c << 1) | 1, l + 1);
}
EXPORT long long run(void) {
  for (int i = 0; i < LEN; i++) { uint32_t r = rng(); data[i] = (uint8_t)((r & 0xff) * ((r >> 8) & 0xff) >> 8); }
  for (int i = 0; i < LEN; i++) freq[data[i]]++;
  for (int i = 0; i < 256; i++) { freq[i] += 1; push(i); }
  int next = 256;
  while (hn > 1) {
    int a = pop(), b = pop();
    freq[next] = freq[a] + freq[b]; left[next] = a; right[next] = b; push(next++);
  }
  assign(pop(), 0, 0);
  long long bits = 0;
  for (int r = 0; r < 4; r++) {
    uint64_t acc = 0; int n = 0; size_t o = 0;
    for (int i = 0; i < LEN; i++) {
      acc = (acc << len[data[i]]) | code[data[i]]; n += len[data[i]];
      while (n >= 32) { out[o++ % (LEN / 2)] = (uint32_t)(acc >> (n - 32)); n -= 32; }
      bits += len[data[i]];
    }
  }
  return bits ^ out[12345];
}
