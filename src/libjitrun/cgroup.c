/* jitrun - cgroups: mode detection, path resolution, shared helpers and
 * dispatch to the v1 (also hybrid) or v2 backend. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "log.h"
#include "utils.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* ---- mode ------------------------------------------------------------------ */

int
jr_cgroup_detect_mode (enum jr_cgroup_mode *mode, jr_error_t *err)
{
  struct statfs st;

  if (statfs (JR_CGROUP_ROOT, &st) < 0)
    return jr_error (err, errno, "statfs `%s`", JR_CGROUP_ROOT);
  if ((unsigned long)st.f_type == (unsigned long)CGROUP2_SUPER_MAGIC)
    {
      *mode = JR_CGROUP_V2;
      return 0;
    }
  if ((unsigned long)st.f_type != (unsigned long)TMPFS_MAGIC)
    return jr_error (err, 0, "`%s` is neither a cgroup2 mount nor a tmpfs of v1 hierarchies", JR_CGROUP_ROOT);
  if (statfs (JR_CGROUP_UNIFIED_HYBRID, &st) == 0
      && (unsigned long)st.f_type == (unsigned long)CGROUP2_SUPER_MAGIC)
    *mode = JR_CGROUP_HYBRID;
  else
    *mode = JR_CGROUP_V1;
  return 0;
}

/* ---- small vector helper --------------------------------------------------- */

void
jr_cgroup_strv_append (char ***v, char *s)
{
  size_t n = *v ? jr_strv_len (*v) : 0;
  *v = xrealloc (*v, (n + 2) * sizeof (char *));
  (*v)[n] = s;
  (*v)[n + 1] = NULL;
}

/* ---- /proc parsers --------------------------------------------------------- */

static const char *const known_v1_controllers[]
    = { "cpu",   "cpuacct",    "cpuset",  "memory", "devices", "freezer", "net_cls", "net_prio",
        "blkio", "perf_event", "hugetlb", "pids",   "rdma",    "misc",    "debug",   NULL };

static bool
is_v1_controller_option (const char *opt)
{
  if (jr_has_prefix (opt, "name="))
    return true;
  for (size_t i = 0; known_v1_controllers[i]; i++)
    if (strcmp (opt, known_v1_controllers[i]) == 0)
      return true;
  return false;
}

/* mountinfo escapes blanks and backslashes as \ooo. */
static char *
unescape_octal (const char *s, size_t len)
{
  char *out = xmalloc (len + 1);
  size_t j = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] == '\\' && i + 3 < len + 1 && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0'
          && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7')
        {
          out[j++] = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
          i += 3;
        }
      else
        out[j++] = s[i];
    }
  out[j] = '\0';
  return out;
}

void
jr_cgroup_v1_mounts_free (struct jr_cgroup_v1_mount *mounts, size_t n)
{
  if (mounts == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (mounts[i].mount_point);
      free (mounts[i].root);
      jr_strv_free (mounts[i].controllers);
    }
  free (mounts);
}

/* A copy of the line at *p; *p moves to the next one (NULL after the last). */
static char *
next_line (const char **p)
{
  const char *eol = strchr (*p, '\n');
  size_t len = eol ? (size_t)(eol - *p) : strlen (*p);
  char *line = xstrndup (*p, len);
  *p = eol ? eol + 1 : NULL;
  return line;
}

/* Split a line into blank separated fields (pointers into a copy). */
static size_t
split_fields (char *line, char **fields, size_t max)
{
  size_t n = 0;
  char *save = NULL;
  for (char *tok = strtok_r (line, " \t", &save); tok && n < max; tok = strtok_r (NULL, " \t", &save))
    fields[n++] = tok;
  return n;
}

int
jr_cgroup_parse_mountinfo (const char *text, struct jr_cgroup_v1_mount **mounts, size_t *n, jr_error_t *err)
{
  struct jr_cgroup_v1_mount *out = NULL;
  size_t count = 0;
  const char *p = text;

  while (p && *p)
    {
      cleanup_free char *line = next_line (&p);
      cleanup_free char *orig = xstrdup (line);
      char *fields[64];
      size_t nf = split_fields (line, fields, 64);
      size_t sep;

      if (nf == 0)
        continue;
      for (sep = 6; sep < nf; sep++)
        if (strcmp (fields[sep], "-") == 0)
          break;
      /* After "-": fstype, source, super options. */
      if (nf < 10 || sep + 3 >= nf)
        {
          jr_cgroup_v1_mounts_free (out, count);
          return jr_error (err, 0, "malformed mountinfo line `%s`", orig);
        }
      if (strcmp (fields[sep + 1], "cgroup") != 0)
        continue;

      char **controllers = NULL;
      cleanup_strv char **opts = jr_split (fields[sep + 3], ',');
      for (size_t i = 0; opts && opts[i]; i++)
        if (is_v1_controller_option (opts[i]))
          jr_cgroup_strv_append (&controllers, xstrdup (opts[i]));
      if (controllers == NULL)
        continue;

      out = xrealloc (out, (count + 1) * sizeof (*out));
      out[count].mount_point = unescape_octal (fields[4], strlen (fields[4]));
      out[count].root = unescape_octal (fields[3], strlen (fields[3]));
      out[count].controllers = controllers;
      count++;
    }
  *mounts = out;
  *n = count;
  return 0;
}

