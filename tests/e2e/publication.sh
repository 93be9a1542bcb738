#!/bin/bash
# A case followed to publication, through the real postfix and pocmilter:
# a summary, a detail, a publication request with a date, a date change,
# each filed as an event; a person sets the state and sends the vendor
# statement, which reaches the coordinator signed and encrypted with the
# right status line; the reminders are due at the right fake-clock times;
# `pocctl calendar ics` is read back with libical.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup "StatementBefore 3d"

TN='JPCERT#24681357'
POCCTL_AS_DAEMON() { runuser -u "$POC_USER" -- "$POCCTL" -c "$CONF" "$@"; }
case_json() { "$POCCTL" -c "$CONF" show "$TN" --json; }

send() { # MESSAGE-ID SUBJECT BODY
	h_notice --tn "$TN" --message-id "$1" --subject "$2" --body "$3" >"$H/n.eml"
	h_send "$H/n.eml" || fail "SMTP send $1"
	h_wait_for 30 h_filed "$1" || fail "$1 not filed"
}

send '<pub-1@jpcert.example>' "[$TN] 脆弱性情報(概要情報)のご連絡" "$TN
概要情報をお送りします。
VN: JVNVU#97531864 / TN: $TN
CVE-2026-55555"
send '<pub-2@jpcert.example>' "[$TN] 脆弱性情報(詳細情報)のご連絡" "$TN
詳細情報をお送りします。再現手順を添付します。"
send '<pub-3@jpcert.example>' "[$TN] 公開情報の確認とベンダー声明のお願い" "$TN
公開情報のドラフトをお送りします。ステータスとベンダー声明をお送りください。
公開予定日: 2026年12月15日"
send '<pub-4@jpcert.example>' "[$TN] 公開日の変更のご連絡" "$TN
公開予定日を変更します。
公開予定日: 2026/12/22 11:00"

case_json >"$H/case1.json"
python3 - "$H/case1.json" <<'PY' || fail "the case timeline is not as expected: $(cat "$H/case1.json")"
import json, sys
c = json.load(open(sys.argv[1]))
kinds = [m["kind"] for m in c["messages"]]
assert kinds == ["summary", "detail", "publication", "schedule"], kinds
assert c["state"] == "open", c["state"]
assert c["publication_date"] == "2026-12-22T11:00:00+09:00", c["publication_date"]
h = c["publication_history"]
assert [(x["from"], x["to"], x["message_id"]) for x in h] == [
    (None, "2026-12-15T00:00:00+09:00", "<pub-3@jpcert.example>"),
    ("2026-12-15T00:00:00+09:00", "2026-12-22T11:00:00+09:00", "<pub-4@jpcert.example>")], h
assert c["statement_state"] == "requested", c["statement_state"]
assert c["statement_sent_at"] is None
assert c["target_date"].endswith("+09:00") and c["target_date"] > c["opened_at"], c["target_date"]
PY
ok "four notices filed; publication date history none -> 12-15 -> 12-22 11:00; statement requested"

"$POCCTL" -c "$CONF" state "$TN" bogus >/dev/null 2>&1 && fail "pocctl state accepted a bogus state"
"$POCCTL" -c "$CONF" state "$TN" investigating >/dev/null || fail "pocctl state investigating"

