#!/usr/bin/env python3
"""make-corpus.py SRCDIR OUTDIR KEYDIR - build the test mails from their sources.

Each SRCDIR/NN-name.txt is a block of "key: value" lines, a blank line,
and the plaintext of the notice (UTF-8). The keys say how to wrap it:

  from, to, subject, date, message-id   headers (message-id "none": no header)
  header             an extra header line, verbatim (repeatable)
  subject-encoding   none | B | Q | raw (8-bit in charset) ; default none
  subject-charset    charset of the encoded words (default: charset)
  charset            utf-8 | iso-2022-jp | shift_jis | euc-jp (default utf-8)
  cte                7bit | 8bit | base64 | quoted-printable (default 7bit/8bit)
  form               plain | html | alternative | flowed | pgpmime |
                     pgpmime-signed-inside | signed | inline | inline-signed |
                     exchange | asc | gpg | forwarded | raw | deep | wide | big |
                     wrap-mixed | wrap-encrypted | wrap-opaque | wrap-clearsigned
  sign               coord | third | unknown | expired | revoked | none
  encrypt            vendor | third | none
  tamper             yes: change the signed text after signing
  protected-subject  RFC 9788: Subject in the encrypted entity's headers
  legacy-display     yes: also a text/rfc822-headers part with it
  inner-*            for form forwarded: the forwarded mail (same keys)
  wrap-text          wrap-* forms (signature wrapping, issue 22): the
                     attacker's unsigned text ("\\n" a newline) put beside
                     the coordinator-signed plaintext: wrap-mixed a
                     multipart/mixed of it and a multipart/signed;
                     wrap-encrypted the same encrypted (unsigned) to the
                     vendor with protected-subject; wrap-opaque an
                     encrypted (unsigned) multipart/mixed of it and the
                     coordinator's opaque `gpg --sign` blob; wrap-clearsigned
                     it before and after a clear-signed block
  wrap-order         before | after: where wrap-text goes (default before)
  newline            crlf: write the whole mail with CRLF
  envelope           envelope sender given to the reader ("-": unknown)
  reader             extra read_notice options (e.g. "-s 100000")

form raw: the plaintext is the whole mail; \\xNN escapes are bytes.
Writes OUTDIR/NN-name.eml and OUTDIR/NN-name.args (reader options).
"""
import base64
import os
import quopri
import subprocess
import sys

SRC, OUT, KEYS = sys.argv[1:4]
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(KEYS, "keys.env")))
FPR = {"coord": ENV["FPR_COORD"], "third": ENV["FPR_THIRD"], "unknown": ENV["FPR_UNKNOWN"],
       "expired": ENV["FPR_EXPIRED"], "revoked": ENV["FPR_REVOKED"], "vendor": ENV["FPR_VENDOR"]}
COORD_HOME = os.path.join(KEYS, "coord")


def gpg(args, data):
    cmd = ["gpg", "--homedir", COORD_HOME, "--batch", "--yes", "--quiet", "--no-tty",
           "--pinentry-mode", "loopback", "--passphrase", "", "--trust-model", "always",
           "--armor"] + args
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout


def sign_encrypt(data, sign, encrypt):
    args = []
    if sign != "none":
        args += ["--sign", "-u", FPR[sign]]
    if encrypt != "none":
        args += ["--encrypt", "-r", FPR[encrypt]]
    return gpg(args, data)


def detach_sign(data, sign):
    return gpg(["--detach-sign", "-u", FPR[sign]], data)


def clearsign(data, sign):
    return gpg(["--clearsign", "-u", FPR[sign]], data)


def sjis_to_jis(b):
    """CP932 bytes to ISO-2022-JP (NEC row 13 kept: what Windows sends)."""
    out, i, kanji = bytearray(), 0, False
    while i < len(b):
        c = b[i]
        if (0x81 <= c <= 0x9f or 0xe0 <= c <= 0xef) and i + 1 < len(b):
            if not kanji:
                out += b"\x1b$B"
                kanji = True
            c1, c2 = c, b[i + 1]
            if c1 >= 0xe0:
                c1 -= 0x40
            j1 = (c1 - 0x81) * 2 + 0x21
            if c2 >= 0x9f:
                j1, j2 = j1 + 1, c2 - 0x7e
            else:
                j2 = c2 - 0x1f if c2 < 0x7f else c2 - 0x20
            out += bytes([j1, j2])
            i += 2
            continue
        if kanji:
            out += b"\x1b(B"
            kanji = False
        out.append(c)
        i += 1
    if kanji:
        out += b"\x1b(B"
    return bytes(out)


