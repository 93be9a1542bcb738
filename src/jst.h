/*
 * NAME
 *	jst.h - Japan Standard Time: the one offset from UTC
 * SYNOPSIS
 *	#include "jst.h"
 * DESCRIPTION
 *	Japan keeps +09:00 all year (no daylight saving time since 1951):
 *	business hours, deadlines, publication dates and the times shown
 *	(poc_time_format, pocctl, acknowledgement Date:) are in JST, one
 *	fixed offset. POC_JST_OFFSET is that offset in seconds; local time
 *	is t + POC_JST_OFFSET. No other file spells it.
 */
#ifndef POC_JST_H
#define POC_JST_H

#define POC_JST_OFFSET (9 * 3600)

#endif
