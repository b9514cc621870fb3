/* libocispec: shared JSON helpers, string maps and jitrun's small JSON
 * documents (the jvalue tree is in oci_jvalue.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_json.h"

/* Deeper documents are rejected while parsing: freeing and the jvalue
   converter recurse, and no OCI document nests anywhere near this. */
#define OCI_MAX_DEPTH 512

/* ======================= allocation ======================= */

void *
oci_xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
oci_xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
oci_xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
oci_xstrdup (const char *s)
{
  char *r;
  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

void *
oci_array_alloc (size_t n, size_t size)
{
  if (size != 0 && n > SIZE_MAX / size)
    abort ();
  return oci_xcalloc (n, size);
}

void
oci_strv_free (char **v, size_t n)
{
  size_t i;
  if (v == NULL)
    return;
  for (i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

/* ======================= parse context ======================= */

void
oci_pctx_init (struct oci_pctx *c, const char *what)
{
  c->what = what ? what : "JSON";
  c->path_cap = 128;
  c->path = oci_xmalloc (c->path_cap);
  c->path[0] = '\0';
  c->path_len = 0;
  c->err = NULL;
}

void
oci_pctx_fini (struct oci_pctx *c)
{
  free (c->path);
  c->path = NULL;
  free (c->err);
  c->err = NULL;
}

void
oci_pctx_finish (struct oci_pctx *c, char **errmsg)
{
  if (errmsg)
    {
      *errmsg = c->err;
      c->err = NULL;
    }
  oci_pctx_fini (c);
}

static size_t
path_append (struct oci_pctx *c, const char *s, size_t n)
{
  size_t old = c->path_len;
  if (c->path_len + n + 1 > c->path_cap)
    {
      while (c->path_len + n + 1 > c->path_cap)
        c->path_cap *= 2;
      c->path = oci_xrealloc (c->path, c->path_cap);
    }
  memcpy (c->path + c->path_len, s, n);
  c->path_len += n;
  c->path[c->path_len] = '\0';
  return old;
}

size_t
oci_path_key (struct oci_pctx *c, const char *key)
{
  size_t old = path_append (c, ".", 1);
  path_append (c, key, strlen (key));
  return old;
}

size_t
oci_path_index (struct oci_pctx *c, size_t i)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "[%zu]", i);
  return path_append (c, buf, (size_t)n);
}

int
oci_fail (struct oci_pctx *c, const char *fmt, ...)
{
  char *problem = NULL;
  va_list ap;

  if (c->err) /* keep the first, most precise error */
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&problem, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (asprintf (&c->err, "%s: %s: %s", c->what, c->path_len ? c->path : ".", problem) < 0)
    abort ();
  free (problem);
  return -1;
}

/* Tree building.  yajl_tree grows every array and object one element per
   realloc, which is quadratic when realloc has to copy; so the tree is built
   here from yajl_parse callbacks, with geometric growth, into the public
   yajl_val node type (the readers above stay plain yajl_tree code). */

struct tb_frame
{
  yajl_val node;
  size_t cap;
  char *key; /* pending key of an object */
};

struct tree_builder
{
  yajl_val root;
  struct tb_frame *frames;
  size_t depth;
  size_t frames_cap;
  bool too_deep;
};

void
oci_tree_free (yajl_val v)
{
  size_t i;
  if (v == NULL)
    return;
  switch (v->type)
    {
    case yajl_t_string:
      free (v->u.string);
      break;
    case yajl_t_number:
      free (v->u.number.r);
      break;
    case yajl_t_object:
      for (i = 0; i < v->u.object.len; i++)
        {
          free ((char *)v->u.object.keys[i]);
          oci_tree_free (v->u.object.values[i]);
        }
      free (v->u.object.keys);
      free (v->u.object.values);
      break;
    case yajl_t_array:
      for (i = 0; i < v->u.array.len; i++)
        oci_tree_free (v->u.array.values[i]);
      free (v->u.array.values);
      break;
    default:
      break;
    }
  free (v);
}

static yajl_val
tb_node (yajl_type t)
{
  yajl_val v = oci_xcalloc (1, sizeof *v);
  v->type = t;
  return v;
}

/* Attach v to the open container (or make it the root).  The tree is
   always fully reachable from root, so an aborted parse frees cleanly. */
static int
tb_add (struct tree_builder *b, yajl_val v)
{
  struct tb_frame *f;
  if (b->depth == 0)
    {
      b->root = v;
      return 1;
    }
  f = &b->frames[b->depth - 1];
  if (f->node->type == yajl_t_array)
    {
      if (f->node->u.array.len == f->cap)
        {
          f->cap = f->cap ? f->cap * 2 : 4;
          f->node->u.array.values = oci_xrealloc (f->node->u.array.values, f->cap * sizeof (yajl_val));
        }
      f->node->u.array.values[f->node->u.array.len++] = v;
    }
  else
    {
      if (f->node->u.object.len == f->cap)
        {
          f->cap = f->cap ? f->cap * 2 : 4;
          f->node->u.object.keys = oci_xrealloc ((void *)f->node->u.object.keys, f->cap * sizeof (char *));
          f->node->u.object.values = oci_xrealloc (f->node->u.object.values, f->cap * sizeof (yajl_val));
        }
      f->node->u.object.keys[f->node->u.object.len] = f->key ? f->key : oci_xstrdup ("");
      f->node->u.object.values[f->node->u.object.len++] = v;
      f->key = NULL;
    }
  return 1;
}

static int
tb_open (struct tree_builder *b, yajl_type t)
{
  yajl_val v;
  if (b->depth >= OCI_MAX_DEPTH)
    {
      b->too_deep = true;
      return 0;
    }
  v = tb_node (t);
  tb_add (b, v);
  if (b->depth == b->frames_cap)
    {
      b->frames_cap = b->frames_cap ? b->frames_cap * 2 : 16;
      b->frames = oci_xrealloc (b->frames, b->frames_cap * sizeof *b->frames);
    }
  b->frames[b->depth].node = v;
  b->frames[b->depth].cap = 0;
  b->frames[b->depth].key = NULL;
  b->depth++;
  return 1;
}

static int
tb_close (void *ctx)
{
  struct tree_builder *b = ctx;
  if (b->depth > 0)
    {
      b->depth--;
      free (b->frames[b->depth].key);
    }
  return 1;
}

static int
tb_null (void *ctx)
{
  return tb_add (ctx, tb_node (yajl_t_null));
}

static int
tb_bool (void *ctx, int val)
{
  return tb_add (ctx, tb_node (val ? yajl_t_true : yajl_t_false));
}

static int
tb_number (void *ctx, const char *s, size_t len)
{
  yajl_val v = tb_node (yajl_t_number);
  char *end;
  v->u.number.r = strndup (s, len);
  if (v->u.number.r == NULL)
    abort ();
  errno = 0;
  v->u.number.i = strtoll (v->u.number.r, &end, 10);
  if (errno == 0 && *end == '\0')
    v->u.number.flags |= YAJL_NUMBER_INT_VALID;
  errno = 0;
  v->u.number.d = strtod (v->u.number.r, &end);
  if (errno == 0 && *end == '\0')
    v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
  return tb_add (ctx, v);
}

static int
tb_string (void *ctx, const unsigned char *s, size_t len)
{
  yajl_val v = tb_node (yajl_t_string);
  v->u.string = strndup ((const char *)s, len);
  if (v->u.string == NULL)
    abort ();
  return tb_add (ctx, v);
}

static int
tb_map_key (void *ctx, const unsigned char *s, size_t len)
{
  struct tree_builder *b = ctx;
  struct tb_frame *f = &b->frames[b->depth - 1];
  free (f->key);
  f->key = strndup ((const char *)s, len);
  if (f->key == NULL)
    abort ();
  return 1;
}

static int
tb_start_map (void *ctx)
{
  return tb_open (ctx, yajl_t_object);
}

static int
tb_start_array (void *ctx)
{
  return tb_open (ctx, yajl_t_array);
}

static const yajl_callbacks tb_callbacks = {
  .yajl_null = tb_null,
  .yajl_boolean = tb_bool,
  .yajl_number = tb_number,
  .yajl_string = tb_string,
  .yajl_start_map = tb_start_map,
  .yajl_map_key = tb_map_key,
  .yajl_end_map = tb_close,
  .yajl_start_array = tb_start_array,
  .yajl_end_array = tb_close,
};

yajl_val
oci_tree_parse (struct oci_pctx *c, const char *json, size_t len)
{
  struct tree_builder b = { 0 };
  yajl_handle h;
  yajl_status st;

  if (json == NULL)
    len = 0;
  if (len && memchr (json, '\0', len) != NULL)
    {
      if (asprintf (&c->err, "%s: invalid JSON: embedded NUL byte", c->what) < 0)
        abort ();
      return NULL;
    }
  h = yajl_alloc (&tb_callbacks, NULL, &b);
  if (h == NULL)
    abort ();
  st = yajl_parse (h, (const unsigned char *)(json ? json : ""), len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  if (st != yajl_status_ok)
    {
      char msg[256] = "";
      if (b.too_deep)
        snprintf (msg, sizeof msg, "nesting deeper than %d levels", OCI_MAX_DEPTH);
      else
        {
          unsigned char *e = yajl_get_error (h, 0, NULL, 0);
          size_t n;
          snprintf (msg, sizeof msg, "%s", e ? (const char *)e : "parse error");
          if (e)
            yajl_free_error (h, e);
          /* keep one line */
          msg[strcspn (msg, "\n")] = '\0';
          n = strlen (msg);
          while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\t' || msg[n - 1] == '\r'))
            msg[--n] = '\0';
        }
      if (asprintf (&c->err, "%s: invalid JSON: %s", c->what, msg[0] ? msg : "parse error") < 0)
        abort ();
      while (b.depth > 0)
        tb_close (&b);
      oci_tree_free (b.root);
      b.root = NULL;
    }
  yajl_free (h);
  free (b.frames);
  return b.root;
}

/* Parse `json` as one document: tree, then fn into a calloc'ed object of
   `size` bytes; on failure the partial object is released with free_fn. */
void *
oci_parse_document (const char *json, size_t len, const char *what, char **errmsg, size_t size,
                    int (*fn) (struct oci_pctx *, yajl_val, void *), void (*free_fn) (void *))
{
  struct oci_pctx c;
  yajl_val tree;
  void *obj = NULL;

  if (errmsg)
    *errmsg = NULL;
  oci_pctx_init (&c, what);
  tree = oci_tree_parse (&c, json, len);
  if (tree)
    {
      obj = oci_xcalloc (1, size);
      if (fn (&c, tree, obj) < 0)
        {
          free_fn (obj);
          obj = NULL;
        }
      oci_tree_free (tree);
    }
  oci_pctx_finish (&c, errmsg);
  return obj;
}

char *
oci_read_whole_file (const char *path, size_t *len, char **errmsg)
{
  int fd;
  struct stat st;
  char *buf = NULL;
  size_t cap = 0, n = 0;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    goto fail;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0)
    cap = (size_t)st.st_size + 1;
  if (cap < 4096)
    cap = 4096;
  buf = oci_xmalloc (cap);
  for (;;)
    {
      ssize_t r;
      if (n + 1 >= cap)
        {
          cap *= 2;
          buf = oci_xrealloc (buf, cap);
        }
      r = read (fd, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        goto fail;
      if (r == 0)
        break;
      n += (size_t)r;
    }
  close (fd);
  buf[n] = '\0';
  *len = n;
  return buf;

fail:
  {
    int saved = errno;
    if (fd >= 0)
      close (fd);
    free (buf);
    if (errmsg && asprintf (errmsg, "open `%s`: %s", path, strerror (saved)) < 0)
      abort ();
    errno = saved;
    return NULL;
  }
}

/* ======================= typed readers ======================= */

yajl_val
oci_obj_get (yajl_val obj, const char *key)
{
  size_t i;
  if (obj == NULL || !YAJL_IS_OBJECT (obj))
    return NULL;
  for (i = obj->u.object.len; i > 0; i--)
    if (strcmp (obj->u.object.keys[i - 1], key) == 0)
      {
        yajl_val v = obj->u.object.values[i - 1];
        return (v == NULL || YAJL_IS_NULL (v)) ? NULL : v;
      }
  return NULL;
}

int
oci_expect_object (struct oci_pctx *c, yajl_val v)
{
  if (v == NULL || !YAJL_IS_OBJECT (v))
    return oci_fail (c, "expected object");
  return 0;
}

int
oci_expect_array (struct oci_pctx *c, yajl_val v)
{
  if (v == NULL || !YAJL_IS_ARRAY (v))
    return oci_fail (c, "expected array");
  return 0;
}

int
oci_val_str (struct oci_pctx *c, yajl_val v, char **out)
{
  if (v == NULL || !YAJL_IS_STRING (v))
    return oci_fail (c, "expected string");
  free (*out);
  *out = oci_xstrdup (v->u.string);
  return 0;
}

int
oci_val_int (struct oci_pctx *c, yajl_val v, int64_t min, int64_t max, int64_t *out)
{
  long long n;
  char *end;
  if (v == NULL || !YAJL_IS_NUMBER (v) || !oci_number_is_integral (v->u.number.r))
    return oci_fail (c, "expected integer");
  errno = 0;
  n = strtoll (v->u.number.r, &end, 10);
  if (errno == ERANGE || *end != '\0' || n < min || n > max)
    return oci_fail (c, "integer %s out of range [%" PRId64 ", %" PRId64 "]", v->u.number.r, min, max);
  *out = n;
  return 0;
}

int
oci_val_uint (struct oci_pctx *c, yajl_val v, uint64_t max, uint64_t *out)
{
  unsigned long long n;
  char *end;
  const char *r;
  if (v == NULL || !YAJL_IS_NUMBER (v) || !oci_number_is_integral (v->u.number.r))
    return oci_fail (c, "expected integer");
  r = v->u.number.r;
  if (r[0] == '-')
    {
      /* "-0" is zero; anything else negative is out of range. */
      if (strspn (r + 1, "0") == strlen (r + 1) && r[1] != '\0')
        {
          *out = 0;
          return 0;
        }
      return oci_fail (c, "integer %s out of range [0, %" PRIu64 "]", r, max);
    }
  errno = 0;
  n = strtoull (r, &end, 10);
  if (errno == ERANGE || *end != '\0' || n > max)
    return oci_fail (c, "integer %s out of range [0, %" PRIu64 "]", r, max);
  *out = n;
  return 0;
}

int
oci_val_strv (struct oci_pctx *c, yajl_val v, char ***out, size_t *len)
{
  size_t i, n;
  char **arr;
  if (oci_expect_array (c, v) < 0)
    return -1;
  oci_strv_free (*out, *len);
  n = v->u.array.len;
  arr = oci_array_alloc (n, sizeof (char *));
  *out = arr;
  *len = n;
  for (i = 0; i < n; i++)
    {
      size_t saved = oci_path_index (c, i);
      if (oci_val_str (c, v->u.array.values[i], &arr[i]) < 0)
        return -1;
      oci_path_restore (c, saved);
    }
  return 0;
}

struct key_pos
{
  const char *key;
  size_t pos;
};

static int
key_pos_cmp (const void *a, const void *b)
{
  const struct key_pos *x = a, *y = b;
  int r = strcmp (x->key, y->key);
  if (r)
    return r;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

int
oci_val_map (struct oci_pctx *c, yajl_val v, struct oci_string_map *m)
{
  size_t i, n;
  struct key_pos *sorted;
  size_t *value_from; /* for each entry: index of the value to keep, or SIZE_MAX if dropped */

  if (oci_expect_object (c, v) < 0)
    return -1;
  n = v->u.object.len;
  for (i = 0; i < n; i++)
    {
      yajl_val val = v->u.object.values[i];
      if (val == NULL || !YAJL_IS_STRING (val))
        {
          size_t saved = oci_path_key (c, v->u.object.keys[i]);
          oci_fail (c, "expected string");
          oci_path_restore (c, saved);
          return -1;
        }
    }
  oci_string_map_free (m);
  if (n == 0)
    return 0;
  /* Repeated keys: the last value wins at the first key's position.  Sort
     instead of pairwise compare so huge maps stay O(n log n). */
  sorted = oci_array_alloc (n, sizeof *sorted);
  value_from = oci_array_alloc (n, sizeof *value_from);
  for (i = 0; i < n; i++)
    {
      sorted[i].key = v->u.object.keys[i];
      sorted[i].pos = i;
      value_from[i] = SIZE_MAX;
    }
  qsort (sorted, n, sizeof *sorted, key_pos_cmp);
  for (i = 0; i < n;)
    {
      size_t j = i;
      while (j + 1 < n && strcmp (sorted[j + 1].key, sorted[i].key) == 0)
        j++;
      value_from[sorted[i].pos] = sorted[j].pos;
      i = j + 1;
    }
  m->keys = oci_array_alloc (n, sizeof (char *));
  m->values = oci_array_alloc (n, sizeof (char *));
  for (i = 0; i < n; i++)
    if (value_from[i] != SIZE_MAX)
      {
        m->keys[m->len] = oci_xstrdup (v->u.object.keys[i]);
        m->values[m->len] = oci_xstrdup (v->u.object.values[value_from[i]]->u.string);
        m->len++;
      }
  free (sorted);
  free (value_from);
  return 0;
}

/* Common prologue of the obj[key] readers: look up, extend the path. */
#define GET_PROLOGUE(c, obj, key, v, saved)                                                                  \
  yajl_val v = oci_obj_get (obj, key);                                                                       \
  size_t saved;                                                                                              \
  if (v == NULL)                                                                                             \
    return 0;                                                                                                \
  saved = oci_path_key (c, key)

int
oci_get_str (struct oci_pctx *c, yajl_val obj, const char *key, char **out)
{
  GET_PROLOGUE (c, obj, key, v, saved);
  if (oci_val_str (c, v, out) < 0)
    return -1;
  oci_path_restore (c, saved);
  return 1;
}

int
oci_get_bool (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, bool *out)
{
  GET_PROLOGUE (c, obj, key, v, saved);
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return oci_fail (c, "expected boolean");
  *out = YAJL_IS_TRUE (v);
  if (has)
    *has = true;
  oci_path_restore (c, saved);
  return 1;
}

int
oci_get_int (struct oci_pctx *c, yajl_val obj, const char *key, int64_t min, int64_t max, bool *has,
             int64_t *out)
{
  GET_PROLOGUE (c, obj, key, v, saved);
  if (oci_val_int (c, v, min, max, out) < 0)
    return -1;
  if (has)
    *has = true;
  oci_path_restore (c, saved);
  return 1;
}

int
oci_get_uint (struct oci_pctx *c, yajl_val obj, const char *key, uint64_t max, bool *has, uint64_t *out)
{
  GET_PROLOGUE (c, obj, key, v, saved);
  if (oci_val_uint (c, v, max, out) < 0)
    return -1;
  if (has)
    *has = true;
  oci_path_restore (c, saved);
  return 1;
}

int
oci_get_i32 (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, int32_t *out)
{
  int64_t t;
  int r = oci_get_int (c, obj, key, INT32_MIN, INT32_MAX, has, &t);
  if (r > 0)
    *out = (int32_t)t;
  return r;
}

int
oci_get_u32 (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, uint32_t *out)
{
  uint64_t t;
  int r = oci_get_uint (c, obj, key, UINT32_MAX, has, &t);
  if (r > 0)
    *out = (uint32_t)t;
  return r;
}

int
oci_get_u16 (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, uint16_t *out)
{
  uint64_t t;
  int r = oci_get_uint (c, obj, key, UINT16_MAX, has, &t);
  if (r > 0)
    *out = (uint16_t)t;
  return r;
}

int
oci_get_i64 (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, int64_t *out)
{
  return oci_get_int (c, obj, key, INT64_MIN, INT64_MAX, has, out);
}

int
oci_get_u64 (struct oci_pctx *c, yajl_val obj, const char *key, bool *has, uint64_t *out)
{
  return oci_get_uint (c, obj, key, UINT64_MAX, has, out);
}

int
oci_get_strv (struct oci_pctx *c, yajl_val obj, const char *key, char ***out, size_t *len)
{
  GET_PROLOGUE (c, obj, key, v, saved);
  if (oci_val_strv (c, v, out, len) < 0)
    return -1;
  oci_path_restore (c, saved);
  return 1;
}

int
oci_get_map (struct oci_pctx *c, yajl_val obj, const char *key, struct oci_string_map *m)
{
  GET_PROLOGUE (c, obj, key, v, saved);
  if (oci_val_map (c, v, m) < 0)
    return -1;
  oci_path_restore (c, saved);
  return 1;
}

int
oci_get_array (struct oci_pctx *c, yajl_val obj, const char *key, yajl_val *out)
{
  GET_PROLOGUE (c, obj, key, v, saved);
  if (oci_expect_array (c, v) < 0)
    return -1;
  *out = v;
  oci_path_restore (c, saved);
  return 1;
}

int
oci_get_object (struct oci_pctx *c, yajl_val obj, const char *key, yajl_val *out)
{
  GET_PROLOGUE (c, obj, key, v, saved);
  if (oci_expect_object (c, v) < 0)
    return -1;
  *out = v;
  oci_path_restore (c, saved);
  return 1;
}

bool
oci_number_is_integral (const char *r)
{
  return strpbrk (r, ".eE") == NULL;
}

/* ======================= string maps ======================= */

const char *
oci_string_map_get (const struct oci_string_map *m, const char *key)
{
  size_t i;
  if (m == NULL || key == NULL)
    return NULL;
  for (i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], key) == 0)
      return m->values[i];
  return NULL;
}

void
oci_string_map_append (struct oci_string_map *m, const char *key, const char *value)
{
  /* Exact-size realloc: maps may come from callers that sized the arrays
     themselves, so no hidden capacity is assumed. */
  size_t n = m->len;
  m->keys = oci_xrealloc (m->keys, (n + 1) * sizeof (char *));
  m->values = oci_xrealloc (m->values, (n + 1) * sizeof (char *));
  m->keys[n] = oci_xstrdup (key);
  m->values[n] = oci_xstrdup (value ? value : "");
  m->len = n + 1;
}

void
oci_string_map_set (struct oci_string_map *m, const char *key, const char *value)
{
  size_t i;
  if (m == NULL || key == NULL)
    return;
  for (i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], key) == 0)
      {
        char *nv = oci_xstrdup (value ? value : "");
        free (m->values[i]);
        m->values[i] = nv;
        return;
      }
  oci_string_map_append (m, key, value);
}

