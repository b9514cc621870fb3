/* jitrun start: run the user process of a created container. */
#define _GNU_SOURCE
#include <config.h>

#include "cli.h"

static const char usage[] = "USAGE:\n"
                            "   jitrun start <container-id>\n"
                            "\n"
                            "Run the user-defined process of a container in the `created` state.\n";

int
jr_cmd_start (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  const char *id = NULL;
  int ret = jr_cli_parse_id ("start", usage, argc, argv, &id, err);

  if (ret <= 0)
    return ret;
  return jr_container_start (g, id, err) < 0 ? -1 : 0;
}
