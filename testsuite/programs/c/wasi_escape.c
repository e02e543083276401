// Tries every way out of the preopened directory "." that a hostile program might: each
// attempt must be refused. Prints "refused" or "ESCAPED" per attempt, and exits 1 on any escape.
// Expects the host to have created, beside the preopen, a file ../secret.txt, and inside it a
// symlink out_abs -> /etc and out_rel -> ../ (set up by the test).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int escapes;



static void refused(const char *what, int ok) {
  printf("%s: %s\n", what, ok ? "refused" : "ESCAPED");
  if (!ok) escapes++;
}

static int open_fails(const char *p, int flags) {
  int fd = open(p, flags, 0644);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  return 1;
}

int main(void) {
  struct stat st;
  char buf[256];
  refused("open ../secret.txt", open_fails("../secret.txt", O_RDONLY));
  refused("open ./../secret.txt", open_fails("./../secret.txt", O_RDONLY));
  refused("open sub/../../secret.txt", mkdir("sub", 0755) == 0 && open_fails("sub/../../secret.txt", O_RDONLY));
  refused("open /etc/passwd", open_fails("/etc/passwd", O_RDONLY));
  refused("open through absolute symlink", open_fails("out_abs/passwd", O_RDONLY));
  refused("open through relative symlink", open_fails("out_rel/secret.txt", O_RDONLY));
  refused("stat through symlink", stat("out_rel/secret.txt", &st) != 0);
  refused("create through symlink", open_fails("out_rel/created.txt", O_CREAT | O_WRONLY));
  refused("mkdir outside", mkdir("../made", 0755) != 0);
  refused("mkdir through symlink", mkdir("out_rel/made", 0755) != 0);
  refused("unlink outside", unlink("../secret.txt") != 0);
  refused("rename outside", rename("sub", "../sub") != 0);
  refused("rename in from outside", rename("../secret.txt", "stolen.txt") != 0);
  refused("link to outside file", link("../secret.txt", "hard") != 0);
  refused("link through symlink", link("out_rel/secret.txt", "hard2") != 0);
  refused("opendir ..", opendir("..") == NULL);
  refused("opendir through symlink", opendir("out_rel") == NULL);
  refused("readlink outside", readlink("../secret.txt", buf, sizeof buf) < 0);
  refused("absolute symlink target", symlink("/etc/passwd", "abs_link") != 0);
  // A relative link may be created (following it is what is confined), but not followed out.
  if (symlink("../secret.txt", "rel_link") == 0) {
    refused("follow created relative link", open_fails("rel_link", O_RDONLY));
    unlink("rel_link");
  } else {
    refused("follow created relative link", 1);
  }
  refused("utimensat through symlink", utimensat(AT_FDCWD, "out_rel/secret.txt", NULL, 0) != 0);
  // The raw calls, with paths wasi-libc would not pass through.
  __wasi_fd_t fd;
  refused("path_open absolute (raw)",
          __wasi_path_open(3, 0, "/etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd) != 0);
  refused("path_open .. (raw)", __wasi_path_open(3, 0, "..", 0, __WASI_RIGHTS_FD_READDIR, 0, 0, &fd) != 0);
  refused("path_open sub/../.. (raw)",
          __wasi_path_open(3, 0, "sub/../..", 0, __WASI_RIGHTS_FD_READDIR, 0, 0, &fd) != 0);
  rmdir("sub");
  printf("escapes: %d\n", escapes);
  return escapes ? 1 : 0;
}