void
oci_string_map_free (struct oci_string_map *m)
{
  oci_strv_free (m->keys, m->len);
  oci_strv_free (m->values, m->len);
  m->keys = NULL;
  m->values = NULL;
  m->len = 0;
}

/* ======================= generation ======================= */

yajl_gen
oci_gen_new (bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return NULL;
  if (pretty)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "\t");
    }
  return g;
}

/* yajl's beautifier prints an empty container as "[\n\n\t]"; fold it to
   "[]".  A raw newline never occurs inside a generated string (yajl escapes
   it), so a bracket followed by whitespace containing '\n' is structural. */
static size_t
collapse_empty (char *s, size_t len)
{
  size_t r = 0, w = 0;
  while (r < len)
    {
      char ch = s[r];
      if ((ch == '[' || ch == '{') && r + 1 < len && s[r + 1] == '\n')
        {
          size_t k = r + 1;
          while (k < len && (s[k] == '\n' || s[k] == '\t' || s[k] == ' '))
            k++;
          if (k < len && s[k] == (ch == '[' ? ']' : '}'))
            {
              s[w++] = ch;
              s[w++] = s[k];
              r = k + 1;
              continue;
            }
        }
      s[w++] = s[r++];
    }
  s[w] = '\0';
  return w;
}

char *
oci_gen_finish (yajl_gen g)
{
  const unsigned char *buf;
  size_t len;
  char *out = NULL;
  if (g == NULL)
    return NULL;
  if (yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok)
    {
      out = malloc (len + 1);
      if (out)
        {
          memcpy (out, buf, len);
          out[len] = '\0';
          len = collapse_empty (out, len);
          while (len > 0 && out[len - 1] == '\n')
            out[--len] = '\0';
        }
    }
  yajl_gen_free (g);
  return out;
}

