/* jitrun run: create + start, then wait for the container (unless -d). */
#define _GNU_SOURCE
#include <config.h>

#include "cli.h"

static const char usage[]
    = "USAGE:\n"
      "   jitrun run [command options] <container-id>\n"
      "\n"
      "Create and start the container; without --detach wait for it, delete it\n"
      "(unless --keep) and exit with its exit code (128+N when killed by signal N).\n"
      "\n"
      "OPTIONS:\n"
      "   --bundle DIR, -b DIR     bundle directory (default: the current directory)\n"
      "   --console-socket PATH    AF_UNIX socket that receives the pty master (process.terminal)\n"
      "   --detach, -d             return once the container is running\n"
      "   --keep                   do not delete the container after it exits\n"
      "   --pid-file PATH          write the init process id to PATH\n"
      "   --no-pivot               use MS_MOVE + chroot instead of pivot_root\n"
      "   --no-new-keyring         keep the caller's session keyring\n"
      "   --no-subreaper           accepted for compatibility (no effect)\n"
      "   --preserve-fds N         pass N additional file descriptors (from 3) to the container\n";

int
jr_cmd_run (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  struct jr_create_opts o;
  const char *id = NULL;
  int exit_code = 0;
  int ret;

  ret = jr_cli_parse_create ("run", usage, true, argc, argv, &o, &id, err);
  if (ret <= 0)
    return ret;
  if (jr_container_run (g, id, &o, &exit_code, err) < 0)
    return -1;
  return o.detach ? 0 : exit_code;
}
