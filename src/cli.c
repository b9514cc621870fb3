/* jitrun - option parsing helpers shared by the commands. */
#define _GNU_SOURCE
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "libjitrun/utils.h"

void
jr_cli_reset (void)
{
  /* optind = 0 makes glibc re-read the optstring flags ('+') and forget
     a half-parsed short option cluster from a previous parse. */
  optind = 0;
  opterr = 0;
}

int
jr_cli_getopt (const struct jr_cli_spec *spec, int argc, char **argv, jr_error_t *err)
{
  char optstring[128];
  const char *os = spec->optstring ? spec->optstring : "";
  bool stop_at_operand = os[0] == '+';
  int c;

  /* A leading ':' makes getopt tell "missing argument" (':') apart from
     "unknown option" ('?'), so the message can say which it was. */
  snprintf (optstring, sizeof (optstring), "%s:%s", stop_at_operand ? "+" : "", os + stop_at_operand);
  opterr = 0;
  c = getopt_long_only (argc, argv, optstring, spec->longopts, NULL);
  switch (c)
    {
    case -1:
      return JR_CLI_END;
    case 'h':
      fputs (spec->usage, stdout);
      fflush (stdout);
      return JR_CLI_HELP;
    case ':':
      jr_error (err, 0, "%s: option `%s` requires an argument", spec->name, argv[optind - 1]);
      return JR_CLI_ERROR;
    case '?':
      if (optopt > 0 && optopt < 128 && isalnum (optopt) && optind > 0 && optind <= argc
          && argv[optind - 1][0] == '-' && argv[optind - 1][1] != '-')
        jr_error (err, 0, "%s: unknown option `-%c`", spec->name, optopt);
      else
        jr_error (err, 0, "%s: unknown option `%s`", spec->name,
                  optind > 0 && optind <= argc ? argv[optind - 1] : "?");
      return JR_CLI_ERROR;
    default:
      return c;
    }
}

int
jr_cli_check_args (const struct jr_cli_spec *spec, int n, int min, int max, jr_error_t *err)
{
  if (min == max && n != min)
    return jr_error (err, 0, "\"%s\" requires exactly %d argument(s)", spec->name, min);
  if (n < min)
    return jr_error (err, 0, "\"%s\" requires a minimum of %d argument(s)", spec->name, min);
  if (max >= 0 && n > max)
    return jr_error (err, 0, "\"%s\" requires a maximum of %d argument(s)", spec->name, max);
  return 0;
}

int
jr_cli_parse_int64 (const char *option, const char *s, int64_t *out, jr_error_t *err)
{
  char *end = NULL;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (*s == '\0' || end == NULL || *end != '\0' || errno == ERANGE)
    return jr_error (err, 0, "invalid value `%s` for option `%s`: expected an integer", s, option);
  *out = v;
  return 0;
}

int
jr_cli_parse_uint64 (const char *option, const char *s, uint64_t *out, jr_error_t *err)
{
  char *end = NULL;
  unsigned long long v;
  const char *p = s;

  while (isspace ((unsigned char)*p))
    p++;
  /* strtoull accepts "-1" and wraps it: refuse the sign explicitly. */
  if (*p == '-')
    return jr_error (err, 0, "invalid value `%s` for option `%s`: expected a non-negative integer", s,
                     option);
  errno = 0;
  v = strtoull (s, &end, 10);
  if (*s == '\0' || end == NULL || *end != '\0' || errno == ERANGE)
    return jr_error (err, 0, "invalid value `%s` for option `%s`: expected a non-negative integer", s,
                     option);
  *out = v;
  return 0;
}

int
jr_cli_parse_int (const char *option, const char *s, int min, int max, int *out, jr_error_t *err)
{
  int64_t v;

  if (jr_cli_parse_int64 (option, s, &v, err) < 0)
    return -1;
  if (v < min || v > max)
    return jr_error (err, 0, "invalid value `%s` for option `%s`: must be between %d and %d", s, option, min,
                     max);
  *out = (int)v;
  return 0;
}

int
jr_cli_parse_bool (const char *option, const char *s, bool *out, jr_error_t *err)
{
  if (s == NULL || strcasecmp (s, "true") == 0 || strcmp (s, "1") == 0 || strcasecmp (s, "yes") == 0)
    *out = true;
  else if (strcasecmp (s, "false") == 0 || strcmp (s, "0") == 0 || strcasecmp (s, "no") == 0)
    *out = false;
  else
    return jr_error (err, 0, "invalid value `%s` for option `%s`: expected true or false", s, option);
  return 0;
}

void
jr_cli_strv_push (char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = xstrdup (s);
  (*v)[*n] = NULL;
}

int
jr_cli_print (const char *s, jr_error_t *err)
{
  if (fputs (s, stdout) == EOF || putchar ('\n') == EOF || fflush (stdout) == EOF)
    return jr_error (err, errno, "write to stdout");
  return 0;
}

enum
{
  OPT_CONSOLE_SOCKET = 256,
  OPT_PID_FILE,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_PRESERVE_FDS,
  OPT_KEEP,
  OPT_NO_SUBREAPER,
};

int
jr_cli_parse_create (const char *name, const char *usage, bool run, int argc, char **argv,
                     struct jr_create_opts *o, const char **id, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
    { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    /* containerd's go-runc passes --detach to create too: accepted, and
       create always returns once the container is created anyway. */
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const struct jr_cli_spec spec = { name, usage, "b:dh", longopts };
  int c;

  memset (o, 0, sizeof (*o));
  o->bundle = ".";
  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    {
      switch (c)
        {
        case 'b':
          o->bundle = optarg;
          break;
        case OPT_CONSOLE_SOCKET:
          o->console_socket = optarg;
          break;
        case OPT_PID_FILE:
          o->pid_file = optarg;
          break;
        case OPT_NO_PIVOT:
          o->no_pivot = true;
          break;
        case OPT_NO_NEW_KEYRING:
          o->no_new_keyring = true;
          break;
        case OPT_PRESERVE_FDS:
          if (jr_cli_parse_int ("--preserve-fds", optarg, 0, 1 << 20, &o->preserve_fds, err) < 0)
            return -1;
          break;
        case 'd':
          o->detach = run;
          break;
        case OPT_KEEP:
          if (!run)
            return jr_error (err, 0, "%s: unknown option `--keep`", name);
          o->keep = true;
          break;
        case OPT_NO_SUBREAPER:
          /* jitrun does not use a subreaper: nothing to disable. */
          break;
        default:
          return jr_error (err, 0, "%s: unhandled option", name);
        }
    }
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 1, 1, err) < 0)
    return -1;
  *id = argv[optind];
  return 1;
}

int
jr_cli_parse_id (const char *name, const char *usage, int argc, char **argv, const char **id, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const struct jr_cli_spec spec = { name, usage, "h", longopts };
  int c;

  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    ;
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 1, 1, err) < 0)
    return -1;
  *id = argv[optind];
  return 1;
}