void
oci_gen_str (yajl_gen g, const char *s)
{
  if (s == NULL)
    yajl_gen_null (g);
  else
    yajl_gen_string (g, (const unsigned char *)s, strlen (s));
}

void
oci_gen_key (yajl_gen g, const char *k)
{
  yajl_gen_string (g, (const unsigned char *)k, strlen (k));
}

void
oci_gen_kstr (yajl_gen g, const char *k, const char *s)
{
  if (s == NULL)
    return;
  oci_gen_key (g, k);
  oci_gen_str (g, s);
}

void
oci_gen_kbool (yajl_gen g, const char *k, bool b)
{
  oci_gen_key (g, k);
  yajl_gen_bool (g, b);
}

void
oci_gen_kint (yajl_gen g, const char *k, int64_t v)
{
  oci_gen_key (g, k);
  yajl_gen_integer (g, v);
}

void
oci_gen_uint (yajl_gen g, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%" PRIu64, v);
  yajl_gen_number (g, buf, (size_t)n);
}

void
oci_gen_kuint (yajl_gen g, const char *k, uint64_t v)
{
  oci_gen_key (g, k);
  oci_gen_uint (g, v);
}

void
oci_gen_strv (yajl_gen g, char *const *v, size_t n)
{
  size_t i;
  yajl_gen_array_open (g);
  for (i = 0; i < n; i++)
    oci_gen_str (g, v[i]);
  yajl_gen_array_close (g);
}

