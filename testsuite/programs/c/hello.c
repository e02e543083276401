#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  printf("hello, world\n");
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  const char *v = getenv("GREETING");
  if (v) printf("GREETING=%s\n", v);
  return argc > 3 ? 3 : 0;
}
