/* Unit tests: utils, error, state id validation, sync messages. */
#define _GNU_SOURCE
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libjitrun/error.h"
#include "libjitrun/state.h"
#include "libjitrun/sync.h"
#include "libjitrun/utils.h"

static void
test_error_format (void **state)
{
  jr_error_t err = NULL;
  int ret = jr_error (&err, ENOENT, "open `%s`", "/x");

  assert_int_equal (ret, -ENOENT);
  assert_string_equal (err->msg, "open `/x`: No such file or directory");
  jr_error_wrap (&err, "mount `%s`", "/proc");
  assert_string_equal (err->msg, "mount `/proc`: open `/x`: No such file or directory");
  /* the innermost error wins */
  jr_error (&err, 0, "outer");
  assert_string_equal (err->msg, "mount `/proc`: open `/x`: No such file or directory");
  /* a note goes after the cause, and keeps the errno's return value */
  assert_int_equal (jr_error_note (&err, "disk %s", "full"), -ENOENT);
  assert_string_equal (err->msg, "mount `/proc`: open `/x`: No such file or directory (disk full)");
  jr_error_free (&err);
  assert_null (err);
  assert_int_equal (jr_error_note (&err, "nothing to note on"), -1);
  assert_null (err);
}

static void
test_split (void **state)
{
  char **v = jr_split (" a, b ,,c ", ',');
  assert_int_equal (jr_strv_len (v), 3);
  assert_string_equal (v[0], "a");
  assert_string_equal (v[1], "b");
  assert_string_equal (v[2], "c");
  jr_strv_free (v);
  v = jr_split ("", ',');
  assert_int_equal (jr_strv_len (v), 0);
  jr_strv_free (v);
}

static void
test_parse_size (void **state)
{
  int64_t v;
  jr_error_t err = NULL;

  assert_int_equal (jr_parse_size ("123", &v, &err), 0);
  assert_int_equal (v, 123);
  assert_int_equal (jr_parse_size ("64k", &v, &err), 0);
  assert_int_equal (v, 65536);
  assert_int_equal (jr_parse_size ("1M", &v, &err), 0);
  assert_int_equal (v, 1 << 20);
  assert_int_equal (jr_parse_size ("2GiB", &v, &err), 0);
  assert_int_equal (v, 2LL << 30);
  assert_true (jr_parse_size ("12q", &v, &err) < 0);
  assert_non_null (strstr (err->msg, "12q"));
  jr_error_free (&err);
}

static void
test_parse_duration (void **state)
{
  int64_t v;
  jr_error_t err = NULL;

  assert_int_equal (jr_parse_duration ("30", &v, &err), 0);
  assert_int_equal (v, 30);
  assert_int_equal (jr_parse_duration ("5m", &v, &err), 0);
  assert_int_equal (v, 300);
  assert_int_equal (jr_parse_duration ("7d", &v, &err), 0);
  assert_int_equal (v, 7 * 86400);
  assert_true (jr_parse_duration ("5x", &v, &err) < 0);
  jr_error_free (&err);
}

static void
test_validate_id (void **state)
{
  jr_error_t err = NULL;

  assert_int_equal (jr_state_validate_id ("abc-1.2_x+y", &err), 0);
  assert_true (jr_state_validate_id ("..", &err) < 0);
  jr_error_free (&err);
  assert_true (jr_state_validate_id ("a/b", &err) < 0);
  jr_error_free (&err);
  assert_true (jr_state_validate_id ("", &err) < 0);
  jr_error_free (&err);
}

