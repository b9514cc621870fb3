/* libocispec - typed OCI runtime-spec 1.1 and image-spec 1.1 documents.
 *
 * The only code in jitrun that knows JSON.  Conventions:
 *  - strings are char * (NULL = absent), owned by the document;
 *  - arrays are `T *x; size_t x_len;` (string arrays: `char **x`);
 *  - optional scalars carry `bool has_x` (0 is often meaningful);
 *  - string maps are struct oci_string_map, insertion ordered;
 *  - every parse function fills *errmsg (malloc'ed) with
 *    "<what>: <json path>: <problem>", e.g.
 *    "config.json: .process.args[0]: expected string", and returns NULL.
 * Unknown fields are ignored (the spec requires it).
 */
#ifndef OCI_SPEC_H
#define OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oci_string_map
{
  char **keys;
  char **values;
  size_t len;
};
const char *oci_string_map_get (const struct oci_string_map *m, const char *key);
/* Replace or append. */
void oci_string_map_set (struct oci_string_map *m, const char *key, const char *value);
/* Free the keys and values and leave an empty map (the struct itself is
   the caller's, usually embedded in a document). */
void oci_string_map_free (struct oci_string_map *m);

/* ===================== runtime-spec: config.json ======================== */

struct oci_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct oci_rlimit
{
  char *type; /* "RLIMIT_NOFILE" */
  uint64_t soft;
  uint64_t hard;
};

struct oci_capabilities
{
  char **bounding;
  size_t bounding_len;
  char **effective;
  size_t effective_len;
  char **inheritable;
  size_t inheritable_len;
  char **permitted;
  size_t permitted_len;
  char **ambient;
  size_t ambient_len;
};

struct oci_user
{
  uint32_t uid;
  uint32_t gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  char *username; /* windows; kept for round trips */
};

struct oci_console_size
{
  uint32_t height;
  uint32_t width;
};

struct oci_io_priority
{
  char *class; /* IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE */
  int32_t priority;
};

struct oci_scheduler
{
  char *policy; /* SCHED_OTHER, SCHED_FIFO, ... */
  bool has_nice;
  int32_t nice;
  bool has_priority;
  int32_t priority;
  char **flags;
  size_t flags_len;
  bool has_runtime;
  uint64_t runtime;
  bool has_deadline;
  uint64_t deadline;
  bool has_period;
  uint64_t period;
};

struct oci_cpu_affinity
{
  char *initial;
  char *final;
};

struct oci_process
{
  bool terminal;
  struct oci_console_size *console_size;
  struct oci_user user;
  char **args;
  size_t args_len;
  char *command_line;
  char **env;
  size_t env_len;
  char *cwd;
  struct oci_capabilities *capabilities;
  struct oci_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int32_t oom_score_adj;
  char *selinux_label;
  struct oci_io_priority *io_priority;
  struct oci_scheduler *scheduler;
  struct oci_cpu_affinity *exec_cpu_affinity;
};

struct oci_root
{
  char *path;
  bool readonly;
};

struct oci_mount
{
  char *destination;
  char *type;
  char *source;
  char **options;
  size_t options_len;
  struct oci_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct oci_id_mapping *gid_mappings;
  size_t gid_mappings_len;
};

struct oci_hook
{
  char *path;
  char **args;
  size_t args_len;
  char **env;
  size_t env_len;
  bool has_timeout;
  int32_t timeout; /* seconds, > 0 */
};

struct oci_hook_list
{
  struct oci_hook *items;
  size_t len;
};

struct oci_hooks
{
  struct oci_hook_list prestart; /* deprecated, still run */
  struct oci_hook_list create_runtime;
  struct oci_hook_list create_container;
  struct oci_hook_list start_container;
  struct oci_hook_list poststart;
  struct oci_hook_list poststop;
};

struct oci_namespace
{
  char *type; /* pid network mount ipc uts user cgroup time */
  char *path;
};

struct oci_time_offset
{
  int64_t secs;
  uint32_t nanosecs;
};

struct oci_time_offsets
{
  bool has_monotonic;
  struct oci_time_offset monotonic;
  bool has_boottime;
  struct oci_time_offset boottime;
};

struct oci_device
{
  char *type; /* c b u p */
  char *path;
  int64_t major;
  int64_t minor;
  bool has_file_mode;
  uint32_t file_mode;
  bool has_uid;
  uint32_t uid;
  bool has_gid;
  uint32_t gid;
};

struct oci_device_cgroup
{
  bool allow;
  char *type; /* a c b; NULL = all */
  bool has_major;
  int64_t major;
  bool has_minor;
  int64_t minor;
  char *access; /* rwm */
};

