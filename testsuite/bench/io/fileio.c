// Writes a file of N MiB (argv[1]) in 1 MiB writes, then reads it back in 1 MiB reads, in the
// current directory (natively) or the preopened "." (under a WASI host). Prints a checksum
// of what it read and the nanoseconds each phase took, so that the harness can compare hosts
// on the same work.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)
static unsigned char buf[CHUNK];

static uint64_t now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 1024;
  for (int i = 0; i < CHUNK; i++) buf[i] = (unsigned char)(i * 7 + 3);
  uint64_t t0 = now();
  int fd = open("fileio.bin", O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) { perror("open for writing"); return 1; }
  for (long i = 0; i < mib; i++) {
    buf[0] = (unsigned char)i;
    if (write(fd, buf, CHUNK) != CHUNK) { perror("write"); return 1; }
  }
  close(fd);
  uint64_t t1 = now();
  fd = open("fileio.bin", O_RDONLY);
  if (fd < 0) { perror("open for reading"); return 1; }
  uint64_t sum = 0;
  ssize_t n;
  while ((n = read(fd, buf, CHUNK)) > 0) {
    for (ssize_t i = 0; i < n; i += 4096) sum = sum * 31 + buf[i];
  }
  close(fd);
  uint64_t t2 = now();
  unlink("fileio.bin");
  printf("%llu %llu %llu\n", (unsigned long long)sum, (unsigned long long)(t1 - t0),
         (unsigned long long)(t2 - t1));
  return 0;
}
