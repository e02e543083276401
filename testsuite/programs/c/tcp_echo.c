// A TCP echo server on the listening socket the host preopened as descriptor 3
// (`sowa run --tcplisten ADDR:PORT`): accepts one connection, echoes what it receives until
// the peer shuts down its side, then shuts down and exits.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

int main(void) {
  __wasi_fd_t conn;
  __wasi_errno_t e = __wasi_sock_accept(3, 0, &conn);
  if (e != 0) {
    fprintf(stderr, "sock_accept: %d\n", e);
    return 1;
  }
  char buf[4096];
  size_t total = 0;
  for (;;) {
    __wasi_iovec_t in = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t got = 0;
    __wasi_roflags_t flags;
    e = __wasi_sock_recv(conn, &in, 1, 0, &got, &flags);
    if (e != 0) {
      fprintf(stderr, "sock_recv: %d\n", e);
      return 1;
    }
    if (got == 0) break;
    size_t done = 0;
    while (done < got) {
      __wasi_ciovec_t out = {(const uint8_t *)buf + done, got - done};
      __wasi_size_t sent = 0;
      e = __wasi_sock_send(conn, &out, 1, 0, &sent);
      if (e != 0) {
        fprintf(stderr, "sock_send: %d\n", e);
        return 1;
      }
      done += sent;
    }
    total += got;
  }
  e = __wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR);
  printf("echoed %zu bytes, shutdown: %d\n", total, e);
  return 0;
}