static bool
csv_contains (const char *list, const char *item)
{
  size_t ilen = strlen (item);
  const char *p = list;
  while (p && *p)
    {
      const char *comma = strchr (p, ',');
      size_t len = comma ? (size_t)(comma - p) : strlen (p);
      if (len == ilen && strncmp (p, item, len) == 0)
        return true;
      p = comma ? comma + 1 : NULL;
    }
  return false;
}

int
jr_cgroup_parse_proc_cgroup (const char *text, const char *controller, char **path, jr_error_t *err)
{
  const char *p = text;
  while (p && *p)
    {
      cleanup_free char *line = next_line (&p);
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;

      if (c2 == NULL)
        continue;
      *c1 = *c2 = '\0';
      bool match = controller == NULL ? (strcmp (line, "0") == 0 && c1[1] == '\0')
                                      : csv_contains (c1 + 1, controller);
      if (match)
        {
          *path = xstrdup (c2 + 1);
          return 0;
        }
    }
  return jr_error (err, ENOENT, "cgroup of controller `%s` in /proc/self/cgroup",
                   controller ? controller : "unified");
}

int
jr_cgroup_own_path_from_text (const char *text, enum jr_cgroup_mode mode, char **path, jr_error_t *err)
{
  if (mode == JR_CGROUP_V2)
    return jr_cgroup_parse_proc_cgroup (text, NULL, path, err);
  if (jr_cgroup_parse_proc_cgroup (text, "memory", path, NULL) == 0)
    return 0;
  /* The first v1 line (a non-empty controller list). */
  const char *p = text;
  while (p && *p)
    {
      cleanup_free char *line = next_line (&p);
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 && c2 != c1 + 1)
        {
          *path = xstrdup (c2 + 1);
          return 0;
        }
    }
  return jr_error (err, ENOENT, "no v1 controller in /proc/self/cgroup");
}

/* ---- path resolution -------------------------------------------------------- */

int
jr_cgroup_expand_slice (const char *slice, char **out, jr_error_t *err)
{
  size_t len = strlen (slice);

  if (strcmp (slice, "-.slice") == 0)
    {
      *out = xstrdup ("");
      return 0;
    }
  if (!jr_has_suffix (slice, ".slice") || len == strlen (".slice") || strchr (slice, '/'))
    return jr_error (err, 0, "invalid systemd slice `%s`", slice);

  size_t base_len = len - strlen (".slice");
  const char *base = slice;
  if (base[0] == '-' || base[base_len - 1] == '-' || strstr (slice, "--"))
    return jr_error (err, 0, "invalid systemd slice `%s`", slice);

  /* Each '-' opens one more nested level: a-b-c -> a, a-b, a-b-c. */
  char *res = xstrdup ("");
  for (size_t i = 0; i <= base_len; i++)
    {
      if (i == base_len || base[i] == '-')
        {
          char *next = xasprintf ("%s/%.*s.slice", res, (int)i, base);
          free (res);
          res = next;
        }
    }
  *out = res;
  return 0;
}

/* Collapse "//" and drop "." components; refuse "..". */
static int
normalize_abs (const char *in, char **out, jr_error_t *err)
{
  cleanup_strv char **parts = jr_split (in, '/');
  size_t cap = strlen (in) + 2;
  char *res = xmalloc (cap);
  size_t len = 0;

  res[0] = '\0';
  for (size_t i = 0; parts && parts[i]; i++)
    {
      if (strcmp (parts[i], ".") == 0)
        continue;
      if (strcmp (parts[i], "..") == 0)
        {
          free (res);
          return jr_error (err, 0, "cgroupsPath `%s` must not contain `..`", in);
        }
      len += (size_t)snprintf (res + len, cap - len, "/%s", parts[i]);
    }
  if (len == 0)
    strcpy (res, "/");
  *out = res;
  return 0;
}

