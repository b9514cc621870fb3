#define _GNU_SOURCE
#include <config.h>
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "utils.h"

int
jr_state_validate_id (const char *id, jr_error_t *err)
{
  const char *p;

  if (id == NULL || *id == '\0')
    return jr_error (err, 0, "container id cannot be empty");
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0 || strlen (id) > 1024)
    return jr_error (err, 0, "invalid container id `%s`", id);
  for (p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'
          || *p == '+' || *p == '-' || *p == '.'))
      return jr_error (err, 0, "invalid container id `%s`: only [A-Za-z0-9_+.-] allowed", id);
  return 0;
}

int
jr_state_open_root (const char *root, jr_error_t *err)
{
  int fd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return jr_error (err, errno, "open state directory `%s`", root);
  if (jr_mkdir_p_at (AT_FDCWD, root, 0700, err) < 0)
    return -1;
  fd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return jr_error (err, errno, "open state directory `%s`", root);
  return fd;
}

int
jr_state_create_dir (int rootfd, const char *id, jr_error_t *err)
{
  int fd;

  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return jr_error (err, EEXIST, "container `%s` already exists", id);
      return jr_error (err, errno, "create state directory for `%s`", id);
    }
  fd = openat (rootfd, id, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return jr_error (err, errno, "open state directory for `%s`", id);
  return fd;
}

int
jr_state_write (int rootfd, const struct jr_state *st, jr_error_t *err)
{
  struct oci_jvalue *o = oci_jobject_new ();
  struct oci_jvalue *ann = oci_jobject_new ();
  cleanup_close int dirfd = -1;
  cleanup_free char *json = NULL;
  size_t i;
  int ret;

  oci_jobject_set_str (o, "id", st->id);
  oci_jobject_set_int (o, "pid", st->pid);
  oci_jobject_set_uint (o, "startTime", st->start_time);
  oci_jobject_set_str (o, "bundle", st->bundle);
  oci_jobject_set_str (o, "rootfs", st->rootfs);
  oci_jobject_set_str (o, "created", st->created);
  oci_jobject_set_str (o, "owner", st->owner ? st->owner : "");
  if (st->cgroup_path)
    oci_jobject_set_str (o, "cgroupPath", st->cgroup_path);
  oci_jobject_set_bool (o, "systemdCgroup", st->systemd_cgroup);
  if (st->extcache)
    oci_jobject_set_str (o, "extcache", st->extcache);
  for (i = 0; i < st->annotations.len; i++)
    oci_jobject_set_str (ann, st->annotations.keys[i], st->annotations.values[i]);
  oci_jobject_set (o, "annotations", ann);
  json = oci_jvalue_to_json (o, false);
  oci_jvalue_free (o);
  if (json == NULL)
    return jr_error (err, ENOMEM, "serialize state");

  dirfd = openat (rootfd, st->id, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return jr_error (err, errno, "open state directory for `%s`", st->id);
  ret = jr_write_file_atomic_at (dirfd, "state.json", json, strlen (json), 0600, err);
  return ret;
}

static char *
dup_str_field (const struct oci_jvalue *o, const char *key)
{
  return xstrdup (oci_jvalue_str (oci_jobject_get (o, key)));
}

int
jr_state_read (int rootfd, const char *id, struct jr_state **out, jr_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *json = NULL;
  cleanup_free char *errmsg = NULL;
  struct oci_jvalue *o;
  const struct oci_jvalue *ann;
  struct jr_state *st;
  size_t len, i;
  int64_t v;
  bool b;

  if (jr_state_validate_id (id, err) < 0)
    return -1;
  path = xasprintf ("%s/state.json", id);
  if (jr_read_file_at (rootfd, path, &json, &len, NULL) < 0)
    {
      cleanup_free char *msg = xasprintf ("container `%s` does not exist", id);
      return jr_error_from_msg (err, ENOENT, msg);
    }
  o = oci_jvalue_parse (json, len, &errmsg);
  if (o == NULL)
    return jr_error (err, 0, "container `%s`: corrupt state.json: %s", id, errmsg ? errmsg : "");
  st = xmalloc0 (sizeof (*st));
  st->id = dup_str_field (o, "id");
  if (st->id == NULL)
    st->id = xstrdup (id);
  if (oci_jvalue_int (oci_jobject_get (o, "pid"), &v))
    st->pid = v;
  if (oci_jvalue_int (oci_jobject_get (o, "startTime"), &v))
    st->start_time = v;
  st->bundle = dup_str_field (o, "bundle");
  st->rootfs = dup_str_field (o, "rootfs");
  st->created = dup_str_field (o, "created");
  st->owner = dup_str_field (o, "owner");
  st->cgroup_path = dup_str_field (o, "cgroupPath");
  if (oci_jvalue_bool (oci_jobject_get (o, "systemdCgroup"), &b))
    st->systemd_cgroup = b;
  st->extcache = dup_str_field (o, "extcache");
  ann = oci_jobject_get (o, "annotations");
  for (i = 0; ann && i < oci_jobject_len (ann); i++)
    {
      const char *value = oci_jvalue_str (oci_jobject_value_at (ann, i));
      oci_string_map_set (&st->annotations, oci_jobject_key_at (ann, i), value ? value : "");
    }
  oci_jvalue_free (o);
  *out = st;
  return 0;
}

int
jr_state_remove (int rootfd, const char *id, jr_error_t *err)
{
  return jr_rm_rf_at (rootfd, id, err);
}

void
jr_state_free (struct jr_state *st)
{
  size_t i;

  if (st == NULL)
    return;
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->cgroup_path);
  free (st->extcache);
  for (i = 0; i < st->annotations.len; i++)
    {
      free (st->annotations.keys[i]);
      free (st->annotations.values[i]);
    }
  free (st->annotations.keys);
  free (st->annotations.values);
  free (st);
}

