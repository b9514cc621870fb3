/* jitrun - the command line: shared option parsing and the command entry points. */
#ifndef JITRUN_CLI_H
#define JITRUN_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "libjitrun/container.h"
#include "libjitrun/error.h"

/* Every command is `int jr_cmd_<name> (g, argc, argv, err)`: argv[0] is the
   command name, the rest its own arguments (global options already
   consumed).  It returns the process exit code (>= 0), or <0 with *err
   set, in which case main prints "jitrun: <msg>" and exits 1 (or
   err->exit_code). */
typedef int (*jr_cmd_fn) (const struct jr_global *g, int argc, char **argv, jr_error_t *err);

int jr_cmd_create (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_start (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_run (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_state (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_list (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_kill (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_delete (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_exec (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_ps (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_pause (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_resume (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_update (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_events (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_features (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_spec (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_checkpoint (const struct jr_global *g, int argc, char **argv, jr_error_t *err);
int jr_cmd_restore (const struct jr_global *g, int argc, char **argv, jr_error_t *err);

/* `jitrun cache list|inspect|rm|gc|verify` (src/cache.c).  argv[0] is
   "cache".  Returns the process exit code; it reports its own errors
   (jr_log_error_final) before returning non-zero. */
int jr_cache_command (const struct jr_global *g, int argc, char **argv);

/* ---- option parsing ------------------------------------------------------
   Commands parse with getopt_long_only, so "--flag value", "--flag=value"
   and urfave/cli's single-dash "-flag value" all work, as with runc. */
struct jr_cli_spec
{
  const char *name;      /* command name, for messages */
  const char *usage;     /* full help text printed by --help */
  const char *optstring; /* a leading '+' stops at the first operand */
  const struct option *longopts;
};

#define JR_CLI_END   -1 /* no more options: operands start at optind */
#define JR_CLI_ERROR -2 /* *err is set */
#define JR_CLI_HELP  -3 /* --help was given and printed: exit 0 */

/* Next option of argv (getopt state is reset on the first call of each
   parse, when optind is 0): returns the option's value, or one of the
   JR_CLI_* codes above.  "-h"/"--help" must be in the spec and map to 'h'. */
int jr_cli_getopt (const struct jr_cli_spec *spec, int argc, char **argv, jr_error_t *err);
/* Reset getopt before a new parse. */
void jr_cli_reset (void);
/* Finish a parse loop: turns the last jr_cli_getopt result into the
   command's return value (0 for help, -1 for an error) or 1 to go on. */
static inline int
jr_cli_done (int c)
{
  return c == JR_CLI_HELP ? 0 : c == JR_CLI_END ? 1 : -1;
}

/* Operand count check; messages like runc's:
   "\"kill\" requires a minimum of 1 argument(s)".  max < 0: no maximum. */
int jr_cli_check_args (const struct jr_cli_spec *spec, int n, int min, int max, jr_error_t *err);

/* Numbers and booleans given to options: errors name the option. */
int jr_cli_parse_int (const char *option, const char *s, int min, int max, int *out, jr_error_t *err);
int jr_cli_parse_int64 (const char *option, const char *s, int64_t *out, jr_error_t *err);
int jr_cli_parse_uint64 (const char *option, const char *s, uint64_t *out, jr_error_t *err);
/* "true"/"false"/"1"/"0"/"yes"/"no"; NULL (a bare flag) is true. */
int jr_cli_parse_bool (const char *option, const char *s, bool *out, jr_error_t *err);

/* Append to a growing NULL-terminated string vector (for repeatable options). */
void jr_cli_strv_push (char ***v, size_t *n, const char *s);

/* The flags shared by `create` and `run` (run also takes --detach, --keep):
   fills *o and *id.  Returns 1 to go on, 0 after --help, <0 on error. */
int jr_cli_parse_create (const char *name, const char *usage, bool run, int argc, char **argv,
                         struct jr_create_opts *o, const char **id, jr_error_t *err);

/* Commands that take no option but --help and exactly one container id.
   Returns 1 to go on (*id set), 0 after --help, <0 on error. */
int jr_cli_parse_id (const char *name, const char *usage, int argc, char **argv, const char **id,
                     jr_error_t *err);

/* Print s and a newline to stdout; -1 with *err set when stdout fails
   (a closed pipe must not look like success). */
int jr_cli_print (const char *s, jr_error_t *err);

#endif
