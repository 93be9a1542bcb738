#!/bin/bash
# Nobody gets in (issue 10): 20 forged notices through the real postfix.
# None may be acknowledged automatically; each is filed with the right
# `signature` value; each is paged (PageCommand: its Message-ID or case is
# in a page).
#
#   1-3   coordinator From, not encrypted, not signed      signature none
#   4-5   encrypted to us, not signed                      none
#   6-8   signed by a key we do not have                   unknown-key
#   9-11  signed by a key in our keyring, not a CoordinatorKey   untrusted
#   12-14 coordinator's signature, text changed after signing    bad
#   15-17 coordinator's good signature of another message        bad
#   18-20 a genuine notice replayed with a new Message-ID    good, but the
#         same signature (key and signing time) as the genuine one: filed,
#         held as a replay, never acknowledged by itself
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --forgers --pages
POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"
h_on_fail() { grep -iE 'error|warn' "$H/pocmilter.log" | tail -20; }

# One genuine notice first: it is acknowledged, and it is what gets replayed.
h_notice --tn 'JPCERT#95000000' --message-id '<spoof-genuine@jpcert.example>' >"$H/genuine.eml"
h_send "$H/genuine.eml" || fail "send genuine"
h_wait_maildir 60 "$COORD" 1 || fail "the genuine notice was not acknowledged"

mkdir "$H/f"
forge() { # I SIGN [ENCRYPT]
	h_notice --tn "$(printf 'JPCERT#950000%02d' "$1")" --message-id "<spoof-$1@jpcert.example>" \
		--sign "$2" --encrypt "${3:-yes}" >"$H/f/$1.eml"
}
for i in 1 2 3; do forge $i none no; done
for i in 4 5; do forge $i none; done
for i in 6 7 8; do forge $i other; done
for i in 9 10 11; do forge $i untrusted; done
for i in 12 13 14; do forge $i badsig; done
for i in 15 16 17; do forge $i othermsg; done
for i in 18 19 20; do
	sed "s/^Message-ID: .*/Message-ID: <spoof-$i@jpcert.example>/" "$H/genuine.eml" >"$H/f/$i.eml"
done
python3 "$TOP/tests/lib/smtp-send-many.py" "$SMTP_PORT" vuls@jpcert.example security@vendor.example 1 \
	$(for i in $(seq 20); do echo "$H/f/$i.eml"; done) || fail "sending the forgeries"
h_wait_maildir 60 "$POC" 21 || fail "forgeries not all delivered"
h_wait_for 60 sh -c "[ \$('$POCCTL' -c '$CONF' export | grep -o 'spoof-[0-9]*@' | sort -u | wc -l) -ge 20 ]" ||
	fail "forgeries not all filed"
sleep 10	# time for any (wrong) acknowledgement to arrive
"$POCCTL" -c "$CONF" export >"$H/export.json"
watch_out=$("$POCCTL" -c "$CONF" watch --page 2>&1)
sleep 2
python3 - "$H/export.json" "$COORD" "$H/pages.jsonl" "$watch_out" <<'PY' || fail "a forgery was trusted"
import collections, email.parser, json, os, sys
export, coord, pages, watch_out = sys.argv[1:5]
want = {}
for i in range(1, 21):
    want["<spoof-%d@jpcert.example>" % i] = ("none" if i <= 5 else "unknown-key" if i <= 8 else
        "untrusted" if i <= 11 else "bad" if i <= 17 else "good")
msgs = {}
for line in open(export):
    c = json.loads(line)
    for m in c["messages"]:
        msgs[m["message_id"]] = (c["id"], m)
acks = collections.Counter()
for sub in ("new", "cur"):
    d = os.path.join(coord, sub)
    for f in os.listdir(d):
        h = email.parser.BytesHeaderParser().parse(open(os.path.join(d, f), "rb"))
        acks[(h.get("In-Reply-To") or "").strip()] += 1
page_text = open(pages).read()
bad = 0
outcome = collections.Counter()
for mid, sig in want.items():
    case, m = msgs[mid]
    replay = sig == "good"
    line = "%-28s case %-16s decryption %-6s signature %-11s ack_state %-12s acks %d" % (
        mid, case, m["decryption"], m["signature"], m["ack_state"], acks[mid])
    ok = m["signature"] == sig
    ok = ok and acks[mid] == 0 and m["ack_state"] not in ("queued", "sent")
    if replay:
        ok = ok and any(p.startswith("replay:") for p in m.get("problems") or [])
    ok = ok and (mid in page_text or case in page_text)
    outcome[(m["signature"], "acknowledged" if acks[mid] else "not acknowledged")] += 1
    print(("  " if ok else "  WRONG ") + line + ("  (replay)" if replay else ""))
    bad += not ok
print("outcomes: " + ", ".join("%s/%s: %d" % (k[0], k[1], v) for k, v in sorted(outcome.items())))
print("paging: checked, %d pages written" % page_text.count('"reason"'))
gen = acks["<spoof-genuine@jpcert.example>"]
print("genuine notice acknowledged %d time(s); replays acknowledged: %d" % (
    gen, sum(acks["<spoof-%d@jpcert.example>" % i] for i in (18, 19, 20))))
sys.exit(1 if bad or gen != 1 else 0)
PY
ok "17 forgeries filed with the right signature value, 3 replays held as replays; none acknowledged"