static int
systemd_path (const char *spec, char **path, jr_error_t *err)
{
  cleanup_free char *copy = xstrdup (spec);
  char *c1 = strchr (copy, ':');
  char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  cleanup_free char *slice_path = NULL;
  cleanup_free char *unit = NULL;

  if (c2 == NULL || strchr (c2 + 1, ':'))
    return jr_error (err, 0, "cgroupsPath `%s` must be `slice:prefix:name` with --systemd-cgroup", spec);
  *c1 = *c2 = '\0';
  const char *slice = copy[0] ? copy : "system.slice";
  const char *prefix = c1 + 1;
  const char *name = c2 + 1;

  if (name[0] == '\0' || strchr (name, '/') || strchr (prefix, '/'))
    return jr_error (err, 0, "invalid systemd cgroupsPath `%s`", spec);
  if (jr_cgroup_expand_slice (slice, &slice_path, err) < 0)
    return -1;
  if (jr_has_suffix (name, ".slice"))
    unit = xstrdup (name);
  else if (prefix[0] == '\0')
    unit = xasprintf ("%s.scope", name);
  else
    unit = xasprintf ("%s-%s.scope", prefix, name);
  *path = xasprintf ("%s/%s", slice_path, unit);
  return 0;
}

int
jr_cgroup_resolve_path_own (const char *id, const char *cgroups_path, bool systemd_cgroup,
                            const char *own_cgroup, char **path, jr_error_t *err)
{
  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    {
      if (id == NULL || id[0] == '\0' || strchr (id, '/') || strcmp (id, "..") == 0 || strcmp (id, ".") == 0)
        return jr_error (err, 0, "invalid container id `%s` for a cgroup", id ? id : "");
      *path = xasprintf ("/jitrun/%s", id);
      return 0;
    }
  if (systemd_cgroup)
    return systemd_path (cgroups_path, path, err);
  if (cgroups_path[0] == '/')
    return normalize_abs (cgroups_path, path, err);

  cleanup_free char *joined
      = xasprintf ("%s/%s", own_cgroup && own_cgroup[0] ? own_cgroup : "/", cgroups_path);
  return normalize_abs (joined, path, err);
}

int
jr_cgroup_resolve_path (const char *id, const char *cgroups_path, bool systemd_cgroup, char **path,
                        jr_error_t *err)
{
  cleanup_free char *own = NULL;

  if (systemd_cgroup && cgroups_path && cgroups_path[0] && access ("/run/systemd/system", F_OK) < 0)
    jr_warn ("systemd is not running: managing cgroup `%s` with cgroupfs", cgroups_path);

  if (cgroups_path && cgroups_path[0] && cgroups_path[0] != '/' && !systemd_cgroup)
    {
      enum jr_cgroup_mode mode;
      cleanup_free char *text = NULL;
      size_t len;
      if (jr_cgroup_detect_mode (&mode, err) < 0)
        return -1;
      if (jr_read_file_at (AT_FDCWD, "/proc/self/cgroup", &text, &len, err) < 0)
        return -1;
      if (jr_cgroup_own_path_from_text (text, mode, &own, err) < 0)
        return -1;
    }
  return jr_cgroup_resolve_path_own (id, cgroups_path, systemd_cgroup, own, path, err);
}

/* ---- conversions ------------------------------------------------------------- */

uint64_t
jr_cgroup_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  /* Maps [2, 262144] linearly onto [1, 10000]. */
  return 1 + ((shares - 2) * 9999) / 262142;
}

int
jr_cgroup_swap_to_v2 (bool has_limit, int64_t limit, int64_t swap, int64_t *out, jr_error_t *err)
{
  if (swap == -1)
    {
      *out = -1;
      return 0;
    }
  if (swap < 0)
    return jr_error (err, 0, "invalid memory.swap %" PRId64, swap);
  if (!has_limit || limit == -1)
    {
      if (swap == 0)
        {
          *out = -1;
          return 0;
        }
      return jr_error (err, 0, "memory.swap %" PRId64 " needs a memory.limit", swap);
    }
  if (limit < 0)
    return jr_error (err, 0, "invalid memory.limit %" PRId64, limit);
  if (swap < limit)
    return jr_error (err, 0, "memory.swap %" PRId64 " (memory+swap) is lower than memory.limit %" PRId64,
                     swap, limit);
  *out = swap - limit;
  return 0;
}

struct io_max_dev
{
  int64_t major, minor;
  uint64_t v[4]; /* rbps wbps riops wiops; UINT64_MAX = not set */
};

static void
io_max_add (struct io_max_dev **devs, size_t *n, const struct oci_throttle_device *t, size_t len, int slot)
{
  for (size_t i = 0; i < len; i++)
    {
      size_t j;
      for (j = 0; j < *n; j++)
        if ((*devs)[j].major == t[i].major && (*devs)[j].minor == t[i].minor)
          break;
      if (j == *n)
        {
          *devs = xrealloc (*devs, (*n + 1) * sizeof (**devs));
          (*devs)[j].major = t[i].major;
          (*devs)[j].minor = t[i].minor;
          for (int k = 0; k < 4; k++)
            (*devs)[j].v[k] = UINT64_MAX;
          (*n)++;
        }
      (*devs)[j].v[slot] = t[i].rate;
    }
}