void
oci_gen_kstrv (yajl_gen g, const char *k, char *const *v, size_t n)
{
  if (v == NULL && n == 0)
    return;
  oci_gen_key (g, k);
  oci_gen_strv (g, v, n);
}

void
oci_gen_map (yajl_gen g, const struct oci_string_map *m)
{
  size_t i;
  yajl_gen_map_open (g);
  for (i = 0; m && i < m->len; i++)
    {
      oci_gen_key (g, m->keys[i]);
      oci_gen_str (g, m->values[i]);
    }
  yajl_gen_map_close (g);
}

void
oci_gen_kmap (yajl_gen g, const char *k, const struct oci_string_map *m)
{
  if (m == NULL || m->len == 0)
    return;
  oci_gen_key (g, k);
  oci_gen_map (g, m);
}

/* ======================= small documents ======================= */

char *
oci_json_log_record (const char *level, const char *msg, const char *time)
{
  yajl_gen g = oci_gen_new (false);
  if (g == NULL)
    return NULL;
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "level", level ? level : "info");
  oci_gen_kstr (g, "msg", msg ? msg : "");
  oci_gen_kstr (g, "time", time);
  yajl_gen_map_close (g);
  return oci_gen_finish (g);
}

char **
oci_json_parse_string_array (const char *json, size_t *len, const char *what, char **errmsg)
{
  struct oci_pctx c;
  yajl_val tree;
  char **out = NULL;
  size_t n = 0;

  if (errmsg)
    *errmsg = NULL;
  oci_pctx_init (&c, what);
  tree = oci_tree_parse (&c, json, json ? strlen (json) : 0);
  if (tree == NULL || oci_val_strv (&c, tree, &out, &n) < 0)
    {
      oci_strv_free (out, n);
      out = NULL;
      n = 0;
    }
  if (tree)
    oci_tree_free (tree);
  oci_pctx_finish (&c, errmsg);
  if (len)
    *len = n;
  return out;
}

char *
oci_json_string_array (char *const *v, size_t n)
{
  yajl_gen g = oci_gen_new (false);
  if (g == NULL)
    return NULL;
  oci_gen_strv (g, v, n);
  return oci_gen_finish (g);
}

char *
oci_json_int_array (const int *v, size_t n)
{
  size_t i;
  yajl_gen g = oci_gen_new (false);
  if (g == NULL)
    return NULL;
  yajl_gen_array_open (g);
  for (i = 0; i < n; i++)
    yajl_gen_integer (g, v[i]);
  yajl_gen_array_close (g);
  return oci_gen_finish (g);
}
