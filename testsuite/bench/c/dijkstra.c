// Dijkstra's shortest paths on a dense random graph (O(V^2) version), from several sources.
#include "common.h"
#define V 1500
static int w[V][V], dist[V];
static uint8_t done[V];
EXPORT long long run(void) {
  for (int i = 0; i < V; i++)
    for (int j = 0; j < V; j++) w[i][j] = (rng() % 10 == 0) ? 1 + (int)(rng() % 100) : 0;
  long long s = 0;
  for (int src = 0; src < 12; src++) {
    for (int i = 0; i < V; i++) { dist[i] = 1 << 30; done[i] = 0; }
    dist[src] = 0;
    for (int it = 0; it < V; it++) {
      int u = -1;
      for (int i = 0; i < V; i++) if (!done[i] && (u < 0 || dist[i] < dist[u])) u = i;
      done[u] = 1;
      for (int v = 0; v < V; v++)
        if (w[u][v] && dist[u] + w[u][v] < dist[v]) dist[v] = dist[u] + w[u][v];
    }
    for (int i = 0; i < V; i++) s += dist[i] < (1 << 30) ? dist[i] : 0;
  }
  return s;
}
