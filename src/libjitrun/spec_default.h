/* jitrun - the default config.json written by `jitrun spec`. */
#ifndef JITRUN_SPEC_DEFAULT_H
#define JITRUN_SPEC_DEFAULT_H

#include <stdbool.h>
#include "oci_spec.h"

/* Same content as `runc spec` (and `--rootless`). */
struct oci_spec *jr_spec_default (bool rootless);

#endif
