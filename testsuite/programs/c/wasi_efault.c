// Bad arguments: guest pointers outside linear memory must get EFAULT (21), an unknown clock
// EINVAL (28), rather than crash the host. (Wasmtime traps on both instead; the WASI errno is what preview1 programs can
// handle.) Prints one line per call.
#include <stdint.h>
#include <stdio.h>

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
IMPORT(fd_write) int32_t raw_fd_write(int32_t, int32_t, int32_t, int32_t);
IMPORT(fd_read) int32_t raw_fd_read(int32_t, int32_t, int32_t, int32_t);
IMPORT(path_open) int32_t raw_path_open(int32_t, int32_t, int32_t, int32_t, int32_t, int64_t, int64_t, int32_t, int32_t);
IMPORT(args_get) int32_t raw_args_get(int32_t, int32_t);
IMPORT(clock_time_get) int32_t raw_clock_time_get(int32_t, int64_t, int32_t);
IMPORT(random_get) int32_t raw_random_get(int32_t, int32_t);
IMPORT(fd_fdstat_get) int32_t raw_fd_fdstat_get(int32_t, int32_t);
IMPORT(poll_oneoff) int32_t raw_poll_oneoff(int32_t, int32_t, int32_t, int32_t);

#define FAR ((int32_t)0xfffffff0)

int main(void) {
  static uint32_t iov[2] = {(uint32_t)FAR, 64};
  static uint32_t out;
  printf("fd_write bad iovec list: %d\n", raw_fd_write(1, FAR, 1, (int32_t)&out));
  printf("fd_write bad buffer: %d\n", raw_fd_write(1, (int32_t)iov, 1, (int32_t)&out));
  printf("fd_read bad buffer: %d\n", raw_fd_read(0, (int32_t)iov, 1, (int32_t)&out));
  printf("path_open bad path: %d\n", raw_path_open(3, 0, FAR, 64, 0, 0, 0, 0, (int32_t)&out));
  printf("args_get bad pointers: %d\n", raw_args_get(FAR, FAR));
  printf("clock_time_get bad out: %d\n", raw_clock_time_get(0, 1, FAR));
  printf("random_get past the end: %d\n", raw_random_get(FAR, 64));
  printf("fd_fdstat_get bad out: %d\n", raw_fd_fdstat_get(1, FAR));
  printf("poll_oneoff bad subscriptions: %d\n", raw_poll_oneoff(FAR, FAR, 1, (int32_t)&out));
  // Not a pointer, but the same kind of bad argument: an unknown clock is EINVAL.
  static uint64_t t;
  printf("clock_time_get unknown clock: %d\n", raw_clock_time_get(99, 1, (int32_t)&t));
  return 0;
}
