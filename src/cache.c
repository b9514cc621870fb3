/* jitrun cache - manage the just-in-time extension cache. */
#define _GNU_SOURCE
#include <config.h>

#include "cli.h"
#include "libjitrun/extcache/extcache.h"
#include "libjitrun/log.h"

int
jr_cache_command (const struct jr_global *g, int argc, char **argv)
{
  cleanup_error jr_error_t err = NULL;
  int ret;

  /* argv[0] is "cache" */
  struct jr_extcache_opts opts = {
    .cache_dir = g->cache_dir,
    .max_size = g->cache_max_size,
    .registry = g->registry,
    .insecure_registries = g->insecure_registries,
  };

  ret = jr_extcache_cli (&opts, argc - 1, argv + 1, &err);
  if (ret < 0)
    {
      jr_log_error_final (err);
      return err && err->exit_code ? err->exit_code : 1;
    }
  return ret;
}
