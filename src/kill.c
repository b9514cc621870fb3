/* jitrun kill: send a signal to the init process (or every process). */
#define _GNU_SOURCE
#include <config.h>

#include <signal.h>

#include "cli.h"
#include "libjitrun/signals.h"

static const char usage[] = "USAGE:\n"
                            "   jitrun kill [command options] <container-id> [signal]\n"
                            "\n"
                            "Send SIGNAL (a number, `KILL` or `SIGKILL`; default SIGTERM) to the\n"
                            "container's init process.\n"
                            "\n"
                            "OPTIONS:\n"
                            "   --all, -a  send the signal to all processes inside the container\n";

int
jr_cmd_kill (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "all", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const struct jr_cli_spec spec = { "kill", usage, "ah", longopts };
  bool all = false;
  int signal = SIGTERM;
  int c;

  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    if (c == 'a')
      all = true;
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 1, 2, err) < 0)
    return -1;
  if (argc - optind == 2 && jr_signal_parse (argv[optind + 1], &signal, err) < 0)
    return -1;
  return jr_container_kill (g, argv[optind], signal, all, err) < 0 ? -1 : 0;
}
