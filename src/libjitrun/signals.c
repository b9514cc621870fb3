/* jitrun - signal names and numbers (kill, --stop-signal, exec). */
#define _GNU_SOURCE
#include <config.h>
#include "signals.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct signal_entry
{
  const char *name; /* "SIGHUP": callers compare from name + 3 */
  int number;
};

/* The first entry for a number is its canonical name; later ones are
   aliases accepted when parsing. */
static const struct signal_entry signal_table[] = {
  { "SIGHUP", SIGHUP },
  { "SIGINT", SIGINT },
  { "SIGQUIT", SIGQUIT },
  { "SIGILL", SIGILL },
  { "SIGTRAP", SIGTRAP },
  { "SIGABRT", SIGABRT },
  { "SIGBUS", SIGBUS },
  { "SIGFPE", SIGFPE },
  { "SIGKILL", SIGKILL },
  { "SIGUSR1", SIGUSR1 },
  { "SIGSEGV", SIGSEGV },
  { "SIGUSR2", SIGUSR2 },
  { "SIGPIPE", SIGPIPE },
  { "SIGALRM", SIGALRM },
  { "SIGTERM", SIGTERM },
#ifdef SIGSTKFLT
  { "SIGSTKFLT", SIGSTKFLT },
#endif
  { "SIGCHLD", SIGCHLD },
  { "SIGCONT", SIGCONT },
  { "SIGSTOP", SIGSTOP },
  { "SIGTSTP", SIGTSTP },
  { "SIGTTIN", SIGTTIN },
  { "SIGTTOU", SIGTTOU },
  { "SIGURG", SIGURG },
  { "SIGXCPU", SIGXCPU },
  { "SIGXFSZ", SIGXFSZ },
  { "SIGVTALRM", SIGVTALRM },
  { "SIGPROF", SIGPROF },
  { "SIGWINCH", SIGWINCH },
  { "SIGIO", SIGIO },
#ifdef SIGPWR
  { "SIGPWR", SIGPWR },
#endif
  { "SIGSYS", SIGSYS },
  /* aliases */
  { "SIGIOT", SIGABRT },
  { "SIGCLD", SIGCHLD },
  { "SIGPOLL", SIGIO },
};

/* Names for real-time signals, relative to the libc's SIGRTMIN/SIGRTMAX
   (what `kill -l` prints); the kernel reserves a couple below them for
   the threading library. */
static const char *const rtmin_names[] = {
  "SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+2",  "SIGRTMIN+3",  "SIGRTMIN+4",  "SIGRTMIN+5",
  "SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",  "SIGRTMIN+9",  "SIGRTMIN+10", "SIGRTMIN+11",
  "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMIN+16",
};
static const char *const rtmax_names[] = {
  "SIGRTMAX",    "SIGRTMAX-1",  "SIGRTMAX-2",  "SIGRTMAX-3",  "SIGRTMAX-4",  "SIGRTMAX-5",
  "SIGRTMAX-6",  "SIGRTMAX-7",  "SIGRTMAX-8",  "SIGRTMAX-9",  "SIGRTMAX-10", "SIGRTMAX-11",
  "SIGRTMAX-12", "SIGRTMAX-13", "SIGRTMAX-14", "SIGRTMAX-15", "SIGRTMAX-16",
};

/* Largest valid signal number (the kernel's _NSIG - 1). */
static int
max_signal (void)
{
  return SIGRTMAX;
}

/* Parse the decimal offset after "RTMIN+" / "RTMAX-"; -1 if malformed. */
static int
parse_offset (const char *s)
{
  char *end = NULL;
  long v;

  if (*s == '\0' || !isdigit ((unsigned char)*s))
    return -1;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || *end != '\0' || v > 1024)
    return -1;
  return (int)v;
}

int
jr_signal_parse (const char *s, int *signal, jr_error_t *err)
{
  const char *name;
  size_t i;

  if (s == NULL || *s == '\0')
    return jr_error (err, 0, "invalid signal: empty");

  if (isdigit ((unsigned char)s[0]))
    {
      char *end = NULL;
      long v;

      errno = 0;
      v = strtol (s, &end, 10);
      if (errno != 0 || *end != '\0')
        return jr_error (err, 0, "invalid signal `%s`", s);
      /* 0 is accepted: `kill 0` only probes that the process exists. */
      if (v < 0 || v > max_signal ())
        return jr_error (err, 0, "invalid signal `%s`: out of range 0-%d", s, max_signal ());
      *signal = (int)v;
      return 0;
    }

  name = s;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;

  for (i = 0; i < sizeof (signal_table) / sizeof (signal_table[0]); i++)
    if (strcasecmp (name, signal_table[i].name + 3) == 0)
      {
        *signal = signal_table[i].number;
        return 0;
      }

  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0)
    {
      bool from_min = strncasecmp (name, "RTMIN", 5) == 0;
      const char *rest = name + 5;
      int offset = 0, value;

      if (*rest != '\0')
        {
          if (*rest != (from_min ? '+' : '-'))
            return jr_error (err, 0, "unknown signal `%s`", s);
          offset = parse_offset (rest + 1);
          if (offset < 0)
            return jr_error (err, 0, "unknown signal `%s`", s);
        }
      value = from_min ? SIGRTMIN + offset : SIGRTMAX - offset;
      if (value < SIGRTMIN || value > SIGRTMAX)
        return jr_error (err, 0, "invalid signal `%s`: out of range SIGRTMIN-SIGRTMAX", s);
      *signal = value;
      return 0;
    }

  return jr_error (err, 0, "unknown signal `%s`", s);
}

const char *
jr_signal_name (int signal)
{
  size_t i;

  for (i = 0; i < sizeof (signal_table) / sizeof (signal_table[0]); i++)
    if (signal_table[i].number == signal)
      return signal_table[i].name;

  if (signal >= SIGRTMIN && signal <= SIGRTMAX)
    {
      int from_min = signal - SIGRTMIN, from_max = SIGRTMAX - signal;

      /* Name it from the closer end, as `kill -l` does. */
      if (from_min <= from_max && (size_t)from_min < sizeof (rtmin_names) / sizeof (rtmin_names[0]))
        return rtmin_names[from_min];
      if ((size_t)from_max < sizeof (rtmax_names) / sizeof (rtmax_names[0]))
        return rtmax_names[from_max];
    }
  return NULL;
}
