/* libFuzzer target: config.json parsing and re-serialization must never
 * crash, leak or trip sanitizers, and whatever parses must serialize to
 * JSON that parses again to the same serialization.  The other document
 * parsers share the same readers, so they get exercised on the input too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci_spec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *json = (const char *)data;
  char *err = NULL;
  struct oci_spec *spec = oci_spec_parse (json, size, "config.json", &err);

  if (spec == NULL)
    {
      if (err == NULL)
        abort (); /* every failure must explain itself */
      free (err);
    }
  else
    {
      char *out = oci_spec_to_json (spec);
      struct oci_spec *again;
      char *out2;
      if (out == NULL)
        abort ();
      again = oci_spec_parse (out, strlen (out), "roundtrip", &err);
      if (again == NULL)
        abort (); /* our own output must parse */
      out2 = oci_spec_to_json (again);
      if (out2 == NULL || strcmp (out, out2) != 0)
        abort (); /* and be a fixed point */
      free (out);
      free (out2);
      oci_spec_free (again);
      oci_spec_free (spec);
    }

  {
    struct oci_jvalue *v = oci_jvalue_parse (json, size, &err);
    if (v)
      {
        char *s = oci_jvalue_to_json (v, true);
        free (s);
        oci_jvalue_free (v);
      }
    else
      free (err);
  }
  {
    struct oci_image_manifest *m = oci_image_manifest_parse (json, size, "manifest", &err);
    if (m)
      {
        free (oci_image_manifest_to_json (m, false));
        oci_image_manifest_free (m);
      }
    else
      free (err);
  }
  return 0;
}