def encode(text, charset):
    cs = charset.lower()
    if cs == "iso-2022-jp":
        # Line by line, so each line returns to ASCII before its newline.
        return b"\n".join(sjis_to_jis(l.encode("cp932")) for l in text.split("\n"))
    if cs == "shift_jis":
        return text.encode("cp932")
    if cs == "euc-jp":
        return text.encode("euc_jp")
    return text.encode("utf-8")


def transfer(body, cte):
    if cte == "base64":
        return base64.encodebytes(body)
    if cte == "quoted-printable":
        return quopri.encodestring(body)
    return body


def encoded_words(text, charset, kind):
    """RFC 2047 words of a few characters each, folded."""
    words, chunk = [], 10
    for i in range(0, len(text), chunk):
        raw = encode(text[i:i + chunk], charset)
        if kind == "B":
            enc = base64.b64encode(raw).decode()
        else:
            enc = "".join(chr(b) if (0x21 <= b < 0x7f and chr(b) not in "=?_ ") else
                          ("_" if b == 0x20 else "=%02X" % b) for b in raw)
        words.append("=?%s?%s?%s?=" % (charset.upper(), kind, enc))
    return "\n ".join(words).encode()


def subject_header(spec, key="subject"):
    text = spec.get(key)
    if text is None:
        return b""
    how = spec.get("subject-encoding", "none")
    cs = spec.get("subject-charset", spec.get("charset", "utf-8"))
    if how in ("B", "Q"):
        value = encoded_words(text, cs, how)
    elif how == "raw":
        value = encode(text, cs)
    else:
        value = text.encode()
    return b"Subject: " + value + b"\n"


def text_entity(spec, text, subtype="plain", extra_headers=b""):
    cs = spec.get("charset", "utf-8")
    body = encode(text, cs)
    cte = spec.get("cte", "7bit" if all(b < 0x80 for b in body) else "8bit")
    params = "; format=flowed" if spec.get("form") == "flowed" else ""
    return (extra_headers
            + ("Content-Type: text/%s; charset=%s%s\n" % (subtype, cs, params)).encode()
            + ("Content-Transfer-Encoding: %s\n\n" % cte).encode() + transfer(body, cte))


def to_html(text):
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    esc = esc.replace("#", "&#35;")
    return ("<html><head><meta charset=\"utf-8\"><style>p { color: red }</style></head><body>"
            + "".join("<p>%s</p>\n" % l for l in esc.split("\n")) + "</body></html>")


def multipart(subtype, parts, params=""):
    boundary = "=-=-%s-%d=-=" % (subtype, len(parts))
    out = ("Content-Type: multipart/%s; boundary=\"%s\"%s\n\n" % (subtype, boundary, params)).encode()
    out += b"This is a multi-part message in MIME format.\n"
    for p in parts:
        out += ("--%s\n" % boundary).encode() + p + b"\n"
    out += ("--%s--\n" % boundary).encode()
    return out


def crlf(b):
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def signed_multipart(spec, entity):
    sig = detach_sign(crlf(entity), spec.get("sign", "coord"))
    if spec.get("tamper") == "yes":
        entity = entity.replace(b"JPCERT", b"JPCERt", 1) if b"JPCERT" in entity else entity + b"x"
    sigpart = (b"Content-Type: application/pgp-signature; name=\"signature.asc\"\n"
               b"Content-Description: OpenPGP digital signature\n\n" + sig)
    return multipart("signed", [entity, sigpart],
                     "; protocol=\"application/pgp-signature\"; micalg=pgp-sha512")


def encrypted_multipart(spec, entity, sign):
    armour = sign_encrypt(entity, sign, spec.get("encrypt", "vendor"))
    return multipart("encrypted", [
        b"Content-Type: application/pgp-encrypted\nContent-Description: PGP/MIME version"
        b" identification\n\nVersion: 1\n",
        b"Content-Type: application/octet-stream; name=\"encrypted.asc\"\n"
        b"Content-Description: OpenPGP encrypted message\n"
        b"Content-Disposition: inline; filename=\"encrypted.asc\"\n\n" + armour],
        "; protocol=\"application/pgp-encrypted\"")


def protected_entity(spec, text):
    headers = b""
    if spec.get("protected-subject"):
        headers = ("Subject: %s\n" % spec["protected-subject"]).encode()
    entity = text_entity(spec, text)
    if spec.get("legacy-display") == "yes":
        legacy = ("Content-Type: text/rfc822-headers; protected-headers=\"v1\"\n"
                  "Content-Disposition: inline\n\nSubject: %s\n" % spec["protected-subject"])
        inner = multipart("mixed", [legacy.encode(), entity])
        # The protected Subject is then only in the legacy part.
        return inner
    return headers + entity