static void
test_files_and_rm_rf (void **state)
{
  char tmpl[] = "/tmp/jitrun-test-XXXXXX";
  char *dir = mkdtemp (tmpl);
  int dfd;
  char *content = NULL;
  size_t len;
  jr_error_t err = NULL;

  assert_non_null (dir);
  dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (dfd >= 0);
  assert_int_equal (jr_mkdir_p_at (dfd, "a/b/c", 0755, &err), 0);
  assert_int_equal (jr_write_file_atomic_at (dfd, "f", "hello", 5, 0600, &err), 0);
  assert_int_equal (jr_read_file_at (dfd, "f", &content, &len, &err), 0);
  assert_int_equal (len, 5);
  assert_string_equal (content, "hello");
  free (content);
  assert_int_equal (jr_write_file_at (dfd, "a/b/c/g", "x", 1, 0600, &err), 0);
  assert_int_equal (symlinkat ("/etc", dfd, "a/link"), 0);
  assert_int_equal (jr_rm_rf_at (dfd, "a", &err), 0);
  assert_true (faccessat (dfd, "a", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
  /* rm -rf did not follow the symlink */
  assert_int_equal (access ("/etc/passwd", F_OK), 0);
  assert_int_equal (jr_rm_rf_at (dfd, "missing", &err), 0);
  assert_true (jr_read_file_at (dfd, "missing", &content, &len, &err) < 0);
  assert_non_null (strstr (err->msg, "No such file"));
  jr_error_free (&err);
  close (dfd);
  assert_int_equal (jr_rm_rf_at (AT_FDCWD, dir, &err), 0);
}

static void
test_openat_in_root (void **state)
{
  char tmpl[] = "/tmp/jitrun-root-XXXXXX";
  char *dir = mkdtemp (tmpl);
  jr_error_t err = NULL;
  int rootfd, fd;
  struct stat sb;

  rootfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (rootfd >= 0);
  /* an absolute symlink inside the root is resolved inside it */
  assert_int_equal (mkdirat (rootfd, "etc", 0755), 0);
  assert_int_equal (symlinkat ("/etc", rootfd, "etc-link"), 0);
  fd = jr_mkdir_p_in_root (rootfd, "etc-link/sub/dir", 0755, true, &err);
  assert_true (fd >= 0);
  close (fd);
  assert_int_equal (fstatat (rootfd, "etc/sub/dir", &sb, 0), 0);
  assert_true (stat ("/etc/sub", &sb) < 0);
  /* .. cannot climb out */
  fd = jr_openat_in_root (rootfd, "../../../etc", O_PATH | O_DIRECTORY, 0, &err);
  assert_true (fd >= 0);
  assert_int_equal (fstatat (fd, "sub", &sb, 0), 0);
  close (fd);
  close (rootfd);
  assert_int_equal (jr_rm_rf_at (AT_FDCWD, dir, &err), 0);
}

static void
test_proc_start_time (void **state)
{
  uint64_t a = 0, b = 0;

  assert_int_equal (jr_proc_start_time (getpid (), &a, NULL), 0);
  assert_int_equal (jr_proc_start_time (getpid (), &b, NULL), 0);
  assert_true (a > 0);
  assert_int_equal (a, b);
  assert_int_equal (jr_proc_state (getpid ()), 'R');
  assert_int_equal (jr_proc_state (-1), 0);
}

static void
test_sync_messages (void **state)
{
  int fds[2];
  jr_error_t err = NULL;
  struct jr_sync_msg msg;

  assert_int_equal (jr_sync_pair (fds, &err), 0);
  assert_int_equal (jr_sync_send (fds[0], JR_SYNC_INIT_PID, 42, "data", &err), 0);
  assert_int_equal (jr_sync_expect (fds[1], "peer", JR_SYNC_INIT_PID, &msg, &err), 0);
  assert_int_equal (msg.value, 42);
  assert_string_equal (msg.data, "data");
  jr_sync_msg_clear (&msg);
  {
    /* longer than the stack buffer a message is first read into */
    char long_data[5000];
    memset (long_data, 'x', sizeof (long_data) - 1);
    long_data[sizeof (long_data) - 1] = '\0';
    assert_int_equal (jr_sync_send (fds[0], JR_SYNC_HOOKS_DONE, 7, long_data, &err), 0);
    assert_int_equal (jr_sync_expect (fds[1], "peer", JR_SYNC_HOOKS_DONE, &msg, &err), 0);
    assert_int_equal (msg.value, 7);
    assert_string_equal (msg.data, long_data);
    jr_sync_msg_clear (&msg);
  }
  if (fork () == 0)
    {
      jr_error_t child_err = NULL;
      jr_error (&child_err, EACCES, "mount `/proc`");
      jr_sync_fail (fds[0], child_err);
    }
  assert_true (jr_sync_recv (fds[1], "peer", &msg, &err) < 0);
  assert_string_equal (err->msg, "mount `/proc`: Permission denied");
  assert_int_equal (err->errno_value, EACCES);
  jr_error_free (&err);
  close (fds[0]);
  assert_true (jr_sync_recv (fds[1], "peer", &msg, &err) < 0);
  assert_string_equal (err->msg, "peer exited unexpectedly");
  jr_error_free (&err);
  close (fds[1]);
}

/* A message can carry an fd: it arrives open and close-on-exec, the
   message owns it until taken, and one nobody takes is closed. */
static void
test_sync_passes_an_fd (void **state)
{
  int fds[2], pipefd[2];
  jr_error_t err = NULL;
  struct jr_sync_msg msg;
  char c = 0;
  int fd;

  (void)state;
  assert_int_equal (jr_sync_pair (fds, &err), 0);
  assert_int_equal (pipe (pipefd), 0);
  assert_int_equal (jr_sync_send_fd (fds[0], JR_SYNC_OVERLAY, pipefd[1], &err), 0);
  close (pipefd[1]);
  assert_int_equal (jr_sync_expect (fds[1], "peer", JR_SYNC_OVERLAY, &msg, &err), 0);
  assert_true (msg.fd >= 0);
  assert_true (fcntl (msg.fd, F_GETFD) & FD_CLOEXEC);
  fd = jr_steal_fd (msg.fd);
  jr_sync_msg_clear (&msg);
  assert_int_equal (write (fd, "x", 1), 1);
  assert_int_equal (read (pipefd[0], &c, 1), 1);
  assert_int_equal (c, 'x');
  close (fd);
  close (pipefd[0]);
  /* a message without one */
  assert_int_equal (jr_sync_send (fds[0], JR_SYNC_READY, 0, NULL, &err), 0);
  assert_int_equal (jr_sync_expect (fds[1], "peer", JR_SYNC_READY, &msg, &err), 0);
  assert_int_equal (msg.fd, -1);
  /* not taken (here: not the message expected): closed, so the pipe's
     last writer is gone */
  assert_int_equal (pipe (pipefd), 0);
  assert_int_equal (jr_sync_send_fd (fds[0], JR_SYNC_OVERLAY, pipefd[1], &err), 0);
  close (pipefd[1]);
  assert_true (jr_sync_expect (fds[1], "peer", JR_SYNC_READY, NULL, &err) < 0);
  assert_non_null (strstr (err->msg, "unexpected message"));
  jr_error_free (&err);
  assert_int_equal (read (pipefd[0], &c, 1), 0);
  close (pipefd[0]);
  close (fds[0]);
  close (fds[1]);
}

/* jr_spawn_transient: does the child share our memory? */
static volatile int child_wrote;

static int
write_and_exit (void *arg)
{
  (void)arg;
  child_wrote = 1;
  _exit (7);
}

static bool
spawned_child_shares_memory (bool share_memory)
{
  jr_error_t err = NULL;
  int status;
  pid_t pid;

  child_wrote = 0;
  pid = jr_spawn_transient (write_and_exit, NULL, share_memory, &err);
  assert_true (pid > 0);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 7);
  return child_wrote == 1;
}

static void *
wait_for_eof (void *arg)
{
  char c;

  while (read (*(int *)arg, &c, 1) > 0)
    ;
  return NULL;
}

static void
test_spawn_transient (void **state)
{
  pthread_t thread;
  int fds[2];

  (void)state;
  assert_false (spawned_child_shares_memory (false));
#ifndef __SANITIZE_ADDRESS__ /* sanitizer builds always fork */
  assert_true (spawned_child_shares_memory (true));
#endif
  /* never beside another thread of ours, which would use our heap too */
  assert_int_equal (pipe (fds), 0);
  assert_int_equal (pthread_create (&thread, NULL, wait_for_eof, &fds[0]), 0);
  assert_false (spawned_child_shares_memory (true));
  close (fds[1]);
  pthread_join (thread, NULL);
  close (fds[0]);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_error_format),    cmocka_unit_test (test_split),
    cmocka_unit_test (test_parse_size),      cmocka_unit_test (test_parse_duration),
    cmocka_unit_test (test_validate_id),     cmocka_unit_test (test_files_and_rm_rf),
    cmocka_unit_test (test_openat_in_root),  cmocka_unit_test (test_proc_start_time),
    cmocka_unit_test (test_sync_messages),   cmocka_unit_test (test_sync_passes_an_fd),
    cmocka_unit_test (test_spawn_transient),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
