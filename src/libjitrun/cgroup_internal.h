/* jitrun - cgroups, shared between cgroup.c and the v1/v2 backends.
 *
 * Not a public API: cgroup.h is.  The text parsers and conversions are
 * exposed here so unit tests can feed them fixtures.
 */
#ifndef JITRUN_CGROUP_INTERNAL_H
#define JITRUN_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "oci_spec.h"

#define JR_CGROUP_ROOT           "/sys/fs/cgroup"
#define JR_CGROUP_UNIFIED_HYBRID "/sys/fs/cgroup/unified"

/* One mounted v1 hierarchy: a mount point and the controllers it holds
   ("cpu", "memory", "name=systemd"...). */
struct jr_cgroup_v1_mount
{
  char *mount_point;
  char *root;         /* mountinfo "root" field: "/" unless in a cgroupns */
  char **controllers; /* NULL terminated */
};

struct jr_cgroup;

struct jr_cgroup_ops
{
  /* Create directories, apply resources; undo what was created on error. */
  int (*create) (struct jr_cgroup *cg, const struct oci_linux_resources *res, jr_error_t *err);
  int (*update) (struct jr_cgroup *cg, const struct oci_linux_resources *res, jr_error_t *err);
  /* Directory whose cgroup.procs (recursively) lists the container's pids. */
  const char *(*procs_dir) (struct jr_cgroup *cg);

  /* The freezer (cgroup.c drives it): the directory that has one (NULL:
     none), the file a request is written to with its two values, every how
     many 10ms polls a request is repeated while the state lingers (0:
     never), and the state read back: 1 frozen, 0 thawed, 2 in between. */
  const char *(*freezer_dir) (struct jr_cgroup *cg);
  const char *freezer_file, *freezer_frozen, *freezer_thawed;
  int freezer_repeat;
  int (*freezer_state) (const char *dir, jr_error_t *err);
  /* Optional: kill everything without freezing first.  1 done, 0 not
     possible here (cgroup.c freezes, signals and thaws), <0 error. */
  int (*kill_direct) (struct jr_cgroup *cg, int signal, jr_error_t *err);

  int (*stats) (struct jr_cgroup *cg, struct oci_jvalue *out, jr_error_t *err);
  int (*oom_count) (struct jr_cgroup *cg, uint64_t *count, jr_error_t *err);
};

struct jr_cgroup
{
  enum jr_cgroup_mode mode;
  char *path; /* relative to every hierarchy root, starts with '/' */
  const struct jr_cgroup_ops *ops;

  /* v1 and hybrid; v2: none.  mounts is borrowed from a per-process cache
     (see cgroup.c), not owned by the handle. */
  const struct jr_cgroup_v1_mount *mounts;
  size_t n_mounts;
  char **dirs; /* mount_point + path, one per mount */

  /* v2: the unified mount; hybrid: the cgroup2 mount next to v1 (NULL if absent) */
  char *unified_mount;
  char *unified_dir;
};

extern const struct jr_cgroup_ops jr_cgroup_v1_ops;
extern const struct jr_cgroup_ops jr_cgroup_v2_ops;

/* ---- pure helpers (unit tested) ---------------------------------------- */

/* Parse /proc/self/mountinfo text: every "cgroup" (v1) mount, in order. */
int jr_cgroup_parse_mountinfo (const char *text, struct jr_cgroup_v1_mount **mounts, size_t *n,
                               jr_error_t *err);
void jr_cgroup_v1_mounts_free (struct jr_cgroup_v1_mount *mounts, size_t n);

/* Path of `controller` in /proc/PID/cgroup text.  controller NULL: the
   v2 entry ("0::/path").  Returns 0 and a malloc'ed path, or <0. */
int jr_cgroup_parse_proc_cgroup (const char *text, const char *controller, char **path, jr_error_t *err);
/* Our own cgroup for relative cgroupsPath: v2 entry on pure v2, otherwise
   the memory controller's path, else the first v1 line's. */
int jr_cgroup_own_path_from_text (const char *text, enum jr_cgroup_mode mode, char **path, jr_error_t *err);

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "". */
int jr_cgroup_expand_slice (const char *slice, char **out, jr_error_t *err);

/* jr_cgroup_resolve_path with jitrun's own cgroup given (for tests). */
int jr_cgroup_resolve_path_own (const char *id, const char *cgroups_path, bool systemd_cgroup,
                                const char *own_cgroup, char **path, jr_error_t *err);

/* v1 cpu.shares -> v2 cpu.weight (0 shares -> 0 = unset). */
uint64_t jr_cgroup_shares_to_weight (uint64_t shares);

/* OCI memory.swap (memory+swap, -1 unlimited) -> memory.swap.max bytes,
   -1 meaning "max".  has_limit/limit describe memory.limit.  Callers treat
   swap == 0 as "not set" (Go zero value) and do not call this. */
int jr_cgroup_swap_to_v2 (bool has_limit, int64_t limit, int64_t swap, int64_t *out, jr_error_t *err);

/* io.max lines "MAJ:MIN rbps=N wbps=N riops=N wiops=N", one per device,
   only the keys set.  NULL terminated, malloc'ed (jr_strv_free). */
char **jr_cgroup_io_max_lines (const struct oci_block_io *bio);