def body_of(spec, text):
    """The MIME body (Content-* headers + content) of one mail."""
    form = spec.get("form", "plain")
    sign = spec.get("sign", "none")
    cs = spec.get("charset", "utf-8")
    if form in ("plain", "flowed"):
        return text_entity(spec, text)
    if form == "html":
        return text_entity(spec, to_html(text), "html")
    if form == "alternative":
        return multipart("alternative", [text_entity(spec, text),
                                         text_entity(spec, to_html(text), "html")])
    if form == "pgpmime":
        return encrypted_multipart(spec, protected_entity(spec, text), sign)
    if form == "pgpmime-signed-inside":
        return encrypted_multipart(spec, signed_multipart(spec, text_entity(spec, text)), "none")
    if form == "signed":
        inner = dict(spec)
        inner["cte"] = spec.get("cte", "quoted-printable")
        return signed_multipart(spec, text_entity(inner, text))
    if form == "inline":
        armour = sign_encrypt(encode(text, cs), sign, spec.get("encrypt", "vendor"))
        body = b"Inline OpenPGP follows.\n\n" + armour + b"\n-- \nJPCERT/CC\n"
        cte = spec.get("cte", "7bit")
        return (("Content-Type: text/plain; charset=%s\nContent-Transfer-Encoding: %s\n\n"
                 % (cs, cte)).encode() + transfer(body, cte))
    if form == "inline-signed":
        signed = clearsign(encode(text, cs), sign)
        if spec.get("tamper") == "yes":
            signed = signed.replace(b"JPCERT", b"JPCERt", 1)
        cte = spec.get("cte", "7bit" if all(b < 0x80 for b in signed) else "8bit")
        return (("Content-Type: text/plain; charset=%s\nContent-Transfer-Encoding: %s\n\n"
                 % (cs, cte)).encode() + transfer(signed, cte))
    if form == "exchange":
        armour = sign_encrypt(text_entity(spec, text), sign, spec.get("encrypt", "vendor"))
        return multipart("mixed", [
            b"Content-Type: text/plain; charset=\"us-ascii\"\nContent-Transfer-Encoding: 7bit\n\n",
            b"Content-Type: application/pgp-encrypted; name=\"PGPMIME version identification\"\n"
            b"Content-Disposition: attachment; filename=\"PGPMIME version identification\"\n"
            b"Content-Transfer-Encoding: 7bit\n\nVersion: 1\n",
            b"Content-Type: application/octet-stream; name=\"encrypted.asc\"\n"
            b"Content-Disposition: attachment; filename=\"encrypted.asc\"\n"
            b"Content-Transfer-Encoding: 7bit\n\n" + armour])
    if form in ("asc", "gpg"):
        cover = dict(spec, charset="utf-8", cte="8bit", form="plain")
        if form == "asc":
            data = sign_encrypt(encode(text, cs), sign, spec.get("encrypt", "vendor"))
            att = (b"Content-Type: application/pgp-encrypted; name=\"notice.txt.asc\"\n"
                   b"Content-Disposition: attachment; filename=\"notice.txt.asc\"\n"
                   b"Content-Transfer-Encoding: 7bit\n\n" + data)
        else:
            args = ["--no-armor"]
            if sign != "none":
                args += ["--sign", "-u", FPR[sign]]
            args += ["--encrypt", "-r", FPR[spec.get("encrypt", "vendor")]]
            data = gpg(args, encode(text, cs))
            att = (b"Content-Type: application/octet-stream; name=\"notice.txt.gpg\"\n"
                   b"Content-Disposition: attachment; filename=\"notice.txt.gpg\"\n"
                   b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(data))
        return multipart("mixed", [text_entity(cover, "添付ファイルをご確認ください。\n"), att])
    if form.startswith("wrap-"):
        evil = text_entity(dict(spec, charset="utf-8", cte="8bit", form="plain"),
                           spec.get("wrap-text", "").replace("\\n", "\n") + "\n")
        evil_text = spec.get("wrap-text", "").replace("\\n", "\n").encode("utf-8")

        def beside(part):
            return [part, evil] if spec.get("wrap-order") == "after" else [evil, part]
        if form == "wrap-mixed":
            return multipart("mixed", beside(signed_multipart(spec, text_entity(spec, text))))
        if form == "wrap-encrypted":
            inner = multipart("mixed", beside(signed_multipart(spec, text_entity(spec, text))))
            head = ("Subject: %s\n" % spec["protected-subject"]).encode() \
                if spec.get("protected-subject") else b""
            return encrypted_multipart(spec, head + inner, "none")
        if form == "wrap-opaque":
            blob = gpg(["--sign", "-u", FPR[spec.get("sign", "coord")]], encode(text, "utf-8"))
            part = (b"Content-Type: application/octet-stream; name=\"notice.asc\"\n"
                    b"Content-Disposition: attachment; filename=\"notice.asc\"\n\n" + blob)
            return encrypted_multipart(spec, multipart("mixed", beside(part)), "none")
        if form == "wrap-clearsigned":
            signed = clearsign(encode(text, "utf-8"), spec.get("sign", "coord"))
            return (b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                    + evil_text + b"\n\n" + signed + b"\n" + evil_text + b"\n")
    if form == "forwarded":
        inner = {k[6:]: v for k, v in spec.items() if k.startswith("inner-")}
        inner.setdefault("from", "JPCERT/CC <vuls@jpcert.or.jp>")
        inner.setdefault("to", "security@vendor.example")
        inner.setdefault("date", "Tue, 24 Nov 2026 18:00:00 +0900")
        inner.setdefault("message-id", "<inner-forwarded@corpus.jpcert.example>")
        inner_mail = mail_of(inner, text)
        cover = dict(spec, charset="utf-8", cte="8bit", form="plain")
        return multipart("mixed", [
            text_entity(cover, "以下の通知を転送します。\n"),
            b"Content-Type: message/rfc822\nContent-Disposition: inline\n\n" + inner_mail])
    raise SystemExit("unknown form " + form)


