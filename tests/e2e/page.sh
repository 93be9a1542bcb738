#!/bin/bash
# Paging through the real daemon: a notice whose signature is not good
# (encrypted, unsigned) pages signature-not-good and ack-held through a
# recording PageCommand (and PageMail through postfix), once; `pocctl watch`
# reports it as WARNING and `pocctl watch --page` does not page it again.
# Then the daemon is killed with SIGKILL and `pocctl watch` reports
# filter-silent CRITICAL (exit 2) once the heartbeat is older than
# HeartbeatMax (the clock is moved with POC_FAKE_NOW instead of waiting).
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --no-milter

h_on_fail() { h_show_logs; echo "--- pages"; cat "$PAGES" 2>/dev/null; }

# PageCommand runs as the daemon's user: a directory it may write.
mkdir -m 755 "$H/pages"
chown "$POC_USER:" "$H/pages"
PAGES="$H/pages/pages.log"
cat >"$H/pages/record.sh" <<EOT
#!/bin/sh
cat >>'$PAGES'
EOT
chmod 755 "$H/pages/record.sh"
h_config "PageCommand $H/pages/record.sh" "PageMail oncall@vendor.example" \
	"PageRepeat 1h" "HeartbeatMax 5m" "PageTimeout 10s"
h_milter_start

count() { grep -c "\"reason\":\"$1\"" "$PAGES" 2>/dev/null || true; }

SECRET='SECRET-SUBJECT-TEXT'
h_notice --tn 'JPCERT#23456789' --sign none --message-id '<unsigned-1@jpcert.example>' \
	--subject "[JPCERT#23456789] $SECRET" >"$H/n1.eml"
h_send "$H/n1.eml" || fail "SMTP send"
h_wait_for 30 sh -c "'$POCCTL' -c '$CONF' export 2>/dev/null | grep -q 'JPCERT#23456789'" || fail "case not filed"
"$POCCTL" -c "$CONF" export | grep -q '"signature":"none"' || fail "the notice is not filed as unsigned"
"$POCCTL" -c "$CONF" export | grep -q '"ack_state":"held"' || fail "the unsigned notice is not held"
ok "unsigned notice filed and held"

# The daemon checks once a minute.
h_wait_for 75 sh -c "grep -qs signature-not-good '$PAGES' && grep -qs ack-held '$PAGES'" ||
	fail "the daemon did not page signature-not-good and ack-held"
python3 - "$PAGES" <<'PY' || fail "the pages are not as expected"
import json, sys
pages = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
fields = {"reason", "status", "level", "case", "tracking", "message_id", "deadline",
          "business_time_left", "business_time_left_text", "first_seen", "count", "at", "due"}
for p in pages:
    assert set(p) == fields, sorted(p)
    assert p["case"] == "JPCERT#23456789", p
    assert p["message_id"] == "<unsigned-1@jpcert.example>", p
    assert p["status"] == "firing" and p["count"] == 1, p
    assert p["level"] == "WARNING", p
    assert p["deadline"].endswith("+09:00"), p
    assert isinstance(p["business_time_left"], int), p
    assert p["due"] is None, p
assert sorted(p["reason"] for p in pages) == ["ack-held", "signature-not-good"], pages
PY
grep -q "$SECRET" "$PAGES" && fail "subject text reached PageCommand"
grep -qi 'summary information' "$PAGES" && fail "body text reached PageCommand"
ok "the daemon paged signature-not-good and ack-held, nothing confidential"

ONCALL="$H/mail/vendor/oncall"
# (A function, so that the count is taken at each try, not once.)
oncall_has() { [ "$(h_maildir_count "$ONCALL")" -ge "$1" ]; }
h_wait_for 30 oncall_has 2 || fail "PageMail did not arrive"
for f in $(h_maildir_files "$ONCALL"); do
	grep -q '^Auto-Submitted: auto-generated' "$f" || fail "PageMail without Auto-Submitted"
	grep -q '^Subject: \[pocmilter\] WARNING \(signature-not-good\|ack-held\) JPCERT#23456789' "$f" ||
		fail "PageMail subject: $(grep -m1 '^Subject:' "$f")"
	grep -q "$SECRET" "$f" && fail "subject text in PageMail"
done
ok "PageMail delivered, plain and without notice text"

out=$("$POCCTL" -c "$CONF" watch)
rc=$?
[ $rc = 1 ] || fail "pocctl watch exit $rc (want 1 WARNING): $out"
echo "$out" | head -1 | grep -q '^POCMILTER WARNING - .*signature-not-good JPCERT#23456789.*| open=1 ' ||
	fail "status line: $out"
ok "pocctl watch: $(echo "$out" | head -1)"

"$POCCTL" -c "$CONF" watch --page >/dev/null
[ "$(count signature-not-good)" = 1 ] && [ "$(count ack-held)" = 1 ] ||
	fail "pocctl watch --page paged again what the daemon had paged"
ok "pocctl watch --page shares the page state: no double page"

# The filter stops dead.
kill -KILL "$MILTER_PID"
wait "$MILTER_PID" 2>/dev/null
MILTER_PID=
out=$("$POCCTL" -c "$CONF" watch)
echo "$out" | grep -q filter-silent && fail "filter-silent before HeartbeatMax: $out"
later=$(($(date +%s) + 301))
out=$(POC_FAKE_NOW=$later "$POCCTL" -c "$CONF" watch)
rc=$?
[ $rc = 2 ] || fail "pocctl watch exit $rc after the daemon died (want 2 CRITICAL): $out"
echo "$out" | head -1 | grep -q '^POCMILTER CRITICAL - filter-silent daemon' || fail "status line: $out"
ok "daemon killed: $(echo "$out" | head -1)"

POC_FAKE_NOW=$later "$POCCTL" -c "$CONF" watch --page >/dev/null
[ $? = 2 ] || fail "pocctl watch --page exit"
[ "$(count filter-silent)" = 1 ] || fail "pocctl watch --page did not page filter-silent"
POC_FAKE_NOW=$((later + 60)) "$POCCTL" -c "$CONF" watch --page >/dev/null
[ "$(count filter-silent)" = 1 ] || fail "filter-silent paged again within PageRepeat"
grep '"reason":"filter-silent"' "$PAGES" | grep -q '"level":"CRITICAL"' || fail "filter-silent level"
ok "pocctl watch --page paged filter-silent once"

# An unreadable database is UNKNOWN, not OK.
out=$(POC_FAKE_NOW=$later "$POCCTL" -c /nonexistent/pocmilter.conf watch)
[ $? = 3 ] || fail "pocctl watch with no configuration: want exit 3: $out"
ok "no configuration: $out"
