/*
 * json.c - the strict JSON scanner and the frame builder shared by the
 * message modules (see json.h).
 *
 * It knows no message: request.c, response.c and aclfile.c give the
 * objects their meaning.  It does no I/O.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/frame.h"
#include "ferry/limits.h"
#include "ferry/path.h"
#include "json.h"

/* ---- strict JSON scanner ---------------------------------------------- */


struct scan {
	const unsigned char *p;
	size_t n, i;
	int depth, max_depth;
	unsigned nul; /* NUL_* flags */
};

static void skip_ws(struct scan *s)
{
	while (s->i < s->n && (s->p[s->i] == ' ' || s->p[s->i] == '\t' ||
			       s->p[s->i] == '\n' || s->p[s->i] == '\r'))
		s->i++;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int scan_u4(struct scan *s, unsigned *cp)
{
	if (s->n - s->i < 4)
		return -1;
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(s->p[s->i + k]);
		if (h < 0)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	s->i += 4;
	*cp = v;
	return 0;
}

/* Scan a string starting at '"'.  *had_nul is set when it holds \u0000. */
static int scan_string(struct scan *s, bool *had_nul)
{
	*had_nul = false;
	s->i++; /* opening quote */
	size_t run = s->i; /* start of raw (unescaped) bytes */
	while (s->i < s->n) {
		unsigned char c = s->p[s->i];
		if (c == '"' || c == '\\') {
			if (!fr_utf8_valid((const char *)s->p + run, s->i - run))
				return -1;
			if (c == '"') {
				s->i++;
				return 0;
			}
			if (s->n - s->i < 2)
				return -1;
			unsigned char e = s->p[s->i + 1];
			s->i += 2;
			if (e == 'u') {
				unsigned cp;
				if (scan_u4(s, &cp))
					return -1;
				if (cp == 0)
					*had_nul = true;
				if (cp >= 0xDC00 && cp <= 0xDFFF)
					return -1; /* lone low surrogate */
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					unsigned lo;
					if (s->n - s->i < 2 || s->p[s->i] != '\\' ||
					    s->p[s->i + 1] != 'u')
						return -1;
					s->i += 2;
					if (scan_u4(s, &lo) || lo < 0xDC00 || lo > 0xDFFF)
						return -1;
				}
			} else if (!strchr("\"\\/bfnrt", e) || e == 0) {
				return -1;
			}
			run = s->i;
			continue;
		}
		if (c < 0x20)
			return -1; /* raw control character */
		s->i++;
	}
	return -1; /* unterminated */
}

static int scan_number(struct scan *s)
{
	size_t st = s->i;
	if (s->i < s->n && s->p[s->i] == '-')
		s->i++;
	if (s->i >= s->n)
		return -1;
	if (s->p[s->i] == '0') {
		s->i++;
	} else if (s->p[s->i] >= '1' && s->p[s->i] <= '9') {
		while (s->i < s->n && s->p[s->i] >= '0' && s->p[s->i] <= '9')
			s->i++;
	} else {
		return -1;
	}
	if (s->i < s->n && s->p[s->i] == '.') {
		s->i++;
		size_t d = s->i;
		while (s->i < s->n && s->p[s->i] >= '0' && s->p[s->i] <= '9')
			s->i++;
		if (s->i == d)
			return -1;
	}
	if (s->i < s->n && (s->p[s->i] == 'e' || s->p[s->i] == 'E')) {
		s->i++;
		if (s->i < s->n && (s->p[s->i] == '+' || s->p[s->i] == '-'))
			s->i++;
		size_t d = s->i;
		while (s->i < s->n && s->p[s->i] >= '0' && s->p[s->i] <= '9')
			s->i++;
		if (s->i == d)
			return -1;
	}
	return s->i > st ? 0 : -1;
}

static int scan_literal(struct scan *s, const char *lit)
{
	size_t l = strlen(lit);
	if (s->n - s->i < l || memcmp(s->p + s->i, lit, l) != 0)
		return -1;
	s->i += l;
	return 0;
}

static int scan_value(struct scan *s, bool top_member, bool is_path);

static int scan_object(struct scan *s)
{
	bool top = s->depth == 0;
	if (++s->depth > s->max_depth)
		return -1;
	s->i++; /* '{' */
	skip_ws(s);
	if (s->i < s->n && s->p[s->i] == '}') {
		s->i++;
		s->depth--;
		return 0;
	}
	for (;;) {
		bool nul;
		skip_ws(s);
		if (s->i >= s->n || s->p[s->i] != '"')
			return -1;
		size_t key_start = s->i + 1;
		if (scan_string(s, &nul))
			return -1;
		if (nul)
			s->nul |= NUL_IN_KEY;
		size_t key_len = s->i - 1 - key_start;
		bool is_path = top && key_len == 4 &&
			       memcmp(s->p + key_start, "path", 4) == 0;
		skip_ws(s);
		if (s->i >= s->n || s->p[s->i] != ':')
			return -1;
		s->i++;
		if (scan_value(s, top, is_path))
			return -1;
		skip_ws(s);
		if (s->i >= s->n)
			return -1;
		if (s->p[s->i] == ',') {
			s->i++;
			continue;
		}
		if (s->p[s->i] != '}')
			return -1;
		s->i++;
		s->depth--;
		return 0;
	}
}

static int scan_array(struct scan *s)
{
	if (++s->depth > s->max_depth)
		return -1;
	s->i++; /* '[' */
	skip_ws(s);
	if (s->i < s->n && s->p[s->i] == ']') {
		s->i++;
		s->depth--;
		return 0;
	}
	for (;;) {
		if (scan_value(s, false, false))
			return -1;
		skip_ws(s);
		if (s->i >= s->n)
			return -1;
		if (s->p[s->i] == ',') {
			s->i++;
			continue;
		}
		if (s->p[s->i] != ']')
			return -1;
		s->i++;
		s->depth--;
		return 0;
	}
}

