/* jitrun - error objects.
 *
 * Every fallible function returns a negative value and fills a jr_error_t.
 * The message reads "<what>: <why>"; the CLI prints it as "jitrun: <msg>".
 */
#ifndef JITRUN_ERROR_H
#define JITRUN_ERROR_H

#include <stdarg.h>

struct jr_error
{
  int errno_value; /* 0 when the failure is not an errno */
  int exit_code;   /* the process exit code to report, 0 = use 1 */
  char *msg;
};
typedef struct jr_error *jr_error_t;

/* Fill *err with a formatted message; when errno_value != 0, ": strerror"
   is appended.  Returns -1 (or -errno_value when non zero) so callers can
   `return jr_error (err, errno, "open `%s`", path);`.  An already set error
   is kept and the new one discarded, so the innermost cause wins. */
int jr_error (jr_error_t *err, int errno_value, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
int jr_verror (jr_error_t *err, int errno_value, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));

/* Prefix the message in *err with "<what>: ".  Returns the same value as
   jr_error. */
int jr_error_wrap (jr_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Append " (<note>)" to the message in *err: a likely cause the failing
   step could not know of.  Returns the same value as jr_error. */
int jr_error_note (jr_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Build an error from a message that already has its "why" (for errors
   received over a sync socket). */
int jr_error_from_msg (jr_error_t *err, int errno_value, const char *msg);

void jr_error_free (jr_error_t *err);
void jr_error_release (jr_error_t *err); /* cleanup helper */
#define cleanup_error __attribute__ ((cleanup (jr_error_release)))

#endif
