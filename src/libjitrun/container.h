/* jitrun - container lifecycle: the API the CLI calls. */
#ifndef JITRUN_CONTAINER_H
#define JITRUN_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

/* Global options (before the command). */
struct jr_global
{
  const char *root;       /* state root, default /run/jitrun */
  const char *log;        /* --log FILE */
  const char *log_format; /* text | json */
  bool debug;
  bool systemd_cgroup;
  const char *rootless;            /* true | false | auto */
  const char *cache_dir;           /* --cache-dir (extension cache) */
  const char *cache_max_size;      /* --cache-max-size: kept by a gc after each commit */
  const char *registry;            /* --registry: the cache's registry repository */
  const char *insecure_registries; /* --insecure-registry: hosts reached over plain http */
};

struct jr_create_opts
{
  const char *bundle; /* default "." */
  const char *pid_file;
  const char *console_socket;
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool detach; /* run -d */
  bool keep;   /* run --keep: do not delete after exit */
};

int jr_container_create (const struct jr_global *g, const char *id, const struct jr_create_opts *o,
                         jr_error_t *err);
int jr_container_start (const struct jr_global *g, const char *id, jr_error_t *err);
/* create + start; without detach waits and stores the container's exit
   code (128+N for a signal) in *exit_code, then deletes it. */
int jr_container_run (const struct jr_global *g, const char *id, const struct jr_create_opts *o,
                      int *exit_code, jr_error_t *err);
/* The live state (status computed now). */
int jr_container_state (const struct jr_global *g, const char *id, struct oci_state **out, jr_error_t *err);
int jr_container_list (const struct jr_global *g, struct oci_state ***out, size_t *n, jr_error_t *err);
int jr_container_kill (const struct jr_global *g, const char *id, int signal, bool all, jr_error_t *err);
int jr_container_delete (const struct jr_global *g, const char *id, bool force, jr_error_t *err);

struct jr_exec_opts
{
  const char *process_file; /* --process FILE: an OCI process object */
  /* short form: a process built from the container's own, then: */
  char **args;
  size_t args_len;
  char **env; /* --env K=V, added/overriding */
  size_t env_len;
  const char *cwd;
  const char *user; /* "uid[:gid]" */
  char **additional_gids;
  size_t additional_gids_len;
  char **caps; /* --cap CAP_X added to every set */
  size_t caps_len;
  bool tty;
  bool no_new_privs;
  const char *apparmor;
  const char *process_label;
  /* both forms */
  bool detach;
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
};
int jr_container_exec (const struct jr_global *g, const char *id, const struct jr_exec_opts *o,
                       int *exit_code, jr_error_t *err);

int jr_container_ps (const struct jr_global *g, const char *id, pid_t **pids, size_t *n, jr_error_t *err);
int jr_container_pause (const struct jr_global *g, const char *id, jr_error_t *err);
int jr_container_resume (const struct jr_global *g, const char *id, jr_error_t *err);
int jr_container_update (const struct jr_global *g, const char *id,
                         const struct oci_linux_resources *resources, jr_error_t *err);
/* `events`: with stats, print one stats event and return; else print stats
   every interval_seconds and an {"type":"oom"} line when an OOM kill
   happens, until the container stops. */
int jr_container_events (const struct jr_global *g, const char *id, bool stats, int interval_seconds,
                         jr_error_t *err);

#endif
