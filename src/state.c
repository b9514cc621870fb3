/* jitrun state: the runtime-spec state of one container, as JSON. */
#define _GNU_SOURCE
#include <config.h>

#include <stdlib.h>

#include "cli.h"

static const char usage[] = "USAGE:\n"
                            "   jitrun state <container-id>\n"
                            "\n"
                            "Print the container's state (runtime-spec state JSON).\n";

int
jr_cmd_state (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  struct oci_state *state = NULL;
  const char *id = NULL;
  char *json;
  int ret = jr_cli_parse_id ("state", usage, argc, argv, &id, err);

  if (ret <= 0)
    return ret;
  if (jr_container_state (g, id, &state, err) < 0)
    return -1;
  json = oci_state_to_json (state, true);
  oci_state_free (state);
  if (json == NULL)
    return jr_error (err, 0, "state of `%s`: cannot serialize", id);
  ret = jr_cli_print (json, err);
  free (json);
  return ret < 0 ? -1 : 0;
}
