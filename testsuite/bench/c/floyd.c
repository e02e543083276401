// floyd-warshall: all-pairs shortest paths over integers.
#include "common.h"
#define N 400
static int d[N][N];
EXPORT long long run(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      d[i][j] = i * j % 7 + 1;
      if ((i + j) % 13 == 0 || (i + j) % 7 == 0 || (i + j) % 11 == 0) d[i][j] = 999;
    }
  for (int k = 0; k < N; k++)
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++)
        if (d[i][k] + d[k][j] < d[i][j]) d[i][j] = d[i][k] + d[k][j];
  long long s = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j += 3) s += d[i][j];
  return s;
}
