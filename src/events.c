/* jitrun events: stats and OOM notifications, one JSON object per line. */
#define _GNU_SOURCE
#include <config.h>

#include <limits.h>

#include "cli.h"
#include "libjitrun/utils.h"

static const char usage[]
    = "USAGE:\n"
      "   jitrun events [command options] <container-id>\n"
      "\n"
      "Print container events as JSON lines: {\"type\":\"stats\",\"id\":...,\"data\":{...}}\n"
      "every interval, and {\"type\":\"oom\",...} when the OOM killer strikes, until the\n"
      "container stops.\n"
      "\n"
      "OPTIONS:\n"
      "   --interval DURATION  stats collection interval (default: 5s)\n"
      "   --stats              print the container's stats once, then exit\n";

enum
{
  OPT_INTERVAL = 256,
  OPT_STATS,
};

int
jr_cmd_events (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "interval", required_argument, NULL, OPT_INTERVAL },
    { "stats", no_argument, NULL, OPT_STATS },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const struct jr_cli_spec spec = { "events", usage, "h", longopts };
  int64_t interval = 5;
  bool stats = false;
  int c;

  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    {
      if (c == OPT_STATS)
        stats = true;
      else if (c == OPT_INTERVAL)
        {
          if (jr_parse_duration (optarg, &interval, err) < 0)
            return jr_error_wrap (err, "events: --interval");
          if (interval <= 0 || interval > INT_MAX)
            return jr_error (err, 0, "events: --interval `%s`: must be at least 1s", optarg);
        }
    }
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 1, 1, err) < 0)
    return -1;
  return jr_container_events (g, argv[optind], stats, (int)interval, err) < 0 ? -1 : 0;
}
