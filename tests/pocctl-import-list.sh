#!/bin/bash
# pocctl(1): `import` of an mbox takes each message's received time from its
# "From " line (local time, TZ), and `list`'s LEFT column is business time
# to the deadline (or business time since, "overdue"), not wall time. Run
# under two zones: the From lines are read in the zone given. Then `close`
# and `state ID closed` close the same way (one "state" event).
set -u
: "${BUILD:?}"
. "$(dirname "$0")/lib/harness.sh"	# ok, fail; POCCTL
d=$(mktemp -d /tmp/pocctl-import.XXXXXX)
trap 'rm -rf "$d"' EXIT
n=0
mbox() { # two notices; the From lines in local time (one with a zone name, ignored)
	cat <<'EOT'
From vuls@jpcert.example Fri Oct 16 11:00:00 2026
From: vuls@jpcert.example
To: security@vendor.example
Subject: [JPCERT#12345678] Summary information on a vulnerability
Message-ID: <mbox-1@jpcert.example>

JPCERT#12345678

From vuls@jpcert.example  Mon Oct 19 01:00:00 JST 2026
From: vuls@jpcert.example
To: security@vendor.example
Subject: [JPCERT#12345679] Summary information on a vulnerability
Message-ID: <mbox-2@jpcert.example>

JPCERT#12345679
EOT
}
received() { "$POCCTL" -c "$1" export | python3 -c '
import json, sys
for l in sys.stdin:
    for m in json.loads(l)["messages"]:
        print(m["message_id"], m["received_at"])' | sort; }

for zone in Asia/Tokyo UTC; do
	rm -rf "$d/db"
	printf 'Watch security@vendor.example\nCoordinator vuls@jpcert.example\nDatabase %s/db\nAckMode off\n' "$d" >"$d/c.conf"
	mbox >"$d/box.mbox"
	TZ=$zone "$POCCTL" -c "$d/c.conf" import "$d/box.mbox" >/dev/null 2>&1 || fail "import"
	got=$(received "$d/c.conf")
	case $zone in
	Asia/Tokyo) want="<mbox-1@jpcert.example> 2026-10-16T11:00:00+09:00
<mbox-2@jpcert.example> 2026-10-19T01:00:00+09:00" ;;
	UTC) want="<mbox-1@jpcert.example> 2026-10-16T20:00:00+09:00
<mbox-2@jpcert.example> 2026-10-19T10:00:00+09:00" ;;
	esac
	[ "$got" = "$want" ] || fail "TZ=$zone: received times from the From lines: $got (want $want)"
	ok "TZ=$zone: mbox received times from the From lines"
	n=$((n + 1))
done

# (TZ=UTC import.) mbox-1: Friday 20:00 JST, deadline Monday 17:30. On
# Saturday noon 8h30m of business time is left (53h30m of wall time).
out=$(POC_FAKE_NOW=2026-10-17T12:00:00+09:00 "$POCCTL" -c "$d/c.conf" list)
echo "$out" | grep -q '^JPCERT#12345678 .* held  *8h30m$' || fail "LEFT on Saturday: $out"
# mbox-2: deadline Tuesday 17:30: all of Monday and Tuesday, 2 x 8h30m.
echo "$out" | grep -q '^JPCERT#12345679 .* held  *17h00m$' || fail "LEFT of the Monday notice: $out"
ok "LEFT is business time: $(echo "$out" | sed -n 2p | awk '{print $NF}') on Saturday noon"
n=$((n + 1))
out=$(POC_FAKE_NOW=2026-10-19T20:00:00+09:00 "$POCCTL" -c "$d/c.conf" list)
echo "$out" | grep -q '^JPCERT#12345678 .* held  *overdue 0h00m$' || fail "LEFT after the deadline, at night: $out"
out=$(POC_FAKE_NOW=2026-10-20T10:15:00+09:00 "$POCCTL" -c "$d/c.conf" list)
echo "$out" | grep -q '^JPCERT#12345678 .* held  *overdue 1h15m$' || fail "LEFT the next morning: $out"
ok "overdue counts business time since the deadline"
n=$((n + 1))
# 80 columns by default (times MM-DD HH:MM, Japan time); --wide gives RFC 3339;
# --utc and --local choose the zone shown.
out=$(POC_FAKE_NOW=2026-10-17T12:00:00+09:00 "$POCCTL" -c "$d/c.conf" list)
long=$(echo "$out" | awk 'length > 80' | head -1)
[ -z "$long" ] || fail "a list line is over 80 columns: $long"
echo "$out" | grep -q '^JPCERT#12345678 .* 10-16 20:00 *10-19 17:30 ' || fail "list times: $out"
out=$(POC_FAKE_NOW=2026-10-17T12:00:00+09:00 "$POCCTL" -c "$d/c.conf" list --wide)
echo "$out" | grep -q '^JPCERT#12345678 .* 2026-10-16T20:00:00+09:00 *2026-10-19T17:30:00+09:00 ' ||
	fail "list --wide: $out"
out=$(POC_FAKE_NOW=2026-10-17T12:00:00+09:00 "$POCCTL" -c "$d/c.conf" --utc list --wide)
echo "$out" | grep -q '^JPCERT#12345678 .* 2026-10-16T11:00:00Z *2026-10-19T08:30:00Z ' ||
	fail "--utc list --wide: $out"
out=$(POC_FAKE_NOW=2026-10-17T12:00:00+09:00 TZ=America/Los_Angeles "$POCCTL" -c "$d/c.conf" --local list)
echo "$out" | grep -q '^JPCERT#12345678 .* 10-16 04:00 *10-19 01:30 ' || fail "--local list (Los Angeles): $out"
out=$(TZ=America/Los_Angeles "$POCCTL" -c "$d/c.conf" --local show 'JPCERT#12345678')
echo "$out" | grep -q '^  received:  2026-10-16T04:00:00-07:00$' || fail "--local show: $out"
ok "list fits 80 columns; --wide, --utc and --local"
n=$((n + 1))
# `close ID` and `state ID closed` are one operation: each prints what it
# always printed, both record the same "state" event; closing a closed case
# records nothing.
state_events() { "$POCCTL" -c "$d/c.conf" show --json "$1" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["events"]:
    if e["type"] in ("state", "closed"):
        print(e["type"], e.get("detail", ""))'; }
out=$("$POCCTL" -c "$d/c.conf" close 'JPCERT#12345678') || fail "close: $out"
[ "$out" = "JPCERT#12345678: closed" ] || fail "close said: $out"
out=$("$POCCTL" -c "$d/c.conf" state 'JPCERT#12345679' closed) || fail "state closed: $out"
[ "$out" = "JPCERT#12345679: open -> closed" ] || fail "state closed said: $out"
"$POCCTL" -c "$d/c.conf" close 'JPCERT#12345678' >/dev/null || fail "close again"
for tn in 'JPCERT#12345678' 'JPCERT#12345679'; do
	got=$(state_events "$tn")
	[ "$got" = "state open -> closed" ] || fail "$tn: state events: $got"
done
"$POCCTL" -c "$d/c.conf" list --open | grep -q 'JPCERT#1234567[89]' && fail "closed cases listed open"
echo "ok: close and state closed: one state event each, none for closing again"
n=$((n + 1))
echo "pocctl import/list: $n checks"