struct oci_memory
{
  bool has_limit;
  int64_t limit;
  bool has_reservation;
  int64_t reservation;
  bool has_swap;
  int64_t swap;
  bool has_kernel;
  int64_t kernel;
  bool has_kernel_tcp;
  int64_t kernel_tcp;
  bool has_swappiness;
  uint64_t swappiness;
  bool has_disable_oom_killer;
  bool disable_oom_killer;
  bool has_use_hierarchy;
  bool use_hierarchy;
  bool has_check_before_update;
  bool check_before_update;
};

struct oci_cpu
{
  bool has_shares;
  uint64_t shares;
  bool has_quota;
  int64_t quota;
  bool has_burst;
  uint64_t burst;
  bool has_period;
  uint64_t period;
  bool has_realtime_runtime;
  int64_t realtime_runtime;
  bool has_realtime_period;
  uint64_t realtime_period;
  char *cpus;
  char *mems;
  bool has_idle;
  int64_t idle;
};

struct oci_pids
{
  bool has_limit;
  int64_t limit;
};

struct oci_weight_device
{
  int64_t major;
  int64_t minor;
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
};

struct oci_throttle_device
{
  int64_t major;
  int64_t minor;
  uint64_t rate;
};

struct oci_block_io
{
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
  struct oci_weight_device *weight_device;
  size_t weight_device_len;
  struct oci_throttle_device *throttle_read_bps_device;
  size_t throttle_read_bps_device_len;
  struct oci_throttle_device *throttle_write_bps_device;
  size_t throttle_write_bps_device_len;
  struct oci_throttle_device *throttle_read_iops_device;
  size_t throttle_read_iops_device_len;
  struct oci_throttle_device *throttle_write_iops_device;
  size_t throttle_write_iops_device_len;
};

struct oci_hugepage_limit
{
  char *page_size; /* "2MB" */
  uint64_t limit;
};

struct oci_net_priority
{
  char *name;
  uint32_t priority;
};

struct oci_network
{
  bool has_class_id;
  uint32_t class_id;
  struct oci_net_priority *priorities;
  size_t priorities_len;
};

struct oci_rdma_entry
{
  char *device;
  bool has_hca_handles;
  uint32_t hca_handles;
  bool has_hca_objects;
  uint32_t hca_objects;
};

struct oci_linux_resources
{
  struct oci_device_cgroup *devices;
  size_t devices_len;
  struct oci_memory *memory;
  struct oci_cpu *cpu;
  struct oci_pids *pids;
  struct oci_block_io *block_io;
  struct oci_hugepage_limit *hugepage_limits;
  size_t hugepage_limits_len;
  struct oci_network *network;
  struct oci_rdma_entry *rdma;
  size_t rdma_len;
  struct oci_string_map unified;
};

struct oci_intel_rdt
{
  char *clos_id;
  char *l3_cache_schema;
  char *mem_bw_schema;
  bool enable_cmt;
  bool enable_mbm;
};

struct oci_seccomp_arg
{
  uint32_t index;
  uint64_t value;
  bool has_value_two;
  uint64_t value_two;
  char *op; /* SCMP_CMP_EQ ... */
};

struct oci_seccomp_syscall
{
  char **names;
  size_t names_len;
  char *action;
  bool has_errno_ret;
  uint32_t errno_ret;
  struct oci_seccomp_arg *args;
  size_t args_len;
};

struct oci_seccomp
{
  char *default_action;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  char **architectures;
  size_t architectures_len;
  char **flags;
  size_t flags_len;
  char *listener_path;
  char *listener_metadata;
  struct oci_seccomp_syscall *syscalls;
  size_t syscalls_len;
};

struct oci_personality
{
  char *domain; /* LINUX, LINUX32 */
  char **flags;
  size_t flags_len;
};

struct oci_linux
{
  struct oci_namespace *namespaces;
  size_t namespaces_len;
  struct oci_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct oci_id_mapping *gid_mappings;
  size_t gid_mappings_len;
  struct oci_time_offsets *time_offsets;
  struct oci_device *devices;
  size_t devices_len;
  char *cgroups_path;
  struct oci_linux_resources *resources;
  char *rootfs_propagation;
  struct oci_seccomp *seccomp;
  struct oci_string_map sysctl;
  char **masked_paths;
  size_t masked_paths_len;
  char **readonly_paths;
  size_t readonly_paths_len;
  char *mount_label;
  struct oci_intel_rdt *intel_rdt;
  struct oci_personality *personality;
};

struct oci_spec
{
  char *oci_version;
  struct oci_process *process;
  struct oci_root *root;
  char *hostname;
  char *domainname;
  struct oci_mount *mounts;
  size_t mounts_len;
  struct oci_hooks *hooks;
  struct oci_string_map annotations;
  struct oci_linux *linux_; /* `linux` is a predefined macro in GNU C */
};