/* v1 devices cgroup rule: "c 1:3 rwm", "a *:* rwm". malloc'ed. */
char *jr_cgroup_device_rule (const struct oci_device_cgroup *d);
/* A deny-all or allow-all rule (type all, no major/minor, access rwm or empty). */
bool jr_cgroup_device_rule_is_all (const struct oci_device_cgroup *d);

/* ---- file helpers shared by backends ----------------------------------- */

/* Write value to dir/file (must exist).  Error names the file and value. */
int jr_cgroup_write (const char *dir, const char *file, const char *value, jr_error_t *err);
/* Same, but the raw errno is returned as -errno without filling err. */
int jr_cgroup_try_write (const char *dir, const char *file, const char *value);
/* Read dir/file, trailing newline stripped.  malloc'ed. */
int jr_cgroup_read (const char *dir, const char *file, char **out, jr_error_t *err);
bool jr_cgroup_file_exists (const char *dir, const char *file);
/* Read a one-number file; "max" -> UINT64_MAX. */
int jr_cgroup_read_u64 (const char *dir, const char *file, uint64_t *out, jr_error_t *err);
/* Value of `key` in a flat-keyed file ("key value" lines). */
int jr_cgroup_keyed_u64 (const char *text, const char *key, uint64_t *out);

/* Write a number; for _limit a negative one is written as "max". */
int jr_cgroup_write_u64 (const char *dir, const char *file, uint64_t v, jr_error_t *err);
int jr_cgroup_write_i64 (const char *dir, const char *file, int64_t v, jr_error_t *err);
int jr_cgroup_write_limit (const char *dir, const char *file, int64_t v, jr_error_t *err);

/* mkdir -p of path below mount.  before(parent) runs ahead of each mkdir,
   after(parent, dir) behind it (either may be NULL).  New directories are
   appended to *created (NULL terminated list) for rollback. */
int jr_cgroup_mkdir_path (const char *mount, const char *path, void (*before) (const char *parent),
                          int (*after) (const char *parent, const char *dir, jr_error_t *err),
                          char ***created, jr_error_t *err);

/* rdma.max line of one entry ("mlx5_1 hca_handle=3 hca_object=max"). malloc'ed. */
char *jr_cgroup_rdma_line (const struct oci_rdma_entry *e);

/* ---- stats helpers: unreadable files (or dir NULL) read as 0 / empty ---- */

uint64_t jr_cgroup_stat_u64 (const char *dir, const char *file);
/* Value of key in a flat-keyed file. */
uint64_t jr_cgroup_stat_keyed (const char *dir, const char *file, const char *key);
/* A flat-keyed file as an object of numbers. */
struct oci_jvalue *jr_cgroup_stat_keyed_object (const char *dir, const char *file);
/* A file of blank separated numbers as an array (empty if any is not one). */
struct oci_jvalue *jr_cgroup_stat_u64_array (const char *dir, const char *file);
/* For each key present in flat-keyed text, o[name] = value * scale. */
struct jr_cgroup_stat_key
{
  const char *key, *name;
  uint64_t scale;
};
void jr_cgroup_stat_set_keys (struct oci_jvalue *o, const char *text, const struct jr_cgroup_stat_key *keys,
                              size_t n);
/* {"current","limit"} from pids.current/pids.max ("max" -> 0). */
struct oci_jvalue *jr_cgroup_stat_pids (const char *dir);
/* Append {"major","minor","op","value"} to a blkio array. */
void jr_cgroup_stat_blkio_entry (struct oci_jvalue *arr, uint64_t major, uint64_t minor, const char *op,
                                 uint64_t value);

/* Every pid in cgroup.procs of dir and its subdirectories. */
int jr_cgroup_read_pids_recursive (const char *dir, pid_t **pids, size_t *n, jr_error_t *err);
/* rmdir dir after its subdirectories, retrying on EBUSY; ENOENT is fine. */
int jr_cgroup_rmdir_tree (const char *dir, jr_error_t *err);

/* v2 helpers also used by hybrid mode for the unified mount. */
/* mkdir -p of path below mount, enabling in each ancestor's
   cgroup.subtree_control every controller it offers. */
int jr_cgroup_v2_prepare (const char *mount, const char *path, char ***created, jr_error_t *err);
int jr_cgroup_v2_apply_hugetlb (const char *dir, const struct oci_linux_resources *res, jr_error_t *err);
int jr_cgroup_v2_apply_unified (const char *dir, const struct oci_string_map *unified, jr_error_t *err);
int jr_cgroup_v2_hugetlb_stats (const char *dir, struct oci_jvalue *out);

/* Huge page sizes of this host as the spec names them ("2MB", "1GB"),
   from /sys/kernel/mm/hugepages. NULL terminated, malloc'ed. */
char **jr_cgroup_hugepage_sizes (void);
/* "hugepages-2048kB" -> "2MB". malloc'ed, NULL if not such a name. */
char *jr_cgroup_hugepage_dir_to_size (const char *name);

/* Undo directory creation: rmdir each entry, last first. */
void jr_cgroup_rollback_dirs (char **created);

/* Append a string to a NULL terminated vector. */
void jr_cgroup_strv_append (char ***v, char *s);

#endif
