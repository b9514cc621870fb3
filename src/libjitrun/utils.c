#define _GNU_SOURCE
#include <config.h>
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* ---- cleanup helpers ---------------------------------------------------- */

void
jr_cleanup_freep (void *p)
{
  free (*(void **)p);
}

void
jr_cleanup_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

void
jr_cleanup_dirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

void
jr_cleanup_filep (FILE **f)
{
  if (*f)
    fclose (*f);
}

void
jr_cleanup_strvp (char ***v)
{
  jr_strv_free (*v);
}

/* ---- memory ------------------------------------------------------------- */

static void *
oom_check (void *p)
{
  if (p == NULL)
    {
      static const char msg[] = "jitrun: out of memory\n";
      if (write (STDERR_FILENO, msg, sizeof (msg) - 1) < 0)
        {
        }
      abort ();
    }
  return p;
}

void *
xmalloc (size_t size)
{
  return oom_check (malloc (size ? size : 1));
}

void *
xmalloc0 (size_t size)
{
  return oom_check (calloc (1, size ? size : 1));
}

void *
xrealloc (void *p, size_t size)
{
  return oom_check (realloc (p, size ? size : 1));
}

char *
xstrdup (const char *s)
{
  return s ? oom_check (strdup (s)) : NULL;
}

char *
xstrndup (const char *s, size_t n)
{
  return oom_check (strndup (s, n));
}

char *
xasprintf (const char *fmt, ...)
{
  char *r = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&r, fmt, ap) < 0)
    r = NULL;
  va_end (ap);
  return oom_check (r);
}

void
jr_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **it = v; *it; it++)
    free (*it);
  free (v);
}

size_t
jr_strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

/* ---- strings ------------------------------------------------------------ */

bool
jr_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

bool
jr_has_suffix (const char *s, const char *suffix)
{
  size_t ls = strlen (s), lx = strlen (suffix);
  return ls >= lx && strcmp (s + ls - lx, suffix) == 0;
}

char **
jr_split (const char *s, char sep)
{
  size_t n = 0, cap = 4;
  char **v = xmalloc (cap * sizeof (char *));
  const char *start = s;

  for (;;)
    {
      const char *end = strchr (start, sep);
      const char *stop = end ? end : start + strlen (start);
      const char *a = start, *b = stop;

      while (a < b && isspace ((unsigned char)*a))
        a++;
      while (b > a && isspace ((unsigned char)b[-1]))
        b--;
      if (b > a)
        {
          if (n + 2 > cap)
            v = xrealloc (v, (cap *= 2) * sizeof (char *));
          v[n++] = xstrndup (a, b - a);
        }
      if (end == NULL)
        break;
      start = end + 1;
    }
  v[n] = NULL;
  return v;
}

int
jr_parse_int64 (const char *s, int64_t *out)
{
  char *end;
  long long v;

  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int
jr_parse_size (const char *s, int64_t *out, jr_error_t *err)
{
  char *end;
  double v;
  int64_t mult = 1;

  errno = 0;
  v = strtod (s, &end);
  if (errno != 0 || end == s || v < 0)
    return jr_error (err, 0, "invalid size `%s`", s);
  switch (tolower ((unsigned char)*end))
    {
    case '\0':
      break;
    case 'k':
      mult = 1LL << 10;
      break;
    case 'm':
      mult = 1LL << 20;
      break;
    case 'g':
      mult = 1LL << 30;
      break;
    case 't':
      mult = 1LL << 40;
      break;
    default:
      return jr_error (err, 0, "invalid size `%s`", s);
    }
  if (*end != '\0')
    {
      end++;
      if (tolower ((unsigned char)*end) == 'i')
        end++;
      if (tolower ((unsigned char)*end) == 'b')
        end++;
      if (*end != '\0')
        return jr_error (err, 0, "invalid size `%s`", s);
    }
  if (v * mult > (double)INT64_MAX)
    return jr_error (err, 0, "size `%s` is too large", s);
  *out = (int64_t)(v * mult);
  return 0;
}

int
jr_parse_duration (const char *s, int64_t *seconds, jr_error_t *err)
{
  char *end;
  long long v;
  int64_t mult = 1;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno != 0 || end == s || v < 0)
    return jr_error (err, 0, "invalid duration `%s`", s);
  if (strcmp (end, "") == 0 || strcmp (end, "s") == 0)
    mult = 1;
  else if (strcmp (end, "m") == 0)
    mult = 60;
  else if (strcmp (end, "h") == 0)
    mult = 3600;
  else if (strcmp (end, "d") == 0)
    mult = 86400;
  else
    return jr_error (err, 0, "invalid duration `%s`: use a number with s, m, h or d", s);
  *seconds = v * mult;
  return 0;
}