char **
jr_cgroup_io_max_lines (const struct oci_block_io *bio)
{
  static const char *const keys[4] = { "rbps", "wbps", "riops", "wiops" };
  cleanup_free struct io_max_dev *devs = NULL;
  size_t n = 0;
  char **lines = xmalloc0 (sizeof (char *));

  if (bio == NULL)
    return lines;
  io_max_add (&devs, &n, bio->throttle_read_bps_device, bio->throttle_read_bps_device_len, 0);
  io_max_add (&devs, &n, bio->throttle_write_bps_device, bio->throttle_write_bps_device_len, 1);
  io_max_add (&devs, &n, bio->throttle_read_iops_device, bio->throttle_read_iops_device_len, 2);
  io_max_add (&devs, &n, bio->throttle_write_iops_device, bio->throttle_write_iops_device_len, 3);
  for (size_t i = 0; i < n; i++)
    {
      char *line = xasprintf ("%" PRId64 ":%" PRId64, devs[i].major, devs[i].minor);
      for (int k = 0; k < 4; k++)
        {
          if (devs[i].v[k] == UINT64_MAX)
            continue;
          char *next;
          /* 0 in the spec means "no limit". */
          if (devs[i].v[k] == 0)
            next = xasprintf ("%s %s=max", line, keys[k]);
          else
            next = xasprintf ("%s %s=%" PRIu64, line, keys[k], devs[i].v[k]);
          free (line);
          line = next;
        }
      jr_cgroup_strv_append (&lines, line);
    }
  return lines;
}

char *
jr_cgroup_device_rule (const struct oci_device_cgroup *d)
{
  const char *type = d->type && d->type[0] ? d->type : "a";
  cleanup_free char *maj = d->has_major && d->major >= 0 ? xasprintf ("%" PRId64, d->major) : xstrdup ("*");
  cleanup_free char *min = d->has_minor && d->minor >= 0 ? xasprintf ("%" PRId64, d->minor) : xstrdup ("*");
  const char *access = d->access && d->access[0] ? d->access : "rwm";
  return xasprintf ("%s %s:%s %s", type, maj, min, access);
}

bool
jr_cgroup_device_rule_is_all (const struct oci_device_cgroup *d)
{
  bool all_type = d->type == NULL || d->type[0] == '\0' || strcmp (d->type, "a") == 0;
  bool any_num = (!d->has_major || d->major < 0) && (!d->has_minor || d->minor < 0);
  bool all_access = d->access == NULL || d->access[0] == '\0'
                    || (strchr (d->access, 'r') && strchr (d->access, 'w') && strchr (d->access, 'm'));
  return all_type && any_num && all_access;
}

char *
jr_cgroup_hugepage_dir_to_size (const char *name)
{
  char *end;
  if (!jr_has_prefix (name, "hugepages-"))
    return NULL;
  errno = 0;
  unsigned long long kb = strtoull (name + strlen ("hugepages-"), &end, 10);
  if (errno || strcmp (end, "kB") != 0 || kb == 0)
    return NULL;
  if (kb % (1024ULL * 1024) == 0)
    return xasprintf ("%lluGB", kb / (1024ULL * 1024));
  if (kb % 1024 == 0)
    return xasprintf ("%lluMB", kb / 1024);
  return xasprintf ("%lluKB", kb);
}

char **
jr_cgroup_hugepage_sizes (void)
{
  char **out = xmalloc0 (sizeof (char *));
  cleanup_dir DIR *d = opendir ("/sys/kernel/mm/hugepages");
  struct dirent *de;
  if (d == NULL)
    return out;
  while ((de = readdir (d)))
    {
      char *size = jr_cgroup_hugepage_dir_to_size (de->d_name);
      if (size)
        jr_cgroup_strv_append (&out, size);
    }
  return out;
}

void
jr_cgroup_rollback_dirs (char **created)
{
  size_t n = created ? jr_strv_len (created) : 0;
  while (n-- > 0)
    if (rmdir (created[n]) < 0 && errno != ENOENT)
      jr_warn ("cannot remove cgroup `%s` after a failed create: %s", created[n], strerror (errno));
}

/* ---- file helpers -------------------------------------------------------------- */

int
jr_cgroup_try_write (const char *dir, const char *file, const char *value)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  /* One write: cgroup files take one value per write(2). */
  ssize_t r;
  do
    r = write (fd, value, strlen (value));
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -errno;
  return 0;
}

int
jr_cgroup_write (const char *dir, const char *file, const char *value, jr_error_t *err)
{
  int r = jr_cgroup_try_write (dir, file, value);
  if (r == -ENOENT)
    return jr_error (err, ENOENT, "cgroup file `%s/%s` (controller missing or not enabled)", dir, file);
  if (r < 0)
    return jr_error (err, -r, "write `%s` to cgroup file `%s/%s`", value, dir, file);
  return 0;
}