/* Parse config.json text.  `what` names the document in errors
   ("config.json"). */
struct oci_spec *oci_spec_parse (const char *json, size_t len, const char *what, char **errmsg);
struct oci_spec *oci_spec_parse_file (const char *path, char **errmsg);
char *oci_spec_to_json (const struct oci_spec *spec); /* pretty, NULL on OOM */
void oci_spec_free (struct oci_spec *spec);

/* An exec `process.json` (runc exec --process). */
struct oci_process *oci_process_parse (const char *json, size_t len, const char *what, char **errmsg);
char *oci_process_to_json (const struct oci_process *process);
void oci_process_free (struct oci_process *process);

/* LinuxResources alone (runc update --resources FILE|-). */
struct oci_linux_resources *oci_linux_resources_parse (const char *json, size_t len, const char *what,
                                                       char **errmsg);
void oci_linux_resources_free (struct oci_linux_resources *res);

/* ===================== runtime-spec: state ============================== */

struct oci_state
{
  char *oci_version;
  char *id;
  char *status; /* creating created running paused stopped */
  int pid;      /* 0 = absent (stopped) */
  char *bundle;
  char *rootfs;  /* runc extension */
  char *created; /* RFC3339Nano, runc extension */
  char *owner;   /* runc extension */
  struct oci_string_map annotations;
};
struct oci_state *oci_state_parse (const char *json, size_t len, const char *what, char **errmsg);
char *oci_state_to_json (const struct oci_state *state, bool pretty);
/* A JSON array of states, as `runc list --format json` prints it. */
char *oci_state_list_to_json (struct oci_state *const *states, size_t n);
void oci_state_free (struct oci_state *state);

/* ===================== runtime-spec: features =========================== */

struct oci_features
{
  char *oci_version_min;
  char *oci_version_max;
  char **hooks;
  size_t hooks_len;
  char **mount_options;
  size_t mount_options_len;
  /* linux */
  char **namespaces;
  size_t namespaces_len;
  char **capabilities;
  size_t capabilities_len;
  bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_systemd_user, cgroup_rdma;
  bool seccomp_enabled;
  char **seccomp_actions;
  size_t seccomp_actions_len;
  char **seccomp_operators;
  size_t seccomp_operators_len;
  char **seccomp_archs;
  size_t seccomp_archs_len;
  char **seccomp_known_flags;
  size_t seccomp_known_flags_len;
  char **seccomp_supported_flags;
  size_t seccomp_supported_flags_len;
  bool apparmor_enabled;
  bool selinux_enabled;
  bool intel_rdt_enabled;
  bool mount_extensions_idmap_enabled;
  struct oci_string_map annotations;
};
char *oci_features_to_json (const struct oci_features *features);
struct oci_features *oci_features_parse (const char *json, size_t len, const char *what, char **errmsg);
void oci_features_free (struct oci_features *features);

/* ===================== jitrun's own small JSON documents ================ */

/* A runc-style log record: {"level":..,"msg":..,"time":..}. */
char *oci_json_log_record (const char *level, const char *msg, const char *time);

/* A JSON array of strings <-> char ** (annotation values such as
   run.jitrun.bootstrap).  Parse returns NULL and *errmsg on error. */
char **oci_json_parse_string_array (const char *json, size_t *len, const char *what, char **errmsg);
char *oci_json_string_array (char *const *v, size_t n);
/* An array of integers (ps --format json). */
char *oci_json_int_array (const int *v, size_t n);

/* A generic flat object builder for events/stats/metadata output: a tree
   of values that serializes to JSON.  Enough for `events --stats`,
   cache metadata and `cache list --format json`. */
