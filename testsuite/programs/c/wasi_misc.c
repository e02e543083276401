// Arguments, environment, clocks, randomness, polling, stdio descriptors and preopens through
// WASI, printing only what is the same on every correct host.
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static int failures;

// proc_raise is deprecated and gone from wasi-libc's header, but still part of preview1.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int32_t
raw_proc_raise(int32_t sig);

static void check(const char *what, int ok) {
  printf("%s: %s\n", what, ok ? "ok" : "FAILED");
  if (!ok) failures++;
}

int main(int argc, char **argv) {
  printf("argc: %d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]: %s\n", i, argv[i]);
  const char *v = getenv("SOWA_TEST");
  printf("SOWA_TEST: %s\n", v ? v : "(unset)");

  __wasi_timestamp_t res, t0, t1;
  check("clock_res_get monotonic", __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res) == 0 && res > 0);
  check("clock_time_get realtime after 2020",
        __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t0) == 0 && t0 > 1577836800ull * 1000000000ull);
  check("process cputime", __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &t0) == 0);

  // nanosleep is poll_oneoff on a relative monotonic clock.
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
  struct timespec ts = {0, 20 * 1000 * 1000};
  check("nanosleep", nanosleep(&ts, NULL) == 0);
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
  check("slept at least 20 ms", t1 - t0 >= 20 * 1000 * 1000);

  // An absolute deadline, and a clock together with a descriptor that is ready at once.
  __wasi_subscription_t subs[2];
  __wasi_event_t events[2];
  __wasi_size_t n = 0;
  memset(subs, 0, sizeof subs);
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
  subs[0].userdata = 7;
  subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[0].u.u.clock.timeout = t0 + 10 * 1000 * 1000;
  subs[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
  check("poll_oneoff absolute clock", __wasi_poll_oneoff(subs, events, 1, &n) == 0 && n == 1 &&
                                          events[0].userdata == 7 && events[0].error == 0 &&
                                          events[0].type == __WASI_EVENTTYPE_CLOCK);
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
  check("absolute deadline reached", t1 >= t0 + 10 * 1000 * 1000);
  subs[0].u.u.clock.flags = 0;
  subs[0].u.u.clock.timeout = 5ull * 1000 * 1000 * 1000;
  subs[1].userdata = 8;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  subs[1].u.u.fd_write.file_descriptor = 1;
  check("poll_oneoff stdout writable before a 5 s clock",
        __wasi_poll_oneoff(subs, events, 2, &n) == 0 && n == 1 && events[0].userdata == 8 &&
            events[0].type == __WASI_EVENTTYPE_FD_WRITE && events[0].error == 0);
  subs[1].u.u.fd_write.file_descriptor = 99;
  check("poll_oneoff on a closed fd reports EBADF",
        __wasi_poll_oneoff(subs, events, 2, &n) == 0 && n == 1 && events[0].userdata == 8 &&
            events[0].error == __WASI_ERRNO_BADF);
  check("poll_oneoff with nothing is EINVAL", __wasi_poll_oneoff(subs, events, 0, &n) == __WASI_ERRNO_INVAL);

  unsigned char r1[32] = {0}, r2[32] = {0};
  check("random_get", __wasi_random_get(r1, sizeof r1) == 0 && __wasi_random_get(r2, sizeof r2) == 0 &&
                          memcmp(r1, r2, sizeof r1) != 0);
  check("sched_yield", __wasi_sched_yield() == 0);

  __wasi_fdstat_t st;
  check("fdstat stdout", __wasi_fd_fdstat_get(1, &st) == 0 && (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE));
  check("fdstat of a closed fd is EBADF", __wasi_fd_fdstat_get(99, &st) == __WASI_ERRNO_BADF);
  __wasi_prestat_t pre;
  check("stdin is not a preopen", __wasi_fd_prestat_get(0, &pre) == __WASI_ERRNO_BADF);
  if (__wasi_fd_prestat_get(3, &pre) == 0) {
    char name[64] = {0};
    (void)__wasi_fd_prestat_dir_name(3, (uint8_t *)name, pre.u.dir.pr_name_len);
    printf("preopen 3: %s\n", name);
  } else {
    printf("preopen 3: none\n");
  }
  check("proc_raise(0) does nothing", raw_proc_raise(0) == 0);
  printf("failures: %d\n", failures);
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "exit7") == 0) __wasi_proc_exit(7);
  if (argc > 1 && strcmp(argv[1], "raise") == 0) raw_proc_raise(15 /* TERM */);
  return failures ? 1 : 0;
}
