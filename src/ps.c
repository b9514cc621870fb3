/* jitrun ps: the processes of a container, as JSON pids or `ps` rows. */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "libjitrun/utils.h"

static const char usage[] = "USAGE:\n"
                            "   jitrun ps [command options] <container-id> [ps options]\n"
                            "\n"
                            "Show the container's processes: with --format table, run ps(1) with the\n"
                            "given options (default -ef) and keep the header and the container's rows;\n"
                            "with --format json, print a JSON array of host pids.\n"
                            "\n"
                            "OPTIONS:\n"
                            "   --format FMT, -f FMT  table (default) or json\n";

/* Run ps with args and return its whole stdout. */
static int
run_ps (char **ps_args, size_t n_args, char **out, jr_error_t *err)
{
  cleanup_free char **argv = xmalloc0 ((n_args + 3) * sizeof (char *));
  int fds[2];
  size_t len = 0, cap = 8192;
  char *buf;
  pid_t pid;
  ssize_t r;
  int status;
  size_t i;

  argv[0] = (char *)"ps";
  if (n_args == 0)
    argv[1] = (char *)"-ef";
  for (i = 0; i < n_args; i++)
    argv[i + 1] = ps_args[i];

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return jr_error (err, errno, "ps: pipe");
  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return jr_error (err, errno, "ps: fork");
    }
  if (pid == 0)
    {
      if (dup2 (fds[1], STDOUT_FILENO) < 0)
        _exit (127);
      execvp ("ps", argv);
      fprintf (stderr, "jitrun: exec `ps`: %s\n", strerror (errno));
      _exit (127);
    }
  close (fds[1]);
  buf = xmalloc (cap);
  for (;;)
    {
      if (cap - len < 2)
        buf = xrealloc (buf, cap *= 2);
      r = read (fds[0], buf + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += r;
    }
  buf[len] = '\0';
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        free (buf);
        return jr_error (err, errno, "ps: wait");
      }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      free (buf);
      return jr_error (err, 0, "ps: `ps` exited with %d", jr_wait_status_to_exit_code (status));
    }
  *out = buf;
  return 0;
}

static bool
pid_in (pid_t p, const pid_t *pids, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (pids[i] == p)
      return true;
  return false;
}

/* Which whitespace-separated field of the header is "PID". */
static int
pid_column (const char *header)
{
  cleanup_free char *copy = xstrdup (header);
  char *save = NULL, *tok;
  int i = 0;

  for (tok = strtok_r (copy, " \t", &save); tok; tok = strtok_r (NULL, " \t", &save), i++)
    if (strcmp (tok, "PID") == 0)
      return i;
  return -1;
}

static int
field_pid (const char *line, int column, pid_t *pid)
{
  cleanup_free char *copy = xstrdup (line);
  char *save = NULL, *tok, *end;
  int i = 0;
  long v;

  for (tok = strtok_r (copy, " \t", &save); tok; tok = strtok_r (NULL, " \t", &save), i++)
    if (i == column)
      {
        v = strtol (tok, &end, 10);
        if (*end != '\0' || v <= 0)
          return -1;
        *pid = (pid_t)v;
        return 0;
      }
  return -1;
}

static int
print_table (const pid_t *pids, size_t n, char **ps_args, size_t n_args, jr_error_t *err)
{
  cleanup_free char *out = NULL;
  char *line, *next;
  int column;

  if (run_ps (ps_args, n_args, &out, err) < 0)
    return -1;
  next = strchr (out, '\n');
  if (next)
    *next++ = '\0';
  column = pid_column (out);
  if (column < 0)
    return jr_error (err, 0, "ps: no PID column in the output of `ps`");
  printf ("%s\n", out);
  for (line = next; line && *line; line = next)
    {
      pid_t p;

      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      if (field_pid (line, column, &p) == 0 && pid_in (p, pids, n))
        printf ("%s\n", line);
    }
  if (fflush (stdout) != 0)
    return jr_error (err, errno, "write to stdout");
  return 0;
}

int
jr_cmd_ps (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  /* '+': everything after the id is for ps(1) ("jitrun ps ID -o pid,comm"). */
  const struct jr_cli_spec spec = { "ps", usage, "+f:h", longopts };
  const char *format = "table";
  cleanup_free pid_t *pids = NULL;
  size_t n = 0, i;
  int ret;
  int c;

  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    if (c == 'f')
      format = optarg;
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 1, -1, err) < 0)
    return -1;
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return jr_error (err, 0, "invalid format option `%s`: expected table or json", format);

  if (jr_container_ps (g, argv[optind], &pids, &n, err) < 0)
    return -1;

  if (strcmp (format, "json") == 0)
    {
      cleanup_free int *ints = xmalloc0 ((n + 1) * sizeof (int));
      cleanup_free char *json = NULL;

      if (argc - optind > 1)
        return jr_error (err, 0, "ps: options for ps(1) are not allowed with --format json");
      for (i = 0; i < n; i++)
        ints[i] = pids[i];
      json = oci_json_int_array (ints, n);
      if (json == NULL)
        return jr_error (err, 0, "ps: cannot serialize the pids");
      ret = jr_cli_print (json, err);
      return ret < 0 ? -1 : 0;
    }
  return print_table (pids, n, argv + optind + 1, argc - optind - 1, err);
}
