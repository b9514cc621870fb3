/* jitrun - operations on an existing container: ps, pause/resume, update,
   events.  They all go through the container's cgroup. */
#define _GNU_SOURCE
#include <config.h>
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "container_internal.h"
#include "state.h"
#include "utils.h"

/* ---- ps / pause / resume / update / events ------------------------------ */

static int
open_cgroup (const struct jr_global *g, const char *id, bool need_running, struct jr_cgroup **cg,
             jr_error_t *err)
{
  cleanup_close int rootfd = -1;
  struct jr_state *st = NULL;
  int ret;

  if (jr_container_load (g, id, &rootfd, &st, err) < 0)
    return -1;
  if (need_running && !jr_state_init_alive (st))
    ret = jr_error (err, 0, "container `%s` is not running", id);
  else if (st->cgroup_path == NULL)
    ret = jr_error (err, 0, "container `%s` has no cgroup", id);
  else
    ret = jr_cgroup_open (st->cgroup_path, cg, err);
  jr_state_free (st);
  return ret;
}

int
jr_container_ps (const struct jr_global *g, const char *id, pid_t **pids, size_t *n, jr_error_t *err)
{
  struct jr_cgroup *cg = NULL;
  int ret;

  *pids = NULL;
  *n = 0;
  if (open_cgroup (g, id, false, &cg, err) < 0)
    return -1;
  ret = jr_cgroup_pids (cg, pids, n, err);
  jr_cgroup_free (cg);
  return ret;
}

static int
set_frozen (const struct jr_global *g, const char *id, bool frozen, jr_error_t *err)
{
  struct jr_cgroup *cg = NULL;
  int ret;

  if (open_cgroup (g, id, true, &cg, err) < 0)
    return -1;
  ret = jr_cgroup_is_frozen (cg, err);
  if (ret >= 0 && (ret > 0) == frozen)
    ret = jr_error (err, 0, "container `%s` is %s", id, frozen ? "already paused" : "not paused");
  else if (ret >= 0)
    ret = jr_cgroup_freeze (cg, frozen, err);
  jr_cgroup_free (cg);
  return ret;
}

int
jr_container_pause (const struct jr_global *g, const char *id, jr_error_t *err)
{
  return set_frozen (g, id, true, err);
}

int
jr_container_resume (const struct jr_global *g, const char *id, jr_error_t *err)
{
  return set_frozen (g, id, false, err);
}

int
jr_container_update (const struct jr_global *g, const char *id, const struct oci_linux_resources *resources,
                     jr_error_t *err)
{
  struct jr_cgroup *cg = NULL;
  int ret;

  if (open_cgroup (g, id, true, &cg, err) < 0)
    return -1;
  ret = jr_cgroup_update (cg, resources, err);
  jr_cgroup_free (cg);
  return ret;
}

static int
print_event (const char *type, const char *id, const char *data_json)
{
  struct oci_jvalue *o = oci_jobject_new ();
  cleanup_free char *json = NULL;
  cleanup_free char *errmsg = NULL;

  oci_jobject_set_str (o, "type", type);
  oci_jobject_set_str (o, "id", id);
  if (data_json)
    {
      struct oci_jvalue *data = oci_jvalue_parse (data_json, strlen (data_json), &errmsg);
      if (data)
        oci_jobject_set (o, "data", data);
    }
  json = oci_jvalue_to_json (o, false);
  oci_jvalue_free (o);
  if (json == NULL)
    return -1;
  printf ("%s\n", json);
  fflush (stdout);
  return 0;
}

int
jr_container_events (const struct jr_global *g, const char *id, bool stats, int interval_seconds,
                     jr_error_t *err)
{
  struct jr_cgroup *cg = NULL;
  uint64_t oom_before = 0, oom_now = 0;
  int ret = 0;

  if (open_cgroup (g, id, true, &cg, err) < 0)
    return -1;
  if (interval_seconds <= 0)
    interval_seconds = 5;
  jr_cgroup_oom_count (cg, &oom_before, NULL);
  for (;;)
    {
      cleanup_free char *data = NULL;
      cleanup_close int rootfd = -1;
      struct jr_state *st = NULL;

      if (jr_cgroup_stats_json (cg, &data, err) < 0)
        {
          ret = -1;
          break;
        }
      print_event ("stats", id, data);
      if (stats)
        break;
      for (int i = 0; i < interval_seconds * 10; i++)
        {
          if (jr_cgroup_oom_count (cg, &oom_now, NULL) == 0 && oom_now > oom_before)
            {
              print_event ("oom", id, NULL);
              oom_before = oom_now;
            }
          usleep (100000);
        }
      if (jr_container_load (g, id, &rootfd, &st, NULL) < 0)
        break;
      if (!jr_state_init_alive (st))
        {
          jr_state_free (st);
          break;
        }
      jr_state_free (st);
    }
  jr_cgroup_free (cg);
  return ret;
}
