/* jitrun - small helpers shared by every module. */
#ifndef JITRUN_UTILS_H
#define JITRUN_UTILS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h"

/* ---- cleanup helpers ---------------------------------------------------- */
void jr_cleanup_freep (void *p);
void jr_cleanup_closep (int *fd);
void jr_cleanup_dirp (DIR **d);
void jr_cleanup_filep (FILE **f);
void jr_cleanup_strvp (char ***v);
#define cleanup_free  __attribute__ ((cleanup (jr_cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (jr_cleanup_closep)))
#define cleanup_dir   __attribute__ ((cleanup (jr_cleanup_dirp)))
#define cleanup_file  __attribute__ ((cleanup (jr_cleanup_filep)))
#define cleanup_strv  __attribute__ ((cleanup (jr_cleanup_strvp)))

/* Hand ownership out of a cleanup variable. */
#define jr_steal_ptr(p)                                                                                      \
  ({                                                                                                         \
    __typeof__ (p) _tmp = (p);                                                                               \
    (p) = NULL;                                                                                              \
    _tmp;                                                                                                    \
  })
#define jr_steal_fd(fd)                                                                                      \
  ({                                                                                                         \
    int _tmp = (fd);                                                                                         \
    (fd) = -1;                                                                                               \
    _tmp;                                                                                                    \
  })

/* ---- memory (abort on OOM: a runtime cannot do anything useful then) ---- */
void *xmalloc (size_t size);
void *xmalloc0 (size_t size);
void *xrealloc (void *p, size_t size);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void jr_strv_free (char **v);
size_t jr_strv_len (char *const *v);

/* ---- strings ------------------------------------------------------------ */
bool jr_has_prefix (const char *s, const char *prefix);
bool jr_has_suffix (const char *s, const char *suffix);
/* Split on `sep`, trimming blanks, dropping empty items. */
char **jr_split (const char *s, char sep);
/* Parse "123", "64k", "1M", "2G" (binary units) into bytes. */
int jr_parse_size (const char *s, int64_t *out, jr_error_t *err);
/* Parse "30s", "5m", "2h", "7d" or plain seconds. */
int jr_parse_duration (const char *s, int64_t *seconds, jr_error_t *err);
int jr_parse_int64 (const char *s, int64_t *out);

/* ---- files -------------------------------------------------------------- */
/* Read a whole file (relative to dirfd when path is relative; AT_FDCWD ok). */
int jr_read_file_at (int dirfd, const char *path, char **out, size_t *len, jr_error_t *err);
/* Write buf to path (O_WRONLY|O_TRUNC|O_CREAT) at dirfd. */
int jr_write_file_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, jr_error_t *err);
/* Write to a file that already exists (cgroup, /proc knobs): no O_CREAT. */
int jr_write_existing_at (int dirfd, const char *path, const char *value, jr_error_t *err);
/* Write via tmp file + fsync + rename in dirfd: readers see old or new content. */
int jr_write_file_atomic_at (int dirfd, const char *name, const void *buf, size_t len, mode_t mode,
                             jr_error_t *err);
/* mkdir -p of a path relative to dirfd (absolute paths use AT_FDCWD). */
int jr_mkdir_p_at (int dirfd, const char *path, mode_t mode, jr_error_t *err);
/* rm -rf below dirfd/name without following symlinks. Missing = success. */
int jr_rm_rf_at (int dirfd, const char *name, jr_error_t *err);
/* The names in directory dfd (without . and ..), sorted bytewise: a
   NULL-terminated vector (never NULL) and its length in *n (may be NULL). */
/* opendir of path relative to dfd, O_CLOEXEC; NULL with errno set. */
DIR *jr_opendir_at (int dfd, const char *path);
/* flock(2), retried on EINTR. */
int jr_flock (int fd, int op);
int jr_list_dir_sorted (int dfd, char ***names, size_t *n, jr_error_t *err);
/* Write all of buf to fd, retrying on EINTR/short writes. */
int jr_write_all (int fd, const void *buf, size_t len);
ssize_t jr_read_all (int fd, void *buf, size_t len);

/* Open `path` inside the tree rooted at rootfd, resolving every component
   (symlinks included) as if rootfd were "/": openat2(RESOLVE_IN_ROOT), so
   nothing in the rootfs can point us outside of it. */
int jr_openat_in_root (int rootfd, const char *path, int flags, mode_t mode, jr_error_t *err);
/* Like mkdir -p, inside rootfd with the same guarantee; returns an O_PATH
   fd of the final directory when want_fd, else 0. */
int jr_mkdir_p_in_root (int rootfd, const char *path, mode_t mode, bool want_fd, jr_error_t *err);
/* "/proc/self/fd/N" for passing an fd to path-based syscalls (mount...). */
#define JR_PROC_FD_PATH_MAX 32
const char *jr_proc_fd_path (int fd, char buf[JR_PROC_FD_PATH_MAX]);

/* ---- processes ---------------------------------------------------------- */
/* Field 22 of /proc/PID/stat: start time in clock ticks since boot.  With
   the pid it identifies a process uniquely (pids get reused). */
int jr_proc_start_time (pid_t pid, uint64_t *start_time, jr_error_t *err);
/* State letter of /proc/PID/stat ('R','S','Z'...), 0 when gone. */
char jr_proc_state (pid_t pid);
/* waitpid that retries on EINTR; returns the exit code as a shell would
   (128+signal for a signal death). */
int jr_wait_exit_code (pid_t pid, int *exit_code, jr_error_t *err);
/* Run fn(arg), which must not return (it ends with _exit), in a child
   process whose pid is returned (SIGCHLD on exit).  With share_memory the
   child shares our memory (CLONE_VM) and we sleep until it exits
   (CLONE_VFORK): it must not wait for us.  Else it is a fork. */
pid_t jr_spawn_transient (int (*fn) (void *), void *arg, bool share_memory, jr_error_t *err);
/* Exit code of a raw wait status, as a shell would report it. */
int jr_wait_status_to_exit_code (int status);

/* ---- time --------------------------------------------------------------- */
/* RFC3339 with nanoseconds, UTC ("2026-11-23T10:00:00.123456789Z"). */
char *jr_rfc3339_now (void);
/* The same into buf (at least 40 bytes). */
void jr_rfc3339_now_buf (char *buf, size_t len);
int64_t jr_now_ns (void); /* CLOCK_MONOTONIC */

/* Room in a msghdr for one fd passed with SCM_RIGHTS. */
union jr_fd_cmsg
{
  char buf[CMSG_SPACE (sizeof (int))];
  struct cmsghdr align;
};
/* Make m carry fd (SCM_RIGHTS) in room, which must live until the send. */
void jr_msg_attach_fd (struct msghdr *m, union jr_fd_cmsg *room, int fd);
/* The fd that came with m (received with room as its control buffer), or
   -1; any other one that came is closed. */
int jr_msg_received_fd (struct msghdr *m);

#endif
