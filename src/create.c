/* jitrun create: set the container up and stop before the user process. */
#define _GNU_SOURCE
#include <config.h>

#include "cli.h"

static const char usage[]
    = "USAGE:\n"
      "   jitrun create [command options] <container-id>\n"
      "\n"
      "Create the container described by the bundle's config.json; it waits in\n"
      "the `created` state until `jitrun start`.\n"
      "\n"
      "OPTIONS:\n"
      "   --bundle DIR, -b DIR     bundle directory (default: the current directory)\n"
      "   --console-socket PATH    AF_UNIX socket that receives the pty master (process.terminal)\n"
      "   --pid-file PATH          write the init process id to PATH\n"
      "   --no-pivot               use MS_MOVE + chroot instead of pivot_root\n"
      "   --no-new-keyring         keep the caller's session keyring\n"
      "   --preserve-fds N         pass N additional file descriptors (from 3) to the container\n";

int
jr_cmd_create (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  struct jr_create_opts o;
  const char *id = NULL;
  int ret;

  ret = jr_cli_parse_create ("create", usage, false, argc, argv, &o, &id, err);
  if (ret <= 0)
    return ret;
  if (jr_container_create (g, id, &o, err) < 0)
    return -1;
  return 0;
}