int
jr_cgroup_read (const char *dir, const char *file, char **out, jr_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  char *text = NULL;
  size_t len = 0;
  if (jr_read_file_at (AT_FDCWD, path, &text, &len, err) < 0)
    return -1;
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
    text[--len] = '\0';
  *out = text;
  return 0;
}

bool
jr_cgroup_file_exists (const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

int
jr_cgroup_read_u64 (const char *dir, const char *file, uint64_t *out, jr_error_t *err)
{
  cleanup_free char *text = NULL;
  char *end;
  if (jr_cgroup_read (dir, file, &text, err) < 0)
    return -1;
  if (strcmp (text, "max") == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  errno = 0;
  *out = strtoull (text, &end, 10);
  if (errno || end == text)
    return jr_error (err, 0, "cgroup file `%s/%s`: not a number: `%s`", dir, file, text);
  return 0;
}

int
jr_cgroup_keyed_u64 (const char *text, const char *key, uint64_t *out)
{
  size_t klen = strlen (key);
  const char *p = text;
  while (p && *p)
    {
      if (strncmp (p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '\t'))
        {
          *out = strtoull (p + klen + 1, NULL, 10);
          return 0;
        }
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return -1;
}

int
jr_cgroup_write_u64 (const char *dir, const char *file, uint64_t v, jr_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRIu64, v);
  return jr_cgroup_write (dir, file, buf, err);
}

int
jr_cgroup_write_i64 (const char *dir, const char *file, int64_t v, jr_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRId64, v);
  return jr_cgroup_write (dir, file, buf, err);
}

int
jr_cgroup_write_limit (const char *dir, const char *file, int64_t v, jr_error_t *err)
{
  return v < 0 ? jr_cgroup_write (dir, file, "max", err) : jr_cgroup_write_i64 (dir, file, v, err);
}

int
jr_cgroup_mkdir_path (const char *mount, const char *path, void (*before) (const char *parent),
                      int (*after) (const char *parent, const char *dir, jr_error_t *err), char ***created,
                      jr_error_t *err)
{
  cleanup_strv char **parts = jr_split (path, '/');
  cleanup_free char *cur = xstrdup (mount);

  for (size_t i = 0; parts && parts[i]; i++)
    {
      if (before)
        before (cur);
      char *next = xasprintf ("%s/%s", cur, parts[i]);
      if (mkdir (next, 0755) == 0)
        jr_cgroup_strv_append (created, xstrdup (next));
      else if (errno != EEXIST)
        {
          int saved = errno;
          free (next);
          return jr_error (err, saved, "mkdir cgroup `%s/%s`", cur, parts[i]);
        }
      if (after && after (cur, next, err) < 0)
        {
          free (next);
          return -1;
        }
      free (cur);
      cur = next;
    }
  return 0;
}

char *
jr_cgroup_rdma_line (const struct oci_rdma_entry *e)
{
  cleanup_free char *h = e->has_hca_handles ? xasprintf ("%u", e->hca_handles) : xstrdup ("max");
  cleanup_free char *o = e->has_hca_objects ? xasprintf ("%u", e->hca_objects) : xstrdup ("max");
  return xasprintf ("%s hca_handle=%s hca_object=%s", e->device, h, o);
}

/* ---- stats helpers ------------------------------------------------------------- */

/* dir/file's text, or NULL when there is no dir or it cannot be read
   (stats report what they can). */
static char *
stat_text (const char *dir, const char *file)
{
  char *text = NULL;
  cleanup_error jr_error_t ignored = NULL;
  if (dir == NULL || jr_cgroup_read (dir, file, &text, &ignored) < 0)
    return NULL;
  return text;
}

uint64_t
jr_cgroup_stat_u64 (const char *dir, const char *file)
{
  uint64_t v = 0;
  cleanup_error jr_error_t ignored = NULL;
  if (dir == NULL || jr_cgroup_read_u64 (dir, file, &v, &ignored) < 0)
    return 0;
  return v;
}

uint64_t
jr_cgroup_stat_keyed (const char *dir, const char *file, const char *key)
{
  cleanup_free char *text = stat_text (dir, file);
  uint64_t v = 0;
  if (text)
    jr_cgroup_keyed_u64 (text, key, &v);
  return v;
}

struct oci_jvalue *
jr_cgroup_stat_keyed_object (const char *dir, const char *file)
{
  struct oci_jvalue *o = oci_jobject_new ();
  cleanup_free char *text = stat_text (dir, file);
  char *save = NULL;
  if (text == NULL)
    return o;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      oci_jobject_set_uint (o, line, strtoull (sp + 1, NULL, 10));
    }
  return o;
}

