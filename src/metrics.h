/*
 * NAME
 *	metrics.h - the database as Prometheus metrics
 * DESCRIPTION
 *	poc_metrics_write() appends the Prometheus text format (0.0.4) to
 *	out: case counts by state, held, unacknowledged (by age) and overdue
 *	messages, the oldest unacknowledged in business seconds, spool and
 *	outbox depth, heartbeat age, the newest received time, and event
 *	counters. Every series is always present. rt->store is read only.
 */
#ifndef POC_METRICS_H
#define POC_METRICS_H

#include "runtime.h"

G_BEGIN_DECLS

int poc_metrics_write(poc_runtime *rt, gint64 now, GString *out, GError **error);

G_END_DECLS

#endif