/* ---- files -------------------------------------------------------------- */

int
jr_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += w;
      len -= w;
    }
  return 0;
}

ssize_t
jr_read_all (int fd, void *buf, size_t len)
{
  size_t done = 0;

  while (done < len)
    {
      ssize_t r = read (fd, (char *)buf + done, len - done);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (r == 0)
        break;
      done += r;
    }
  return done;
}

int
jr_read_file_at (int dirfd, const char *path, char **out, size_t *len, jr_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  size_t cap = 4096, n = 0;
  char *buf;

  if (fd < 0)
    return jr_error (err, errno, "open `%s`", path);
  buf = xmalloc (cap);
  for (;;)
    {
      ssize_t r;
      if (n + 1 >= cap)
        buf = xrealloc (buf, cap *= 2);
      r = read (fd, buf + n, cap - n - 1);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          int saved = errno;
          free (buf);
          return jr_error (err, saved, "read `%s`", path);
        }
      if (r == 0)
        break;
      n += r;
    }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int
jr_write_file_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, jr_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

  if (fd < 0)
    return jr_error (err, errno, "open `%s`", path);
  if (jr_write_all (fd, buf, len) < 0)
    return jr_error (err, errno, "write `%s`", path);
  return 0;
}

int
jr_write_existing_at (int dirfd, const char *path, const char *value, jr_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (value);

  if (fd < 0)
    return jr_error (err, errno, "open `%s`", path);
  /* Kernel knobs want the value in a single write. */
  if (write (fd, value, len) != (ssize_t)len)
    return jr_error (err, errno ? errno : EIO, "write `%s` to `%s`", value, path);
  return 0;
}

int
jr_write_file_atomic_at (int dirfd, const char *name, const void *buf, size_t len, mode_t mode,
                         jr_error_t *err)
{
  cleanup_free char *tmp = xasprintf (".%s.tmp.%d", name, getpid ());
  cleanup_close int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

  if (fd < 0)
    return jr_error (err, errno, "open `%s`", tmp);
  if (jr_write_all (fd, buf, len) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return jr_error (err, saved, "write `%s`", name);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return jr_error (err, saved, "rename `%s`", name);
    }
  return 0;
}

int
jr_mkdir_p_at (int dirfd, const char *path, mode_t mode, jr_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  char *p = copy;

  if (*p == '/')
    {
      dirfd = AT_FDCWD;
      while (*p == '/')
        p++;
    }
  for (;;)
    {
      char *slash = strchr (p, '/');
      if (slash)
        *slash = '\0';
      if (*p != '\0' && mkdirat (dirfd, copy, mode) < 0 && errno != EEXIST)
        return jr_error (err, errno, "mkdir `%s`", copy);
      if (slash == NULL)
        break;
      *slash = '/';
      p = slash + 1;
    }
  return 0;
}

static int
rm_rf_children (int dfd, jr_error_t *err)
{
  cleanup_dir DIR *d = fdopendir (dfd);
  struct dirent *de;

  if (d == NULL)
    {
      int saved = errno;
      close (dfd);
      return jr_error (err, saved, "opendir");
    }
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (jr_rm_rf_at (dirfd (d), de->d_name, err) < 0)
        return -1;
    }
  return 0;
}

