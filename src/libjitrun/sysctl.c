/* jitrun - linux.sysctl: only namespaced keys, written below /proc/sys. */
#define _GNU_SOURCE
#include <config.h>
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "utils.h"

/* Keys that live in the ipc namespace (besides everything in fs.mqueue.). */
static const char *const ipc_keys[] = {
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

/* sysctl(8) accepts "a.b.c" and "a/b/c"; in the slash form a dot is part of
   a name (net/ipv4/conf/eth0.100/forwarding), so the two swap roles.
   Returns the dotted spelling, malloc'ed. */
static char *
sysctl_dotted (const char *key)
{
  char *out = xstrdup (key);
  char *p;

  if (strchr (key, '/') == NULL)
    return out;
  for (p = out; *p; p++)
    {
      if (*p == '/')
        *p = '.';
      else if (*p == '.')
        *p = '/';
    }
  return out;
}

/* The path below /proc/sys for a key in either spelling, malloc'ed. */
static char *
sysctl_path (const char *key)
{
  char *out = xstrdup (key);
  char *p;

  if (strchr (key, '/') != NULL)
    return out;
  for (p = out; *p; p++)
    if (*p == '.')
      *p = '/';
  return out;
}

static bool
spec_has_namespace (const struct oci_spec *spec, const char *type)
{
  size_t i;

  if (spec->linux_ == NULL)
    return false;
  /* With a path we join an existing namespace: still not the host's as far
     as the spec is concerned. */
  for (i = 0; i < spec->linux_->namespaces_len; i++)
    if (spec->linux_->namespaces[i].type && strcmp (spec->linux_->namespaces[i].type, type) == 0)
      return true;
  return false;
}

/* Reject keys that could escape /proc/sys: empty, absolute, "." or ".."
   components. */
static bool
sysctl_key_well_formed (const char *path)
{
  const char *p = path;

  if (*p == '\0' || *p == '/')
    return false;
  while (*p)
    {
      const char *end = strchrnul (p, '/');
      size_t len = (size_t)(end - p);

      if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        return false;
      p = *end ? end + 1 : end;
      if (*end && *p == '\0')
        return false; /* trailing slash */
    }
  return true;
}

static int
validate_one (const struct oci_spec *spec, const char *key, jr_error_t *err)
{
  cleanup_free char *dotted = sysctl_dotted (key);
  cleanup_free char *path = sysctl_path (key);
  size_t i;

  if (!sysctl_key_well_formed (path))
    return jr_error (err, 0, "sysctl `%s`: invalid name", key);

  for (i = 0; i < sizeof (ipc_keys) / sizeof (ipc_keys[0]); i++)
    if (strcmp (dotted, ipc_keys[i]) == 0)
      goto ipc;
  if (jr_has_prefix (dotted, "fs.mqueue."))
    goto ipc;

  if (jr_has_prefix (dotted, "net."))
    {
      if (!spec_has_namespace (spec, "network"))
        return jr_error (err, 0, "sysctl `%s`: requires a network namespace", key);
      return 0;
    }

  if (strcmp (dotted, "kernel.hostname") == 0 || strcmp (dotted, "kernel.domainname") == 0)
    {
      if (!spec_has_namespace (spec, "uts"))
        return jr_error (err, 0, "sysctl `%s`: requires a uts namespace", key);
      return 0;
    }

  return jr_error (err, 0, "sysctl `%s`: not in a separate kernel namespace", key);

ipc:
  if (!spec_has_namespace (spec, "ipc"))
    return jr_error (err, 0, "sysctl `%s`: requires an ipc namespace", key);
  return 0;
}

int
jr_sysctl_validate (const struct oci_spec *spec, jr_error_t *err)
{
  const struct oci_string_map *m;
  size_t i;

  if (spec == NULL || spec->linux_ == NULL)
    return 0;
  m = &spec->linux_->sysctl;
  for (i = 0; i < m->len; i++)
    if (validate_one (spec, m->keys[i], err) < 0)
      return -1;
  return 0;
}

int
jr_sysctl_apply (const struct oci_spec *spec, jr_error_t *err)
{
  const struct oci_string_map *m;
  cleanup_close int procsys = -1;
  size_t i;

  if (spec == NULL || spec->linux_ == NULL || spec->linux_->sysctl.len == 0)
    return 0;
  m = &spec->linux_->sysctl;

  procsys = open ("/proc/sys", O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (procsys < 0)
    return jr_error (err, errno, "sysctl: open `/proc/sys`");

  for (i = 0; i < m->len; i++)
    {
      cleanup_free char *path = sysctl_path (m->keys[i]);
      cleanup_close int fd = -1;
      const char *value = m->values[i] ? m->values[i] : "";

      if (!sysctl_key_well_formed (path))
        return jr_error (err, 0, "sysctl `%s`: invalid name", m->keys[i]);
      fd = openat (procsys, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0)
        return jr_error (err, errno, "sysctl `%s`: open `/proc/sys/%s`", m->keys[i], path);
      if (jr_write_all (fd, value, strlen (value)) < 0)
        return jr_error (err, errno, "sysctl `%s`: write `%s`", m->keys[i], value);
      jr_debug ("sysctl %s = %s", m->keys[i], value);
    }
  return 0;
}