def mail_of(spec, text):
    h = b""
    for key, name in (("from", "From"), ("to", "To"), ("date", "Date")):
        if spec.get(key):
            h += ("%s: %s\n" % (name, spec[key])).encode()
    h += subject_header(spec)
    if spec.get("message-id", "") != "none" and spec.get("message-id"):
        h += ("Message-ID: %s\n" % spec["message-id"]).encode()
    for extra in spec.get("header", []):
        h += extra.encode() + b"\n"
    return h + b"MIME-Version: 1.0\n" + body_of(spec, text)


def generated(spec, name):
    form = spec["form"]
    head = ("From: JPCERT/CC <vuls@jpcert.or.jp>\nTo: security@vendor.example\n"
            "Subject: JPCERT#20269900 %s\nMessage-ID: <%s@corpus.example>\nMIME-Version: 1.0\n"
            % (form, name)).encode()
    if form == "deep":
        depth = int(spec.get("depth", "100"))
        out = b""
        for i in range(depth):
            out += ("Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n" % (i, i)).encode()
        out += b"Content-Type: text/plain\n\nJPCERT#20269901 deep inside\n"
        for i in reversed(range(depth)):
            out += ("--b%d--\n" % i).encode()
        return head + out
    if form == "wide":
        parts = [b"Content-Type: text/plain\n\npart %d\n" % i for i in range(int(spec.get("parts", "1200")))]
        return head + multipart("mixed", parts)
    if form == "big":
        size = int(spec.get("size", str(33 * 1024 * 1024)))
        blob = base64.encodebytes(os.urandom(size * 3 // 4))
        return head + multipart("mixed", [
            b"Content-Type: text/plain\n\nJPCERT#20269902 see the big file\n",
            b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" + blob])
    raise SystemExit("unknown form " + form)


def parse_source(path):
    raw = open(path, encoding="utf-8").read()
    head, _, text = raw.partition("\n\n")
    spec = {"header": []}
    for line in head.split("\n"):
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key in ("header", "inner-header"):
            spec.setdefault(key, []).append(value)
        else:
            spec[key] = value
    return spec, text


def main():
    os.makedirs(OUT, exist_ok=True)
    for fn in sorted(os.listdir(SRC)):
        if not fn.endswith(".txt"):
            continue
        name = fn[:-4]
        spec, text = parse_source(os.path.join(SRC, fn))
        form = spec.get("form", "plain")
        if form == "raw":
            mail = text.encode("utf-8").decode("unicode_escape").encode("latin-1") \
                if spec.get("escapes") == "yes" else text.encode("utf-8")
        elif form in ("deep", "wide", "big"):
            mail = generated(spec, name)
        else:
            spec.setdefault("from", "JPCERT/CC <vuls@jpcert.or.jp>")
            spec.setdefault("message-id", "<%s@corpus.jpcert.example>" % name)
            spec.setdefault("to", "security@vendor.example")
            spec.setdefault("date", "Wed, 25 Nov 2026 10:00:00 +0900")
            mail = mail_of(spec, text)
        if spec.get("newline") == "crlf":
            mail = crlf(mail)
        with open(os.path.join(OUT, name + ".eml"), "wb") as f:
            f.write(mail)
        with open(os.path.join(OUT, name + ".args"), "w") as f:
            f.write("-e %s %s\n" % (spec.get("envelope", "vuls@jpcert.or.jp"), spec.get("reader", "")))


main()
