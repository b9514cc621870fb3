/* libocispec internals shared by oci_json.c, oci_runtime*.c and oci_image.c:
 * typed readers over a yajl_tree-shaped tree with JSON-path error messages, and small
 * yajl_gen helpers.  Not part of the public API (that is oci_spec.h). */
#ifndef OCI_JSON_H
#define OCI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "oci_spec.h"

/* ---------------- parsing ---------------- */

/* Parse context: the document name, the JSON path of the value being read
   (built incrementally so errors can name it) and the first error. */
struct oci_pctx
{
  const char *what;
  char *path;
  size_t path_len;
  size_t path_cap;
  char *err;
};

void oci_pctx_init (struct oci_pctx *c, const char *what);
void oci_pctx_fini (struct oci_pctx *c);
/* Move the error (if any) to *errmsg and release the context. */
void oci_pctx_finish (struct oci_pctx *c, char **errmsg);
/* Extend the path with ".key" or "[i]"; return the length to restore. */
size_t oci_path_key (struct oci_pctx *c, const char *key);
size_t oci_path_index (struct oci_pctx *c, size_t i);
static inline void
oci_path_restore (struct oci_pctx *c, size_t len)
{
  c->path_len = len;
  c->path[len] = '\0';
}
/* Record "<what>: <path>: <problem>"; always returns -1. */
int oci_fail (struct oci_pctx *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Parse text into a tree of yajl_tree nodes (built by libocispec, so free
   it with oci_tree_free, not yajl_tree_free); NULL with c->err set on
   invalid JSON. */
yajl_val oci_tree_parse (struct oci_pctx *c, const char *json, size_t len);
void oci_tree_free (yajl_val v);

/* Parse `json` as one document: tree, then fn into a calloc'ed object of
   `size` bytes; on failure the partial object is released with free_fn. */
void *oci_parse_document (const char *json, size_t len, const char *what, char **errmsg, size_t size,
                          int (*fn) (struct oci_pctx *, yajl_val, void *), void (*free_fn) (void *));
/* Read a whole file (NUL-terminated); errmsg "open `path`: strerror". */
char *oci_read_whole_file (const char *path, size_t *len, char **errmsg);

/* Value of `key` in object `obj` (the last one if repeated); NULL when
   absent or JSON null, both of which mean "not set". */
yajl_val oci_obj_get (yajl_val obj, const char *key);

/* Type checks on a value at the current path. */
int oci_expect_object (struct oci_pctx *c, yajl_val v);
int oci_expect_array (struct oci_pctx *c, yajl_val v);

/* Readers for obj[key].  They return 0 when the key is absent (leaving the
   output untouched and *has false), 1 when set, -1 on a type/range error. */
int oci_get_str (struct oci_pctx *c, yajl_val obj, const char *key, char **out);
int oci_get_bool (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, bool *out);
int oci_get_int (struct oci_pctx *c, yajl_val obj, const char *key, int64_t min, int64_t max, bool *has,
                 int64_t *out);
int oci_get_uint (struct oci_pctx *c, yajl_val obj, const char *key, uint64_t max, bool *has, uint64_t *out);
int oci_get_i32 (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, int32_t *out);
int oci_get_u32 (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, uint32_t *out);
int oci_get_u16 (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, uint16_t *out);
int oci_get_i64 (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, int64_t *out);
int oci_get_u64 (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, uint64_t *out);
int oci_get_strv (struct oci_pctx *c, yajl_val obj, const char *key, char ***out, size_t *len);
int oci_get_map (struct oci_pctx *c, yajl_val obj, const char *key, struct oci_string_map *m);
/* The array value obj[key], type checked; NULL + 0 when absent. Empty
   arrays are returned too so callers can keep "present but empty". */
int oci_get_array (struct oci_pctx *c, yajl_val obj, const char *key, yajl_val *out);
/* The object value obj[key], type checked. */
int oci_get_object (struct oci_pctx *c, yajl_val obj, const char *key, yajl_val *out);

/* A JSON number's text is an integer: no fraction or exponent (so the
   range check can use strtoll/strtoull and fractions are reported as such). */
bool oci_number_is_integral (const char *r);

/* Plain value converters at the current path. */
int oci_val_str (struct oci_pctx *c, yajl_val v, char **out);
int oci_val_int (struct oci_pctx *c, yajl_val v, int64_t min, int64_t max, int64_t *out);
int oci_val_uint (struct oci_pctx *c, yajl_val v, uint64_t max, uint64_t *out);
int oci_val_strv (struct oci_pctx *c, yajl_val v, char ***out, size_t *len);
int oci_val_map (struct oci_pctx *c, yajl_val v, struct oci_string_map *m);

/* calloc for an array of n elements that is non-NULL even when n == 0, so
   an empty JSON array survives a round trip. */
void *oci_array_alloc (size_t n, size_t size);

void oci_strv_free (char **v, size_t n);
/* Append without the duplicate check (caller guarantees unique keys). */
void oci_string_map_append (struct oci_string_map *m, const char *key, const char *value);

#define TRY(x)                                                                                               \
  do                                                                                                         \
    {                                                                                                        \
      if ((x) < 0)                                                                                           \
        return -1;                                                                                           \
    }                                                                                                        \
  while (0)

/* obj[key] is an optional object parsed by fn into a freshly calloc'ed *field. */
#define SUBOBJ(c, obj, key, field, fn)                                                                       \
  do                                                                                                         \
    {                                                                                                        \
      yajl_val sub_ = oci_obj_get (obj, key);                                                                \
      if (sub_)                                                                                              \
        {                                                                                                    \
          size_t saved_ = oci_path_key (c, key);                                                             \
          if ((field) == NULL)                                                                               \
            (field) = oci_xcalloc (1, sizeof *(field));                                                      \
          TRY (fn (c, sub_, (field)));                                                                       \
          oci_path_restore (c, saved_);                                                                      \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

/* obj[key] is an optional array of objects, each parsed by fn.  The length
   is set before the elements are parsed so a failure frees cleanly. */
#define SUBARRAY(c, obj, key, arr, n, fn)                                                                    \
  do                                                                                                         \
    {                                                                                                        \
      yajl_val a_ = NULL;                                                                                    \
      TRY (oci_get_array (c, obj, key, &a_));                                                                \
      if (a_)                                                                                                \
        {                                                                                                    \
          size_t saved_ = oci_path_key (c, key), i_;                                                         \
          (arr) = oci_array_alloc (a_->u.array.len, sizeof *(arr));                                          \
          (n) = a_->u.array.len;                                                                             \
          for (i_ = 0; i_ < (n); i_++)                                                                       \
            {                                                                                                \
              size_t si_ = oci_path_index (c, i_);                                                           \
              TRY (fn (c, a_->u.array.values[i_], &(arr)[i_]));                                              \
              oci_path_restore (c, si_);                                                                     \
            }                                                                                                \
          oci_path_restore (c, saved_);                                                                      \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

/* ---------------- generation ---------------- */

/* A generator: pretty uses tab indentation like `runc spec`. */
yajl_gen oci_gen_new (bool pretty);
/* Copy the finished buffer out (malloc'ed) and free the generator. */
char *oci_gen_finish (yajl_gen g);

void oci_gen_str (yajl_gen g, const char *s);
void oci_gen_key (yajl_gen g, const char *k);
void oci_gen_kstr (yajl_gen g, const char *k, const char *s); /* skipped when s == NULL */
void oci_gen_kbool (yajl_gen g, const char *k, bool b);
void oci_gen_kint (yajl_gen g, const char *k, int64_t v);
void oci_gen_kuint (yajl_gen g, const char *k, uint64_t v);
void oci_gen_uint (yajl_gen g, uint64_t v);
/* Emitted when v != NULL or n > 0 (a parsed empty array is non-NULL). */
void oci_gen_kstrv (yajl_gen g, const char *k, char *const *v, size_t n);
void oci_gen_strv (yajl_gen g, char *const *v, size_t n);
/* Emitted when non-empty. */
void oci_gen_kmap (yajl_gen g, const char *k, const struct oci_string_map *m);
void oci_gen_map (yajl_gen g, const struct oci_string_map *m);

void *oci_xmalloc (size_t n);
void *oci_xcalloc (size_t n, size_t size);
void *oci_xrealloc (void *p, size_t n);
char *oci_xstrdup (const char *s);

#endif
