#define _GNU_SOURCE
#include <config.h>
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "oci_spec.h"
#include "utils.h"

static int log_fd = -1; /* -1: stderr, text */
static bool log_json;
static bool log_debug;

int
jr_log_init (const char *path, const char *format, bool debug, jr_error_t *err)
{
  log_debug = debug;
  if (format != NULL)
    {
      if (strcmp (format, "json") == 0)
        log_json = true;
      else if (strcmp (format, "text") != 0)
        return jr_error (err, 0, "invalid --log-format `%s`: expected text or json", format);
    }
  if (path != NULL && *path != '\0')
    {
      log_fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (log_fd < 0)
        return jr_error (err, errno, "open log file `%s`", path);
    }
  return 0;
}

int
jr_log_fd (void)
{
  return log_fd;
}

bool
jr_log_debug_enabled (void)
{
  return log_debug;
}

static const char *
level_name (enum jr_log_level level)
{
  switch (level)
    {
    case JR_LOG_ERROR:
      return "error";
    case JR_LOG_WARNING:
      return "warning";
    case JR_LOG_INFO:
      return "info";
    default:
      return "debug";
    }
}

static void
write_record (int fd, enum jr_log_level level, const char *msg)
{
  char timebuf[64];
  char *line = NULL;
  int len;

  jr_rfc3339_now_buf (timebuf, sizeof (timebuf));
  if (log_json)
    {
      char *json = oci_json_log_record (level_name (level), msg, timebuf);
      if (json == NULL)
        return;
      len = asprintf (&line, "%s\n", json);
      free (json);
    }
  else
    len = asprintf (&line, "%s[%s] %s\n", timebuf, level_name (level), msg);
  if (len < 0)
    return;
  /* One write per record so concurrent writers (init, hooks) interleave by line. */
  if (write (fd, line, len) < 0)
    {
      /* nowhere left to report it */
    }
  free (line);
}

void
jr_log (enum jr_log_level level, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  int saved_errno = errno;

  /* Without --log, stderr is usually the container's: only warnings and
     errors (and, with --debug, everything) go there, as with runc. */
  if (level == JR_LOG_DEBUG && !log_debug)
    return;
  if (level == JR_LOG_INFO && log_fd < 0 && !log_debug)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg == NULL)
    return;
  if (log_fd >= 0)
    write_record (log_fd, level, msg);
  else if (level <= JR_LOG_WARNING)
    fprintf (stderr, "jitrun: %s: %s\n", level_name (level), msg);
  else
    fprintf (stderr, "jitrun: %s\n", msg);
  free (msg);
  errno = saved_errno;
}

void
jr_log_error_final (const jr_error_t err)
{
  const char *msg = err && err->msg ? err->msg : "unknown error";

  fprintf (stderr, "jitrun: %s\n", msg);
  if (log_fd >= 0)
    write_record (log_fd, JR_LOG_ERROR, msg);
}
