// Grows linear memory through malloc and touches every page of it.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Blocks escape through this array, so the compiler cannot elide the allocations.
char *volatile blocks[16];

int main(void) {
  size_t before = (size_t)sbrk(0);
  size_t total = 0;
  for (int i = 0; i < 16; i++) {
    char *p = malloc(1 << 20);
    if (!p) { printf("malloc failed\n"); return 1; }
    blocks[i] = p;
    memset(p, i, 1 << 20);
    total += blocks[i][12345] == (char)i;
  }
  size_t after = (size_t)sbrk(0);
  printf("grew %s, %zu blocks ok\n", after >= before + (15u << 20) ? "yes" : "no", total);
  return 0;
}
