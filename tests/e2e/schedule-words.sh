#!/bin/bash
# The coordinator's own words, through the real postfix and pocmilter
# (issue 18): the guideline writes 公表, not 公開, and dates in the era
# calendar or without a year. A 5.4.1 skeleton draft (公表予定の脆弱性情報
# の骨格, 令和9年2月3日(水)) asks for the statement; a schedule change
# (公表日変更のお知らせ, 一般公表日時を…から…に変更) moves the case's
# publication date and history, is acknowledged in auto mode and moves the
# publication reminders; a date without a year (公表予定日：M月D日(曜)) is
# read against the received time. A coordinator's message no rule knows
# (kind other) is held and paged; after a site rule names its words,
# `pocctl reprocess` reads it again: kind (and the rule, shown by
# `pocctl show`), the statement request, and the acknowledgement.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --pages --no-milter
: >"$H/etc/kinds.rules"
chmod 644 "$H/etc/kinds.rules"
h_config "StatementBefore 3d" "PageCommand $H/page.sh" "KindRules $H/etc/kinds.rules"
h_milter_start

TN='JPCERT#31415926'
case_json() { "$POCCTL" -c "$CONF" show "$TN" --json; }
send() { # MESSAGE-ID SUBJECT BODY
	h_notice --tn "$TN" --message-id "$1" --subject "$2" --body "$3" >"$H/n.eml"
	h_send "$H/n.eml" || fail "SMTP send $1"
	h_wait_for 30 h_filed "$1" || fail "$1 not filed"
}
due() { POC_FAKE_NOW=$1 "$POCCTL" -c "$CONF" reminders | awk -v tn="$TN" '$2 == tn {print $1 "@" $3}' | sort | paste -sd' '; }
pub_due() { # TIME EXPECTED: the publication reminder due at TIME ("" none)
	local got
	got=$(due "$1" | tr ' ' '\n' | grep '^publication-today@' | paste -sd' ')
	[ "$got" = "$2" ] || fail "publication reminders at $1: got \"$got\", want \"$2\" (all: $(due "$1"))"
}

send '<w-1@jpcert.example>' "[$TN] 脆弱性情報(概要情報)のご連絡" "$TN
プロトコルXの実現に関する脆弱性がIPAから報告されています。実装製品がありますか？
詳細情報が必要ですか？
公表日程は別途調整いたします。"
send '<w-2@jpcert.example>' "[$TN] 公表予定の脆弱性情報の骨格について" "$TN
公表情報の骨格部分の草案と、公表情報が掲載される予定のURLをお送りします。
https://jvn.jp/vu/JVNVU95000000/
対応状況とベンダー声明をご提供ください。
公表予定日: 令和9年2月3日(水) 11:00"

case_json >"$H/case1.json"
python3 - "$H/case1.json" <<'PY' || fail "after the skeleton draft: $(cat "$H/case1.json")"
import json, sys
c = json.load(open(sys.argv[1]))
assert [m["kind"] for m in c["messages"]] == ["summary", "publication"], [m["kind"] for m in c["messages"]]
assert c["publication_date"] == "2027-02-03T11:00:00+09:00", c["publication_date"]
assert c["statement_state"] == "requested", c["statement_state"]
assert "JVNVU#95000000" in c["vuln_ids"], c["vuln_ids"]
PY
ok "5.4.1 skeleton draft in the guideline's words: publication, 令和9年2月3日 11:00, JVNVU from the address, statement requested"
pub_due 2027-02-03T09:00:00+09:00 "publication-today@2027-02-03T09:00:00+09:00"

send '<w-3@jpcert.example>' "[$TN] 公表日変更のお知らせ" "$TN
関係者との調整の結果、一般公表日時を令和9年2月3日(水) 11時から2027年2月17日(水) 11時に変更いたします。"
case_json >"$H/case2.json"
python3 - "$H/case2.json" <<'PY' || fail "after the schedule change: $(cat "$H/case2.json")"
import json, sys
c = json.load(open(sys.argv[1]))
m = c["messages"][-1]
assert m["kind"] == "schedule", m["kind"]
assert c["publication_date"] == "2027-02-17T11:00:00+09:00", c["publication_date"]
h = [(x["from"], x["to"], x["message_id"]) for x in c["publication_history"]]
assert h == [(None, "2027-02-03T11:00:00+09:00", "<w-2@jpcert.example>"),
             ("2027-02-03T11:00:00+09:00", "2027-02-17T11:00:00+09:00", "<w-3@jpcert.example>")], h
