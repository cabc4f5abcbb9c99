/*
 * request.c - protocol requests: the parser the server runs on every
 * request frame, and the builders the client uses (see proto.h).
 *
 * Parsing goes through json.c's strict scanner first; every field is then
 * checked for type and range here.  It does no I/O.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/frame.h"
#include "ferry/path.h"
#include "ferry/proto.h"
#include "json.h"

static const struct {
	const char *name;
	enum fr_op op;
} op_table[] = {
	{"hello", FR_OP_HELLO}, {"put", FR_OP_PUT},   {"get", FR_OP_GET},
	{"list", FR_OP_LIST},   {"stat", FR_OP_STAT}, {"delete", FR_OP_DELETE},
	{"mkdir", FR_OP_MKDIR}, {"rename", FR_OP_RENAME},
};

const char *fr_op_name(enum fr_op op)
{
	for (size_t i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++)
		if (op_table[i].op == op)
			return op_table[i].name;
	return "?";
}

/* ---- requests ----------------------------------------------------------- */

/* An optional boolean member: 0 (absent, or *out set), -1 if not a bool. */
static int opt_bool(const cJSON *root, const char *key, bool *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);
	if (it == NULL)
		return 0;
	if (!cJSON_IsBool(it))
		return -1;
	*out = cJSON_IsTrue(it);
	return 0;
}

#define REQ_FAIL(code, reason)                                                 \
	do {                                                                   \
		rc = (code);                                                   \
		*why = (reason);                                               \
		goto out;                                                      \
	} while (0)

