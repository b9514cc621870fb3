#define _GNU_SOURCE
#include <config.h>
#include "exe_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "utils.h"

#define SEALED_NAME "jitrun-sealed"

extern char **environ;

static bool
running_from_sealed_copy (int exe_fd)
{
  int seals = fcntl (exe_fd, F_GET_SEALS);
  const int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

  return seals >= 0 && (seals & want) == want;
}

int
jr_exe_guard (char **argv, jr_error_t *err)
{
  cleanup_close int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int copy = -1;
  struct statvfs sv;
  struct stat sb;
  off_t offset = 0;

  if (exe < 0)
    return jr_error (err, errno, "open /proc/self/exe");
  if (running_from_sealed_copy (exe))
    return 0;
  /* Installed on a read-only mount (e.g. a ro /usr): nothing can write it. */
  if (fstatvfs (exe, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    return 0;
  if (fstat (exe, &sb) < 0)
    return jr_error (err, errno, "stat /proc/self/exe");

  copy = memfd_create (SEALED_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (copy < 0)
    return jr_error (err, errno, "memfd_create");
  while (offset < sb.st_size)
    {
      ssize_t n = sendfile (copy, exe, &offset, sb.st_size - offset);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return jr_error (err, n < 0 ? errno : EIO, "copy the runtime binary");
    }
  if (fcntl (copy, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return jr_error (err, errno, "seal the runtime binary copy");
  fexecve (copy, argv, environ);
  return jr_error (err, errno, "re-execute from the sealed copy");
}
