/* bench/overlay-floor: what one overlay mount costs the kernel here, with no
   runtime around it.  bench/jit sets this floor beside a cache hit's
   overhead: a hit makes one overlay like this one, so what the hit costs
   beyond it is jitrun's own work.

     overlay-floor ROOTFS LAYER SCRATCH PAIRS

   Each pair is two runs of a minimal "container", in alternating order:
     plain:   fork; the child unshares its mount namespace, binds ROOTFS onto
              itself, chroots into it and execs /bin/true;
     overlay: make an overlay of [LAYER, ROOTFS] with a fresh upper and work
              dir under SCRATCH (volatile, index and metacopy off, as a hit's),
              as a detached mount; fork; the child unshares its mount
              namespace, attaches the overlay on ROOTFS, chroots into it and
              execs /bin/true.
   A run is timed from its first step to the parent's waitpid: so the
   overlay's making, the exec's lookups through it and its teardown when
   the child's namespace dies are all in it.  One line per pair on stdout:
   "PLAIN_NS OVERLAY_NS".  SCRATCH must be on the cache's filesystem (the
   upper's): the overlay checks its work dir there at each mount.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void __attribute__ ((noreturn, format (printf, 1, 2))) die (const char *fmt, ...)
{
  va_list ap;
  int saved = errno;

  fputs ("overlay-floor: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  if (saved != 0)
    fprintf (stderr, ": %s", strerror (saved));
  fputc ('\n', stderr);
  exit (1);
}

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
open_dir (int dfd, const char *path)
{
  int fd = openat (dfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    die ("open `%s`", path);
  return fd;
}

/* The layers as fds (Linux 6.13+, what jitrun gives there): 0, or -1 with
   errno (EINVAL from an older kernel). */
static int
set_layers_as_fds (int fsfd, int layerfd, int rootfd, int upperfd, int workfd)
{
  if (fsconfig (fsfd, FSCONFIG_SET_FD, "lowerdir+", NULL, layerfd) < 0
      || fsconfig (fsfd, FSCONFIG_SET_FD, "lowerdir+", NULL, rootfd) < 0
      || fsconfig (fsfd, FSCONFIG_SET_FD, "upperdir", NULL, upperfd) < 0
      || fsconfig (fsfd, FSCONFIG_SET_FD, "workdir", NULL, workfd) < 0)
    return -1;
  return 0;
}