struct oci_jvalue *
jr_cgroup_stat_u64_array (const char *dir, const char *file)
{
  struct oci_jvalue *arr = oci_jarray_new ();
  cleanup_free char *text = stat_text (dir, file);
  cleanup_strv char **items = text ? jr_split (text, ' ') : NULL;
  for (size_t i = 0; items && items[i]; i++)
    {
      errno = 0;
      uint64_t v = strtoull (items[i], NULL, 10);
      /* All or nothing: a half-read list would misattribute cpus. */
      if (items[i][strspn (items[i], "0123456789")] != '\0' || errno)
        {
          oci_jvalue_free (arr);
          return oci_jarray_new ();
        }
      oci_jarray_append_uint (arr, v);
    }
  return arr;
}

void
jr_cgroup_stat_set_keys (struct oci_jvalue *o, const char *text, const struct jr_cgroup_stat_key *keys,
                         size_t n)
{
  for (size_t i = 0; text && i < n; i++)
    {
      uint64_t v;
      if (jr_cgroup_keyed_u64 (text, keys[i].key, &v) == 0)
        oci_jobject_set_uint (o, keys[i].name, v * keys[i].scale);
    }
}

struct oci_jvalue *
jr_cgroup_stat_pids (const char *dir)
{
  struct oci_jvalue *o = oci_jobject_new ();
  uint64_t lim = jr_cgroup_stat_u64 (dir, "pids.max");
  oci_jobject_set_uint (o, "current", jr_cgroup_stat_u64 (dir, "pids.current"));
  oci_jobject_set_uint (o, "limit", lim == UINT64_MAX ? 0 : lim);
  return o;
}

void
jr_cgroup_stat_blkio_entry (struct oci_jvalue *arr, uint64_t major, uint64_t minor, const char *op,
                            uint64_t value)
{
  struct oci_jvalue *e = oci_jobject_new ();
  oci_jobject_set_uint (e, "major", major);
  oci_jobject_set_uint (e, "minor", minor);
  oci_jobject_set_str (e, "op", op);
  oci_jobject_set_uint (e, "value", value);
  oci_jarray_append (arr, e);
}

/* ---- processes ----------------------------------------------------------------- */

static int
read_pids_dir (const char *dir, pid_t **pids, size_t *n, jr_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (jr_cgroup_read (dir, "cgroup.procs", &text, err) < 0)
    return -1;
  for (char *p = text; p && *p;)
    {
      char *end;
      long v = strtol (p, &end, 10);
      if (end == p)
        break;
      *pids = xrealloc (*pids, (*n + 1) * sizeof (pid_t));
      (*pids)[(*n)++] = (pid_t)v;
      p = end;
      while (*p == '\n')
        p++;
    }

  d = opendir (dir);
  if (d == NULL)
    return jr_error (err, errno, "opendir `%s`", dir);
  while ((de = readdir (d)))
    {
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      cleanup_free char *sub = xasprintf ("%s/%s", dir, de->d_name);
      if (read_pids_dir (sub, pids, n, err) < 0)
        return -1;
    }
  return 0;
}