int
jr_rm_rf_at (int dirfd, const char *name, jr_error_t *err)
{
  int dfd;

  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return jr_error (err, errno, "remove `%s`", name);
  if (unlinkat (dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
    return 0;
  dfd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return jr_error (err, errno, "open `%s`", name);
  if (rm_rf_children (dfd, err) < 0)
    return jr_error_wrap (err, "remove `%s`", name);
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return jr_error (err, errno, "remove `%s`", name);
  return 0;
}

static int
cmp_strp (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

int
jr_flock (int fd, int op)
{
  int r;

  do
    r = flock (fd, op);
  while (r < 0 && errno == EINTR);
  return r;
}

DIR *
jr_opendir_at (int dfd, const char *path)
{
  int fd = openat (dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d;

  if (fd < 0)
    return NULL;
  d = fdopendir (fd);
  if (d == NULL)
    {
      int saved = errno;
      close (fd);
      errno = saved;
    }
  return d;
}

int
jr_list_dir_sorted (int dfd, char ***names, size_t *n, jr_error_t *err)
{
  cleanup_dir DIR *d = jr_opendir_at (dfd, ".");
  struct dirent *de;
  size_t len = 0;
  char **v;

  if (d == NULL)
    return jr_error (err, errno, "open directory");
  v = xmalloc (sizeof (*v));
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      v = xrealloc (v, (len + 2) * sizeof (*v));
      v[len++] = xstrdup (de->d_name);
    }
  v[len] = NULL;
  qsort (v, len, sizeof (*v), cmp_strp);
  *names = v;
  if (n)
    *n = len;
  return 0;
}

const char *
jr_proc_fd_path (int fd, char buf[JR_PROC_FD_PATH_MAX])
{
  snprintf (buf, JR_PROC_FD_PATH_MAX, "/proc/self/fd/%d", fd);
  return buf;
}

int
jr_openat_in_root (int rootfd, const char *path, int flags, mode_t mode, jr_error_t *err)
{
  struct open_how how = {
    .flags = flags | O_CLOEXEC,
    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  do
    fd = syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  if (fd < 0)
    return jr_error (err, errno, "open `/%s` in the container rootfs", path);
  return fd;
}

int
jr_mkdir_p_in_root (int rootfd, const char *path, mode_t mode, bool want_fd, jr_error_t *err)
{
  cleanup_free char *copy = NULL;
  cleanup_close int cur = -1;
  char *p, *comp;

  /* Usually the directory exists already: one openat2. */
  cur = jr_openat_in_root (rootfd, path, O_PATH | O_DIRECTORY, 0, NULL);
  if (cur >= 0)
    return want_fd ? jr_steal_fd (cur) : 0;
  copy = xstrdup (path);
  p = copy;
  cur = jr_openat_in_root (rootfd, "/", O_PATH | O_DIRECTORY, 0, err);
  if (cur < 0)
    return -1;
  /* Walk one component at a time; each step is resolved in the root, so a
     symlink component is followed but can never leave the rootfs. */
  while ((comp = strsep (&p, "/")) != NULL)
    {
      int next;
      if (*comp == '\0' || strcmp (comp, ".") == 0)
        continue;
      if (mkdirat (cur, comp, mode) < 0 && errno != EEXIST)
        return jr_error (err, errno, "mkdir `%s` in the container rootfs", path);
      {
        /* Re-resolve the prefix from the root: `cur/comp` may be a symlink. */
        cleanup_free char *prefix = xstrndup (path, (comp - copy) + strlen (comp));
        next = jr_openat_in_root (rootfd, prefix, O_PATH | O_DIRECTORY, 0, err);
      }
      if (next < 0)
        return -1;
      close (cur);
      cur = next;
    }
  return want_fd ? jr_steal_fd (cur) : 0;
}

/* ---- processes ---------------------------------------------------------- */

static int
read_proc_stat (pid_t pid, char *buf, size_t len)
{
  char path[64];
  cleanup_close int fd = -1;
  ssize_t r;

  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  r = jr_read_all (fd, buf, len - 1);
  if (r <= 0)
    return -1;
  buf[r] = '\0';
  return 0;
}

int
jr_proc_start_time (pid_t pid, uint64_t *start_time, jr_error_t *err)
{
  char buf[1024];
  char *p;
  int field;

  if (read_proc_stat (pid, buf, sizeof (buf)) < 0)
    return jr_error (err, errno ? errno : ESRCH, "read /proc/%d/stat", pid);
  /* comm may contain spaces and parens: fields resume after the last ')'. */
  p = strrchr (buf, ')');
  if (p == NULL)
    return jr_error (err, 0, "parse /proc/%d/stat", pid);
  p += 2; /* field 3 */
  for (field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return jr_error (err, 0, "parse /proc/%d/stat", pid);
  *start_time = strtoull (p, NULL, 10);
  return 0;
}

char
jr_proc_state (pid_t pid)
{
  char buf[1024];
  char *p;

  if (pid <= 0 || read_proc_stat (pid, buf, sizeof (buf)) < 0)
    return 0;
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return 0;
  return p[2];
}

/* The stack of a child that shares our memory.  A child it clones (the
   container's init, an exec'd process) goes on using its own copy: as big
   as a main thread's. */
#define TRANSIENT_STACK_SIZE (8 * 1024 * 1024)

/* Sharing our memory spares the child a copy of our address space, which
   it would barely use before it exits: a new address space is dear on a
   VM (the fork, then a fault for each page the child touches first),
   1-3 ms per container here.  posix_spawn does the same. */
pid_t
jr_spawn_transient (int (*fn) (void *), void *arg, bool share_memory, jr_error_t *err)
{
  /* Kept for the next child and until we exit, not unmapped: an munmap
     flushes the TLB of every CPU the child ran on (~50 us here), and right
     after this the runtime may have a cache hit's overlay to make while
     the container's init waits for it.  One mapping per process at most:
     children that share our memory run one at a time (CLONE_VFORK). */
  static void *stack;
  pid_t pid;

#ifdef __SANITIZE_ADDRESS__
  /* ASan keeps one view of a thread's stack, which a child running on its
     own stack in our memory would confuse: sanitizer builds fork */
  share_memory = false;
#endif
  /* Only while we are the only thread (/proc/self/task holds one dir per
     thread): a library's thread (libcurl's resolver after a registry pull)
     would use our heap beside the child. */
  if (share_memory)
    {
      struct stat st;
      share_memory = stat ("/proc/self/task", &st) == 0 && st.st_nlink == 3;
    }
  if (!share_memory)
    {
      pid = fork ();
      if (pid < 0)
        return jr_error (err, errno, "fork");
      if (pid == 0)
        _exit (fn (arg));
      return pid;
    }
  if (stack == NULL)
    {
      void *s = mmap (NULL, TRANSIENT_STACK_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
      if (s == MAP_FAILED)
        return jr_error (err, errno, "allocate a child's stack");
      /* a guard page: an overflow faults instead of writing below */
      if (mprotect (s, (size_t)sysconf (_SC_PAGESIZE), PROT_NONE) < 0)
        {
          jr_error (err, errno, "guard a child's stack");
          munmap (s, TRANSIENT_STACK_SIZE);
          return -1;
        }
      stack = s;
    }
  pid = clone (fn, (char *)stack + TRANSIENT_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, arg);
  if (pid < 0)
    jr_error (err, errno, "clone");
  return pid;
}

int
jr_wait_status_to_exit_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

int
jr_wait_exit_code (pid_t pid, int *exit_code, jr_error_t *err)
{
  int status;
  pid_t r;

  do
    r = waitpid (pid, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return jr_error (err, errno, "waitpid %d", pid);
  *exit_code = jr_wait_status_to_exit_code (status);
  return 0;
}

/* ---- time --------------------------------------------------------------- */

void
jr_rfc3339_now_buf (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  size_t n;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  n = strftime (buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

char *
jr_rfc3339_now (void)
{
  char buf[64];

  jr_rfc3339_now_buf (buf, sizeof (buf));
  return xstrdup (buf);
}

int64_t
jr_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
jr_msg_attach_fd (struct msghdr *m, union jr_fd_cmsg *room, int fd)
{
  struct cmsghdr *cm;

  memset (room, 0, sizeof (*room));
  m->msg_control = room->buf;
  m->msg_controllen = sizeof (room->buf);
  cm = CMSG_FIRSTHDR (m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof (int));
}

int
jr_msg_received_fd (struct msghdr *m)
{
  int found = -1;

  for (struct cmsghdr *cm = CMSG_FIRSTHDR (m); cm; cm = CMSG_NXTHDR (m, cm))
    {
      size_t n;

      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len < CMSG_LEN (0))
        continue;
      n = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < n; i++)
        {
          int fd;
          memcpy (&fd, CMSG_DATA (cm) + i * sizeof (int), sizeof (int));
          if (found < 0)
            found = fd;
          else
            close (fd);
        }
    }
  return found;
}
