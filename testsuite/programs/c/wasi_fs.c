// Files through WASI in a preopened directory (run with the directory preopened as "."):
// every fd_* and path_* call, printing what each returned so that runs under sowa and under
// Wasmtime can be compared line by line.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int failures;

static void check(const char *what, int ok) {
  if (ok) {
    printf("%s: ok\n", what);
  } else {
    printf("%s: FAILED (%s)\n", what, strerror(errno));
    failures++;
  }
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  check("mkdir", mkdir("d", 0755) == 0);
  check("mkdir existing is EEXIST", mkdir("d", 0755) == -1 && errno == EEXIST);
  int fd = open("d/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  check("open create", fd >= 0);
  check("write", write(fd, "hello, world\n", 13) == 13);
  check("pwrite", pwrite(fd, "HELLO", 5, 0) == 5);
  char buf[64] = {0};
  check("pread", pread(fd, buf, 5, 7) == 5 && memcmp(buf, "world", 5) == 0);
  check("lseek end", lseek(fd, 0, SEEK_END) == 13);
  __wasi_filesize_t pos;
  check("fd_tell", __wasi_fd_tell(fd, &pos) == 0 && pos == 13);
  check("lseek set", lseek(fd, 0, SEEK_SET) == 0);
  memset(buf, 0, sizeof buf);
  check("read", read(fd, buf, sizeof buf) == 13 && strcmp(buf, "HELLO, world\n") == 0);
  struct stat st;
  check("fstat", fstat(fd, &st) == 0 && st.st_size == 13 && S_ISREG(st.st_mode));
  check("ftruncate", ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5);
  check("posix_fallocate", posix_fallocate(fd, 0, 100) == 0 && fstat(fd, &st) == 0 && st.st_size == 100);
  // Sized explicitly, so that what follows does not depend on fd_allocate (which Wasmtime
  // accepts without allocating anything).
  check("ftruncate to 100", ftruncate(fd, 100) == 0);
  check("posix_fadvise", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
  check("fsync", fsync(fd) == 0);
  check("fdatasync", fdatasync(fd) == 0);
  struct timespec times[2] = {{1000000000, 5}, {1200000000, 7}};
  check("futimens", futimens(fd, times) == 0 && fstat(fd, &st) == 0 &&
                        st.st_mtim.tv_sec == 1200000000 && st.st_mtim.tv_nsec == 7 &&
                        st.st_atim.tv_sec == 1000000000);
  check("fcntl append", fcntl(fd, F_SETFL, O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND));
  check("write appends", lseek(fd, 0, SEEK_SET) == 0 && write(fd, "!", 1) == 1 &&
                             fstat(fd, &st) == 0 && st.st_size == 101);

  // fd_renumber: the file moves onto another open descriptor.
  int other = open("d/b.txt", O_CREAT | O_WRONLY, 0644);
  check("open second", other >= 0);
  check("fd_renumber", __wasi_fd_renumber(fd, other) == 0);
  check("renumbered fd works", fstat(other, &st) == 0 && st.st_size == 101);
  check("old fd is closed", fstat(fd, &st) == -1 && errno == EBADF);
  check("fd_renumber of a closed fd is EBADF", __wasi_fd_renumber(fd, other) == __WASI_ERRNO_BADF);
  check("close", close(other) == 0);
  check("close twice is EBADF", close(other) == -1 && errno == EBADF);

  // Rights can be dropped, never regained.
  fd = open("d/b.txt", O_RDWR);
  __wasi_fdstat_t fst;
  check("fdstat", __wasi_fd_fdstat_get(fd, &fst) == 0 && fst.fs_filetype == __WASI_FILETYPE_REGULAR_FILE &&
                      (fst.fs_rights_base & __WASI_RIGHTS_FD_WRITE));
  check("drop write right",
        __wasi_fd_fdstat_set_rights(fd, fst.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE, 0) == 0);
  __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
  __wasi_size_t written;
  check("fd_write without the right is ENOTCAPABLE",
        __wasi_fd_write(fd, &iov, 1, &written) == __WASI_ERRNO_NOTCAPABLE);
  check("rights cannot grow", __wasi_fd_fdstat_set_rights(fd, fst.fs_rights_base, 0) == __WASI_ERRNO_NOTCAPABLE);
  close(fd);

  // Links, symlinks, renames.
  check("link", link("d/a.txt", "d/hard.txt") == 0 && stat("d/hard.txt", &st) == 0 && st.st_nlink == 2);
  check("symlink", symlink("a.txt", "d/sym") == 0);
  ssize_t n = readlink("d/sym", buf, sizeof buf);
  check("readlink", n == 5 && memcmp(buf, "a.txt", 5) == 0);
  check("readlink truncates", readlink("d/sym", buf, 3) == 3 && memcmp(buf, "a.t", 3) == 0);
  check("stat follows", stat("d/sym", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 101);
  check("lstat does not follow", lstat("d/sym", &st) == 0 && S_ISLNK(st.st_mode));
  check("readlink of a file is EINVAL", readlink("d/a.txt", buf, sizeof buf) == -1 && errno == EINVAL);
  struct timespec t2[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
  check("utimensat", utimensat(AT_FDCWD, "d/sym", t2, 0) == 0 && stat("d/a.txt", &st) == 0 &&
                         st.st_mtim.tv_sec == 1300000000);
  check("rename", rename("d/hard.txt", "d/moved.txt") == 0 && access("d/hard.txt", F_OK) == -1 &&
                      access("d/moved.txt", F_OK) == 0);
  check("mkdir sub", mkdir("d/sub", 0755) == 0);
  check("rename into sub", rename("d/moved.txt", "d/sub/m.txt") == 0);

  // Listing, sorted so that order does not depend on the file system.
  DIR *dir = opendir("d");
  check("opendir", dir != NULL);
  char *names[32];
  int count = 0;
  struct dirent *e;
  while (dir && (e = readdir(dir)) && count < 32) {
    names[count++] = strdup(e->d_name);
  }
  if (dir) closedir(dir);
  qsort(names, count, sizeof names[0], cmp);
  printf("listing:");
  for (int i = 0; i < count; i++) printf(" %s", names[i]);
  printf("\n");

  // Errors the way POSIX has them.
  check("open missing is ENOENT", open("d/nope", O_RDONLY) == -1 && errno == ENOENT);
  check("O_EXCL on existing is EEXIST", open("d/a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST);
  check("open dir for writing is EISDIR", open("d", O_WRONLY) == -1 && errno == EISDIR);
  check("O_DIRECTORY on a file is ENOTDIR", open("d/a.txt", O_RDONLY | O_DIRECTORY) == -1 && errno == ENOTDIR);
  check("rmdir non-empty is ENOTEMPTY", rmdir("d/sub") == -1 && errno == ENOTEMPTY);
  check("unlink a directory fails", unlink("d/sub") == -1 && (errno == EISDIR || errno == EPERM));
  check("nofollow open of a symlink is ELOOP", open("d/sym", O_RDONLY | O_NOFOLLOW) == -1 && errno == ELOOP);

  // Clean up.
  check("unlink", unlink("d/sub/m.txt") == 0 && unlink("d/sym") == 0 && unlink("d/a.txt") == 0 &&
                      unlink("d/b.txt") == 0);
  check("rmdir", rmdir("d/sub") == 0 && rmdir("d") == 0);
  printf("failures: %d\n", failures);
  return failures ? 1 : 0;
}
