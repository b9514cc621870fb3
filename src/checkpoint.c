/* jitrun checkpoint / restore: CRIU is not supported; the commands exist
   so callers get a clear message instead of "unknown command". */
#define _GNU_SOURCE
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "cli.h"

static int
not_supported (const char *name, int argc, char **argv, jr_error_t *err)
{
  int i;

  for (i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "-help") == 0)
        {
          printf ("USAGE:\n   jitrun %s [options] <container-id>\n\n"
                  "Not supported: jitrun has no CRIU integration; always fails.\n",
                  name);
          return 0;
        }
    }
  return jr_error (err, 0, "%s is not supported by jitrun", name);
}

int
jr_cmd_checkpoint (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  return not_supported ("checkpoint", argc, argv, err);
}

int
jr_cmd_restore (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  return not_supported ("restore", argc, argv, err);
}