bool
jr_state_init_alive (const struct jr_state *st)
{
  uint64_t start_time;
  char s = jr_proc_state (st->pid);

  if (s == 0 || s == 'Z' || s == 'X')
    return false;
  if (jr_proc_start_time (st->pid, &start_time, NULL) < 0)
    return false;
  return start_time == st->start_time;
}

const char *
jr_state_status (int rootfd, const struct jr_state *st)
{
  cleanup_free char *fifo = NULL;
  struct jr_cgroup *cg = NULL;
  int frozen = 0;

  if (!jr_state_init_alive (st))
    return "stopped";
  fifo = xasprintf ("%s/exec.fifo", st->id);
  if (faccessat (rootfd, fifo, F_OK, 0) == 0)
    return "created";
  if (st->cgroup_path && jr_cgroup_open (st->cgroup_path, &cg, NULL) == 0)
    {
      frozen = jr_cgroup_is_frozen (cg, NULL);
      jr_cgroup_free (cg);
    }
  return frozen > 0 ? "paused" : "running";
}

struct oci_state *
jr_state_to_oci (int rootfd, const struct jr_state *st)
{
  struct oci_state *s = xmalloc0 (sizeof (*s));
  size_t i;

  s->oci_version = xstrdup (OCI_RUNTIME_SPEC_VERSION);
  s->id = xstrdup (st->id);
  s->status = xstrdup (rootfd >= 0 ? jr_state_status (rootfd, st) : "creating");
  s->pid = strcmp (s->status, "stopped") == 0 ? 0 : st->pid;
  s->bundle = xstrdup (st->bundle);
  s->rootfs = xstrdup (st->rootfs);
  s->created = xstrdup (st->created);
  s->owner = xstrdup (st->owner ? st->owner : "");
  for (i = 0; i < st->annotations.len; i++)
    oci_string_map_set (&s->annotations, st->annotations.keys[i], st->annotations.values[i]);
  return s;
}
