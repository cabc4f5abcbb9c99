/*
 * limits.h - every cap and default of ferry in one place.
 *
 * Wire limits are part of the protocol contract (docs/PROTOCOL.md); the
 * defaults are what ferryd uses when a flag is not given.  Tests use these
 * same constants so a change here is a change everywhere.
 */
#ifndef FERRY_LIMITS_H
#define FERRY_LIMITS_H

#include <stdint.h>

/* The highest protocol version this build speaks; hello settles on the
 * lower of the two sides' versions (docs/PROTOCOL.md).  ALPN names the
 * protocol family and stays "ferry/1" across versions. */
#define FR_PROTO_VERSION 2
#define FR_PROTO_MIN 1
#include "ferry/version.h" /* FR_VERSION_STRING, FR_CLIENT_ID, FR_SERVER_ID */
#define FR_ALPN "ferry/1"

#define FR_DEFAULT_PORT 9533

/* Frames: 4-byte big-endian length, then that many bytes of JSON. */
#define FR_FRAME_HDR 4u
#define FR_MAX_REQUEST 65536u     /* 1 <= L <= this for requests */
#define FR_MAX_RESPONSE 1048576u  /* 1 <= L <= this for responses */

/* Paths. */
#define FR_PATH_MAX 4095u  /* bytes, without the terminating NUL */
#define FR_NAME_MAX 255u   /* bytes per component */

/* Sizes travel as JSON numbers (doubles): integers up to 2^53-1 only. */
#define FR_SIZE_MAX ((uint64_t)9007199254740991ull)

/* JSON nesting accepted in a request before it is refused unparsed. */
#define FR_JSON_DEPTH_MAX 16

/* Listings: entries per response frame (the default of
 * --max-list-entries, and its upper bound: 1000 entries always fit one
 * response frame). */
#define FR_LIST_ENTRIES_PER_FRAME 1000u

/* Path depth (components): the default and the ceiling of
 * --max-path-depth.  The expiry sweep of held uploads reaches every
 * directory a path this deep can have (store.c), and one put creates at
 * most this many directories (a mkdir + fsync each), which bounds the cost
 * of a request. */
#define FR_MAX_PATH_DEPTH 128u
#define FR_DEFAULT_MAX_PATH_DEPTH FR_MAX_PATH_DEPTH

/* Protocol 2: payload bytes of one chunk of a chunked put body (each
 * chunk is a 4-byte big-endian length, then that many bytes; 0 ends). */
#define FR_CHUNK_MAX (1024u * 1024u)

/* Protocol 2: levels one recursive list descends below the listed
 * directory; entries carry depth 0 .. FR_LIST_TREE_DEPTH-1 and deeper
 * directories come "truncated" (the client lists them on their own).  It
 * also bounds the directory descriptors one listing holds open. */
#define FR_LIST_TREE_DEPTH 32u

/* Identities: certificate CN bytes, ACL file size and entries. */
#define FR_IDENTITY_MAX 255u
#define FR_ACL_FILE_MAX (1024u * 1024u)
#define FR_ACL_MAX_IDENTITIES 10000u
/* Connections per identity by default (--max-conns-per-identity). */
#define FR_DEFAULT_MAX_CONNS_PER_IDENTITY FR_DEFAULT_MAX_CONNS

/* Server defaults (flags override; see src/server/config.c). */
#define FR_DEFAULT_MAX_CONNS 1024u
#define FR_DEFAULT_MAX_FILE_SIZE FR_SIZE_MAX
#define FR_DEFAULT_HANDSHAKE_TIMEOUT 10u /* seconds */
#define FR_DEFAULT_IDLE_TIMEOUT 60u
#define FR_DEFAULT_STALL_TIMEOUT 30u
#define FR_DEFAULT_DRAIN_TIMEOUT 30u
#define FR_DEFAULT_PARTIAL_TTL 86400u /* interrupted uploads held */
#define FR_MAX_LISTENERS 16u
#define FR_MAX_THREADS 256u

/* The client gives up on a server that sends nothing for this long (a
 * stat with sha256 of a 100 GiB file takes about 80 s of hashing). */
