/*
 * proto.c - protocol v1 messages over cJSON (see proto.h).
 *
 * The only module that includes cJSON.  Every payload first goes through
 * json_scan(), a strict RFC 8259 validator that closes the permissive
 * corners of cJSON 1.7.15 (escaped NULs that silently truncate strings,
 * trailing bytes, invalid UTF-8, raw control characters, unbounded
 * nesting); only then does cJSON build the tree we read typed fields from.
 * It does no I/O.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/frame.h"
#include "ferry/path.h"
#include "ferry/proto.h"

/* ---- strict JSON scanner ---------------------------------------------- */

/* Which top-level string values hold an escaped NUL (\u0000). */
enum {
	NUL_IN_KEY = 1 << 0,
	NUL_IN_PATH = 1 << 1,
	NUL_ELSEWHERE = 1 << 2, /* in a top-level value other than "path" */
};

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
static int json_scan_at(const void *payload, size_t len, int max_depth,
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
static bool has_duplicate_keys(const cJSON *obj)
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
static cJSON *parse_object(const void *payload, size_t len, unsigned *nul)
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

enum int_check { INT_OK, INT_NOT_INTEGER, INT_TOO_LARGE };

/* SECURITY: cJSON's valueint saturates at INT_MAX; use the double and
 * require a finite integral value in [min, FR_SIZE_MAX]. */
static enum int_check get_int(const cJSON *item, double min, int64_t *out)
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
static int copy_str(char *dst, size_t cap, const char *src)
{
	size_t l = strlen(src);
	if (l >= cap)
		return -1;
	memcpy(dst, src, l + 1);
	return 0;
}

static const struct {
	const char *name;
	enum fr_op op;
} op_table[] = {
	{"hello", FR_OP_HELLO}, {"put", FR_OP_PUT},   {"get", FR_OP_GET},
	{"list", FR_OP_LIST},   {"stat", FR_OP_STAT}, {"delete", FR_OP_DELETE},
};

const char *fr_op_name(enum fr_op op)
{
	for (size_t i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++)
		if (op_table[i].op == op)
			return op_table[i].name;
	return "?";
}

/* ---- requests ----------------------------------------------------------- */

#define REQ_FAIL(code, reason)                                                 \
	do {                                                                   \
		rc = (code);                                                   \
		*why = (reason);                                               \
		goto out;                                                      \
	} while (0)

int fr_request_parse(const void *payload, size_t len, struct fr_request *req,
		     const char **why)
{
	const char *dummy;
	unsigned nul = 0;
	int rc = FR_OK;
	cJSON *root = NULL;
	const cJSON *it;
	int64_t v;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	memset(req, 0, sizeof(*req));

	root = parse_object(payload, len, &nul);
	if (root == NULL)
		REQ_FAIL(FR_E_BAD_REQUEST, "request is not one valid JSON object");
	if (has_duplicate_keys(root))
		REQ_FAIL(FR_E_BAD_REQUEST, "request has a duplicate key");
	if (nul & (NUL_IN_KEY | NUL_ELSEWHERE))
		REQ_FAIL(FR_E_BAD_REQUEST, "request holds an escaped NUL (\\u0000)");

	it = cJSON_GetObjectItemCaseSensitive(root, "op");
	if (!cJSON_IsString(it))
		REQ_FAIL(FR_E_BAD_REQUEST, "request has no string \"op\"");
	snprintf(req->op_name, sizeof(req->op_name), "%s", it->valuestring);
	req->op = FR_OP_UNKNOWN;
	for (size_t i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++)
		if (strcmp(op_table[i].name, it->valuestring) == 0)
			req->op = op_table[i].op;
	if (req->op == FR_OP_UNKNOWN)
		goto out; /* unsupported: the other fields mean nothing to us */

	/* path: every op but hello requires it. */
	it = cJSON_GetObjectItemCaseSensitive(root, "path");
	if (req->op != FR_OP_HELLO) {
		if (it == NULL)
			REQ_FAIL(FR_E_BAD_REQUEST, "request has no \"path\"");
		if (!cJSON_IsString(it))
			REQ_FAIL(FR_E_BAD_REQUEST, "\"path\" must be a string");
		if (nul & NUL_IN_PATH)
			REQ_FAIL(FR_E_INVALID_PATH, "path contains a NUL byte");
		if (copy_str(req->path, sizeof(req->path), it->valuestring))
			REQ_FAIL(FR_E_INVALID_PATH, "path longer than 4095 bytes");
		rc = fr_path_check(req->path, strlen(req->path), why);
		if (rc != FR_OK)
			goto out;
		req->has_path = true;
	}

	switch (req->op) {
	case FR_OP_HELLO:
		it = cJSON_GetObjectItemCaseSensitive(root, "version");
		if (it) {
			if (get_int(it, 0, &v) != INT_OK)
				REQ_FAIL(FR_E_BAD_REQUEST, "\"version\" must be a non-negative integer");
			req->has_version = true;
			req->version = v;
		}
		it = cJSON_GetObjectItemCaseSensitive(root, "client");
		if (it && !cJSON_IsString(it))
			REQ_FAIL(FR_E_BAD_REQUEST, "\"client\" must be a string");
		break;
	case FR_OP_PUT:
		it = cJSON_GetObjectItemCaseSensitive(root, "size");
		if (it == NULL)
			REQ_FAIL(FR_E_BAD_REQUEST, "put needs \"size\"");
		switch (get_int(it, 0, &v)) {
		case INT_OK:
			break;
		case INT_TOO_LARGE:
			REQ_FAIL(FR_E_TOO_LARGE, "\"size\" is above 2^53-1");
		default:
			REQ_FAIL(FR_E_BAD_REQUEST, "\"size\" must be a non-negative integer");
		}
		req->has_size = true;
		req->size = (uint64_t)v;
		it = cJSON_GetObjectItemCaseSensitive(root, "sha256");
		if (it) {
			if (!cJSON_IsString(it) ||
			    !fr_sha256_hex_valid(it->valuestring, strlen(it->valuestring)))
				REQ_FAIL(FR_E_BAD_REQUEST, "\"sha256\" must be 64 lowercase hex digits");
			memcpy(req->sha256, it->valuestring, FR_SHA256_HEX);
			req->has_sha256 = true;
		}
		it = cJSON_GetObjectItemCaseSensitive(root, "overwrite");
		if (it) {
			if (!cJSON_IsBool(it))
				REQ_FAIL(FR_E_BAD_REQUEST, "\"overwrite\" must be true or false");
			req->overwrite = cJSON_IsTrue(it);
		}
		it = cJSON_GetObjectItemCaseSensitive(root, "resume");
		if (it) {
			if (!cJSON_IsBool(it))
				REQ_FAIL(FR_E_BAD_REQUEST, "\"resume\" must be true or false");
			req->resume = cJSON_IsTrue(it);
		}
		/* fall through: put may carry an offset (reserved) */
		/* FALLTHROUGH */
	case FR_OP_GET:
		it = cJSON_GetObjectItemCaseSensitive(root, "offset");
		if (it) {
			switch (get_int(it, 0, &v)) {
			case INT_OK:
				break;
			case INT_TOO_LARGE: /* the contract in proto.h */
				REQ_FAIL(FR_E_TOO_LARGE, "\"offset\" is above 2^53-1");
			default:
				REQ_FAIL(FR_E_BAD_REQUEST, "\"offset\" must be a non-negative integer");
			}
			req->has_offset = true;
			req->offset = (uint64_t)v;
		}
		break;
	case FR_OP_STAT:
		it = cJSON_GetObjectItemCaseSensitive(root, "sha256");
		if (it) {
			if (!cJSON_IsBool(it))
				REQ_FAIL(FR_E_BAD_REQUEST, "stat \"sha256\" must be true or false");
			req->want_sha256 = cJSON_IsTrue(it);
		}
		break;
	case FR_OP_LIST:
	case FR_OP_DELETE:
	case FR_OP_UNKNOWN:
	default:
		break;
	}
out:
	cJSON_Delete(root);
	if (rc != FR_OK && *why == NULL)
		*why = fr_err_str(rc);
	return rc;
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

/* cJSON_Add* return NULL on allocation failure; one flag collects them. */
struct obj {
	cJSON *o;
	bool fail;
};

static struct obj obj_new(void)
{
	struct obj b = {.o = cJSON_CreateObject()};
	b.fail = b.o == NULL;
	return b;
}

static void add_str(struct obj *b, const char *k, const char *v)
{
	if (!b->fail && cJSON_AddStringToObject(b->o, k, v) == NULL)
		b->fail = true;
}

/* cJSON 1.7.15 prints a double with 15 significant digits whenever they
 * read back within a relative DBL_EPSILON, so integers near 2^53 lose
 * their last digit (2^53-1 goes out as 9007199254740990).  Sizes, offsets,
 * mtimes and versions are integers: print them exactly ourselves. */
static void add_raw(struct obj *b, const char *k, const char *num)
{
	if (!b->fail && cJSON_AddRawToObject(b->o, k, num) == NULL)
		b->fail = true;
}

static void add_int(struct obj *b, const char *k, int64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRId64, v);
	add_raw(b, k, num);
}

static void add_uint(struct obj *b, const char *k, uint64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRIu64, v);
	add_raw(b, k, num);
}

