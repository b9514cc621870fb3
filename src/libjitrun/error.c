#define _GNU_SOURCE
#include <config.h>
#include "error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
error_return_value (int errno_value)
{
  return errno_value > 0 ? -errno_value : -1;
}

int
jr_verror (jr_error_t *err, int errno_value, const char *fmt, va_list ap)
{
  char *what = NULL;
  struct jr_error *e;

  if (err == NULL)
    return error_return_value (errno_value);
  if (*err != NULL)
    return error_return_value ((*err)->errno_value ? (*err)->errno_value : errno_value);

  e = calloc (1, sizeof (*e));
  if (e == NULL)
    abort ();
  if (vasprintf (&what, fmt, ap) < 0)
    abort ();
  if (errno_value > 0)
    {
      if (asprintf (&e->msg, "%s: %s", what, strerror (errno_value)) < 0)
        abort ();
      free (what);
    }
  else
    e->msg = what;
  e->errno_value = errno_value > 0 ? errno_value : 0;
  *err = e;
  return error_return_value (errno_value);
}

int
jr_error (jr_error_t *err, int errno_value, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = jr_verror (err, errno_value, fmt, ap);
  va_end (ap);
  return ret;
}

int
jr_error_from_msg (jr_error_t *err, int errno_value, const char *msg)
{
  int ret = jr_error (err, 0, "%s", msg);

  if (err != NULL && *err != NULL && errno_value > 0)
    {
      (*err)->errno_value = errno_value;
      ret = -errno_value;
    }
  return ret;
}

/* Replace the message in *err by "<text>: <msg>" (prefix) or "<msg>
   (<text>)" (note), text formatted from fmt and ap. */
static int
error_amend (jr_error_t *err, bool prefix, const char *fmt, va_list ap)
{
  char *text = NULL, *msg = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  if (vasprintf (&text, fmt, ap) < 0)
    abort ();
  if ((prefix ? asprintf (&msg, "%s: %s", text, (*err)->msg) : asprintf (&msg, "%s (%s)", (*err)->msg, text))
      < 0)
    abort ();
  free (text);
  free ((*err)->msg);
  (*err)->msg = msg;
  return error_return_value ((*err)->errno_value);
}

int
jr_error_wrap (jr_error_t *err, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = error_amend (err, true, fmt, ap);
  va_end (ap);
  return ret;
}

int
jr_error_note (jr_error_t *err, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = error_amend (err, false, fmt, ap);
  va_end (ap);
  return ret;
}

void
jr_error_free (jr_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

void
jr_error_release (jr_error_t *err)
{
  jr_error_free (err);
}