#define FR_CLIENT_IO_TIMEOUT 300u /* seconds */

/* Client: connections one command may use (-j / --parallel), and the most
 * entries one listing may bring (so a hostile server cannot keep a
 * "more": true listing going forever). */
#define FR_CLIENT_MAX_LANES 16u
#define FR_CLIENT_LIST_MAX 10000000u

/* Client: files up to this size are put with their body right behind the
 * request (protocol 2, no "ready" round trip); bigger ones wait for
 * "ready", so a refusal costs no transfer. */
#define FR_CLIENT_EAGER_MAX (1024u * 1024u)

/* Client shell (ferry shell, ferry -b): the longest command line, the
 * history kept ($XDG_STATE_HOME/ferry/history), how long a remote listing
 * serves Tab completion before it is asked again, and the most entries
 * of one listing kept for it. */
#define FR_SHELL_LINE_MAX (64u * 1024u)  /* bytes */
#define FR_SHELL_HISTORY 1000u           /* lines */
#define FR_SHELL_CACHE_SECONDS 5.0
#define FR_SHELL_CACHE_ENTRIES 100000u

/* I/O: file reads/writes and TLS records. */
#define FR_IO_CHUNK (256u * 1024u)  /* bytes per file read/write */
#define FR_TLS_RECORD 16384u
/* Uploads start writeback every window and wait for the previous one, so
 * dirty pages stay bounded and the final fsync is short. */
#define FR_WRITEBACK_WINDOW (8u * 1024u * 1024u)

/* A worker gives a busy connection back to the queue after this many bytes
 * so one fast transfer cannot monopolise a thread. */
#define FR_STEP_QUANTUM (4u * 1024u * 1024u)

/* Temporary upload files live next to their target under this prefix;
 * clients can never address or see a component that starts with it. */
#define FR_RESERVED_PREFIX ".ferry-part."

/* The sweep of expired interrupted uploads: how often at most (seconds;
 * more often when --partial-ttl is shorter) and how many directory entries
 * one sweep visits at most. */
#define FR_SWEEP_INTERVAL 600u
#define FR_SWEEP_MAX_ENTRIES 1000000u

/* ferryd's SHA-256 cache (sumcache.c): the extended attribute, its largest
 * value, and how long after the cache's own first write its second may
 * land (writing an xattr moves the ctime: the entry accepts ctimes in
 * [first write, first write + this]). */
#define FR_SUMCACHE_XATTR "user.ferry.sha256"
#define FR_SUMCACHE_VALUE_MAX 255u
#define FR_SUMCACHE_CTIME_SLACK_NS 100000000LL /* 100 ms */

/* ---- issue 10: configuration files, metrics, systemd ------------------ */

/* Configuration files (conf.c: ferryd.conf and the client's profiles). */
#define FR_CONF_FILE_MAX (1024u * 1024u) /* bytes */
#define FR_CONF_LINE_MAX 8192u           /* bytes per line */
#define FR_CONF_MAX_ITEMS 4096u          /* key = value lines per file */
#define FR_CONF_KEY_MAX 48u              /* bytes of a key */
#define FR_CONF_SECTION_MAX 48u          /* bytes of a [section] name */
/* ---- issue 11: behind a balancer, facing the internet ---- */
/* Address blocks --proxy-protocol-from may name in all. */
#define FR_MAX_PROXY_FROM 64u
/* One request frame must arrive whole within this many seconds of its
 * first byte (--request-timeout), however steadily it trickles. */
#define FR_DEFAULT_REQUEST_TIMEOUT 20u
/* While a request frame or a body is under way, at least --min-rate bytes
 * per second must move, averaged over each --min-rate-window seconds
 * (mod_reqtimeout's MinRate); 0 turns the check off. */
#define FR_DEFAULT_MIN_RATE 1024u
#define FR_DEFAULT_MIN_RATE_WINDOW 30u
/* Connections one client address (IPv6: one /64) may hold at once
 * (--max-conns-per-address); 0: no limit. */
#define FR_DEFAULT_MAX_CONNS_PER_ADDRESS 0u

#endif