PY
h_wait_for 60 h_acked '<w-3@jpcert.example>' || fail "the schedule change was not acknowledged (auto mode): $(h_field '<w-3@jpcert.example>' ack_note)"
ok "公表日変更のお知らせ: schedule, 2027-02-03 11:00 -> 2027-02-17 11:00 in the history, acknowledged"
pub_due 2027-02-03T09:00:00+09:00 ""
pub_due 2027-02-17T09:00:00+09:00 "publication-today@2027-02-17T09:00:00+09:00"
ok "reminders moved: nothing on 02-03, publication-today on 02-17"

# A date without a year, read against the received time (now): the first
# such day on or after 92 days before the day of receipt (Japan time).
read -r md want < <(python3 - <<'PY'
import datetime
jst = datetime.timezone(datetime.timedelta(hours=9))
today = datetime.datetime.now(jst).date()
d = today + datetime.timedelta(days=40)
floor = today - datetime.timedelta(days=92)
for y in (floor.year, floor.year + 1, floor.year + 2):
    try:
        c = d.replace(year=y)
    except ValueError:
        continue
    if c >= floor:
        break
print("%d月%d日(%s)" % (d.month, d.day, "月火水木金土日"[c.weekday()]),
      "%sT11:00:00+09:00" % c.isoformat())
PY
)
send '<w-4@jpcert.example>' "[$TN] 公表日程のご連絡" "$TN
公表予定日：$md 11:00
ご確認のほどよろしくお願いいたします。"
got=$(case_json | python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["publication_date"], len(c["publication_history"]), c["messages"][-1]["kind"], len(c["messages"][-1]["problems"]))')
[ "$got" = "$want 3 schedule 0" ] || fail "公表予定日：$md: got \"$got\", want \"$want 3 schedule 0\""
ok "公表予定日：$md (no year) read as $want"

# A coordinator's message in words no rule knows: other, held and paged.
send '<w-5@jpcert.example>' "[$TN] 特別なご連絡" "$TN
掲載予定ページの文面をご確認ください。"
[ "$(h_field '<w-5@jpcert.example>' kind)" = other ] || fail "w-5 is not other"
[ "$(h_field '<w-5@jpcert.example>' ack_state)" = held ] || fail "a coordinator's other is not held"
h_field '<w-5@jpcert.example>' ack_note | grep -q 'other: no rule knew its words' || fail "no policy note on the held other"
"$POCCTL" -c "$CONF" show "$TN" | grep -q '^  kind:      other (rule: no rule matched)$' || fail "pocctl show does not say no rule matched"
"$POCCTL" -c "$CONF" show "$TN" | grep -q '^  kind:      schedule (rule: built-in 2)$' || fail "pocctl show does not name built-in 2"
"$POCCTL" -c "$CONF" watch --page >/dev/null	# (the daemon's own check is once a minute)
grep '"reason":"ack-held"' "$H/pages.jsonl" | grep -qF '"message_id":"<w-5@jpcert.example>"' ||
	fail "the held other was not paged: $(cat "$H/pages.jsonl")"
ok "a coordinator's other: held, noted, paged; pocctl show names the deciding rule"

# The site learns the wording; reprocess reads the case again.
printf '#掲載予定ページ = the draft\npublication body coordinator 掲載予定ページ\n' >"$H/etc/kinds.rules"
h_pocctl reprocess "$TN" >"$H/reprocess.txt" 2>&1 || fail "pocctl reprocess: $(cat "$H/reprocess.txt")"
grep -q "w-5@jpcert.example> .*kind=publication (rule: $H/etc/kinds.rules:2)" "$H/reprocess.txt" ||
	fail "reprocess did not read w-5 as publication by kinds.rules:2: $(cat "$H/reprocess.txt")"
case_json >"$H/case3.json"
python3 - "$H/case3.json" "$want" <<'PY' || fail "after reprocess: $(cat "$H/case3.json")"
import json, sys
c = json.load(open(sys.argv[1]))
assert [m["kind"] for m in c["messages"]] == ["summary", "publication", "schedule", "schedule", "publication"]
assert c["publication_date"] == sys.argv[2], c["publication_date"]
assert len(c["publication_history"]) == 3, c["publication_history"]
assert c["messages"][-1]["kind_rule"].endswith("kinds.rules:2"), c["messages"][-1]["kind_rule"]
PY
mdb_dump -p -s events "$H/db" >"$H/events.txt" 2>/dev/null || fail "mdb_dump events"
grep '"type":"reprocessed"' "$H/events.txt" | grep -q 'kind other -> publication (.*kinds.rules:2)' ||
	fail "no reprocessed event saying the kind changed by kinds.rules:2"
h_wait_for 60 h_acked '<w-5@jpcert.example>' || fail "w-5 was not acknowledged after reprocess"
ok "reprocess: w-5 publication by kinds.rules:2, acknowledged; the publication date and history unchanged"
