/*
 * err.c - names and mappings of the project-wide error enum.
 *
 * The wire names here are the contract of docs/PROTOCOL.md; this file does
 * no I/O and keeps no state.
 */
#include <errno.h>
#include <string.h>

#include "ferry/err.h"

struct err_row {
	int err;
	const char *code; /* wire name, NULL for local-only */
	const char *text;
};

static const struct err_row err_table[] = {
	{FR_OK, NULL, "success"},
	{FR_AGAIN, NULL, "incomplete, more input needed"},
	{FR_E_BAD_REQUEST, "bad_request", "malformed request"},
	{FR_E_UNSUPPORTED, "unsupported", "operation not supported"},
	{FR_E_INVALID_PATH, "invalid_path", "invalid path"},
	{FR_E_FORBIDDEN, "forbidden", "forbidden"},
	{FR_E_NOT_FOUND, "not_found", "no such file or directory"},
	{FR_E_EXISTS, "exists", "already exists"},
	{FR_E_IS_DIRECTORY, "is_directory", "is a directory"},
	{FR_E_NOT_DIRECTORY, "not_directory", "not a directory"},
	{FR_E_NOT_EMPTY, "not_empty", "directory not empty"},
	{FR_E_TOO_LARGE, "too_large", "too large"},
	{FR_E_NO_SPACE, "no_space", "no space left on the server"},
	{FR_E_CHECKSUM_MISMATCH, "checksum_mismatch", "checksum mismatch"},
	{FR_E_BUSY, "busy", "server busy"},
	{FR_E_TIMEOUT, "timeout", "timed out"},
	{FR_E_IO_ERROR, "io_error", "I/O error on the server"},
	{FR_E_INTERNAL, "internal", "internal server error"},
	{FR_E_NOMEM, NULL, "out of memory"},
	{FR_E_TLS, NULL, "TLS failure"},
	{FR_E_TRUNCATED, NULL, "connection closed without close_notify (truncated)"},
	{FR_E_CLOSED, NULL, "connection closed by peer"},
	{FR_E_CONNECT, NULL, "cannot connect"},
	{FR_E_PROTOCOL, NULL, "protocol violation by peer"},
	{FR_E_USAGE, NULL, "usage error"},
	{FR_E_LOCAL_IO, NULL, "local I/O error"},
	{FR_E_INTERRUPTED, NULL, "interrupted"},
};

static const struct err_row *err_find(int err)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].err == err)
			return &err_table[i];
	return NULL;
}

const char *fr_err_code(int err)
{
	const struct err_row *r = err_find(err);
	return r ? r->code : NULL;
}

int fr_err_from_code(const char *code)
{
	if (code == NULL)
		return FR_E_PROTOCOL;
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code && strcmp(err_table[i].code, code) == 0)
			return err_table[i].err;
	return FR_E_PROTOCOL;
}

const char *fr_err_str(int err)
{
	const struct err_row *r = err_find(err);
	return r ? r->text : "unknown error";
}

int fr_err_from_errno(int errnum)
{
	switch (errnum) {
	case ENOENT:
		return FR_E_NOT_FOUND;
	case EEXIST:
		return FR_E_EXISTS;
	case EISDIR:
		return FR_E_IS_DIRECTORY;
	case ENOTDIR:
		return FR_E_NOT_DIRECTORY;
	case ENOTEMPTY:
		return FR_E_NOT_EMPTY;
	case ENOSPC:
	case EDQUOT:
		return FR_E_NO_SPACE;
	case EFBIG:
		return FR_E_TOO_LARGE;
	case ELOOP:  /* SECURITY: a symlink where we refuse to follow one */
	case EXDEV:  /* openat2 RESOLVE_BENEATH escape attempt */
	case EACCES:
	case EPERM:
	case EROFS:
		return FR_E_FORBIDDEN;
	case ENAMETOOLONG:
		return FR_E_INVALID_PATH;
	case ENOMEM:
		return FR_E_INTERNAL;
	default:
		return FR_E_IO_ERROR;
	}
}

bool fr_err_closes(int err)
{
	return err == FR_E_BAD_REQUEST || err == FR_E_BUSY ||
	       err == FR_E_TIMEOUT;
}
