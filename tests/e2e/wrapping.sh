#!/bin/bash
# Signature wrapping and unsigned edits of a case (issue 22, findings 1
# and 4), through the real postfix and pocmilter.
#
# One genuine notice opens case JPCERT#97000001 (publication date
# 2026-12-15 11:00) and is acknowledged. Then an attacker who holds pieces
# of old coordinator-signed notices sends, with the outer Subject naming
# the attacker's tracking number JPCERT#976666NN:
#   a1 multipart/mixed: attacker text, then a genuine multipart/signed part
#   a2 the same, attacker text last
#   b  a1 encrypted by the attacker to the vendor key (not signed), with a
#      protected Subject of the attacker's choice
#   c  the coordinator's opaque `gpg --sign` blob beside attacker text,
#      encrypted by the attacker
#   d  a clear-signed block with attacker text before and after it
# Each must be filed with signature good, signature_covers part, the
# tracking number of the signed text (not the attacker's), held, paged,
# and never acknowledged: nothing in the coordinator's Maildir and no
# ack-queued event (nothing in the outbox). No case JPCERT#976666NN exists.
#
# Then an unsigned mail from an unknown sender quoting JPCERT#97000001 and
# a new date: the case's publication date does not move, the message is
# held with claimed_publication_date, paged claimed-change; `pocctl accept`
# applies it with a claim-accepted event.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --pages

POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"
TN='JPCERT#97000001'
export TN

h_notice --tn "$TN" --message-id '<wrap-genuine@jpcert.example>' --body "$TN

This is the summary information (概要情報) of a vulnerability.
VN: JVNVU#97000001
公開予定日: 2026年12月15日 11時" >"$H/genuine.eml"
h_send "$H/genuine.eml" || fail "send genuine"
h_wait_for 60 h_acked '<wrap-genuine@jpcert.example>' || fail "the genuine notice was not acknowledged"
ok "the genuine notice $TN is acknowledged"

# The forgeries, built with the coordinator's key (the attacker's pieces of
# old signed notices) and the vendor's public key (anyone can encrypt to it).
mkdir "$H/w"
python3 - "$H/w" "$GC" "$COORD_FPR" "$VENDOR_FPR" <<'PY' || fail "building the forgeries"
import os, subprocess, sys
out, gc, coord, vendor = sys.argv[1:5]
tn = os.environ["TN"]