# Reminders at fake-clock times (publication Tuesday 2026-12-22 11:00 JST).
due() { POC_FAKE_NOW=$1 "$POCCTL" -c "$CONF" reminders | awk -v tn="$TN" '$2 == tn {print $1 "@" $3}' | sort | paste -sd' '; }
check_due() { # TIME EXPECTED
	local got
	got=$(due "$1")
	[ "$got" = "$2" ] || fail "reminders at $1: got \"$got\", want \"$2\""
}
check_due 2026-12-17T08:59:00+09:00 ""
check_due 2026-12-17T09:00:00+09:00 "statement-due@2026-12-17T09:00:00+09:00"
check_due 2026-12-19T12:00:00+09:00 "statement-due@2026-12-17T09:00:00+09:00"
check_due 2026-12-21T09:00:00+09:00 "statement-due@2026-12-21T09:00:00+09:00"
check_due 2026-12-22T09:00:00+09:00 "publication-today@2026-12-22T09:00:00+09:00 statement-due@2026-12-21T09:00:00+09:00"
check_due 2026-12-23T00:00:00+09:00 ""
target=$(case_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_date"])')
near=$(python3 -c 'import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1]); print((t-datetime.timedelta(days=3)).isoformat())' "$target")
due "$near" | grep -q '^target-near@' || fail "no target-near 3 days before the target $target (state investigating)"
ok "statement-due, publication-today and target-near at the right fake times"

POC_FAKE_NOW=2026-12-10T00:00:00+09:00 "$POCCTL" -c "$CONF" list --publishing --days 14 | grep -qF "$TN" ||
	fail "list --publishing --days 14 misses the case"
POC_FAKE_NOW=2026-12-10T00:00:00+09:00 "$POCCTL" -c "$CONF" list --publishing --days 5 | grep -qF "$TN" &&
	fail "list --publishing --days 5 lists a case published in 12 days"
ok "list --publishing"

# The calendar before the statement, read back with a real iCalendar library.
PARSE="$BUILD/tests/unit/test_ics_parse"
have_libical=no
"$PARSE" >/dev/null 2>&1 && have_libical=yes
if [ $have_libical = yes ]; then
	POC_FAKE_NOW=2026-12-01T00:00:00+09:00 "$POCCTL" -c "$CONF" calendar ics --days 60 >"$H/cal0.ics" || fail "calendar ics"
	"$PARSE" "$H/cal0.ics" >"$H/cal0.txt" || fail "libical cannot parse the calendar: $(cat "$H/cal0.ics")"
	tday=$(echo "$target" | cut -c1-10 | tr -d -)
	grep -q '^events 3$' "$H/cal0.txt" || fail "calendar: want 3 events: $(cat "$H/cal0.txt")"
	grep -q "	20261222T020000Z	Publication: $TN\$" "$H/cal0.txt" || fail "no publication event: $(cat "$H/cal0.txt")"
	grep -q "	20261221	Vendor statement due: $TN" "$H/cal0.txt" || fail "no statement deadline: $(cat "$H/cal0.txt")"
	grep -q "	$tday	45-day target: $TN\$" "$H/cal0.txt" || fail "no target event on $tday: $(cat "$H/cal0.txt")"
	ok "calendar ics read back by libical: publication, statement deadline, target"
fi

# The statement: a dry run prints it, then it goes through the outbox.
POCCTL_AS_DAEMON statement "$TN" --status affected --url https://vendor.example/sa/1 \
	--text "製品A 1.0-1.4 が該当します。" --dry-run >"$H/dry.txt" 2>&1 || fail "statement --dry-run: $(cat "$H/dry.txt")"
grep -q '^■ ステータス: 該当製品あり$' "$H/dry.txt" || fail "dry run lacks the status line: $(cat "$H/dry.txt")"
COORD="$H/mail/jpcert/vuls"
h_wait_maildir 60 "$COORD" 4 || fail "the four acknowledgements did not arrive"
before=$(h_maildir_count "$COORD")
POCCTL_AS_DAEMON statement "$TN" --status affected --url https://vendor.example/sa/1 \
	--text "製品A 1.0-1.4 が該当します。" >"$H/st.txt" 2>&1 || fail "pocctl statement: $(cat "$H/st.txt")"
h_wait_maildir 60 "$COORD" $((before + 1)) || fail "no statement reached the coordinator"
st=$(grep -l "^X-POC-Statement: $TN" $(h_maildir_files "$COORD") | head -1)
[ -n "$st" ] || fail "no mail with X-POC-Statement among the coordinator's"
grep -q '^In-Reply-To: <pub-3@jpcert.example>' "$st" || fail "statement does not answer the publication request"
grep -q '^Auto-Submitted:' "$st" && fail "a statement is not an auto-reply"
grep -q 'multipart/encrypted' "$st" || fail "statement is not PGP/MIME encrypted"
grep -q 'ステータス' "$st" && fail "statement text in clear"
sed -n '/-----BEGIN PGP MESSAGE-----/,/-----END PGP MESSAGE-----/p' "$st" >"$H/st.asc"
gpg --homedir "$GC" --batch --status-fd 3 --decrypt "$H/st.asc" 3>"$H/st.status" >"$H/st.mime" 2>/dev/null ||
	fail "the coordinator cannot decrypt the statement"
grep -q "^\[GNUPG:\] VALIDSIG .* $VENDOR_FPR\$" "$H/st.status" || fail "statement not validly signed by the vendor key"
python3 - "$H/st.mime" "$TN" <<'PY' || fail "statement text is not as expected"
import email, sys
from email import policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=policy.default)
text = m.get_content().replace("\r\n", "\n")
tn = sys.argv[2]
for want in ("■ ステータス: 該当製品あり\n", "■ 受付番号: " + tn + "\n",
             "■ 脆弱性番号: JVNVU#97531864, CVE-2026-55555\n", "■ 企業名: Vendor Example\n",
             "製品A 1.0-1.4 が該当します。", "https://vendor.example/sa/1", "2026-12-22"):
    assert want in text, (want, text)