static void add_bool(struct obj *b, const char *k, bool v)
{
	if (!b->fail && cJSON_AddBoolToObject(b->o, k, v) == NULL)
		b->fail = true;
}

static int obj_emit(struct fr_buf *out, struct obj *b, size_t max)
{
	if (b->fail) {
		cJSON_Delete(b->o);
		return FR_E_NOMEM;
	}
	return emit(out, b->o, max);
}

static int req_with_path(struct fr_buf *out, const char *op, const char *path,
			 struct obj *b)
{
	add_str(b, "op", op);
	add_str(b, "path", path);
	return obj_emit(out, b, FR_MAX_REQUEST);
}

int fr_req_hello(struct fr_buf *out)
{
	struct obj b = obj_new();
	add_str(&b, "op", "hello");
	add_int(&b, "version", FR_PROTO_VERSION);
	add_str(&b, "client", FR_CLIENT_ID);
	return obj_emit(out, &b, FR_MAX_REQUEST);
}

int fr_req_put(struct fr_buf *out, const char *path, uint64_t size,
	       const char *sha256, bool overwrite)
{
	return fr_req_put_resume(out, path, size, sha256, overwrite, false);
}

int fr_req_put_resume(struct fr_buf *out, const char *path, uint64_t size,
		      const char *sha256, bool overwrite, bool resume)
{
	struct obj b = obj_new();
	add_uint(&b, "size", size);
	if (sha256)
		add_str(&b, "sha256", sha256);
	if (overwrite)
		add_bool(&b, "overwrite", true);
	if (resume)
		add_bool(&b, "resume", true);
	return req_with_path(out, "put", path, &b);
}