/* The layers as /proc/self/fd paths: what older kernels take. */
static void
set_layers_as_paths (int fsfd, int layerfd, int rootfd, int upperfd, int workfd)
{
  char lower[64], upper[32], work[32];

  snprintf (lower, sizeof (lower), "/proc/self/fd/%d:/proc/self/fd/%d", layerfd, rootfd);
  snprintf (upper, sizeof (upper), "/proc/self/fd/%d", upperfd);
  snprintf (work, sizeof (work), "/proc/self/fd/%d", workfd);
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0
      || fsconfig (fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0
      || fsconfig (fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
    die ("overlay layers");
}

/* The detached overlay [layer, rootfs] with upper and work dirs made
   before the timing under scratch (as a hit takes a spare container dir). */
static int
make_overlay (int layerfd, int rootfd, int scratchfd, unsigned n)
{
  static int layers_as_paths;
  char upper[32], work[32];
  int upperfd, workfd, fsfd, mntfd;

  snprintf (upper, sizeof (upper), "u%u", n);
  snprintf (work, sizeof (work), "w%u", n);
  upperfd = open_dir (scratchfd, upper);
  workfd = open_dir (scratchfd, work);
  fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    die ("fsopen overlay");
  if (!layers_as_paths && set_layers_as_fds (fsfd, layerfd, rootfd, upperfd, workfd) < 0)
    {
      if (errno != EINVAL)
        die ("overlay layers");
      /* the fs context is fit for nothing after a refusal: start afresh */
      layers_as_paths = 1;
      close (fsfd);
      fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
      if (fsfd < 0)
        die ("fsopen overlay");
    }
  if (layers_as_paths)
    set_layers_as_paths (fsfd, layerfd, rootfd, upperfd, workfd);
  if (fsconfig (fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0
      || fsconfig (fsfd, FSCONFIG_SET_STRING, "index", "off", 0) < 0
      || fsconfig (fsfd, FSCONFIG_SET_STRING, "metacopy", "off", 0) < 0
      || fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    die ("create the overlay");
  mntfd = fsmount (fsfd, FSMOUNT_CLOEXEC, 0);
  if (mntfd < 0)
    die ("fsmount overlay");
  close (fsfd);
  close (workfd);
  close (upperfd);
  return mntfd;
}

/* As jitrun does for its spare container dirs: ext4 places each subdir in
   a block group of its own choosing (FS_TOPDIR_FL), not next to its parent
   with the ones removed just before.  Without a journal, ext4 checks every
   inode of a group freed in the last minutes before it reuses one there:
   each overlay's work dirs would pay for the previous chunk's.  Best
   effort: other filesystems lack the flag. */
static void
spread_subdirs (int dirfd)
{
  int flags = 0;

  if (ioctl (dirfd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL))
    {
      flags |= FS_TOPDIR_FL;
      (void)ioctl (dirfd, FS_IOC_SETFLAGS, &flags);
    }
}

/* The child: its own mount namespace, the root (the overlay if mntfd >= 0,
   else rootfs bound onto itself), /bin/true in it.  Exits 127 on failure. */
static void __attribute__ ((noreturn)) child (const char *rootfs, int mntfd)
{
  static char *const argv[] = { "/bin/true", NULL };
  static char *const envp[] = { "PATH=/usr/bin:/bin", NULL };

  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    _exit (127);
  if (mntfd >= 0 ? move_mount (mntfd, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH)
                 : mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL))
    _exit (127);
  if (chdir (rootfs) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    _exit (127);
  execve (argv[0], argv, envp);
  _exit (127);
}

static int64_t
timed_run (const char *rootfs, int rootfd, int layerfd, int scratchfd, unsigned n, int with_overlay)
{
  int64_t t0 = now_ns ();
  int mntfd = with_overlay ? make_overlay (layerfd, rootfd, scratchfd, n) : -1;
  int status;
  pid_t pid;

  pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    child (rootfs, mntfd);
  if (mntfd >= 0)
    close (mntfd);
  if (waitpid (pid, &status, 0) < 0)
    die ("waitpid");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      errno = 0;
      die ("the %s run's child failed (status %#x)", with_overlay ? "overlay" : "plain", status);
    }
  return now_ns () - t0;
}

int
main (int argc, char **argv)
{
  const char *rootfs;
  int rootfd, layerfd, scratchfd;
  unsigned pairs, i;
  char *end;

  if (argc != 5)
    {
      fprintf (stderr, "usage: overlay-floor ROOTFS LAYER SCRATCH PAIRS\n");
      return 2;
    }
  rootfs = argv[1];
  pairs = strtoul (argv[4], &end, 10);
  if (*end || pairs == 0)
    {
      fprintf (stderr, "overlay-floor: PAIRS `%s` is not a positive number\n", argv[4]);
      return 2;
    }
  rootfd = open_dir (AT_FDCWD, rootfs);
  layerfd = open_dir (AT_FDCWD, argv[2]);
  scratchfd = open (argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (scratchfd < 0)
    die ("open `%s`", argv[3]);
  spread_subdirs (scratchfd);
  /* every overlay's upper and work dirs, made before the timing starts */
  for (i = 0; i < pairs; i++)
    {
      char name[32];

      snprintf (name, sizeof (name), "u%u", i);
      if (mkdirat (scratchfd, name, 0755) < 0)
        die ("mkdir `%s/%s`", argv[3], name);
      snprintf (name, sizeof (name), "w%u", i);
      if (mkdirat (scratchfd, name, 0700) < 0)
        die ("mkdir `%s/%s`", argv[3], name);
    }
  for (i = 0; i < pairs; i++)
    {
      int64_t plain, overlay;

      if (i % 2)
        {
          plain = timed_run (rootfs, rootfd, layerfd, scratchfd, i, 0);
          overlay = timed_run (rootfs, rootfd, layerfd, scratchfd, i, 1);
        }
      else
        {
          overlay = timed_run (rootfs, rootfd, layerfd, scratchfd, i, 1);
          plain = timed_run (rootfs, rootfd, layerfd, scratchfd, i, 0);
        }
      printf ("%lld %lld\n", (long long)plain, (long long)overlay);
    }
  return 0;
}