assert "{{" not in text
PY
ok "statement decrypted by the coordinator, signed by the vendor, status 該当製品あり"

h_wait_for 30 sh -c "'$POCCTL' -c '$CONF' show '$TN' --json | grep -q '\"statement_state\" : \"sent\"'" ||
	fail "statement_state is not sent: $(case_json | grep statement)"
case_json >"$H/case2.json"
python3 - "$H/case2.json" <<'PY' || fail "after the statement: $(cat "$H/case2.json")"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["statement_state"] == "sent"
assert c["statement_sent_at"] and c["statement_sent_at"].endswith("+09:00")
assert c["statement_status"] == "affected"
assert c["state"] == "investigating"
# acknowledgements stay what they were: one per notice, all sent
assert [m["ack_state"] for m in c["messages"]] == ["sent"] * 4, [m["ack_state"] for m in c["messages"]]
PY
check_due 2026-12-21T09:00:00+09:00 ""
ok "statement recorded as sent on the case; statement-due silenced"

# Every step is an event of the case (pocdb/LMDB events table, read through the C API).
mdb_dump -p -s events "$H/db" >"$H/events.txt" 2>/dev/null || fail "mdb_dump events"
for type in received filed publication-date statement-requested state statement-queued statement-sent; do
	grep -q "\"type\":\"$type\"" "$H/events.txt" || fail "no $type event"
done
[ "$(grep -c '"type":"publication-date"' "$H/events.txt")" = 2 ] || fail "not two publication-date events"
grep -q '"type":"state","actor":"pocctl:0(root)".*"detail":"open -> investigating"' "$H/events.txt" ||
	fail "state event lacks actor or detail"
ok "events: publication-date x2, statement-requested, state, statement-queued, statement-sent"

# The calendar, read back with a real iCalendar library.
POC_FAKE_NOW=2026-12-01T00:00:00+09:00 "$POCCTL" -c "$CONF" calendar ics --days 30 >"$H/cal.ics" || fail "calendar ics"
grep -q $'^BEGIN:VCALENDAR\r$' "$H/cal.ics" || fail "calendar ics is not CRLF iCalendar"
if [ $have_libical = yes ]; then
	"$PARSE" "$H/cal.ics" >"$H/cal.txt" || fail "libical cannot parse the calendar: $(cat "$H/cal.ics")"
	grep -q "	20261222T020000Z	Publication: $TN\$" "$H/cal.txt" || fail "no publication event: $(cat "$H/cal.txt")"
	grep -q "Vendor statement due" "$H/cal.txt" && fail "statement sent, but still in the calendar"
	ok "calendar ics after the statement: $(head -1 "$H/cal.txt"), no statement deadline"
else
	echo "skip: libical test program unavailable"
fi