static int scan_value(struct scan *s, bool top_member, bool is_path)
{
	skip_ws(s);
	if (s->i >= s->n)
		return -1;
	switch (s->p[s->i]) {
	case '{':
		return scan_object(s);
	case '[':
		return scan_array(s);
	case '"': {
		bool nul;
		if (scan_string(s, &nul))
			return -1;
		if (nul)
			s->nul |= is_path ? NUL_IN_PATH : NUL_ELSEWHERE;
		(void)top_member;
		return 0;
	}
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		return scan_number(s);
	}
}

/* Validate payload as exactly one JSON object.  0 or -1; *at (may be
 * NULL) receives the offset where scanning stopped. */
int json_scan_at(const void *payload, size_t len, int max_depth,
			unsigned *nul, size_t *at)
{
	struct scan s = {.p = payload, .n = len, .max_depth = max_depth};
	int rc = -1;
	skip_ws(&s);
	if (s.i >= s.n || s.p[s.i] != '{')
		goto out;
	if (scan_object(&s))
		goto out;
	skip_ws(&s);
	if (s.i != s.n)
		goto out; /* trailing bytes */
	*nul = s.nul;
	rc = 0;
out:
	if (at)
		*at = s.i;
	return rc;
}

static int json_scan(const void *payload, size_t len, int max_depth,
		     unsigned *nul)
{
	return json_scan_at(payload, len, max_depth, nul, NULL);
}

/* ---- shared helpers ---------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* True if the object has two members with the same name. */
bool json_has_duplicate_keys(const cJSON *obj)
{
	size_t n = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		n++;
	if (n < 2)
		return false;
	const char **names = malloc(n * sizeof(*names));
	if (names == NULL)
		return true; /* refuse rather than guess */
	size_t k = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		names[k++] = c->string ? c->string : "";
	qsort(names, n, sizeof(*names), cmp_names);
	bool dup = false;
	for (size_t i = 1; i < n && !dup; i++)
		dup = strcmp(names[i - 1], names[i]) == 0;
	free(names);
	return dup;
}

/* Parse and validate; NULL when the payload is not one clean JSON object. */
cJSON *json_parse_object(const void *payload, size_t len, unsigned *nul)
{
	if (json_scan(payload, len, FR_JSON_DEPTH_MAX, nul))
		return NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(payload, len, NULL, 0);
	if (root && !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}


/* SECURITY: cJSON's valueint saturates at INT_MAX; use the double and
 * require a finite integral value in [min, FR_SIZE_MAX]. */
enum int_check json_get_int(const cJSON *item, double min, int64_t *out)
{
	if (!cJSON_IsNumber(item))
		return INT_NOT_INTEGER;
	double d = item->valuedouble;
	if (!isfinite(d) || d < min)
		return INT_NOT_INTEGER;
	if (d > (double)FR_SIZE_MAX)
		return INT_TOO_LARGE; /* every double this large is integral */
	/* in range for int64_t now; integral iff the conversion is exact (no
	 * floor(): ferrycore does not link libm) */
	if ((double)(int64_t)d != d)
		return INT_NOT_INTEGER;
	*out = (int64_t)d;
	return INT_OK;
}

/* Copy a string member into dst (size cap); -1 if longer. */
int json_copy_str(char *dst, size_t cap, const char *src)
{
	size_t l = strlen(src);
	if (l >= cap)
		return -1;
	memcpy(dst, src, l + 1);
	return 0;
}

/* ---- builders ----------------------------------------------------------- */

/* Print obj as one frame into out (at most max bytes) and free it. */
static int emit(struct fr_buf *out, cJSON *obj, size_t max)
{
	int rc = FR_E_NOMEM;
	char *s = NULL;
	if (obj == NULL)
		goto out;
	s = cJSON_PrintUnformatted(obj);
	if (s == NULL)
		goto out;
	rc = fr_frame_put(out, s, strlen(s), max);
out:
	free(s);
	cJSON_Delete(obj);
	return rc;
}


struct json_obj json_obj_new(void)
{
	struct json_obj b = {.o = cJSON_CreateObject()};
	b.fail = b.o == NULL;
	return b;
}

void json_add_str(struct json_obj *b, const char *k, const char *v)
{
	if (!b->fail && cJSON_AddStringToObject(b->o, k, v) == NULL)
		b->fail = true;
}

/* cJSON 1.7.15 prints a double with 15 significant digits whenever they
 * read back within a relative DBL_EPSILON, so integers near 2^53 lose
 * their last digit (2^53-1 goes out as 9007199254740990).  Sizes, offsets,
 * mtimes and versions are integers: print them exactly ourselves. */
void json_add_raw(struct json_obj *b, const char *k, const char *num)
{
	if (!b->fail && cJSON_AddRawToObject(b->o, k, num) == NULL)
		b->fail = true;
}

void json_add_int(struct json_obj *b, const char *k, int64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRId64, v);
	json_add_raw(b, k, num);
}

void json_add_uint(struct json_obj *b, const char *k, uint64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRIu64, v);
	json_add_raw(b, k, num);
}

void json_add_bool(struct json_obj *b, const char *k, bool v)
{
	if (!b->fail && cJSON_AddBoolToObject(b->o, k, v) == NULL)
		b->fail = true;
}

int json_obj_emit(struct fr_buf *out, struct json_obj *b, size_t max)
{
	if (b->fail) {
		cJSON_Delete(b->o);
		return FR_E_NOMEM;
	}
	return emit(out, b->o, max);
}