/* jitrun - entry point: global options (as runc's) and command dispatch. */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "libjitrun/exe_guard.h"
#include "libjitrun/extcache/extcache.h"
#include "libjitrun/log.h"
#include "libjitrun/state.h"

static int cmd_help (const struct jr_global *g, int argc, char **argv, jr_error_t *err);

struct command
{
  const char *name;
  jr_cmd_fn fn;
  const char *summary;
};

static const struct command commands[] = {
  { "checkpoint", jr_cmd_checkpoint, "checkpoint a running container (not supported)" },
  { "create", jr_cmd_create, "create a container" },
  { "delete", jr_cmd_delete, "delete any resources held by the container" },
  { "events", jr_cmd_events, "display container events: OOM notifications and resource statistics" },
  { "exec", jr_cmd_exec, "execute a new process inside the container" },
  { "kill", jr_cmd_kill, "send a signal (default: SIGTERM) to the container's init process" },
  { "list", jr_cmd_list, "list the containers in the state root" },
  { "pause", jr_cmd_pause, "suspend all processes inside the container" },
  { "ps", jr_cmd_ps, "display the processes running inside a container" },
  { "restore", jr_cmd_restore, "restore a container from a checkpoint (not supported)" },
  { "resume", jr_cmd_resume, "resume all processes that have been paused" },
  { "run", jr_cmd_run, "create and run a container" },
  { "spec", jr_cmd_spec, "create a new default config.json" },
  { "start", jr_cmd_start, "run the user process of a created container" },
  { "state", jr_cmd_state, "output the state of a container" },
  { "update", jr_cmd_update, "update container resource constraints" },
  { "features", jr_cmd_features, "show the enabled features" },
  { "cache", NULL, "manage the extension cache (list, inspect, rm, gc, verify)" },
  { "help", cmd_help, "show a list of commands or help for one command" },
};

