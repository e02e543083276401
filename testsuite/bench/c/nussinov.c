// nussinov: RNA folding by dynamic programming.
#include "common.h"
#define N 1200
static int seq[N], table[N][N];
static int max_i(int a, int b) { return a > b ? a : b; }
EXPORT long long run(void) {
  for (int i = 0; i < N; i++) seq[i] = (i + 1) % 4;
  for (int i = N - 1; i >= 0; i--)
    for (int j = i + 1; j < N; j++) {
      if (j - 1 >= 0) table[i][j] = max_i(table[i][j], table[i][j - 1]);
      if (i + 1 < N) table[i][j] = max_i(table[i][j], table[i + 1][j]);
      if (j - 1 >= 0 && i + 1 < N) {
        int match = (seq[i] + seq[j] == 3) ? 1 : 0;
        table[i][j] = max_i(table[i][j], table[i + 1][j - 1] + (i < j - 1 ? match : 0));
      }
      for (int k = i + 1; k < j; k++) table[i][j] = max_i(table[i][j], table[i][k] + table[k + 1][j]);
    }
  return table[0][N - 1];
}