int fr_req_get(struct fr_buf *out, const char *path, uint64_t offset)
{
	struct obj b = obj_new();
	if (offset)
		add_uint(&b, "offset", offset);
	return req_with_path(out, "get", path, &b);
}

int fr_req_list(struct fr_buf *out, const char *path)
{
	struct obj b = obj_new();
	return req_with_path(out, "list", path, &b);
}

int fr_req_stat(struct fr_buf *out, const char *path, bool want_sha256)
{
	struct obj b = obj_new();
	if (want_sha256)
		add_bool(&b, "sha256", true);
	return req_with_path(out, "stat", path, &b);
}

int fr_req_delete(struct fr_buf *out, const char *path)
{
	struct obj b = obj_new();
	return req_with_path(out, "delete", path, &b);
}

int fr_resp_error(struct fr_buf *out, int err, const char *message)
{
	const char *code = fr_err_code(err);
	struct obj b = obj_new();
	add_str(&b, "status", "error");
	add_str(&b, "code", code ? code : "internal");
	add_str(&b, "message", message ? message : fr_err_str(err));
	return obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_ready(struct fr_buf *out, bool has_size, uint64_t size,
		  uint64_t offset)
{
	struct obj b = obj_new();
	add_str(&b, "status", "ready");
	if (has_size)
		add_uint(&b, "size", size);
	add_uint(&b, "offset", offset);
	return obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_put_ready(struct fr_buf *out, uint64_t offset,
		      const char *prefix_sha256)
{
	struct obj b = obj_new();
	add_str(&b, "status", "ready");
	add_uint(&b, "offset", offset);
	if (prefix_sha256)
		add_str(&b, "prefix_sha256", prefix_sha256);
	return obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_hello(struct fr_buf *out, const char *identity, const char *perms)
{
	struct obj b = obj_new();
	add_str(&b, "status", "ok");
	add_int(&b, "version", FR_PROTO_VERSION);
	add_str(&b, "server", FR_SERVER_ID);
	add_str(&b, "identity", identity);
	add_str(&b, "perms", perms);
	return obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_put_ok(struct fr_buf *out, const char *path, uint64_t size,
		   const char *sha256)
{
	struct obj b = obj_new();
	add_str(&b, "status", "ok");
	add_str(&b, "path", path);
	add_uint(&b, "size", size);
	add_str(&b, "sha256", sha256);
	return obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_get_ok(struct fr_buf *out, const char *sha256)
{
	struct obj b = obj_new();
	add_str(&b, "status", "ok");
	add_str(&b, "sha256", sha256);
	return obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_stat_ok(struct fr_buf *out, bool is_dir, uint64_t size,
		    int64_t mtime, const char *sha256)
{
	struct obj b = obj_new();
	add_str(&b, "status", "ok");
	add_str(&b, "type", is_dir ? "dir" : "file");
	add_uint(&b, "size", size);
	add_int(&b, "mtime", mtime);
	if (sha256)
		add_str(&b, "sha256", sha256);
	return obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_delete_ok(struct fr_buf *out)
{
	struct obj b = obj_new();
	add_str(&b, "status", "ok");
	return obj_emit(out, &b, FR_MAX_RESPONSE);
}

struct fr_list_builder {
	cJSON *entries;
	size_t n;
};

struct fr_list_builder *fr_list_new(void)
{
	struct fr_list_builder *lb = calloc(1, sizeof(*lb));
	if (lb == NULL)
		return NULL;
	lb->entries = cJSON_CreateArray();
	if (lb->entries == NULL) {
		free(lb);
		return NULL;
	}
	return lb;
}

void fr_list_free(struct fr_list_builder *lb)
{
	if (lb == NULL)
		return;
	cJSON_Delete(lb->entries);
	free(lb);
}

int fr_list_add(struct fr_list_builder *lb, const struct fr_entry *e)
{
	/* Names are <= 255 bytes and escape to at most 510; with the other
	 * fields an entry prints in < 700 bytes, so 1000 entries always fit
	 * one 1 MiB response frame. */
	if (lb->n >= FR_LIST_ENTRIES_PER_FRAME)
		return FR_AGAIN;
	struct obj b = obj_new();
	add_str(&b, "name", e->name);
	add_str(&b, "type", e->is_dir ? "dir" : "file");
	add_uint(&b, "size", e->size);
	add_int(&b, "mtime", e->mtime);
	if (b.fail) {
		cJSON_Delete(b.o);
		return FR_E_NOMEM;
	}
	if (!cJSON_AddItemToArray(lb->entries, b.o)) {
		cJSON_Delete(b.o);
		return FR_E_NOMEM;
	}
	lb->n++;
	return FR_OK;
}

int fr_list_flush(struct fr_list_builder *lb, struct fr_buf *out, bool more)
{
	cJSON *fresh = cJSON_CreateArray();
	if (fresh == NULL)
		return FR_E_NOMEM;
	struct obj b = obj_new();
	add_str(&b, "status", "ok");
	if (!b.fail && !cJSON_AddItemToObject(b.o, "entries", lb->entries))
		b.fail = true;
	else if (!b.fail)
		lb->entries = NULL; /* now owned by b.o */
	add_bool(&b, "more", more);
	if (lb->entries == NULL) {
		lb->entries = fresh;
		lb->n = 0;
	} else {
		cJSON_Delete(fresh);
	}
	return obj_emit(out, &b, FR_MAX_RESPONSE);
}

/* ---- responses ---------------------------------------------------------- */

#define RESP_FAIL(reason)                                                      \
	do {                                                                   \
		*why = (reason);                                               \
		rc = FR_E_PROTOCOL;                                            \
		goto out;                                                      \
	} while (0)

static int get_uint_member(const cJSON *root, const char *k, bool *has,
			   uint64_t *out)
{
	int64_t v;
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, k);
	if (it == NULL)
		return 0;
	if (get_int(it, 0, &v) != INT_OK)
		return -1;
	*has = true;
	*out = (uint64_t)v;
	return 0;
}

static int parse_entry(const cJSON *e, struct fr_entry *out)
{
	int64_t v;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(e, "size");
	const cJSON *mtime = cJSON_GetObjectItemCaseSensitive(e, "mtime");
	/* SECURITY: with a duplicate key cJSON's lookup finds the first copy;
	 * refuse rather than validate one copy and let a caller see another. */
	if (!cJSON_IsObject(e) || has_duplicate_keys(e) || !cJSON_IsString(name) ||
	    !cJSON_IsString(type))
		return -1;
	size_t l = strlen(name->valuestring);
	/* SECURITY: a listed name is one valid component, never a path. */
	if (l == 0 || l > FR_NAME_MAX || strchr(name->valuestring, '/') ||
	    fr_path_check(name->valuestring, l, NULL) != FR_OK)
		return -1;
	memcpy(out->name, name->valuestring, l + 1);
	if (strcmp(type->valuestring, "dir") == 0)
		out->is_dir = true;
	else if (strcmp(type->valuestring, "file") == 0)
		out->is_dir = false;
	else
		return -1;
	if (get_int(size, 0, &v) != INT_OK)
		return -1;
	out->size = (uint64_t)v;
	if (get_int(mtime, -(double)FR_SIZE_MAX, &v) != INT_OK)
		return -1;
	out->mtime = v;
	return 0;
}

int fr_response_parse(const void *payload, size_t len,
		      struct fr_response *resp, const char **why)
{
	const char *dummy;
	unsigned nul = 0;
	int rc = FR_OK;
	cJSON *root = NULL;
	const cJSON *it;
	int64_t v;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	memset(resp, 0, sizeof(*resp));

	root = parse_object(payload, len, &nul);
	if (root == NULL)
		RESP_FAIL("response is not one valid JSON object");
	if (nul)
		RESP_FAIL("response holds an escaped NUL");
	if (has_duplicate_keys(root))
		RESP_FAIL("response has a duplicate key");
	it = cJSON_GetObjectItemCaseSensitive(root, "status");
	if (!cJSON_IsString(it))
		RESP_FAIL("response has no string \"status\"");
	if (strcmp(it->valuestring, "ready") == 0)
		resp->status = FR_ST_READY;
	else if (strcmp(it->valuestring, "ok") == 0)
		resp->status = FR_ST_OK;
	else if (strcmp(it->valuestring, "error") == 0)
		resp->status = FR_ST_ERROR;
	else
		RESP_FAIL("response has an unknown \"status\"");

	if (resp->status == FR_ST_ERROR) {
		it = cJSON_GetObjectItemCaseSensitive(root, "code");
		if (!cJSON_IsString(it) || copy_str(resp->code, sizeof(resp->code), it->valuestring))
			RESP_FAIL("error response without a valid \"code\"");
		resp->err = fr_err_from_code(resp->code);
		it = cJSON_GetObjectItemCaseSensitive(root, "message");
		if (cJSON_IsString(it)) {
			snprintf(resp->message, sizeof(resp->message), "%s", it->valuestring);
			for (char *c = resp->message; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
		}
		goto out;
	}

	if (get_uint_member(root, "size", &resp->has_size, &resp->size) ||
	    get_uint_member(root, "offset", &resp->has_offset, &resp->offset))
		RESP_FAIL("response has a bad \"size\" or \"offset\"");
	it = cJSON_GetObjectItemCaseSensitive(root, "sha256");
	if (it) {
		if (!cJSON_IsString(it) ||
		    !fr_sha256_hex_valid(it->valuestring, strlen(it->valuestring)))
			RESP_FAIL("response has a bad \"sha256\"");
		memcpy(resp->sha256, it->valuestring, FR_SHA256_HEX);
		resp->has_sha256 = true;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "prefix_sha256");
	if (it) {
		if (!cJSON_IsString(it) ||
		    !fr_sha256_hex_valid(it->valuestring, strlen(it->valuestring)))
			RESP_FAIL("response has a bad \"prefix_sha256\"");
		memcpy(resp->prefix_sha256, it->valuestring, FR_SHA256_HEX);
		resp->has_prefix_sha256 = true;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "path");
	if (it) {
		if (!cJSON_IsString(it) || copy_str(resp->path, sizeof(resp->path), it->valuestring) ||
		    fr_path_check(resp->path, strlen(resp->path), NULL) != FR_OK)
			RESP_FAIL("response has a bad \"path\"");
		resp->has_path = true;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (it) {
		if (get_int(it, 0, &v) != INT_OK)
			RESP_FAIL("response has a bad \"version\"");
		resp->version = v;
	}
	const struct {
		const char *key;
		char *dst;
		size_t cap;
	} strs[] = {
		{"server", resp->server, sizeof(resp->server)},
		{"identity", resp->identity, sizeof(resp->identity)},
		{"perms", resp->perms, sizeof(resp->perms)},
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		it = cJSON_GetObjectItemCaseSensitive(root, strs[i].key);
		if (it == NULL)
			continue;
		if (!cJSON_IsString(it) || copy_str(strs[i].dst, strs[i].cap, it->valuestring))
			RESP_FAIL("response has a bad string field");
		for (char *c = strs[i].dst; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "type");
	if (it) {
		if (!cJSON_IsString(it))
			RESP_FAIL("response has a bad \"type\"");
		if (strcmp(it->valuestring, "dir") == 0)
			resp->is_dir = true;
		else if (strcmp(it->valuestring, "file") != 0)
			RESP_FAIL("response has an unknown \"type\"");
		resp->has_type = true;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "mtime");
	if (it) {
		if (get_int(it, -(double)FR_SIZE_MAX, &v) != INT_OK)
			RESP_FAIL("response has a bad \"mtime\"");
		resp->has_mtime = true;
		resp->mtime = v;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "more");
	if (it) {
		if (!cJSON_IsBool(it))
			RESP_FAIL("response has a bad \"more\"");
		resp->more = cJSON_IsTrue(it);
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "entries");
	if (it) {
		if (!cJSON_IsArray(it))
			RESP_FAIL("response has a bad \"entries\"");
		int n = cJSON_GetArraySize(it);
		resp->has_entries = true;
		if (n > 0) {
			resp->entries = calloc((size_t)n, sizeof(*resp->entries));
			if (resp->entries == NULL)
				RESP_FAIL("out of memory");
			const cJSON *e;
			cJSON_ArrayForEach(e, it)
			{
				if (parse_entry(e, &resp->entries[resp->n_entries]))
					RESP_FAIL("response has a bad list entry");
				resp->n_entries++;
			}
		}
	}
out:
	cJSON_Delete(root);
	if (rc != FR_OK)
		fr_response_cleanup(resp);
	return rc;
}

void fr_response_cleanup(struct fr_response *resp)
{
	free(resp->entries);
	resp->entries = NULL;
	resp->n_entries = 0;
}

/* ---- ACL file (ferryd --acl) -------------------------------------------- */

/* 1-based line of byte offset at in text. */
static size_t line_of(const unsigned char *text, size_t len, size_t at)
{
	size_t line = 1;
	for (size_t i = 0; i < at && i < len; i++)
		line += text[i] == '\n';
	return line;
}

static int cmp_ident(const void *a, const void *b)
{
	return strcmp(((const struct fr_acl_ident *)a)->name,
		      ((const struct fr_acl_ident *)b)->name);
}

/* "rwld" in any order, each letter at most once; -1 otherwise. */
static int parse_perms(const char *s, unsigned *out)
{
	static const char letters[] = "rwld";
	unsigned bits = 0;
	for (; *s; s++) {
		const char *l = strchr(letters, *s);
		if (*s == '\0' || l == NULL)
			return -1;
		unsigned bit = 1u << (l - letters);
		if (bits & bit)
			return -1;
		bits |= bit;
	}
	*out = bits;
	return 0;
}

/* SECURITY: an identity name is matched byte for byte against a
 * certificate CN and never used as a path; still, refuse names no sane CA
 * issues (control characters) so that a look-alike CN cannot match. */
static bool ident_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > FR_IDENTITY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

#define ACL_FAIL(...)                                                          \
	do {                                                                   \
		snprintf(err, errlen, __VA_ARGS__);                            \
		goto out;                                                      \
	} while (0)

int fr_acl_parse(const void *text, size_t len, struct fr_acl_file *out,
		 char *err, size_t errlen)
{
	const unsigned char *t = text;
	struct fr_acl_ident *v = NULL;
	cJSON *root = NULL;
	const cJSON *ids, *id, *f;
	unsigned nul = 0;
	size_t at = 0, n = 0, k = 0;
	int rc = FR_E_USAGE;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (len > FR_ACL_FILE_MAX)
		ACL_FAIL("larger than %u bytes", FR_ACL_FILE_MAX);
	if (json_scan_at(text, len, FR_JSON_DEPTH_MAX, &nul, &at))
		ACL_FAIL("line %zu: not one valid JSON object (strict RFC 8259, "
			 "UTF-8, no trailing bytes)", line_of(t, len, at));
	if (nul)
		ACL_FAIL("an escaped NUL (\\u0000) in a string");
	root = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
	if (root == NULL || !cJSON_IsObject(root))
		ACL_FAIL("not a JSON object");
	if (has_duplicate_keys(root))
		ACL_FAIL("a top-level key appears twice");
	for (f = root->child; f; f = f->next)
		if (strcmp(f->string, "identities") != 0)
			ACL_FAIL("unknown top-level field \"%.64s\" (only "
				 "\"identities\")", f->string);
	ids = cJSON_GetObjectItemCaseSensitive(root, "identities");
	if (!cJSON_IsObject(ids))
		ACL_FAIL("\"identities\": missing or not an object");
	if (has_duplicate_keys(ids))
		ACL_FAIL("\"identities\": an identity appears twice");
	for (id = ids->child; id; id = id->next)
		n++;
	if (n > FR_ACL_MAX_IDENTITIES)
		ACL_FAIL("\"identities\": more than %u entries",
			 FR_ACL_MAX_IDENTITIES);
	v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL) {
		rc = FR_E_NOMEM;
		ACL_FAIL("out of memory");
	}
	for (id = ids->child; id; id = id->next, k++) {
		const char *name = id->string;
		const cJSON *r = NULL, *p = NULL;
		const char *why = NULL;
		if (!ident_name_ok(name))
			ACL_FAIL("identities[%zu]: the identity name is empty, "
				 "longer than %u bytes or holds control "
				 "characters", k, FR_IDENTITY_MAX);
		if (!cJSON_IsObject(id))
			ACL_FAIL("identities.\"%s\": not an object", name);
		if (has_duplicate_keys(id))
			ACL_FAIL("identities.\"%s\": a field appears twice",
				 name);
		for (f = id->child; f; f = f->next) {
			if (strcmp(f->string, "root") == 0)
				r = f;
			else if (strcmp(f->string, "perms") == 0)
				p = f;
			else
				ACL_FAIL("identities.\"%s\": unknown field "
					 "\"%.64s\" (only \"root\" and "
					 "\"perms\")", name, f->string);
		}
		if (!cJSON_IsString(r))
			ACL_FAIL("identities.\"%s\".root: missing or not a "
				 "string", name);
		if (fr_path_check(r->valuestring, strlen(r->valuestring),
				  &why) != FR_OK ||
		    fr_path_is_reserved(r->valuestring))
			ACL_FAIL("identities.\"%s\".root: \"%.200s\" is not a "
				 "valid relative path (%s)", name,
				 r->valuestring, why ? why : "reserved name");
		if (!cJSON_IsString(p) ||
		    parse_perms(p->valuestring, &v[k].perms))
			ACL_FAIL("identities.\"%s\".perms: expected a string of "
				 "the letters r, w, l, d (each at most once)",
				 name);
		v[k].name = strdup(name);
		v[k].root = strdup(r->valuestring);
		if (!v[k].name || !v[k].root) {
			k++;
			rc = FR_E_NOMEM;
			ACL_FAIL("out of memory");
		}
	}
	qsort(v, n, sizeof(*v), cmp_ident);
	out->v = v;
	out->n = n;
	v = NULL;
	rc = FR_OK;
out:
	if (v) {
		struct fr_acl_file tmp = {.v = v, .n = n};
		fr_acl_file_cleanup(&tmp);
	}
	cJSON_Delete(root);
	return rc;
}

const struct fr_acl_ident *fr_acl_find(const struct fr_acl_file *f,
				       const char *identity)
{
	struct fr_acl_ident key = {.name = (char *)identity};
	if (f->n == 0)
		return NULL;
	return bsearch(&key, f->v, f->n, sizeof(*f->v), cmp_ident);
}

void fr_acl_file_cleanup(struct fr_acl_file *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].root);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
