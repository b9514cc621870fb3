/* jitrun - signal names. */
#ifndef JITRUN_SIGNALS_H
#define JITRUN_SIGNALS_H

#include "error.h"

/* "9", "KILL", "SIGKILL", "sigkill", "RTMIN+3" -> number. */
int jr_signal_parse (const char *s, int *signal, jr_error_t *err);
const char *jr_signal_name (int signal); /* "SIGKILL" */

#endif
