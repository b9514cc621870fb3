#define _GNU_SOURCE
#include <config.h>
#include "exe_guard.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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

/* How much of the executable the kernel needs: up to the end of its last
   segment.  Section headers and debug info (most of a -g build) are left
   out of the copy, which keeps the re-exec cheap.  0 = copy everything. */
static off_t
loadable_size (int fd, off_t file_size, Elf64_Ehdr *ehdr)
{
  Elf64_Phdr ph;
  off_t end = 0;

  if (pread (fd, ehdr, sizeof (*ehdr), 0) != sizeof (*ehdr) || memcmp (ehdr->e_ident, ELFMAG, SELFMAG) != 0
      || ehdr->e_ident[EI_CLASS] != ELFCLASS64 || ehdr->e_phentsize != sizeof (ph))
    return 0;
  end = ehdr->e_phoff + (off_t)ehdr->e_phnum * sizeof (ph);
  for (int i = 0; i < ehdr->e_phnum; i++)
    {
      if (pread (fd, &ph, sizeof (ph), ehdr->e_phoff + (off_t)i * sizeof (ph)) != sizeof (ph))
        return 0;
      if ((off_t)(ph.p_offset + ph.p_filesz) > end)
        end = ph.p_offset + ph.p_filesz;
    }
  return end < file_size ? end : 0;
}

/* A sealed memfd copy of the first `size` bytes of exe (its ELF header
   ehdr without section headers when that is short of the file), or -1. */
static int
sealed_copy (int exe, off_t size, off_t file_size, Elf64_Ehdr ehdr, bool busy, jr_error_t *err)
{
  cleanup_close int copy = memfd_create (SEALED_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  off_t offset = 0;

  if (copy < 0)
    return jr_error (err, errno, "memfd_create");
  while (offset < size)
    {
      ssize_t n = sendfile (copy, exe, &offset, size - offset);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return jr_error (err, n < 0 ? errno : EIO, "copy the runtime binary");
    }
  if (busy)
    /* tests: a writable shared mapping of the copy, as a pinned page would,
       makes the kernel refuse F_SEAL_WRITE (gone with our exec) */
    (void)mmap (NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, copy, 0);
  if (size < file_size)
    {
      /* The section header table was not copied: say there is none. */
      ehdr.e_shoff = 0;
      ehdr.e_shnum = 0;
      ehdr.e_shstrndx = SHN_UNDEF;
      if (pwrite (copy, &ehdr, sizeof (ehdr), 0) != sizeof (ehdr))
        return jr_error (err, errno, "copy the runtime binary");
    }
  if (fcntl (copy, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return jr_error (err, errno, "seal the runtime binary copy");
  return jr_steal_fd (copy);
}

/* The kernel refuses F_SEAL_WRITE (EBUSY) while a page of the copy has a
   reference beyond the page cache's, and waits ~0.15 s for it to go
   first.  Seen here about once in 5000 creates: a fresh copy (new pages)
   gets past it. */
#define SEAL_ATTEMPTS 3

int
jr_exe_guard (char **argv, jr_error_t *err)
{
  cleanup_close int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int copy = -1;
  struct statvfs sv;
  struct stat sb;
  Elf64_Ehdr ehdr;
  off_t size;
  const char *busy_env;
  int busy_attempts;

  if (exe < 0)
    return jr_error (err, errno, "open /proc/self/exe");
  if (running_from_sealed_copy (exe))
    return 0;
  /* Installed on a read-only mount (e.g. a ro /usr): nothing can write it. */
  if (fstatvfs (exe, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    return 0;
  if (fstat (exe, &sb) < 0)
    return jr_error (err, errno, "stat /proc/self/exe");
  memset (&ehdr, 0, sizeof (ehdr));
  size = loadable_size (exe, sb.st_size, &ehdr);
  if (size == 0)
    size = sb.st_size;
  busy_env = getenv (JR_SEAL_BUSY_ENV);
  busy_attempts = busy_env ? atoi (busy_env) : 0;
  for (int attempt = 1;; attempt++)
    {
      copy = sealed_copy (exe, size, sb.st_size, ehdr, attempt <= busy_attempts, err);
      if (copy >= 0 || (*err)->errno_value != EBUSY || attempt == SEAL_ATTEMPTS)
        break;
      jr_error_free (err);
    }
  if (copy < 0)
    return -1;
  fexecve (copy, argv, environ);
  return jr_error (err, errno, "re-execute from the sealed copy");
}
