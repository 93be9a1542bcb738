/*
 * NAME
 *	notify.h - readiness and watchdog for systemd (sd_notify)
 * DESCRIPTION
 *	See notify.c.
 */
#ifndef POC_NOTIFY_H
#define POC_NOTIFY_H

#include <signal.h>

#include <glib.h>

G_BEGIN_DECLS

/* The number of threads whose liveness feeds the watchdog (before they start). */
void poc_notify_expect(int threads);
/* In each watched thread, once at its start: its slot for poc_notify_alive(). */
int poc_notify_register(void);
/* The thread with this slot made progress (one loop iteration). */
void poc_notify_alive(int slot);
/* READY=1 with a status line; STOPPING=1. */
void poc_notify_ready(const char *status);
void poc_notify_stopping(void);
/*
 * sigwaitinfo() on set that, while it waits, sends WATCHDOG=1 every
 * quarter of the watchdog interval if and only if every expected thread
 * has made progress within the interval. Returns the signal, or -1.
 */
int poc_notify_sigwait(const sigset_t *set);

/* The decision alone (for the tests): all n beats younger than max_age at now. */
gboolean poc_notify_all_alive(const gint64 *beats, int n, int expected, gint64 now,
			      gint64 max_age, int *stale);

G_END_DECLS

#endif
