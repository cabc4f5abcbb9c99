/*
 * proto.h - protocol messages (versions 1 and 2, docs/PROTOCOL.md):
 * requests and responses as typed structs.
 *
 * Implemented by request.c (request parser, client builders) and
 * response.c (server builders, response parser) over json.c, the only
 * JSON code (cJSON never escapes src/core).  Parsers turn one frame
 * payload into a struct and close the permissive corners of cJSON 1.7.15
 * themselves: escaped NULs, duplicate keys, trailing bytes, invalid UTF-8,
 * raw control characters, deep nesting, and integers carried as doubles.
 * Builders append one complete frame to an fr_buf.
 */
#ifndef FERRY_PROTO_H
#define FERRY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/buf.h"
#include "ferry/hash.h"
#include "ferry/limits.h"

enum fr_op {
	FR_OP_UNKNOWN = 0, /* a string "op" we do not implement */
	FR_OP_HELLO,
	FR_OP_PUT,
	FR_OP_GET,
	FR_OP_LIST,
	FR_OP_STAT,
	FR_OP_DELETE,
	FR_OP_MKDIR,  /* protocol 2 */
	FR_OP_RENAME, /* protocol 2 */
};

/* How the body of a put travels (protocol 2; v1 knows only READY). */
enum fr_body {
	FR_BODY_READY = 0, /* no "body": wait for "ready", then size-K bytes */
	FR_BODY_FOLLOWS,   /* "follows": size bytes right after the header */
	FR_BODY_CHUNKED,   /* "chunked": no size; chunks right after it */
};

/* Name of an op ("put"); "?" for FR_OP_UNKNOWN. */
const char *fr_op_name(enum fr_op op);

struct fr_request {
	enum fr_op op;
	char op_name[32]; /* as sent, truncated; for logs of unknown ops */
	bool has_path;
	char path[FR_PATH_MAX + 1]; /* NUL-terminated, checked by fr_path_check */
	bool has_size;
	uint64_t size; /* put: 0..FR_SIZE_MAX */
	bool has_offset;
	uint64_t offset; /* get/put: 0..FR_SIZE_MAX */
	bool has_sha256;
	char sha256[FR_SHA256_HEX]; /* put: expected hash */
	bool overwrite;   /* put */
	bool resume;      /* put: continue a held interrupted upload */
	enum fr_body body; /* put (v2) */
	bool has_mtime;   /* put (v2): modification time to store */
	int64_t mtime;
	bool has_mode;    /* put (v2): permission bits; only 0111 is used */
	unsigned mode;
	bool want_sha256; /* stat: "sha256": true */
	bool recursive;   /* list (v2): the whole subtree */
	bool parents;     /* mkdir (v2): create missing parents, no exists */
	char *to;         /* rename (v2): the new name, checked like path;
			     heap memory (fr_request_cleanup), NULL if none:
			     kept out of the struct, which every connection
			     holds, for the one op that needs it */
	bool has_version;
	int64_t version; /* hello */
};

/*
 * Parse one request payload.  On any outcome *req is fully written (zeroed
 * first: it must not hold a "to" any more, see fr_request_cleanup), and
 * owns heap memory only after FR_OK.  Returns:
 *   FR_OK             a well-formed request; req->op may be FR_OP_UNKNOWN
 *                     (answer `unsupported`, keep the connection).
 *   FR_E_BAD_REQUEST  not one JSON object, no string "op", a field of the
 *                     wrong type, a size/offset that is negative or not an
 *                     integer, a sha256 that is not 64 lowercase hex, a
 *                     duplicate key, an escaped NUL outside "path" ...
 *   FR_E_INVALID_PATH "path" breaks the path rules (including \u0000).
 *   FR_E_TOO_LARGE    an integral size or offset above FR_SIZE_MAX.
 *   FR_E_INTERNAL     out of memory for a rename's "to".
 * Fields that an op requires are checked too: put needs path and size (no
 * size for a chunked body), get, list, stat, delete and mkdir need path,
 * rename needs path and "to" (a "to" that breaks the path rules is
 * FR_E_INVALID_PATH).
 * Version-2 fields are parsed whatever the connection's version; the
 * server ignores them on a version-1 connection.  why (may be NULL) receives a static
 * one-line reason on error.
 */
int fr_request_parse(const void *payload, size_t len, struct fr_request *req,
		     const char **why);

/* Free what a parsed request owns (its "to"); req stays valid, as if that
 * field were absent.  Call it before parsing into req again. */
void fr_request_cleanup(struct fr_request *req);

/* ---- request builders (client) ---------------------------------------- */

/* hello with "version": FR_PROTO_VERSION, the highest this build speaks */
int fr_req_hello(struct fr_buf *out);

/* A put request; fields as in struct fr_request.  size is left out for a
 * chunked body, mode is masked to 0777. */
