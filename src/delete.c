/* jitrun delete: remove a stopped (or, with --force, any) container. */
#define _GNU_SOURCE
#include <config.h>

#include "cli.h"

static const char usage[] = "USAGE:\n"
                            "   jitrun delete [command options] <container-id>\n"
                            "\n"
                            "Delete the resources held by the container (state, cgroup, extension\n"
                            "cache mounts).  Poststop hooks run here.\n"
                            "\n"
                            "OPTIONS:\n"
                            "   --force, -f  kill a running container with SIGKILL first; a missing\n"
                            "                container is not an error\n";

int
jr_cmd_delete (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const struct jr_cli_spec spec = { "delete", usage, "fh", longopts };
  bool force = false;
  int c;

  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    if (c == 'f')
      force = true;
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 1, 1, err) < 0)
    return -1;
  return jr_container_delete (g, argv[optind], force, err) < 0 ? -1 : 0;
}
