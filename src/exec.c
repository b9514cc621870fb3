/* jitrun exec: run another process in a running container. */
#define _GNU_SOURCE
#include <config.h>

#include <string.h>

#include "cli.h"
#include "libjitrun/utils.h"

static const char usage[]
    = "USAGE:\n"
      "   jitrun exec [command options] <container-id> <command> [args...]\n"
      "   jitrun exec [command options] --process process.json <container-id>\n"
      "\n"
      "Run a new process inside the container and exit with its exit code.\n"
      "Options come before the container id: what follows it is the command.\n"
      "\n"
      "OPTIONS:\n"
      "   --process FILE, -p FILE      an OCI process JSON object (other process options ignored)\n"
      "   --console-socket PATH        AF_UNIX socket that receives the pty master\n"
      "   --cwd DIR                    working directory in the container\n"
      "   --env K=V, -e K=V            set an environment variable (repeatable)\n"
      "   --tty, -t                    allocate a pseudo-terminal\n"
      "   --user UID[:GID], -u ...     user (and group) to run as\n"
      "   --additional-gids GID, -g    additional group (repeatable)\n"
      "   --cap CAP, -c CAP            add a capability (repeatable)\n"
      "   --no-new-privs               set no_new_privs for the process\n"
      "   --apparmor PROFILE           AppArmor profile for the process\n"
      "   --process-label LABEL        SELinux label for the process\n"
      "   --detach, -d                 do not wait for the process\n"
      "   --pid-file PATH              write the process id to PATH\n"
      "   --preserve-fds N             pass N additional file descriptors (from 3)\n"
      "   --ignore-paused              accepted for compatibility\n";

enum
{
  OPT_CONSOLE_SOCKET = 256,
  OPT_CWD,
  OPT_PID_FILE,
  OPT_PROCESS_LABEL,
  OPT_APPARMOR,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
  OPT_CGROUP,
  OPT_IGNORE_PAUSED,
};

static void
free_opts (struct jr_exec_opts *o)
{
  jr_strv_free (o->env);
  jr_strv_free (o->caps);
  jr_strv_free (o->additional_gids);
}

static int
parse (int argc, char **argv, struct jr_exec_opts *o, const char **id, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "cwd", required_argument, NULL, OPT_CWD },
    { "env", required_argument, NULL, 'e' },
    { "tty", no_argument, NULL, 't' },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, 'g' },
    { "process", required_argument, NULL, 'p' },
    { "detach", no_argument, NULL, 'd' },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
    { "apparmor", required_argument, NULL, OPT_APPARMOR },
    { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
    { "cap", required_argument, NULL, 'c' },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    { "cgroup", required_argument, NULL, OPT_CGROUP },
    { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  /* '+': stop at the container id; the command's own options follow it. */
  const struct jr_cli_spec spec = { "exec", usage, "+e:tu:g:p:dc:h", longopts };
  int64_t gid;
  int c;

  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    {
      switch (c)
        {
        case OPT_CONSOLE_SOCKET:
          o->console_socket = optarg;
          break;
        case OPT_CWD:
          o->cwd = optarg;
          break;
        case 'e':
          if (strchr (optarg, '=') == NULL)
            return jr_error (err, 0, "exec: --env `%s`: expected KEY=VALUE", optarg);
          jr_cli_strv_push (&o->env, &o->env_len, optarg);
          break;
        case 't':
          o->tty = true;
          break;
        case 'u':
          o->user = optarg;
          break;
        case 'g':
          if (jr_cli_parse_int64 ("--additional-gids", optarg, &gid, err) < 0)
            return -1;
          if (gid < 0 || gid > UINT32_MAX)
            return jr_error (err, 0, "exec: --additional-gids `%s`: not a valid gid", optarg);
          jr_cli_strv_push (&o->additional_gids, &o->additional_gids_len, optarg);
          break;
        case 'p':
          o->process_file = optarg;
          break;
        case 'd':
          o->detach = true;
          break;
        case OPT_PID_FILE:
          o->pid_file = optarg;
          break;
        case OPT_PROCESS_LABEL:
          o->process_label = optarg;
          break;
        case OPT_APPARMOR:
          o->apparmor = optarg;
          break;
        case OPT_NO_NEW_PRIVS:
          o->no_new_privs = true;
          break;
        case 'c':
          jr_cli_strv_push (&o->caps, &o->caps_len, optarg);
          break;
        case OPT_PRESERVE_FDS:
          if (jr_cli_parse_int ("--preserve-fds", optarg, 0, 1 << 20, &o->preserve_fds, err) < 0)
            return -1;
          break;
        case OPT_CGROUP:
          return jr_error (err, 0, "exec: --cgroup is not supported by jitrun");
        case OPT_IGNORE_PAUSED:
          break;
        default:
          return jr_error (err, 0, "exec: unhandled option");
        }
    }
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 1, -1, err) < 0)
    return -1;
  *id = argv[optind++];
  /* "exec ID -- cmd" is a common habit from other tools. */
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;
  o->args = argv + optind;
  o->args_len = argc - optind;
  if (o->process_file == NULL && o->args_len == 0)
    return jr_error (err, 0, "exec args cannot be empty");
  return 1;
}

int
jr_cmd_exec (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  struct jr_exec_opts o = { 0 };
  const char *id = NULL;
  int exit_code = 0;
  int ret;

  ret = parse (argc, argv, &o, &id, err);
  if (ret > 0)
    ret = jr_container_exec (g, id, &o, &exit_code, err) < 0 ? -1 : o.detach ? 0 : exit_code;
  free_opts (&o);
  return ret;
}
