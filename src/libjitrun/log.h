/* jitrun - logging to stderr or to --log FILE, as text or runc-style JSON. */
#ifndef JITRUN_LOG_H
#define JITRUN_LOG_H

#include <stdbool.h>
#include "error.h"

enum jr_log_level
{
  JR_LOG_ERROR,
  JR_LOG_WARNING,
  JR_LOG_INFO,
  JR_LOG_DEBUG,
};

/* path NULL = stderr.  format: "text" or "json".  Returns <0 on error. */
int jr_log_init (const char *path, const char *format, bool debug, jr_error_t *err);
/* Make the log fd survive into a forked child but not an exec. */
int jr_log_fd (void);
bool jr_log_debug_enabled (void);

void jr_log (enum jr_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define jr_debug(...) jr_log (JR_LOG_DEBUG, __VA_ARGS__)
#define jr_info(...)  jr_log (JR_LOG_INFO, __VA_ARGS__)
#define jr_warn(...)  jr_log (JR_LOG_WARNING, __VA_ARGS__)

/* Report a fatal error: "jitrun: <msg>" on stderr and, when --log is set,
   an error record there too (containerd reads the last one). */
void jr_log_error_final (const jr_error_t err);

#endif
