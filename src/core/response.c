/*
 * response.c - protocol responses: the builders the server uses, the
 * listing builder, and the parser the client runs on every response frame
 * (hostile input: every field is checked for type and range, list names
 * must be single valid components).  See proto.h.  It does no I/O.
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

int fr_resp_error(struct fr_buf *out, int err, const char *message)
{
	const char *code = fr_err_code(err);
	struct json_obj b = json_obj_new();
	json_add_str(&b, "status", "error");
	json_add_str(&b, "code", code ? code : "internal");
	json_add_str(&b, "message", message ? message : fr_err_str(err));
	return json_obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_get_ready(struct fr_buf *out, uint64_t size, uint64_t offset,
		      int64_t mtime, int mode)
{
	struct json_obj b = json_obj_new();
	json_add_str(&b, "status", "ready");
	json_add_uint(&b, "size", size);
	json_add_uint(&b, "offset", offset);
	if (mode >= 0) {
		json_add_int(&b, "mtime", mtime);
		json_add_uint(&b, "mode", (unsigned)mode & 0777);
	}
	return json_obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_put_ready(struct fr_buf *out, uint64_t offset,
		      const char *prefix_sha256)
{
	struct json_obj b = json_obj_new();
	json_add_str(&b, "status", "ready");
	json_add_uint(&b, "offset", offset);
	if (prefix_sha256)
		json_add_str(&b, "prefix_sha256", prefix_sha256);
	return json_obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_hello(struct fr_buf *out, unsigned version, const char *identity,
		  const char *perms)
{
	struct json_obj b = json_obj_new();
	json_add_str(&b, "status", "ok");
	json_add_uint(&b, "version", version);
	json_add_str(&b, "server", FR_SERVER_ID);
	json_add_str(&b, "identity", identity);
	json_add_str(&b, "perms", perms);
	return json_obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_put_ok(struct fr_buf *out, const char *path, uint64_t size,
		   const char *sha256)
{
	struct json_obj b = json_obj_new();
	json_add_str(&b, "status", "ok");
	json_add_str(&b, "path", path);
	json_add_uint(&b, "size", size);
	json_add_str(&b, "sha256", sha256);
	return json_obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_get_ok(struct fr_buf *out, const char *sha256)
{
	struct json_obj b = json_obj_new();
	json_add_str(&b, "status", "ok");
	json_add_str(&b, "sha256", sha256);
	return json_obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_stat_ok(struct fr_buf *out, bool is_dir, uint64_t size,
		    int64_t mtime, const char *sha256, int mode)
{
	struct json_obj b = json_obj_new();
	json_add_str(&b, "status", "ok");
	json_add_str(&b, "type", is_dir ? "dir" : "file");
	json_add_uint(&b, "size", size);
	json_add_int(&b, "mtime", mtime);
	if (sha256)
		json_add_str(&b, "sha256", sha256);
	if (mode >= 0)
		json_add_uint(&b, "mode", (unsigned)mode & 0777);
	return json_obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_ok(struct fr_buf *out)
{
	struct json_obj b = json_obj_new();
	json_add_str(&b, "status", "ok");
	return json_obj_emit(out, &b, FR_MAX_RESPONSE);
}

int fr_resp_mkdir_ok(struct fr_buf *out, bool created)
{
	struct json_obj b = json_obj_new();
	json_add_str(&b, "status", "ok");
	json_add_bool(&b, "created", created);
	return json_obj_emit(out, &b, FR_MAX_RESPONSE);
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
	 * fields (protocol 2's mode, depth and truncated included) an entry
	 * prints in < 800 bytes, so 1000 entries always fit one 1 MiB
	 * response frame (test_response.c proves the worst case). */
	if (lb->n >= FR_LIST_ENTRIES_PER_FRAME)
		return FR_AGAIN;
	struct json_obj b = json_obj_new();
	json_add_str(&b, "name", e->name);
	json_add_str(&b, "type", e->is_dir ? "dir" : "file");
	json_add_uint(&b, "size", e->size);
	json_add_int(&b, "mtime", e->mtime);
	if (e->has_mode)
		json_add_uint(&b, "mode", e->mode & 0777);
	if (e->depth > 0)
		json_add_uint(&b, "depth", e->depth);
	if (e->truncated)
		json_add_bool(&b, "truncated", true);
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
	struct json_obj b = json_obj_new();
	json_add_str(&b, "status", "ok");
	if (!b.fail && !cJSON_AddItemToObject(b.o, "entries", lb->entries))
		b.fail = true;
	else if (!b.fail)
		lb->entries = NULL; /* now owned by b.o */
	json_add_bool(&b, "more", more);
	if (lb->entries == NULL) {
		lb->entries = fresh;
		lb->n = 0;
	} else {
		cJSON_Delete(fresh);
	}
	return json_obj_emit(out, &b, FR_MAX_RESPONSE);
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
	if (json_get_int(it, 0, &v) != INT_OK)
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
	if (!cJSON_IsObject(e) || json_has_duplicate_keys(e) || !cJSON_IsString(name) ||
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
	if (json_get_int(size, 0, &v) != INT_OK)
		return -1;
	out->size = (uint64_t)v;
	if (json_get_int(mtime, -(double)FR_SIZE_MAX, &v) != INT_OK)
		return -1;
	out->mtime = v;
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(e, "mode");
	if (mode) {
		if (json_get_int(mode, 0, &v) != INT_OK || v > 0777)
			return -1;
		out->has_mode = true;
		out->mode = (unsigned)v;
	}
	const cJSON *depth = cJSON_GetObjectItemCaseSensitive(e, "depth");
	if (depth) {
		if (json_get_int(depth, 0, &v) != INT_OK || v >= FR_LIST_TREE_DEPTH)
			return -1;
		out->depth = (unsigned)v;
	}
	const cJSON *trunc = cJSON_GetObjectItemCaseSensitive(e, "truncated");
	if (trunc) {
		if (!cJSON_IsBool(trunc) || (cJSON_IsTrue(trunc) && !out->is_dir))
			return -1;
		out->truncated = cJSON_IsTrue(trunc);
	}
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

	root = json_parse_object(payload, len, &nul);
	if (root == NULL)
		RESP_FAIL("response is not one valid JSON object");
	if (nul)
		RESP_FAIL("response holds an escaped NUL");
	if (json_has_duplicate_keys(root))
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
		if (!cJSON_IsString(it) || json_copy_str(resp->code, sizeof(resp->code), it->valuestring))
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
		if (!cJSON_IsString(it) || json_copy_str(resp->path, sizeof(resp->path), it->valuestring) ||
		    fr_path_check(resp->path, strlen(resp->path), NULL) != FR_OK)
			RESP_FAIL("response has a bad \"path\"");
		resp->has_path = true;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (it) {
		if (json_get_int(it, 0, &v) != INT_OK)
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
		if (!cJSON_IsString(it) || json_copy_str(strs[i].dst, strs[i].cap, it->valuestring))
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
		if (json_get_int(it, -(double)FR_SIZE_MAX, &v) != INT_OK)
			RESP_FAIL("response has a bad \"mtime\"");
		resp->has_mtime = true;
		resp->mtime = v;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "mode");
	if (it) {
		if (json_get_int(it, 0, &v) != INT_OK || v > 0777)
			RESP_FAIL("response has a bad \"mode\"");
		resp->has_mode = true;
		resp->mode = (unsigned)v;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "created");
	if (it) {
		if (!cJSON_IsBool(it))
			RESP_FAIL("response has a bad \"created\"");
		resp->has_created = true;
		resp->created = cJSON_IsTrue(it);
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
		/* SECURITY: what one frame may make us allocate is bounded by
		 * the contract, not by what a hostile server packs into 1 MiB */
		if (n > (int)FR_LIST_ENTRIES_PER_FRAME)
			RESP_FAIL("list frame with more than 1000 entries");
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