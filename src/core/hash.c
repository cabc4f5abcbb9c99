/*
 * hash.c - streaming SHA-256 over OpenSSL's EVP interface.
 *
 * The EVP_MD is fetched once per context (OpenSSL 3 picks the fastest
 * implementation: SHA-NI where the CPU has it).  Also HMAC-SHA256 and a
 * constant-time comparison, for ferryd's authenticated checksum cache.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include "ferry/hash.h"

struct fr_sha256 {
	EVP_MD_CTX *ctx;
};

struct fr_sha256 *fr_sha256_new(void)
{
	struct fr_sha256 *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		fr_sha256_free(h);
		return NULL;
	}
	return h;
}

void fr_sha256_free(struct fr_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void fr_sha256_reset(struct fr_sha256 *h)
{
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		abort(); /* cannot fail once the context exists */
}

void fr_sha256_update(struct fr_sha256 *h, const void *p, size_t n)
{
	if (n && EVP_DigestUpdate(h->ctx, p, n) != 1)
		abort();
}

static void to_hex(const unsigned char *md, unsigned n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

void fr_sha256_final_hex(struct fr_sha256 *h, char hex[FR_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != FR_SHA256_LEN)
		abort();
	to_hex(md, n, hex);
}

void fr_hmac_sha256_hex(const void *key, size_t klen, const void *msg,
			size_t n, char hex[FR_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (klen > 0x7fffffff ||
	    !HMAC(EVP_sha256(), key, (int)klen, msg, n, md, &len) ||
	    len != FR_SHA256_LEN)
		abort();
	to_hex(md, len, hex);
	OPENSSL_cleanse(md, sizeof(md));
}

bool fr_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

bool fr_sha256_hex_valid(const char *s, size_t len)
{
	if (len != 2 * FR_SHA256_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int fr_sha256_copy(struct fr_sha256 *dst, const struct fr_sha256 *src)
{
	return EVP_MD_CTX_copy_ex(dst->ctx, src->ctx) == 1 ? 0 : -1;
}

void fr_sha256_peek_hex(const struct fr_sha256 *h, char hex[FR_SHA256_HEX])
{
	struct fr_sha256 tmp;

	tmp.ctx = EVP_MD_CTX_new();
	if (!tmp.ctx || EVP_MD_CTX_copy_ex(tmp.ctx, h->ctx) != 1)
		abort(); /* out of memory for a few hundred bytes */
	fr_sha256_final_hex(&tmp, hex);
	EVP_MD_CTX_free(tmp.ctx);
}
