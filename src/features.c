/* jitrun features: the runtime-spec features document. */
#define _GNU_SOURCE
#include <config.h>

#include <stdlib.h>

#include "cli.h"
#include "libjitrun/features.h"

static const char usage[] = "USAGE:\n"
                            "   jitrun features\n"
                            "\n"
                            "Print the features this build of jitrun supports (runtime-spec\n"
                            "features document, JSON).\n";

int
jr_cmd_features (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const struct jr_cli_spec spec = { "features", usage, "h", longopts };
  struct oci_features *features;
  char *json;
  int ret;
  int c;

  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    ;
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 0, 0, err) < 0)
    return -1;

  features = jr_features_build ();
  json = oci_features_to_json (features);
  oci_features_free (features);
  if (json == NULL)
    return jr_error (err, 0, "features: cannot serialize the document");
  ret = jr_cli_print (json, err);
  free (json);
  return ret < 0 ? -1 : 0;
}
