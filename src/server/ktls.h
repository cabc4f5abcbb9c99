/*
 * ktls.h - does this kernel offer TLS offload (the "tls" TCP ULP)?
 *
 * ferryd encrypts in user space (OpenSSL) on every kernel.  Kernel TLS
 * + SSL_sendfile would let a download skip one copy, but a download must
 * still be hashed, so the file is read by us anyway; the probe exists so
 * the log says, once at start-up, whether that path could be taken here.
 */
#ifndef FERRY_KTLS_H
#define FERRY_KTLS_H

#include <stdbool.h>
#include <stddef.h>

/* Probe once: attach the "tls" ULP to a throwaway loopback TCP connection.
 * Returns true if the kernel accepted it; otherwise writes the reason into
 * why.  Never fails otherwise and leaves nothing open. */
bool ktls_probe(char *why, size_t n);

#endif
