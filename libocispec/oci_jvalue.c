/* libocispec: the generic jvalue tree (oci_jobject_* / oci_jarray_* in
 * oci_spec.h) used for stats, events and cache metadata output. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_json.h"

enum jtype
{
  J_NULL,
  J_BOOL,
  J_INT,
  J_UINT,
  J_DOUBLE,
  J_STR,
  J_ARRAY,
  J_OBJECT
};

struct oci_jvalue
{
  enum jtype type;
  bool b;
  int64_t i;
  uint64_t u;
  double d;
  char *s;
  /* arrays and objects (keys only for objects) */
  struct oci_jvalue **items;
  char **keys;
  size_t len;
  size_t cap;
};

static struct oci_jvalue *
jnew (enum jtype t)
{
  struct oci_jvalue *v = oci_xcalloc (1, sizeof *v);
  v->type = t;
  return v;
}

struct oci_jvalue *
oci_jobject_new (void)
{
  return jnew (J_OBJECT);
}

struct oci_jvalue *
oci_jarray_new (void)
{
  return jnew (J_ARRAY);
}

void
oci_jvalue_free (struct oci_jvalue *v)
{
  size_t i;
  if (v == NULL)
    return;
  for (i = 0; i < v->len; i++)
    {
      oci_jvalue_free (v->items[i]);
      if (v->keys)
        free (v->keys[i]);
    }
  free (v->items);
  free (v->keys);
  free (v->s);
  free (v);
}

static void
jpush (struct oci_jvalue *c, char *key, struct oci_jvalue *child)
{
  if (c->len == c->cap)
    {
      c->cap = c->cap ? c->cap * 2 : 8;
      c->items = oci_xrealloc (c->items, c->cap * sizeof *c->items);
      if (c->type == J_OBJECT)
        c->keys = oci_xrealloc (c->keys, c->cap * sizeof *c->keys);
    }
  c->items[c->len] = child;
  if (c->type == J_OBJECT)
    c->keys[c->len] = key;
  c->len++;
}

void
oci_jobject_set (struct oci_jvalue *o, const char *key, struct oci_jvalue *child)
{
  size_t i;
  if (o == NULL || o->type != J_OBJECT || key == NULL)
    {
      oci_jvalue_free (child);
      return;
    }
  if (child == NULL)
    child = jnew (J_NULL);
  for (i = 0; i < o->len; i++)
    if (strcmp (o->keys[i], key) == 0)
      {
        oci_jvalue_free (o->items[i]);
        o->items[i] = child;
        return;
      }
  jpush (o, oci_xstrdup (key), child);
}

static struct oci_jvalue *
jstr (const char *s)
{
  struct oci_jvalue *v;
  if (s == NULL)
    return jnew (J_NULL);
  v = jnew (J_STR);
  v->s = oci_xstrdup (s);
  return v;
}

void
oci_jobject_set_str (struct oci_jvalue *o, const char *key, const char *value)
{
  oci_jobject_set (o, key, jstr (value));
}

void
oci_jobject_set_int (struct oci_jvalue *o, const char *key, int64_t value)
{
  struct oci_jvalue *v = jnew (J_INT);
  v->i = value;
  oci_jobject_set (o, key, v);
}

void
oci_jobject_set_uint (struct oci_jvalue *o, const char *key, uint64_t value)
{
  struct oci_jvalue *v = jnew (J_UINT);
  v->u = value;
  oci_jobject_set (o, key, v);
}

void
oci_jobject_set_double (struct oci_jvalue *o, const char *key, double value)
{
  struct oci_jvalue *v = jnew (J_DOUBLE);
  v->d = value;
  oci_jobject_set (o, key, v);
}

void
oci_jobject_set_bool (struct oci_jvalue *o, const char *key, bool value)
{
  struct oci_jvalue *v = jnew (J_BOOL);
  v->b = value;
  oci_jobject_set (o, key, v);
}

void
oci_jarray_append (struct oci_jvalue *a, struct oci_jvalue *child)
{
  if (a == NULL || a->type != J_ARRAY)
    {
      oci_jvalue_free (child);
      return;
    }
  jpush (a, NULL, child ? child : jnew (J_NULL));
}

void
oci_jarray_append_str (struct oci_jvalue *a, const char *value)
{
  oci_jarray_append (a, jstr (value));
}

void
oci_jarray_append_uint (struct oci_jvalue *a, uint64_t value)
{
  struct oci_jvalue *v = jnew (J_UINT);
  v->u = value;
  oci_jarray_append (a, v);
}

static void
gen_double (yajl_gen g, double d)
{
  char buf[64];
  if (!isfinite (d))
    {
      yajl_gen_null (g);
      return;
    }
  /* Shortest of %.15g/%.17g that reads back exactly. */
  snprintf (buf, sizeof buf, "%.15g", d);
  if (strtod (buf, NULL) != d)
    snprintf (buf, sizeof buf, "%.17g", d);
  yajl_gen_number (g, buf, strlen (buf));
}

