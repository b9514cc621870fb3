/* jitrun spec: write a default config.json into the bundle. */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "libjitrun/spec_default.h"
#include "libjitrun/utils.h"

static const char usage[]
    = "USAGE:\n"
      "   jitrun spec [command options]\n"
      "\n"
      "Write a default config.json (the same as `runc spec`) into the bundle\n"
      "directory.  An existing config.json is not overwritten.\n"
      "\n"
      "OPTIONS:\n"
      "   --bundle DIR, -b DIR  the bundle directory (default: the current directory)\n"
      "   --rootless            a configuration for a rootless container (user namespace\n"
      "                         mapping the caller's uid/gid to root, the host network\n"
      "                         namespace, /sys bind mounted, no cgroup device rules)\n";

int
jr_cmd_spec (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'R' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const struct jr_cli_spec spec = { "spec", usage, "b:h", longopts };
  const char *bundle = ".";
  bool rootless = false;
  cleanup_close int dirfd = -1;
  cleanup_close int fd = -1;
  cleanup_free char *json = NULL;
  struct oci_spec *config;
  int c;

  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    {
      if (c == 'b')
        bundle = optarg;
      else if (c == 'R')
        rootless = true;
    }
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 0, 0, err) < 0)
    return -1;

  dirfd = open (bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return jr_error (err, errno, "open bundle `%s`", bundle);

  config = jr_spec_default (rootless);
  json = oci_spec_to_json (config);
  oci_spec_free (config);
  if (json == NULL)
    return jr_error (err, 0, "spec: cannot serialize the default config");

  /* O_EXCL: never clobber a config the user wrote, as runc refuses too. */
  fd = openat (dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST)
    return jr_error (err, 0, "File config.json exists. Remove it first");
  if (fd < 0)
    return jr_error (err, errno, "create `%s/config.json`", bundle);
  if (jr_write_all (fd, json, strlen (json)) < 0 || jr_write_all (fd, "\n", 1) < 0)
    return jr_error (err, errno, "write `%s/config.json`", bundle);
  if (close (jr_steal_fd (fd)) < 0)
    return jr_error (err, errno, "write `%s/config.json`", bundle);
  return 0;
}
