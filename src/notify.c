/*
 * NAME
 *	notify.c - tell systemd when pocmilter is ready and that it is alive
 * SYNOPSIS
 *	#include "notify.h"
 *
 *	poc_notify_expect(filers + 1);		main thread, before the threads
 *	slot = poc_notify_register();		each filer and the sender
 *	poc_notify_alive(slot);			each of their loop iterations
 *	poc_notify_ready("serving ...");	once the socket listens
 *	sig = poc_notify_sigwait(&set);		the main thread's signal wait
 *	poc_notify_stopping();
 * DESCRIPTION
 *	Under Type=notify (pocmilter.service) READY=1 is sent once the
 *	milter socket listens and the threads run, so that
 *	Before=postfix.service means the filter answers. Without
 *	NOTIFY_SOCKET (not started by systemd) every call does nothing.
 *
 *	The watchdog (WatchdogSec=, seen as WATCHDOG_USEC) is fed by the
 *	daemon's own progress, not by a timer: the filers and the sender
 *	note the monotonic time at each iteration of their loops (an idle
 *	one wakes at least once a second), and the main thread, between
 *	signals, sends WATCHDOG=1 only while every one of them has noted
 *	within the watchdog interval. A thread stuck (a hung gpg, a
 *	deadlock) stops the pings: systemd kills the daemon (SIGABRT) after
 *	WatchdogSec more and Restart=on-failure starts it again; what was
 *	spooled is filed then. The first stale thread is logged once.
 * DIAGNOSTICS
 *	"watchdog: N of M threads made no progress for S s: not telling
 *	systemd we are alive" (warning), "watchdog: every thread makes
 *	progress again" (info).
 * SECURITY
 *	Messages to systemd carry a status line (the socket) and nothing of
 *	any notice. NOTIFY_SOCKET is left in the environment: children
 *	(gpg, AckSendmail, PageCommand) are not the main pid, and
 *	NotifyAccess=main makes systemd ignore them.
 */
#include "config.h"

#include <errno.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

#define MAX_SLOTS 256

static gint64 beats[MAX_SLOTS];	/* g_get_monotonic_time() of each slot's last progress */
static gint registered;
static int expected;

void
poc_notify_expect(int threads)
{
	expected = CLAMP(threads, 0, MAX_SLOTS);
}

int
poc_notify_register(void)
{
	int slot = g_atomic_int_add(&registered, 1);

	if (slot >= MAX_SLOTS)
		return -1;
	poc_notify_alive(slot);
	return slot;
}

void
poc_notify_alive(int slot)
{
	if (slot >= 0 && slot < MAX_SLOTS)
		__atomic_store_n(&beats[slot], g_get_monotonic_time(), __ATOMIC_RELAXED);
}

void
poc_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "serving");
}

void
poc_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

gboolean
poc_notify_all_alive(const gint64 *b, int n, int want, gint64 now, gint64 max_age, int *stale)
{
	int bad = 0;

	if (n < want)
		bad = want - n;	/* a thread that never started */
	for (int i = 0; i < n && i < MAX_SLOTS; i++)
		if (now - b[i] > max_age)
			bad++;
	if (stale)
		*stale = bad;
	return bad == 0;
}

int
poc_notify_sigwait(const sigset_t *set)
{
	static gboolean warned;
	uint64_t usec = 0;
	struct timespec wait;
	gint64 snapshot[MAX_SLOTS];
	int n, stale, sig;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return sigwaitinfo(set, NULL);
	wait.tv_sec = (time_t)(usec / 4 / 1000000);
	wait.tv_nsec = (long)(usec / 4 % 1000000) * 1000;
	for (;;) {
		n = MIN(g_atomic_int_get(&registered), MAX_SLOTS);
		for (int i = 0; i < n; i++)
			snapshot[i] = __atomic_load_n(&beats[i], __ATOMIC_RELAXED);
		if (poc_notify_all_alive(snapshot, n, expected, g_get_monotonic_time(),
					 (gint64)usec, &stale)) {
			sd_notify(0, "WATCHDOG=1");
			if (warned)
				msg_info("event=watchdog-ok detail=\"every thread makes progress again\"");
			warned = FALSE;
		} else if (!warned) {
			msg_warn("event=watchdog-stale stale=%d threads=%d seconds=%g detail=\"not "
				 "telling systemd we are alive\"", stale, MAX(n, expected),
				 (double)usec / 1e6);
			warned = TRUE;
		}
		sig = sigtimedwait(set, NULL, &wait);
		if (sig >= 0 || errno != EAGAIN)
			return sig;
	}
}
