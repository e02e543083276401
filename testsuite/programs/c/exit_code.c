// Exits with the status given as the first argument, through exit() (WASI proc_exit).
#include <stdlib.h>
int main(int argc, char **argv) {
  if (argc < 2) return 0;
  exit(atoi(argv[1]));
}