static void
print_usage (FILE *out)
{
  size_t i;

  fputs ("NAME:\n"
         "   jitrun - OCI container runtime with a just-in-time extension cache\n"
         "\n"
         "USAGE:\n"
         "   jitrun [global options] command [command options] [arguments...]\n"
         "\n"
         "VERSION:\n"
         "   " PACKAGE_VERSION "\n"
         "\n"
         "COMMANDS:\n",
         out);
  for (i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    fprintf (out, "   %-11s %s\n", commands[i].name, commands[i].summary);
  fputs ("\n"
         "GLOBAL OPTIONS:\n"
         "   --debug             enable debug logging\n"
         "   --log FILE          write jitrun's logs to FILE (default: stderr)\n"
         "   --log-format FMT    log format: text (default) or json\n"
         "   --root DIR          directory for container state (default: \"" JR_DEFAULT_STATE_ROOT "\")\n"
         "   --systemd-cgroup    cgroupsPath is \"slice:prefix:name\" (systemd style)\n"
         "   --rootless VALUE    ignore cgroup permission errors: true, false or auto (default: auto)\n"
         "   --cache-dir DIR     extension cache directory (default: $JITRUN_CACHE_DIR or\n"
         "                       \"" JR_EXTCACHE_DEFAULT_DIR "\")\n"
         "   --cache-max-size SIZE  after each commit, a background `cache gc --max-size SIZE`\n"
         "                       (default: $JITRUN_CACHE_MAX_SIZE; none: the cache only grows)\n"
         "   --registry REPO     registry repository sharing the extension cache\n"
         "                       (default: $JITRUN_REGISTRY; annotation run.jitrun.registry wins)\n"
         "   --insecure-registry HOSTS  registries (host[:port], comma separated) reached over http\n"
         "   --criu PATH         accepted for compatibility, unused\n"
         "   --help, -h          show help\n"
         "   --version, -v       print the version\n",
         out);
}

static const struct command *
find_command (const char *name)
{
  size_t i;

  for (i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  /* urfave/cli's alias of help */
  if (strcmp (name, "h") == 0)
    return find_command ("help");
  return NULL;
}

static int
cmd_help (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  const struct command *cmd;
  char *help_argv[] = { NULL, (char *)"--help", NULL };

  if (argc < 2)
    {
      print_usage (stdout);
      return 0;
    }
  cmd = find_command (argv[1]);
  if (cmd == NULL)
    return jr_error (err, 0, "no help topic for `%s`", argv[1]);
  if (cmd->fn == cmd_help)
    {
      print_usage (stdout);
      return 0;
    }
  help_argv[0] = argv[1];
  jr_cli_reset ();
  if (cmd->fn == NULL)
    return jr_cache_command (g, 2, help_argv);
  return cmd->fn (g, 2, help_argv, err);
}

enum
{
  OPT_ROOT = 256,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_ROOTLESS,
  OPT_CACHE_DIR,
  OPT_CACHE_MAX_SIZE,
  OPT_REGISTRY,
  OPT_INSECURE_REGISTRY,
  OPT_CRIU,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  /* booleans take an optional "=true|false", as urfave/cli allows */
  { "debug", optional_argument, NULL, OPT_DEBUG },
  { "systemd-cgroup", optional_argument, NULL, OPT_SYSTEMD_CGROUP },
  { "rootless", required_argument, NULL, OPT_ROOTLESS },
  { "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
  { "cache-max-size", required_argument, NULL, OPT_CACHE_MAX_SIZE },
  { "registry", required_argument, NULL, OPT_REGISTRY },
  { "insecure-registry", required_argument, NULL, OPT_INSECURE_REGISTRY },
  { "criu", required_argument, NULL, OPT_CRIU },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
parse_global (int argc, char **argv, struct jr_global *g, bool *done, jr_error_t *err)
{
  int c;

  jr_cli_reset ();
  /* '+': stop at the command name; what follows belongs to the command. */
  while ((c = getopt_long_only (argc, argv, "+:vh", global_options, NULL)) != -1)
    {
      switch (c)
        {
        case OPT_ROOT:
          g->root = optarg;
          break;
        case OPT_LOG:
          g->log = optarg;
          break;
        case OPT_LOG_FORMAT:
          if (strcmp (optarg, "text") != 0 && strcmp (optarg, "json") != 0)
            return jr_error (err, 0, "invalid --log-format `%s`: expected text or json", optarg);
          g->log_format = optarg;
          break;
        case OPT_DEBUG:
          if (jr_cli_parse_bool ("--debug", optarg, &g->debug, err) < 0)
            return -1;
          break;
        case OPT_SYSTEMD_CGROUP:
          if (jr_cli_parse_bool ("--systemd-cgroup", optarg, &g->systemd_cgroup, err) < 0)
            return -1;
          break;
        case OPT_ROOTLESS:
          if (strcmp (optarg, "true") != 0 && strcmp (optarg, "false") != 0 && strcmp (optarg, "auto") != 0)
            return jr_error (err, 0, "invalid --rootless `%s`: expected true, false or auto", optarg);
          g->rootless = optarg;
          break;
        case OPT_CACHE_DIR:
          g->cache_dir = optarg;
          break;
        case OPT_CACHE_MAX_SIZE:
          g->cache_max_size = optarg;
          break;
        case OPT_REGISTRY:
          g->registry = optarg;
          break;
        case OPT_INSECURE_REGISTRY:
          g->insecure_registries = optarg;
          break;
        case OPT_CRIU:
          break;
        case 'v':
          printf ("jitrun version %s\ncommit: %s\nspec: %s\n", PACKAGE_VERSION, GIT_COMMIT,
                  OCI_RUNTIME_SPEC_VERSION);
          *done = true;
          return 0;
        case 'h':
          print_usage (stdout);
          *done = true;
          return 0;
        case ':':
          return jr_error (err, 0, "option `%s` requires an argument", argv[optind - 1]);
        default:
          return jr_error (err, 0, "unknown global option `%s`",
                           optind > 0 && optind <= argc ? argv[optind - 1] : "?");
        }
    }
  return 0;
}

int
main (int argc, char **argv)
{
  struct jr_global g = {
    .root = JR_DEFAULT_STATE_ROOT,
    .log_format = "text",
    .rootless = "auto",
  };
  jr_error_t err = NULL;
  const struct command *cmd;
  bool done = false;
  int ret;

  if (parse_global (argc, argv, &g, &done, &err) < 0)
    goto fail;
  if (done)
    return fflush (stdout) == 0 ? 0 : 1;

  if (jr_log_init (g.log, g.log_format, g.debug, &err) < 0)
    goto fail;

  if (optind >= argc)
    {
      print_usage (stderr);
      jr_error (&err, 0, "no command given");
      goto fail;
    }
  cmd = find_command (argv[optind]);
  if (cmd == NULL)
    {
      jr_error (&err, 0, "unknown command `%s` (see `jitrun --help`)", argv[optind]);
      goto fail;
    }

  /* Commands that share a container's namespaces run from a binary the
     container cannot write (CVE-2019-5736). */
  if ((cmd->fn == jr_cmd_create || cmd->fn == jr_cmd_run || cmd->fn == jr_cmd_exec)
      && jr_exe_guard (argv, &err) < 0)
    goto fail;

  argc -= optind;
  argv += optind;
  jr_cli_reset ();
  if (cmd->fn == NULL)
    return jr_cache_command (&g, argc, argv);
  ret = cmd->fn (&g, argc, argv, &err);
  if (ret < 0)
    goto fail;
  if (fflush (stdout) != 0)
    {
      jr_error (&err, errno, "write to stdout");
      goto fail;
    }
  return ret;

fail:
  {
    int code = err != NULL && err->exit_code != 0 ? err->exit_code : 1;
    jr_log_error_final (err);
    jr_error_free (&err);
    return code;
  }
}