struct fr_put_req {
	const char *path;
	uint64_t size;
	const char *sha256; /* NULL: none */
	bool overwrite;
	bool resume;
	enum fr_body body;
	bool has_mtime;
	int64_t mtime;
	bool has_mode;
	unsigned mode;
};
int fr_req_put(struct fr_buf *out, const struct fr_put_req *q);
int fr_req_get(struct fr_buf *out, const char *path, uint64_t offset);
int fr_req_list(struct fr_buf *out, const char *path, bool recursive);
int fr_req_stat(struct fr_buf *out, const char *path, bool want_sha256);
int fr_req_delete(struct fr_buf *out, const char *path);
int fr_req_mkdir(struct fr_buf *out, const char *path, bool parents);
int fr_req_rename(struct fr_buf *out, const char *path, const char *to,
		  bool overwrite);

/* ---- responses -------------------------------------------------------- */

enum fr_status { FR_ST_READY = 1, FR_ST_OK, FR_ST_ERROR };

struct fr_entry {
	char name[FR_NAME_MAX + 1]; /* one valid path component */
	bool is_dir;
	uint64_t size;
	int64_t mtime; /* seconds since the epoch */
	bool has_mode; /* v2: permission bits (0777) */
	unsigned mode;
	/* v2 recursive listings: levels below the listed directory (0: in
	 * it), and whether a directory's contents were left out (too deep
	 * for one request: list it on its own) */
	unsigned depth;
	bool truncated;
};

struct fr_response {
	enum fr_status status;
	/* error */
	int err;           /* enum fr_err; FR_E_PROTOCOL for an unknown code */
	char code[32];     /* as sent */
	char message[512]; /* as sent, control characters replaced by '?' */
	/* ready / ok */
	bool has_size;
	uint64_t size;
	bool has_offset;
	uint64_t offset;
	bool has_sha256;
	char sha256[FR_SHA256_HEX];
	bool has_prefix_sha256; /* put ready after "resume": true */
	char prefix_sha256[FR_SHA256_HEX];
	bool has_path;
	char path[FR_PATH_MAX + 1];
	/* hello */
	int64_t version;
	char server[64];
	char identity[256];
	char perms[8];
	/* stat */
	bool has_type;
	bool is_dir;
	bool has_mtime;
	int64_t mtime;
	bool has_mode; /* v2: get ready and stat: permission bits (0777) */
	unsigned mode;
	/* mkdir (v2): whether the directory was made (absent: unknown) */
	bool has_created;
	bool created;
	/* list: entries is heap memory owned by the response */
	bool has_entries;
	struct fr_entry *entries;
	size_t n_entries;
	bool more;
};

/* Parse one response payload (hostile input: every field is checked for
 * type and range, list names must be single valid components, at most
 * FR_LIST_ENTRIES_PER_FRAME entries, depths below FR_LIST_TREE_DEPTH).
 * FR_OK or FR_E_PROTOCOL (why says what).  Free with fr_response_cleanup. */
int fr_response_parse(const void *payload, size_t len,
		      struct fr_response *resp, const char **why);
void fr_response_cleanup(struct fr_response *resp);

/* ---- response builders (server) -------------------------------------- */

int fr_resp_error(struct fr_buf *out, int err, const char *message);
/* get: {"status":"ready","size":N,"offset":K}, plus "mtime" and "mode" when
 * mode >= 0 (protocol 2) */
int fr_resp_get_ready(struct fr_buf *out, uint64_t size, uint64_t offset,
		      int64_t mtime, int mode);
/* put: {"status":"ready","offset":K,"prefix_sha256":HEX_K}; prefix_sha256
 * NULL omits it (a put without "resume") */
int fr_resp_put_ready(struct fr_buf *out, uint64_t offset,
		      const char *prefix_sha256);
/* version: the one the connection settled on (see op_hello.c) */
int fr_resp_hello(struct fr_buf *out, unsigned version, const char *identity,
		  const char *perms);
int fr_resp_put_ok(struct fr_buf *out, const char *path, uint64_t size,
		   const char *sha256);
int fr_resp_get_ok(struct fr_buf *out, const char *sha256);
/* mode < 0 omits "mode" (protocol 1) */
int fr_resp_stat_ok(struct fr_buf *out, bool is_dir, uint64_t size,
		    int64_t mtime, const char *sha256 /* NULL: omit */,
		    int mode);
/* {"status":"ok"}: delete, rename */
int fr_resp_ok(struct fr_buf *out);
/* mkdir (v2): {"status":"ok","created":BOOL} (false: -p found it there) */
int fr_resp_mkdir_ok(struct fr_buf *out, bool created);

/*
 * Listing builder: collects entries for one frame at a time.
 *   fr_list_add: FR_OK, or FR_AGAIN when the frame is full (flush with
 *                more=true, then add the same entry again).
 *   fr_list_flush: appends {"status":"ok","entries":[...],"more":more} to
 *                out and empties the builder.
 * An entry carries "mode" when e->has_mode, "depth" when it is not 0 and
 * "truncated" when set.
 */
struct fr_list_builder; /* opaque */
struct fr_list_builder *fr_list_new(void);
void fr_list_free(struct fr_list_builder *lb);
int fr_list_add(struct fr_list_builder *lb, const struct fr_entry *e);
int fr_list_flush(struct fr_list_builder *lb, struct fr_buf *out, bool more);

#endif