int
jr_cgroup_read_pids_recursive (const char *dir, pid_t **pids, size_t *n, jr_error_t *err)
{
  *pids = NULL;
  *n = 0;
  if (read_pids_dir (dir, pids, n, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

int
jr_cgroup_rmdir_tree (const char *dir, jr_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  /* The common case, a leaf with no tasks left: one syscall. */
  if (rmdir (dir) == 0 || errno == ENOENT)
    return 0;
  d = opendir (dir);
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return jr_error (err, errno, "opendir `%s`", dir);
    }
  while ((de = readdir (d)))
    {
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      cleanup_free char *sub = xasprintf ("%s/%s", dir, de->d_name);
      if (jr_cgroup_rmdir_tree (sub, err) < 0)
        return -1;
    }
  /* Tasks that were just killed may still be exiting: EBUSY for a while. */
  for (int attempt = 0;; attempt++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || attempt >= 100)
        return jr_error (err, errno, "remove cgroup `%s`", dir);
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
}

/* ---- handle and dispatch -------------------------------------------------------- */

/* The host's mode and v1 hierarchies, read once per process: every command
   is its own process, and `run` or `delete` open the cgroup more than once. */
static struct
{
  bool done;
  enum jr_cgroup_mode mode;
  struct jr_cgroup_v1_mount *mounts;
  size_t n_mounts;
} host;

static int
host_cgroups (jr_error_t *err)
{
  cleanup_free char *mountinfo = NULL;
  size_t len;

  if (host.done)
    return 0;
  if (jr_cgroup_detect_mode (&host.mode, err) < 0)
    return -1;
  if (host.mode != JR_CGROUP_V2)
    {
      if (jr_read_file_at (AT_FDCWD, "/proc/self/mountinfo", &mountinfo, &len, err) < 0
          || jr_cgroup_parse_mountinfo (mountinfo, &host.mounts, &host.n_mounts, err) < 0)
        return -1;
      if (host.n_mounts == 0)
        return jr_error (err, 0, "no cgroup v1 hierarchy mounted below `%s`", JR_CGROUP_ROOT);
    }
  host.done = true;
  return 0;
}

static int
cgroup_new (const char *path, struct jr_cgroup **out, jr_error_t *err)
{
  struct jr_cgroup *cg;
  const char *sub;

  if (path == NULL || path[0] != '/')
    return jr_error (err, 0, "cgroup path `%s` is not absolute", path ? path : "");
  if (strstr (path, "/../") || jr_has_suffix (path, "/.."))
    return jr_error (err, 0, "cgroup path `%s` must not contain `..`", path);
  if (host_cgroups (err) < 0)
    return -1;

  sub = strcmp (path, "/") ? path : "";
  cg = xmalloc0 (sizeof (*cg));
  cg->mode = host.mode;
  cg->path = xstrdup (path);
  if (host.mode == JR_CGROUP_V2)
    {
      cg->ops = &jr_cgroup_v2_ops;
      cg->unified_mount = xstrdup (JR_CGROUP_ROOT);
      cg->unified_dir = xasprintf ("%s%s", JR_CGROUP_ROOT, sub);
      *out = cg;
      return 0;
    }

  cg->ops = &jr_cgroup_v1_ops;
  cg->mounts = host.mounts;
  cg->n_mounts = host.n_mounts;
  cg->dirs = xmalloc0 ((cg->n_mounts + 1) * sizeof (char *));
  for (size_t i = 0; i < cg->n_mounts; i++)
    cg->dirs[i] = xasprintf ("%s%s", cg->mounts[i].mount_point, sub);
  if (host.mode == JR_CGROUP_HYBRID)
    {
      cg->unified_mount = xstrdup (JR_CGROUP_UNIFIED_HYBRID);
      cg->unified_dir = xasprintf ("%s%s", JR_CGROUP_UNIFIED_HYBRID, sub);
    }
  *out = cg;
  return 0;
}

int
jr_cgroup_create (const char *path, const struct oci_linux_resources *resources, struct jr_cgroup **out,
                  jr_error_t *err)
{
  struct jr_cgroup *cg = NULL;
  if (cgroup_new (path, &cg, err) < 0)
    return -1;
  if (strcmp (cg->path, "/") == 0)
    {
      jr_cgroup_free (cg);
      return jr_error (err, 0, "refusing to use the root cgroup for a container");
    }
  if (cg->ops->create (cg, resources, err) < 0)
    {
      jr_cgroup_free (cg);
      return jr_error_wrap (err, "create cgroup `%s`", path);
    }
  *out = cg;
  return 0;
}

int
jr_cgroup_open (const char *path, struct jr_cgroup **out, jr_error_t *err)
{
  return cgroup_new (path, out, err);
}

const char *
jr_cgroup_path (const struct jr_cgroup *cg)
{
  return cg->path;
}

/* The cgroup's directories for i in [0, n_mounts]: one per v1 hierarchy,
   then the unified one (NULL on pure v1). */
static const char *
nth_dir (const struct jr_cgroup *cg, size_t i)
{
  return i < cg->n_mounts ? cg->dirs[i] : cg->unified_dir;
}

int
jr_cgroup_enter (struct jr_cgroup *cg, pid_t pid, jr_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int)pid);
  for (size_t i = 0; i <= cg->n_mounts; i++)
    if (nth_dir (cg, i) && jr_cgroup_write (nth_dir (cg, i), "cgroup.procs", buf, err) < 0)
      return -1;
  return 0;
}

int
jr_cgroup_update (struct jr_cgroup *cg, const struct oci_linux_resources *resources, jr_error_t *err)
{
  if (resources == NULL)
    return 0;
  if (cg->ops->update (cg, resources, err) < 0)
    return jr_error_wrap (err, "update cgroup `%s`", cg->path);
  return 0;
}

/* A cgroup that is already gone holds no processes (delete --force after a
   partial cleanup, ps on a stopped container). */
static bool
cgroup_gone (struct jr_cgroup *cg)
{
  return access (cg->ops->procs_dir (cg), F_OK) < 0 && errno == ENOENT;
}

int
jr_cgroup_pids (struct jr_cgroup *cg, pid_t **pids, size_t *n, jr_error_t *err)
{
  if (cgroup_gone (cg))
    {
      *pids = NULL;
      *n = 0;
      return 0;
    }
  return jr_cgroup_read_pids_recursive (cg->ops->procs_dir (cg), pids, n, err);
}

