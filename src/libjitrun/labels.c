/* jitrun - AppArmor profiles and SELinux labels through /proc/self/attr,
   without libapparmor/libselinux. */
#define _GNU_SOURCE
#include <config.h>
#include "labels.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "log.h"
#include "utils.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

bool
jr_apparmor_enabled (void)
{
  cleanup_free char *text = NULL;

  if (jr_read_file_at (AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &text, NULL, NULL) < 0)
    return false;
  return text[0] == 'Y';
}

bool
jr_selinux_enabled (void)
{
  struct statfs sfs;

  if (statfs ("/sys/fs/selinux", &sfs) < 0)
    return false;
  return (unsigned long)sfs.f_type == (unsigned long)SELINUX_MAGIC;
}

/* Write `value` into a /proc/self/attr file.  These are per-task: the
   caller must be the thread that will execve (our init is single
   threaded). */
static int
write_attr (const char *path, const char *value, int *saved_errno)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    {
      *saved_errno = errno;
      return -1;
    }
  if (jr_write_all (fd, value, strlen (value)) < 0)
    {
      *saved_errno = errno;
      return -1;
    }
  return 0;
}

int
jr_apparmor_exec_profile (const char *profile, jr_error_t *err)
{
  cleanup_free char *cmd = NULL;
  int e = 0;

  if (profile == NULL || *profile == '\0')
    return 0;
  if (!jr_apparmor_enabled ())
    return jr_error (err, 0, "apparmor profile `%s` requested but AppArmor is not enabled on this host",
                     profile);
  cmd = xasprintf ("exec %s", profile);
  /* Newer kernels (LSM stacking) have a per-LSM directory; the flat file
     is the older interface. */
  if (write_attr ("/proc/self/attr/apparmor/exec", cmd, &e) == 0)
    return 0;
  if (e == ENOENT && write_attr ("/proc/self/attr/exec", cmd, &e) == 0)
    return 0;
  return jr_error (err, e, "apparmor: set exec profile `%s`", profile);
}

int
jr_selinux_exec_label (const char *label, jr_error_t *err)
{
  int e = 0;

  if (label == NULL || *label == '\0')
    return 0;
  if (!jr_selinux_enabled ())
    return jr_error (err, 0, "selinux label `%s` requested but SELinux is not enabled on this host", label);
  if (write_attr ("/proc/self/attr/exec", label, &e) < 0)
    return jr_error (err, e, "selinux: set exec label `%s`", label);
  return 0;
}

int
jr_labels_validate (const char *apparmor_profile, const char *selinux_label, const char *mount_label,
                    jr_error_t *err)
{
  if (apparmor_profile && *apparmor_profile && !jr_apparmor_enabled ())
    return jr_error (err, 0, "apparmor profile `%s` requested but AppArmor is not enabled on this host",
                     apparmor_profile);
  if (selinux_label && *selinux_label && !jr_selinux_enabled ())
    return jr_error (err, 0, "selinux label `%s` requested but SELinux is not enabled on this host",
                     selinux_label);
  if (mount_label && *mount_label && !jr_selinux_enabled ())
    return jr_error (err, 0, "selinux mount label `%s` requested but SELinux is not enabled on this host",
                     mount_label);
  return 0;
}
