/* jitrun - the five capability sets (libcap). */
#ifndef JITRUN_CAPABILITIES_H
#define JITRUN_CAPABILITIES_H

#include <stdbool.h>
#include "error.h"
#include "oci_spec.h"

/* "CAP_SYS_ADMIN" -> 21; -1 when unknown. */
int jr_cap_from_name (const char *name);
/* Validate every name in every set (error names the set and the name). */
int jr_caps_validate (const struct oci_capabilities *caps, jr_error_t *err);
/* Drop everything not in caps->bounding from the bounding set.  Must run
   while we still have CAP_SETPCAP (before the uid change). */
int jr_caps_drop_bounding (const struct oci_capabilities *caps, jr_error_t *err);
/* After setresuid() with PR_SET_KEEPCAPS: set permitted, effective,
   inheritable, then raise the ambient set.  caps NULL = clear all. */
int jr_caps_apply (const struct oci_capabilities *caps, jr_error_t *err);
/* All capability names this kernel knows, NULL-terminated, malloc'ed. */
char **jr_caps_all_names (void);

#endif