int
jr_cgroup_is_frozen (struct jr_cgroup *cg, jr_error_t *err)
{
  const char *dir = cg->ops->freezer_dir (cg);
  if (dir == NULL)
    return 0;
  int state = cg->ops->freezer_state (dir, err);
  if (state < 0)
    return -1;
  return state == 1 ? 1 : 0;
}

int
jr_cgroup_freeze (struct jr_cgroup *cg, bool frozen, jr_error_t *err)
{
  const struct jr_cgroup_ops *ops = cg->ops;
  const char *dir = ops->freezer_dir (cg);
  const char *want = frozen ? ops->freezer_frozen : ops->freezer_thawed;

  if (dir == NULL)
    return jr_error (err, 0, "%s requested but the `freezer` cgroup controller is not mounted",
                     frozen ? "pause" : "resume");
  /* Freezing can linger while tasks are in uninterruptible sleep: poll for
     about 10s (v1 also wants the request repeated now and then). */
  for (int attempt = 0; attempt < 1000; attempt++)
    {
      bool request = attempt == 0 || (ops->freezer_repeat && attempt % ops->freezer_repeat == 0);
      if (request && jr_cgroup_write (dir, ops->freezer_file, want, err) < 0)
        return -1;
      int state = ops->freezer_state (dir, err);
      if (state < 0)
        return -1;
      if (state == (frozen ? 1 : 0))
        return 0;
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  if (frozen)
    jr_cgroup_try_write (dir, ops->freezer_file, ops->freezer_thawed);
  return jr_error (err, ETIMEDOUT, "%s cgroup `%s`", frozen ? "freeze" : "thaw", dir);
}

static int
signal_pids (struct jr_cgroup *cg, int signal, jr_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n;
  if (jr_cgroup_read_pids_recursive (cg->ops->procs_dir (cg), &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], signal) < 0 && errno != ESRCH)
      return jr_error (err, errno, "kill pid %d", (int)pids[i]);
  return 0;
}

int
jr_cgroup_kill_all (struct jr_cgroup *cg, int signal, jr_error_t *err)
{
  int was_frozen, r;

  if (cgroup_gone (cg))
    return 0;
  {
    /* Nothing to signal is the usual case at delete (the pid namespace
       died with its init): skip the freeze/thaw round trip. */
    cleanup_free pid_t *pids = NULL;
    size_t n = 0;
    if (jr_cgroup_pids (cg, &pids, &n, NULL) == 0 && n == 0)
      return 0;
  }
  if (cg->ops->kill_direct && (r = cg->ops->kill_direct (cg, signal, err)) != 0)
    return r < 0 ? -1 : 0;
  if (cg->ops->freezer_dir (cg) == NULL)
    return signal_pids (cg, signal, err);

  /* Frozen tasks cannot fork, so nothing escapes between reading the pid
     list and signalling it. */
  was_frozen = jr_cgroup_is_frozen (cg, err);
  if (was_frozen < 0)
    return -1;
  if (!was_frozen && jr_cgroup_freeze (cg, true, err) < 0)
    return -1;
  r = signal_pids (cg, signal, err);
  /* Stay paused if we were, unless the tasks must run to die. */
  if (!was_frozen || signal == SIGKILL)
    {
      cleanup_error jr_error_t thaw_err = NULL;
      if (jr_cgroup_freeze (cg, false, r < 0 ? &thaw_err : err) < 0 && r == 0)
        return -1;
    }
  return r;
}

int
jr_cgroup_stats_json (struct jr_cgroup *cg, char **json, jr_error_t *err)
{
  struct oci_jvalue *root = oci_jobject_new ();
  if (cg->ops->stats (cg, root, err) < 0)
    {
      oci_jvalue_free (root);
      return -1;
    }
  *json = oci_jvalue_to_json (root, false);
  oci_jvalue_free (root);
  if (*json == NULL)
    return jr_error (err, 0, "serialize cgroup stats");
  return 0;
}

int
jr_cgroup_oom_count (struct jr_cgroup *cg, uint64_t *count, jr_error_t *err)
{
  return cg->ops->oom_count (cg, count, err);
}

int
jr_cgroup_destroy (struct jr_cgroup *cg, jr_error_t *err)
{
  int ret = 0;
  for (size_t i = 0; i <= cg->n_mounts; i++)
    if (nth_dir (cg, i) && jr_cgroup_rmdir_tree (nth_dir (cg, i), err) < 0)
      ret = -1;
  return ret;
}

void
jr_cgroup_free (struct jr_cgroup *cg)
{
  if (cg == NULL)
    return;
  free (cg->path);
  jr_strv_free (cg->dirs);
  free (cg->unified_mount);
  free (cg->unified_dir);
  free (cg);
}

void
jr_cgroup_features (bool *v1, bool *v2, bool *systemd)
{
  *v1 = true;
  *v2 = true;
  /* --systemd-cgroup paths are accepted, but managed with cgroupfs. */
  *systemd = false;
}
