/*
 * notify.h - telling systemd (Type=notify) how ferryd is doing.
 *
 * Does: speak the $NOTIFY_SOCKET datagram protocol of sd_notify(3)
 * directly (one AF_UNIX datagram of "KEY=VALUE" lines per state change):
 * READY=1 once listening, RELOADING=1 with MONOTONIC_USEC around a SIGHUP
 * reload and READY=1 after it, STOPPING=1 when draining, STATUS= lines for
 * systemctl status.  Without $NOTIFY_SOCKET every call is a no-op.
 * Does not: link libsystemd, watchdogs, or socket activation.
 *
 * Threads: notify_init on the main thread before any other exists; the
 * senders from any thread (one send(2) each).
 */
#ifndef FERRYD_NOTIFY_H
#define FERRYD_NOTIFY_H

#include <stddef.h>

/*
 * Open and connect the socket named by $NOTIFY_SOCKET (a path, or "@name"
 * for the abstract namespace) and remove the variable from the
 * environment.  Call before Landlock.  FR_OK (msg says where), FR_AGAIN
 * when the variable is not set, FR_E_USAGE when it cannot be used (msg
 * says why; ferryd goes on without notifications).
 */
int notify_init(char *msg, size_t msglen);

/* READY=1 (and STATUS=status when not NULL). */
void notify_ready(const char *status);

/* RELOADING=1 and MONOTONIC_USEC=now (CLOCK_MONOTONIC), before a reload. */
void notify_reloading(void);

/* STOPPING=1 and STATUS=status, when draining starts. */
void notify_stopping(const char *status);

/* Close the socket (at exit). */
void notify_close(void);

#endif