def gpg(args, data):
    return subprocess.run(["gpg", "--homedir", gc, "--batch", "--quiet", "--armor",
                           "--trust-model", "always"] + args, input=data,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout

def genuine_text(n):
    # Any old notice of the case, signed by the coordinator; n keeps each signature apart.
    return ("%s\n\nThis is the summary information (概要情報) of a vulnerability.\n"
            "VN: JVNVU#97000001\n公開予定日: 2026年12月15日 11時\nref: %s\n" % (tn, n)).encode()

def evil_text(n):
    return ("JPCERT#976666%s\n\nSummary information (概要情報): please acknowledge.\n"
            "VN: JVNVU#97666666\n公開予定日: 2026年12月1日 9時\n" % n).encode()

def text_part(body):
    return (b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body.replace(b"\n", b"\r\n"))

def multipart(sub, parts, params=""):
    b = "=-wrap-%s-%d" % (sub, len(parts))
    out = ("Content-Type: multipart/%s; boundary=\"%s\"%s\r\n\r\n" % (sub, b, params)).encode()
    for p in parts:
        out += ("--%s\r\n" % b).encode() + p + b"\r\n"
    return out + ("--%s--\r\n" % b).encode()

def signed(n):
    content = text_part(genuine_text(n))
    sig = gpg(["--detach-sign", "--local-user", coord, "--digest-algo", "SHA256"], content)
    return multipart("signed", [content, b"Content-Type: application/pgp-signature\r\n\r\n" + sig],
                     "; micalg=pgp-sha256; protocol=\"application/pgp-signature\"")

def encrypted(entity):
    armour = gpg(["--encrypt", "--recipient", vendor], entity)
    return multipart("encrypted", [b"Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n",
                                   b"Content-Type: application/octet-stream\r\n\r\n" + armour],
                     "; protocol=\"application/pgp-encrypted\"")

def mail(name, body):
    head = ("From: JPCERT/CC <vuls@jpcert.example>\r\nTo: security@vendor.example\r\n"
            "Subject: [JPCERT#976666%s] Summary information on a vulnerability\r\n"
            "Date: Mon, 30 Nov 2026 10:00:00 +0900\r\nMessage-ID: <wrap-%s@jpcert.example>\r\n"
            "MIME-Version: 1.0\r\n" % (name[-2:], name)).encode()
    open(os.path.join(out, name + ".eml"), "wb").write(head + body)

mail("a1-01", multipart("mixed", [text_part(evil_text("01")), signed("a1")]))
mail("a2-02", multipart("mixed", [signed("a2"), text_part(evil_text("02"))]))
mail("b-03", encrypted(b"Subject: [JPCERT#97666603] Summary information\r\n"
                       + multipart("mixed", [text_part(evil_text("03")), signed("b")])))
blob = gpg(["--sign", "--local-user", coord], genuine_text("c"))
mail("c-04", encrypted(multipart("mixed", [
    text_part(evil_text("04")),
    b"Content-Type: application/octet-stream; name=\"notice.asc\"\r\n"
    b"Content-Disposition: attachment; filename=\"notice.asc\"\r\n\r\n" + blob])))
clear = gpg(["--clearsign", "--local-user", coord], genuine_text("d"))
mail("d-05", text_part(evil_text("05") + b"\n" + clear + b"\n" + evil_text("05")))
PY
FORGED="a1-01 a2-02 b-03 c-04 d-05"
for f in $FORGED; do h_send "$H/w/$f.eml" || fail "send $f"; done
h_wait_maildir 60 "$POC" 6 || fail "the forgeries were not all delivered"
h_wait_for 60 sh -c "[ \$('$POCCTL' -c '$CONF' export | grep -o 'wrap-[a-d][0-9]*-[0-9]*@' | sort -u | wc -l) -ge 5 ]" ||
	fail "the forgeries were not all filed"
sleep 8	# time for any (wrong) acknowledgement to be queued and sent
"$POCCTL" -c "$CONF" export >"$H/export.json"
"$POCCTL" -c "$CONF" show "$TN" >"$H/show.txt" || fail "pocctl show $TN"
"$POCCTL" -c "$CONF" watch --page >/dev/null 2>&1
sleep 1
python3 - "$H/export.json" "$H/show.txt" "$H/pages.jsonl" "$COORD" $FORGED <<'PY' || fail "a wrapped forgery was trusted"
import json, os, sys
export, show, pages, coord = sys.argv[1:5]
forged = ["<wrap-%s@jpcert.example>" % f for f in sys.argv[5:]]
tn = os.environ["TN"]
cases, msgs = {}, {}
for line in open(export):
    c = json.loads(line)
    cases[c["id"]] = c
    for m in c["messages"]:
        msgs[m["message_id"]] = (c["id"], m)
replies = []
for sub in ("new", "cur"):
    d = os.path.join(coord, sub)
    for f in os.listdir(d):
        for l in open(os.path.join(d, f), "rb").read().decode("latin-1").splitlines():
            if l.lower().startswith("in-reply-to:"):
                replies.append(l.split(":", 1)[1].strip())
show_text = open(show).read()
page_text = open(pages).read()
bad = 0
for mid in forged:
    case, m = msgs[mid]
    problems = m.get("problems") or []
    checks = {
        "not filed under the attacker's tracking number": case == tn and m["tracking"] == tn,
        "signature good": m["signature"] == "good",
        "covers part": m.get("signature_covers") == "part",
        "held": m["ack_state"] == "held",
        "says what was outside": any(p.startswith("text outside the signature") for p in problems),
        "no acknowledgement sent": mid not in replies,
        "nothing queued": not any(l.startswith("event:") and "ack-queued" in l and mid in l
                                  for l in show_text.splitlines()) and m["ack_message_id"] is None,
        "paged": mid in page_text,
        "attacker's ids not read": "JVNVU#97666666" not in m["vuln_ids"],
    }
    wrong = [k for k, v in checks.items() if not v]
    print("  %-26s case %-16s covers %-5s ack %-6s %s" % (
        mid, case, m.get("signature_covers"), m["ack_state"],
        "ok" if not wrong else "WRONG: " + ", ".join(wrong)))
    bad += bool(wrong)
attacker_cases = [c for c in cases if c.startswith("JPCERT#976666")]
if attacker_cases:
    print("  WRONG: cases of the attacker's tracking numbers:", attacker_cases)
    bad += 1
c = cases[tn]
if c["publication_date"] != "2026-12-15T11:00:00+09:00" or "JVNVU#97666666" in c["vuln_ids"]:
    print("  WRONG: the case changed:", c["publication_date"], c["vuln_ids"])
    bad += 1
print("acknowledgements in the coordinator's Maildir:", len(replies))
sys.exit(1 if bad or replies.count("<wrap-genuine@jpcert.example>") != 1 or len(replies) != 1 else 0)
PY
ok "5 wrapped forgeries filed under $TN, covers part, held, paged, none acknowledged or queued"

# Finding 4: an unsigned mail from anyone quoting the case and a new date.
cat >"$H/claim.eml" <<EOT
From: Someone <someone@elsewhere.example>
To: security@vendor.example
Subject: Re: [$TN] schedule
Date: Mon, 30 Nov 2026 11:00:00 +0900
Message-ID: <wrap-claim@elsewhere.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

$TN
公開日が変更になりました。
公開予定日: 2026年12月2日 9時
EOT
h_send "$H/claim.eml" someone@elsewhere.example || fail "send the claim"
h_wait_for 30 sh -c "'$POCCTL' -c '$CONF' export | grep -qF 'wrap-claim@'" || fail "the claim was not filed"
[ "$(h_field '<wrap-claim@elsewhere.example>' ack_state)" = held ] || fail "the claim is not held"
[ "$(h_field '<wrap-claim@elsewhere.example>' claimed_publication_date)" = 2026-12-02T09:00:00+09:00 ] ||
	fail "claimed_publication_date: $(h_field '<wrap-claim@elsewhere.example>' claimed_publication_date)"
pub() { "$POCCTL" -c "$CONF" show "$TN" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["publication_date"])'; }
[ "$(pub)" = 2026-12-15T11:00:00+09:00 ] || fail "an unsigned mail moved the publication date to $(pub)"
"$POCCTL" -c "$CONF" watch --page >/dev/null 2>&1
sleep 1
grep '"claimed-change"' "$H/pages.jsonl" | grep -qF 'wrap-claim@elsewhere.example' ||
	fail "the claim was not paged claimed-change: $(cat "$H/pages.jsonl")"
ok "an unsigned mail's new date is a claim: case unchanged, held, paged claimed-change"

h_pocctl accept "$TN" >"$H/accept.out" 2>&1 || fail "pocctl accept: $(cat "$H/accept.out")"
grep -qF '<wrap-claim@elsewhere.example> accepted: publication date 2026-12-02T09:00:00+09:00' "$H/accept.out" ||
	fail "pocctl accept $TN said: $(cat "$H/accept.out")"
[ "$(pub)" = 2026-12-02T09:00:00+09:00 ] || fail "pocctl accept did not apply the date: $(pub)"
"$POCCTL" -c "$CONF" show "$TN" >"$H/show2.txt"
grep -q '^event: .* claim-accepted .*pocctl:' "$H/show2.txt" || fail "no claim-accepted event: $(grep event: "$H/show2.txt")"
grep -q '^  changed: .* -> 2026-12-02T09:00:00+09:00 by <wrap-claim@elsewhere.example>' "$H/show2.txt" ||
	fail "no publication history entry for the accepted claim"
h_pocctl accept '<wrap-claim@elsewhere.example>' >/dev/null 2>&1
[ $? = 5 ] || fail "a claim was accepted twice (or the wrong exit status)"
h_pocctl accept "$TN" | grep -q 'no claimed change to accept' || fail "pocctl accept $TN found a claim again"
ok "pocctl accept $TN applied the claimed date with a claim-accepted event; a second accept is refused (exit 5)"
