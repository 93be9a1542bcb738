/*
 * NAME
 *	ics.h - writing iCalendar (RFC 5545) text
 * DESCRIPTION
 *	Just what `pocctl calendar ics` needs: one VCALENDAR of VEVENTs,
 *	each either an all-day event on a Japan date (DTSTART;VALUE=DATE)
 *	or an instant in UTC. Lines end in CRLF and are folded at 75
 *	octets without splitting a UTF-8 character; TEXT values are
 *	escaped (backslash, semicolon, comma, newline).
 */
#ifndef POC_ICS_H
#define POC_ICS_H

#include "poc.h"

G_BEGIN_DECLS

/* BEGIN:VCALENDAR with VERSION, PRODID, CALSCALE, X-WR-CALNAME. */
void poc_ics_begin(GString *out, const char *name);
void poc_ics_end(GString *out);

typedef struct poc_ics_event {
	const char *uid;	/* stable: the same event keeps its UID across exports */
	gint64 stamp;		/* DTSTAMP */
	gint64 at;		/* the time, or (all_day) any instant of the Japan day */
	gboolean all_day;
	const char *summary;
	const char *description;	/* or NULL */
	const char *categories;	/* or NULL: one category */
} poc_ics_event;
void poc_ics_event_write(GString *out, const poc_ics_event *ev);

/* A content line "NAME:VALUE" folded to 75 octets, CRLF-terminated (value as given). */
void poc_ics_line(GString *out, const char *name, const char *value);
/* value escaped as RFC 5545 TEXT, appended to out. */
void poc_ics_escape_text(GString *out, const char *value);

G_END_DECLS

#endif