int fr_request_parse(const void *payload, size_t len, struct fr_request *req,
		     const char **why)
{
	const char *dummy, *path_why = NULL, *to_why = NULL;
	unsigned nul = 0;
	int rc = FR_OK;
	cJSON *root = NULL;
	const cJSON *it;
	int64_t v;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	memset(req, 0, sizeof(*req));

	root = json_parse_object(payload, len, &nul);
	if (root == NULL)
		REQ_FAIL(FR_E_BAD_REQUEST, "request is not one valid JSON object");
	if (json_has_duplicate_keys(root))
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

	/* path: every op but hello requires it.  A path that breaks the
	 * rules is reported only after the other fields are read: the server
	 * needs a refused put's size to skip the body that follows it. */
	it = cJSON_GetObjectItemCaseSensitive(root, "path");
	if (req->op != FR_OP_HELLO) {
		if (it == NULL)
			REQ_FAIL(FR_E_BAD_REQUEST, "request has no \"path\"");
		if (!cJSON_IsString(it))
			REQ_FAIL(FR_E_BAD_REQUEST, "\"path\" must be a string");
		if (nul & NUL_IN_PATH)
			path_why = "path contains a NUL byte";
		else if (json_copy_str(req->path, sizeof(req->path), it->valuestring))
			path_why = "path longer than 4095 bytes";
		else if (fr_path_check(req->path, strlen(req->path), &path_why) == FR_OK)
			req->has_path = true;
		else if (path_why == NULL)
			path_why = "invalid path";
		if (!req->has_path)
			req->path[0] = '\0';
	}

	switch (req->op) {
	case FR_OP_HELLO:
		it = cJSON_GetObjectItemCaseSensitive(root, "version");
		if (it) {
			if (json_get_int(it, 0, &v) != INT_OK)
				REQ_FAIL(FR_E_BAD_REQUEST, "\"version\" must be a non-negative integer");
			req->has_version = true;
			req->version = v;
		}
		it = cJSON_GetObjectItemCaseSensitive(root, "client");
		if (it && !cJSON_IsString(it))
			REQ_FAIL(FR_E_BAD_REQUEST, "\"client\" must be a string");
		break;
	case FR_OP_PUT:
		it = cJSON_GetObjectItemCaseSensitive(root, "body");
		if (it) {
			if (!cJSON_IsString(it))
				REQ_FAIL(FR_E_BAD_REQUEST, "\"body\" must be \"follows\" or \"chunked\"");
			if (strcmp(it->valuestring, "follows") == 0)
				req->body = FR_BODY_FOLLOWS;
			else if (strcmp(it->valuestring, "chunked") == 0)
				req->body = FR_BODY_CHUNKED;
			else
				REQ_FAIL(FR_E_BAD_REQUEST, "\"body\" must be \"follows\" or \"chunked\"");
		}
		it = cJSON_GetObjectItemCaseSensitive(root, "size");
		if (it == NULL && req->body != FR_BODY_CHUNKED)
			REQ_FAIL(FR_E_BAD_REQUEST, "put needs \"size\"");
		if (it != NULL && req->body == FR_BODY_CHUNKED)
			REQ_FAIL(FR_E_BAD_REQUEST, "a chunked put has no \"size\"");
		if (it) {
			switch (json_get_int(it, 0, &v)) {
			case INT_OK:
				break;
			case INT_TOO_LARGE:
				REQ_FAIL(FR_E_TOO_LARGE, "\"size\" is above 2^53-1");
			default:
				REQ_FAIL(FR_E_BAD_REQUEST, "\"size\" must be a non-negative integer");
			}
			req->has_size = true;
			req->size = (uint64_t)v;
		}
		it = cJSON_GetObjectItemCaseSensitive(root, "sha256");
		if (it) {
			if (!cJSON_IsString(it) ||
			    !fr_sha256_hex_valid(it->valuestring, strlen(it->valuestring)))
				REQ_FAIL(FR_E_BAD_REQUEST, "\"sha256\" must be 64 lowercase hex digits");
			memcpy(req->sha256, it->valuestring, FR_SHA256_HEX);
			req->has_sha256 = true;
		}
		if (opt_bool(root, "overwrite", &req->overwrite))
			REQ_FAIL(FR_E_BAD_REQUEST, "\"overwrite\" must be true or false");
		if (opt_bool(root, "resume", &req->resume))
			REQ_FAIL(FR_E_BAD_REQUEST, "\"resume\" must be true or false");
		if (req->resume && req->body != FR_BODY_READY)
			REQ_FAIL(FR_E_BAD_REQUEST, "a resumed put waits for \"ready\": no \"body\"");
		it = cJSON_GetObjectItemCaseSensitive(root, "mtime");
		if (it) {
			if (json_get_int(it, -(double)FR_SIZE_MAX, &v) != INT_OK)
				REQ_FAIL(FR_E_BAD_REQUEST, "\"mtime\" must be an integer (seconds)");
			req->has_mtime = true;
			req->mtime = v;
		}
		it = cJSON_GetObjectItemCaseSensitive(root, "mode");
		if (it) {
			if (json_get_int(it, 0, &v) != INT_OK || v > 0777)
				REQ_FAIL(FR_E_BAD_REQUEST, "\"mode\" must be an integer from 0 to 0777 (511)");
			req->has_mode = true;
			req->mode = (unsigned)v;
		}
		/* fall through: put may carry an offset (reserved) */
		/* FALLTHROUGH */
	case FR_OP_GET:
		it = cJSON_GetObjectItemCaseSensitive(root, "offset");
		if (it) {
			switch (json_get_int(it, 0, &v)) {
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
		if (opt_bool(root, "sha256", &req->want_sha256))
			REQ_FAIL(FR_E_BAD_REQUEST, "stat \"sha256\" must be true or false");
		break;
	case FR_OP_LIST:
		if (opt_bool(root, "recursive", &req->recursive))
			REQ_FAIL(FR_E_BAD_REQUEST, "\"recursive\" must be true or false");
		break;
	case FR_OP_MKDIR:
		if (opt_bool(root, "parents", &req->parents))
			REQ_FAIL(FR_E_BAD_REQUEST, "\"parents\" must be true or false");
		break;
	case FR_OP_RENAME:
		it = cJSON_GetObjectItemCaseSensitive(root, "to");
		if (!cJSON_IsString(it))
			REQ_FAIL(FR_E_BAD_REQUEST, "rename needs a string \"to\"");
		if (opt_bool(root, "overwrite", &req->overwrite))
			REQ_FAIL(FR_E_BAD_REQUEST, "\"overwrite\" must be true or false");
		/* SECURITY: the destination obeys every rule "path" does (an
		 * escaped NUL in it was bad_request above) */
		if (strlen(it->valuestring) > FR_PATH_MAX)
			REQ_FAIL(FR_E_INVALID_PATH, "\"to\" longer than 4095 bytes");
		if (fr_path_check(it->valuestring, strlen(it->valuestring), &to_why) != FR_OK)
			REQ_FAIL(FR_E_INVALID_PATH, to_why ? to_why : "invalid \"to\"");
		req->to = strdup(it->valuestring);
		if (req->to == NULL)
			REQ_FAIL(FR_E_INTERNAL, "out of memory");
		break;
	case FR_OP_DELETE:
	case FR_OP_UNKNOWN:
	default:
		break;
	}
	if (path_why != NULL)
		REQ_FAIL(FR_E_INVALID_PATH, path_why);
out:
	cJSON_Delete(root);
	if (rc != FR_OK)
		fr_request_cleanup(req);
	if (rc != FR_OK && *why == NULL)
		*why = fr_err_str(rc);
	return rc;
}

void fr_request_cleanup(struct fr_request *req)
{
	free(req->to);
	req->to = NULL;
}

/* ---- builders ----------------------------------------------------------- */

static int req_with_path(struct fr_buf *out, const char *op, const char *path,
			 struct json_obj *b)
{
	json_add_str(b, "op", op);
	json_add_str(b, "path", path);
	return json_obj_emit(out, b, FR_MAX_REQUEST);
}

int fr_req_hello(struct fr_buf *out)
{
	struct json_obj b = json_obj_new();
	json_add_str(&b, "op", "hello");
	json_add_int(&b, "version", FR_PROTO_VERSION);
	json_add_str(&b, "client", FR_CLIENT_ID);
	return json_obj_emit(out, &b, FR_MAX_REQUEST);
}

int fr_req_put(struct fr_buf *out, const struct fr_put_req *q)
{
	static const char *const bodies[] = {NULL, "follows", "chunked"};
	struct json_obj b = json_obj_new();
	if (q->body != FR_BODY_CHUNKED)
		json_add_uint(&b, "size", q->size);
	if (q->body == FR_BODY_FOLLOWS || q->body == FR_BODY_CHUNKED)
		json_add_str(&b, "body", bodies[q->body]);
	if (q->sha256)
		json_add_str(&b, "sha256", q->sha256);
	if (q->overwrite)
		json_add_bool(&b, "overwrite", true);
	if (q->resume)
		json_add_bool(&b, "resume", true);
	if (q->has_mtime)
		json_add_int(&b, "mtime", q->mtime);
	if (q->has_mode)
		json_add_uint(&b, "mode", q->mode & 0777);
	return req_with_path(out, "put", q->path, &b);
}

int fr_req_get(struct fr_buf *out, const char *path, uint64_t offset)
{
	struct json_obj b = json_obj_new();
	if (offset)
		json_add_uint(&b, "offset", offset);
	return req_with_path(out, "get", path, &b);
}

int fr_req_list(struct fr_buf *out, const char *path, bool recursive)
{
	struct json_obj b = json_obj_new();
	if (recursive)
		json_add_bool(&b, "recursive", true);
	return req_with_path(out, "list", path, &b);
}

int fr_req_mkdir(struct fr_buf *out, const char *path, bool parents)
{
	struct json_obj b = json_obj_new();
	if (parents)
		json_add_bool(&b, "parents", true);
	return req_with_path(out, "mkdir", path, &b);
}

int fr_req_rename(struct fr_buf *out, const char *path, const char *to,
		  bool overwrite)
{
	struct json_obj b = json_obj_new();
	json_add_str(&b, "to", to);
	if (overwrite)
		json_add_bool(&b, "overwrite", true);
	return req_with_path(out, "rename", path, &b);
}

int fr_req_stat(struct fr_buf *out, const char *path, bool want_sha256)
{
	struct json_obj b = json_obj_new();
	if (want_sha256)
		json_add_bool(&b, "sha256", true);
	return req_with_path(out, "stat", path, &b);
}

int fr_req_delete(struct fr_buf *out, const char *path)
{
	struct json_obj b = json_obj_new();
	return req_with_path(out, "delete", path, &b);
}