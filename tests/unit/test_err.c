/*
 * test_err.c - unit tests of src/core/err.c (error names and mappings).
 *
 * Every wire code round-trips name <-> value in the order of the
 * protocol, local errors have no wire name, unknown names map to
 * FR_E_PROTOCOL, errno mapping and which errors close the connection.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/err.h"

/* The wire codes of docs/PROTOCOL.md, in order: FR_E_BAD_REQUEST (-1)
 * down to FR_E_INTERNAL (-16). */
static const char *const wire[] = {
	"bad_request", "unsupported", "invalid_path", "forbidden",
	"not_found", "exists", "is_directory", "not_directory",
	"not_empty", "too_large", "no_space", "checksum_mismatch",
	"busy", "timeout", "io_error", "internal",
};

static void test_wire_round_trip(void **state)
{
	(void)state;
	assert_int_equal(sizeof(wire) / sizeof(wire[0]), 16);
	for (int i = 0; i < 16; i++) {
		int err = -1 - i;
		assert_non_null(fr_err_code(err));
		assert_string_equal(fr_err_code(err), wire[i]);
		assert_int_equal(fr_err_from_code(wire[i]), err);
		assert_int_equal(fr_err_from_code(fr_err_code(err)), err);
	}
	assert_int_equal(FR_E_BAD_REQUEST, -1);
	assert_int_equal(FR_E_INTERNAL, -16);
	assert_int_equal(fr_err_from_code("checksum_mismatch"), FR_E_CHECKSUM_MISMATCH);
	assert_int_equal(fr_err_from_code("not_directory"), FR_E_NOT_DIRECTORY);
}

static void test_local_have_no_code(void **state)
{
	(void)state;
	const int local[] = {FR_OK, FR_AGAIN, FR_E_NOMEM, FR_E_TLS,
			     FR_E_TRUNCATED, FR_E_CLOSED, FR_E_CONNECT,
			     FR_E_PROTOCOL, FR_E_USAGE, FR_E_LOCAL_IO,
			     FR_E_INTERRUPTED,
			     -17, -99, 2, 12345};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		assert_null(fr_err_code(local[i]));
}

static void test_unknown_code(void **state)
{
	(void)state;
	const char *bad[] = {"", "BAD_REQUEST", "bad_request ", " bad_request",
			     "bad", "ok", "success", "protocol", "nomem",
			     "not found", "internal\n", "io_errors"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fr_err_from_code(bad[i]), FR_E_PROTOCOL);
	assert_int_equal(fr_err_from_code(NULL), FR_E_PROTOCOL);
}

static void test_err_str(void **state)
{
	(void)state;
	for (int e = -200; e <= 5; e++) {
		const char *s = fr_err_str(e);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
	}
	assert_string_equal(fr_err_str(FR_OK), "success");
	assert_string_equal(fr_err_str(FR_E_NOT_FOUND), "no such file or directory");
	assert_string_equal(fr_err_str(-9999), "unknown error");
	/* every named error has its own text */
	for (int i = -1; i >= -16; i--)
		for (int j = i - 1; j >= -16; j--)
			assert_string_not_equal(fr_err_str(i), fr_err_str(j));
}

static void test_from_errno(void **state)
{
	(void)state;
	const struct {
		int errnum, err;
	} t[] = {
		{ENOENT, FR_E_NOT_FOUND},
		{EEXIST, FR_E_EXISTS},
		{EISDIR, FR_E_IS_DIRECTORY},
		{ENOTDIR, FR_E_NOT_DIRECTORY},
		{ENOTEMPTY, FR_E_NOT_EMPTY},
		{ENOSPC, FR_E_NO_SPACE},
		{EDQUOT, FR_E_NO_SPACE},
		{EFBIG, FR_E_TOO_LARGE},
		{ELOOP, FR_E_FORBIDDEN},
		{EXDEV, FR_E_FORBIDDEN},
		{EACCES, FR_E_FORBIDDEN},
		{EPERM, FR_E_FORBIDDEN},
		{EROFS, FR_E_FORBIDDEN},
		{ENAMETOOLONG, FR_E_INVALID_PATH},
		{ENOMEM, FR_E_INTERNAL},
		{EIO, FR_E_IO_ERROR},
		{EBADF, FR_E_IO_ERROR},
		{EINVAL, FR_E_IO_ERROR},
		{0, FR_E_IO_ERROR},
		{-1, FR_E_IO_ERROR},
		{99999, FR_E_IO_ERROR},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = fr_err_from_errno(t[i].errnum);
		assert_int_equal(got, t[i].err);
		/* whatever errno says, the result is a wire code */
		assert_non_null(fr_err_code(got));
	}
}

static void test_closes(void **state)
{
	(void)state;
	for (int e = -200; e <= 5; e++) {
		bool want = e == FR_E_BAD_REQUEST || e == FR_E_BUSY ||
			    e == FR_E_TIMEOUT;
		assert_int_equal(fr_err_closes(e), want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_round_trip),
		cmocka_unit_test(test_local_have_no_code),
		cmocka_unit_test(test_unknown_code),
		cmocka_unit_test(test_err_str),
		cmocka_unit_test(test_from_errno),
		cmocka_unit_test(test_closes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