struct oci_jvalue;
struct oci_jvalue *oci_jobject_new (void);
struct oci_jvalue *oci_jarray_new (void);
void oci_jobject_set_str (struct oci_jvalue *o, const char *key, const char *value);
void oci_jobject_set_int (struct oci_jvalue *o, const char *key, int64_t value);
void oci_jobject_set_uint (struct oci_jvalue *o, const char *key, uint64_t value);
void oci_jobject_set_double (struct oci_jvalue *o, const char *key, double value);
void oci_jobject_set_bool (struct oci_jvalue *o, const char *key, bool value);
/* Takes ownership of child. */
void oci_jobject_set (struct oci_jvalue *o, const char *key, struct oci_jvalue *child);
void oci_jarray_append (struct oci_jvalue *a, struct oci_jvalue *child);
void oci_jarray_append_str (struct oci_jvalue *a, const char *value);
void oci_jarray_append_uint (struct oci_jvalue *a, uint64_t value);
char *oci_jvalue_to_json (const struct oci_jvalue *v, bool pretty);
void oci_jvalue_free (struct oci_jvalue *v);
/* Parse any JSON document into a tree, and read it back. */
struct oci_jvalue *oci_jvalue_parse (const char *json, size_t len, char **errmsg);
const struct oci_jvalue *oci_jobject_get (const struct oci_jvalue *o, const char *key);
const char *oci_jvalue_str (const struct oci_jvalue *v);        /* NULL if not a string */
bool oci_jvalue_int (const struct oci_jvalue *v, int64_t *out); /* false if not a number */
bool oci_jvalue_bool (const struct oci_jvalue *v, bool *out);
size_t oci_jarray_len (const struct oci_jvalue *a);
const struct oci_jvalue *oci_jarray_get (const struct oci_jvalue *a, size_t i);
size_t oci_jobject_len (const struct oci_jvalue *o);
const char *oci_jobject_key_at (const struct oci_jvalue *o, size_t i);
const struct oci_jvalue *oci_jobject_value_at (const struct oci_jvalue *o, size_t i);

/* ===================== image-spec (registry, layouts) =================== */

/* Parsers fill *errmsg like the runtime ones ("manifest: .layers[0].size:
   expected integer").  Serializers emit compact JSON unless `pretty`;
   the caller digests the exact bytes it writes. */

struct oci_platform
{
  char *architecture; /* amd64 arm64 ... */
  char *os;           /* linux */
  char *os_version;   /* "os.version" */
  char **os_features; /* "os.features" */
  size_t os_features_len;
  char *variant; /* v8 */
};

struct oci_descriptor
{
  char *media_type;
  char *digest; /* "sha256:<hex>" */
  int64_t size; /* >= 0 */
  char **urls;
  size_t urls_len;
  struct oci_string_map annotations;
  struct oci_platform *platform; /* index entries */
  char *artifact_type;
};

struct oci_image_manifest
{
  int schema_version; /* 2 */
  char *media_type;
  char *artifact_type;
  struct oci_descriptor config;
  struct oci_descriptor *layers;
  size_t layers_len;
  struct oci_descriptor *subject;
  struct oci_string_map annotations;
};

struct oci_image_index
{
  int schema_version;
  char *media_type;
  char *artifact_type;
  struct oci_descriptor *manifests;
  size_t manifests_len;
  struct oci_descriptor *subject;
  struct oci_string_map annotations;
};

struct oci_image_history
{
  char *created; /* RFC 3339 */
  char *created_by;
  char *author;
  char *comment;
  bool empty_layer;
};

/* The "config" member of an image configuration: run-time defaults. */
struct oci_image_exec_config
{
  char *user;
  char **exposed_ports; /* keys of the ExposedPorts object ("80/tcp") */
  size_t exposed_ports_len;
  char **env;
  size_t env_len;
  char **entrypoint; /* NULL = absent */
  size_t entrypoint_len;
  char **cmd; /* NULL = absent */
  size_t cmd_len;
  char **volumes; /* keys of the Volumes object */
  size_t volumes_len;
  char *working_dir;
  struct oci_string_map labels;
  char *stop_signal;
};

struct oci_image_config
{
  char *created;
  char *author;
  char *architecture;
  char *os;
  char *os_version; /* "os.version" */
  char **os_features;
  size_t os_features_len;
  char *variant;
  bool has_config;
  struct oci_image_exec_config config;
  char *rootfs_type; /* "layers" */
  char **diff_ids;
  size_t diff_ids_len;
  struct oci_image_history *history;
  size_t history_len;
};

struct oci_descriptor *oci_descriptor_parse (const char *json, size_t len, const char *what, char **errmsg);
char *oci_descriptor_to_json (const struct oci_descriptor *d, bool pretty);
void oci_descriptor_free (struct oci_descriptor *d);

struct oci_image_manifest *oci_image_manifest_parse (const char *json, size_t len, const char *what,
                                                     char **errmsg);
char *oci_image_manifest_to_json (const struct oci_image_manifest *m, bool pretty);
void oci_image_manifest_free (struct oci_image_manifest *m);

struct oci_image_index *oci_image_index_parse (const char *json, size_t len, const char *what, char **errmsg);
char *oci_image_index_to_json (const struct oci_image_index *idx, bool pretty);
void oci_image_index_free (struct oci_image_index *idx);

struct oci_image_config *oci_image_config_parse (const char *json, size_t len, const char *what,
                                                 char **errmsg);
char *oci_image_config_to_json (const struct oci_image_config *c, bool pretty);
void oci_image_config_free (struct oci_image_config *c);

#endif