static void
jgen (yajl_gen g, const struct oci_jvalue *v)
{
  size_t i;
  switch (v->type)
    {
    case J_NULL:
      yajl_gen_null (g);
      break;
    case J_BOOL:
      yajl_gen_bool (g, v->b);
      break;
    case J_INT:
      yajl_gen_integer (g, v->i);
      break;
    case J_UINT:
      oci_gen_uint (g, v->u);
      break;
    case J_DOUBLE:
      gen_double (g, v->d);
      break;
    case J_STR:
      oci_gen_str (g, v->s);
      break;
    case J_ARRAY:
      yajl_gen_array_open (g);
      for (i = 0; i < v->len; i++)
        jgen (g, v->items[i]);
      yajl_gen_array_close (g);
      break;
    case J_OBJECT:
      yajl_gen_map_open (g);
      for (i = 0; i < v->len; i++)
        {
          oci_gen_key (g, v->keys[i]);
          jgen (g, v->items[i]);
        }
      yajl_gen_map_close (g);
      break;
    }
}

char *
oci_jvalue_to_json (const struct oci_jvalue *v, bool pretty)
{
  yajl_gen g;
  if (v == NULL)
    return NULL;
  g = oci_gen_new (pretty);
  if (g == NULL)
    return NULL;
  jgen (g, v);
  return oci_gen_finish (g);
}

static struct oci_jvalue *
jfrom_tree (yajl_val t)
{
  struct oci_jvalue *v;
  size_t i;
  if (t == NULL || YAJL_IS_NULL (t))
    return jnew (J_NULL);
  if (YAJL_IS_TRUE (t) || YAJL_IS_FALSE (t))
    {
      v = jnew (J_BOOL);
      v->b = YAJL_IS_TRUE (t);
      return v;
    }
  if (YAJL_IS_STRING (t))
    return jstr (t->u.string);
  if (YAJL_IS_NUMBER (t))
    {
      const char *r = t->u.number.r;
      if (YAJL_IS_INTEGER (t))
        {
          v = jnew (J_INT);
          v->i = t->u.number.i;
          return v;
        }
      if (oci_number_is_integral (r) && r[0] != '-')
        {
          char *end;
          unsigned long long u;
          errno = 0;
          u = strtoull (r, &end, 10);
          if (errno == 0 && *end == '\0')
            {
              v = jnew (J_UINT);
              v->u = u;
              return v;
            }
        }
      v = jnew (J_DOUBLE);
      v->d = strtod (r, NULL);
      return v;
    }
  if (YAJL_IS_ARRAY (t))
    {
      v = jnew (J_ARRAY);
      for (i = 0; i < t->u.array.len; i++)
        jpush (v, NULL, jfrom_tree (t->u.array.values[i]));
      return v;
    }
  v = jnew (J_OBJECT);
  for (i = 0; i < t->u.object.len; i++)
    jpush (v, oci_xstrdup (t->u.object.keys[i]), jfrom_tree (t->u.object.values[i]));
  return v;
}

struct oci_jvalue *
oci_jvalue_parse (const char *json, size_t len, char **errmsg)
{
  struct oci_pctx c;
  struct oci_jvalue *v = NULL;
  yajl_val tree;
  if (errmsg)
    *errmsg = NULL;
  oci_pctx_init (&c, "JSON");
  tree = oci_tree_parse (&c, json, len);
  if (tree)
    {
      v = jfrom_tree (tree);
      oci_tree_free (tree);
    }
  oci_pctx_finish (&c, errmsg);
  return v;
}

const struct oci_jvalue *
oci_jobject_get (const struct oci_jvalue *o, const char *key)
{
  size_t i;
  if (o == NULL || o->type != J_OBJECT || key == NULL)
    return NULL;
  for (i = o->len; i > 0; i--)
    if (strcmp (o->keys[i - 1], key) == 0)
      return o->items[i - 1];
  return NULL;
}

const char *
oci_jvalue_str (const struct oci_jvalue *v)
{
  return (v && v->type == J_STR) ? v->s : NULL;
}

bool
oci_jvalue_int (const struct oci_jvalue *v, int64_t *out)
{
  if (v == NULL)
    return false;
  switch (v->type)
    {
    case J_INT:
      *out = v->i;
      return true;
    case J_UINT:
      if (v->u > (uint64_t)INT64_MAX)
        return false;
      *out = (int64_t)v->u;
      return true;
    case J_DOUBLE:
      /* integral doubles such as 1e3 still count */
      /* range first so the cast is defined; no libm needed */
      if (!(v->d >= -9223372036854775808.0 && v->d < 9223372036854775808.0) || (double)(int64_t)v->d != v->d)
        return false;
      *out = (int64_t)v->d;
      return true;
    default:
      return false;
    }
}

bool
oci_jvalue_bool (const struct oci_jvalue *v, bool *out)
{
  if (v == NULL || v->type != J_BOOL)
    return false;
  *out = v->b;
  return true;
}

size_t
oci_jarray_len (const struct oci_jvalue *a)
{
  return (a && a->type == J_ARRAY) ? a->len : 0;
}

const struct oci_jvalue *
oci_jarray_get (const struct oci_jvalue *a, size_t i)
{
  return (a && a->type == J_ARRAY && i < a->len) ? a->items[i] : NULL;
}

size_t
oci_jobject_len (const struct oci_jvalue *o)
{
  return (o && o->type == J_OBJECT) ? o->len : 0;
}

const char *
oci_jobject_key_at (const struct oci_jvalue *o, size_t i)
{
  return (o && o->type == J_OBJECT && i < o->len) ? o->keys[i] : NULL;
}

const struct oci_jvalue *
oci_jobject_value_at (const struct oci_jvalue *o, size_t i)
{
  return (o && o->type == J_OBJECT && i < o->len) ? o->items[i] : NULL;
}
