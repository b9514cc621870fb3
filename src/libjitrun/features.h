/* jitrun - the runtime-spec `features` document. */
#ifndef JITRUN_FEATURES_H
#define JITRUN_FEATURES_H

#include "oci_spec.h"

struct oci_features *jr_features_build (void);

#endif
