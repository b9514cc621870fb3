/* jitrun pause / resume: freeze and thaw every process of the container. */
#define _GNU_SOURCE
#include <config.h>

#include "cli.h"

static const char pause_usage[] = "USAGE:\n"
                                  "   jitrun pause <container-id>\n"
                                  "\n"
                                  "Suspend all processes of the container (freezer cgroup).\n";

static const char resume_usage[] = "USAGE:\n"
                                   "   jitrun resume <container-id>\n"
                                   "\n"
                                   "Resume all processes of a paused container.\n";

int
jr_cmd_pause (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  const char *id = NULL;
  int ret = jr_cli_parse_id ("pause", pause_usage, argc, argv, &id, err);

  if (ret <= 0)
    return ret;
  return jr_container_pause (g, id, err) < 0 ? -1 : 0;
}

int
jr_cmd_resume (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  const char *id = NULL;
  int ret = jr_cli_parse_id ("resume", resume_usage, argc, argv, &id, err);

  if (ret <= 0)
    return ret;
  return jr_container_resume (g, id, err) < 0 ? -1 : 0;
}
