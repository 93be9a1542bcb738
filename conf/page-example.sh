#!/bin/sh
# page-example.sh - an example PageCommand for pocmilter.
#
# pocmilter (and `pocctl watch --page`) run PageCommand once per page with
# one JSON object on stdin, for example:
#
#   {"reason":"ack-overdue","status":"firing","level":"CRITICAL",
#    "case":"JPCERT#12345678","tracking":"JPCERT#12345678",
#    "message_id":"<...@jpcert.or.jp>","deadline":"2026-11-26T17:30:00+09:00",
#    "business_time_left":-1800,"business_time_left_text":"-30m",
#    "first_seen":"2026-11-26T17:31:00+09:00","count":1,
#    "at":"2026-11-26T18:31:00+09:00"}
#
# A page holds nothing confidential (no subject, no body), so it may go to
# a chat channel or an SMS gateway. Exit 0 when the page was delivered:
# any other exit (or running longer than PageTimeout) makes pocmilter log
# it and try again on the next round (a minute later). See doc/PAGING.md.
#
# This one only logs the page with logger(1); replace the last lines with
# your pager (curl to a webhook, an SMS gateway, ...).
set -eu

json=$(cat)
# Single-line fields, without a JSON parser (jq would do this better).
field() {
	printf '%s' "$json" | sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"
}
reason=$(field reason)
status=$(field status)
level=$(field level)
case_id=$(field case)

logger -t pocmilter-page -p "mail.${PAGE_PRIORITY:-warning}" -- \
	"$level $status $reason ${case_id:--}: $json"
# Example: a chat webhook (uncomment and set the URL).
# curl -fsS --max-time 20 -H 'Content-Type: application/json' \
#	--data "{\"text\":\"pocmilter $level $status: $reason ${case_id:--}\"}" \
#	https://chat.example/hooks/XXXX
exit 0
