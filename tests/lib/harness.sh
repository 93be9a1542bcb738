# harness.sh - a private postfix on 127.0.0.1, GnuPG homes for a vendor and
# a coordinator with keys made on the spot, and pocmilter between them.
#
# Sourced by the demo (scripts/demo.sh) and the end-to-end tests (a test
# that needs none of the rest, e.g. tests/pocctl-import-list.sh, may source it
# for ok and fail alone). h_init needs root
# (postfix's private instance, the pocmilter user). Everything lives under
# one short temporary directory $H (gpg-agent's socket paths must stay under
# 108 bytes), removed by h_cleanup unless KEEP=1.
#
#   h_init                   make $H, pick ports
#   h_keys                   coordinator and vendor keys, exchanged
#   h_postfix_start          the private postfix, milter attached
#   h_config [KEY VALUE]...  write $H/etc/pocmilter.conf (extra lines appended; one
#                            for a key the harness sets replaces the harness's line)
#   h_milter_start / h_milter_stop
#   h_milter_kills N UP DOWN N times: SIGKILL pocmilter after 0.5..UP s, start it
#                            again after 0..DOWN s; H_KILLS counts the kills that
#                            found it running
#   h_notice OPTIONS         write a notice to stdout (see h_notice below)
#   h_send FILE [FROM [TO]]  SMTP to the private postfix
#   h_wait_for SECONDS CMD   poll until CMD succeeds
#   h_maildir_count DIR      messages delivered to a Maildir
#   h_wait_maildir S DIR N   wait up to S seconds for N messages in a Maildir
#   h_maildir_ge DIR N       at least N delivered (for h_wait_for)
#   h_pocctl ARGS...         pocctl as the daemon's user (its GnuPG home, its database)
#   h_filed TEXT             pocctl export mentions TEXT (for h_wait_for)
#   h_filed_ge N             at least N messages filed (for h_wait_for)
#   h_keys_forgers           keys for forged notices (h_notice --sign other|untrusted)
#   h_check_ack FILE ARGS    decrypt and check an acknowledgement (tests/lib/check_ack.py)
#   h_cleanup
#
# For the tests:
#   h_need_root              skip the test (exit 77) unless run as root
#   h_setup [OPTIONS] [KEY VALUE]...
#                            the usual start: h_need_root, h_init, h_keys,
#                            h_postfix_start, h_config with the arguments,
#                            h_milter_start. --forgers adds h_keys_forgers,
#                            --pages adds h_pages and "PageCommand $H/page.sh",
#                            --no-milter stops before h_config (for a
#                            configuration that needs $H, written by the test),
#                            --no-postfix after h_keys (no mail, no daemon)
#   ok MESSAGE               print "ok: MESSAGE" (scripts/test.sh counts these lines)
#   fail MESSAGE             print "FAIL: MESSAGE", then what h_on_fail shows, exit 1
#   h_on_fail                what a failure shows; the default, h_show_logs, the
#                            tails of pocmilter.log, the maillog and h_pages's
#                            pages. A test redefines it to show its own files
#   h_tail FILE N [LABEL]    "--- LABEL" and the last N lines of FILE, if it exists

: "${TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILD:=$TOP}"
POCMILTER="$BUILD/milter/pocmilter"
POCCTL="$BUILD/pocctl/pocctl"
POC_USER=${POC_USER:-pocmilter}

h_log() { printf '%s\n' "harness: $*" >&2; }
h_die() { h_log "ERROR: $*"; exit 1; }

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; h_on_fail; exit 1; }
h_tail() { # FILE N [LABEL]
	[ -f "$1" ] || return 0
	echo "--- ${3:-$(basename "$1")}"
	tail -"$2" "$1"
}
h_show_logs() {
	[ -n "${H:-}" ] || return 0
	h_tail "$H/pocmilter.log" 30
	h_tail "$H/pf/maillog" 20 maillog
	h_tail "$H/pages.jsonl" 20 pages
}
h_on_fail() { h_show_logs; }

h_need_root() { [ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }; }

h_setup() { # [--forgers] [--pages] [--no-milter] [--no-postfix] [KEY VALUE]...
	local forgers=0 pages=0 milter=1 postfix=1
	while [ $# -gt 0 ]; do
		case $1 in
		--forgers) forgers=1; shift ;;
		--pages) pages=1; shift ;;
		--no-milter) milter=0; shift ;;
		--no-postfix) postfix=0; shift ;;
		*) break ;;
		esac
	done
	h_need_root
	h_init
	h_keys
	[ $forgers = 0 ] || h_keys_forgers
	[ $postfix = 1 ] || return 0
	h_postfix_start
	[ $pages = 0 ] || h_pages
	[ $milter = 1 ] || return 0
	if [ $pages = 1 ]; then h_config "PageCommand $H/page.sh" "$@"; else h_config "$@"; fi
	h_milter_start
}

h_init() {
	[ "$(id -u)" = 0 ] || h_die "needs root (a private postfix instance and the $POC_USER user)"
	id "$POC_USER" >/dev/null 2>&1 || useradd --system --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$POC_USER" || h_die "cannot create user $POC_USER"
	H=$(mktemp -d /tmp/pocXXXXXX) || h_die "mktemp"
	chmod 755 "$H"
	mkdir -p "$H/etc" "$H/mail" "$H/run"
	SMTP_PORT=${SMTP_PORT:-$((20000 + RANDOM % 20000))}
	MILTER_SOCKET="$H/run/milter.sock"
	trap h_cleanup EXIT
	export H SMTP_PORT MILTER_SOCKET
}

# A key with a signing primary and an encryption subkey, no passphrase.
h_genkey() { # HOME UID
	gpg --homedir "$1" --batch --quiet --passphrase '' --pinentry-mode loopback \
		--quick-gen-key "$2" ed25519 sign never 2>/dev/null || h_die "gpg key for $2"
	local fpr
	fpr=$(gpg --homedir "$1" --with-colons --list-keys "$2" | awk -F: '/^fpr/{print $10; exit}')
	gpg --homedir "$1" --batch --quiet --passphrase '' --pinentry-mode loopback \
		--quick-add-key "$fpr" cv25519 encr never 2>/dev/null || h_die "gpg subkey for $2"
	echo "$fpr"
}

h_keys() {
	GC="$H/gc" GV="$H/gv"
	mkdir -m 700 "$GC" "$GV"
	COORD_FPR=$(h_genkey "$GC" "JPCERT/CC Test <vuls@jpcert.example>")
	VENDOR_FPR=$(h_genkey "$GV" "Vendor PSIRT <security@vendor.example>")
	gpg --homedir "$GC" --batch --quiet --export --armor "$COORD_FPR" >"$H/coord.pub"
	gpg --homedir "$GV" --batch --quiet --export --armor "$VENDOR_FPR" >"$H/vendor.pub"
	gpg --homedir "$GV" --batch --quiet --import "$H/coord.pub" 2>/dev/null
	gpg --homedir "$GC" --batch --quiet --import "$H/vendor.pub" 2>/dev/null
	# The vendor home belongs to the daemon's user; its agent starts as that user.
	gpgconf --homedir "$GV" --kill all 2>/dev/null
	chown -R "$POC_USER:" "$GV"
	export GC GV COORD_FPR VENDOR_FPR
}

# Keys for forgeries, made only when a test asks (h_keys stays fast):
# OTHER_FPR is in no keyring of the vendor (signature unknown-key);
# UNTRUSTED_FPR is imported into the vendor's keyring but is not a
# CoordinatorKey (signature untrusted). Both claim the coordinator's name.
h_keys_forgers() {
	GO="$H/go"
	mkdir -m 700 "$GO"
	OTHER_FPR=$(h_genkey "$GO" "JPCERT/CC Test <vuls@jpcert.example>")
	UNTRUSTED_FPR=$(h_genkey "$GO" "JPCERT/CC Staff <vuls@jpcert.example>")
	gpg --homedir "$GO" --batch --quiet --export --armor "$UNTRUSTED_FPR" >"$H/untrusted.pub"
	gpgconf --homedir "$GV" --kill all 2>/dev/null
	gpg --homedir "$GV" --batch --quiet --import "$H/untrusted.pub" 2>/dev/null
	gpgconf --homedir "$GV" --kill all 2>/dev/null
	chown -R "$POC_USER:" "$GV"
	export GO OTHER_FPR UNTRUSTED_FPR
}

h_postfix_start() {
	local pf="$H/pf" uid gid
	mkdir -p "$pf/etc" "$pf/queue" "$pf/data"
	uid=$(id -u nobody) gid=$(id -g nobody)
	# postfix -c DIR is allowed only for directories listed in the default main.cf.
	# Several test runs may share the machine: edit the default main.cf under a lock.
	(
		flock 9
		[ -f /etc/postfix/main.cf ] || printf 'compatibility_level = 3.6\n' >/etc/postfix/main.cf
		alt=$(postconf -h alternate_config_directories 2>/dev/null)
		postconf -e "alternate_config_directories = ${alt:+$alt, }$pf/etc"
	) 9>/run/lock/pocmilter-harness.lock
	cat >"$pf/etc/main.cf" <<EOT
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.vendor.example
mydomain = vendor.example
myorigin = vendor.example
mydestination =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
local_transport = error:no local delivery here
default_transport = error:this test postfix sends nothing outside
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = vendor.example, jpcert.example
virtual_mailbox_base = $H/mail
virtual_mailbox_maps = texthash:$pf/etc/vmailbox
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
maillog_file = $pf/maillog
maillog_file_prefixes = $H
smtpd_milters = unix:$MILTER_SOCKET
non_smtpd_milters = unix:$MILTER_SOCKET
milter_default_action = ${MILTER_DEFAULT_ACTION:-tempfail}
milter_connect_timeout = 10s
milter_content_timeout = 60s
smtputf8_enable = no
biff = no
delay_warning_time = 0
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
EOT
	cat >"$pf/etc/vmailbox" <<EOT
security@vendor.example vendor/security/
oncall@vendor.example vendor/oncall/
other@vendor.example vendor/other/
vuls@jpcert.example jpcert/vuls/
finder@jpcert.example jpcert/finder/
EOT
	chown -R nobody: "$H/mail"
	# The stock master.cf, with smtpd on our port and nothing chrooted.
	awk -v port="$SMTP_PORT" '
		/^smtp[ \t]+inet/ { print "127.0.0.1:" port " inet n - n - - smtpd"; next }
		/^[a-z]/ && NF >= 8 { $5 = "n" }
		{ print }' /etc/postfix/master.cf >"$pf/etc/master.cf"
	postfix -c "$pf/etc" check >/dev/null 2>&1 || true
	postfix -c "$pf/etc" set-permissions >/dev/null 2>&1 || true
	# Starts are serialised with the other test runs' main.cf edits, and
	# retried: under load a start can lose a race with another instance's.
	local tries=0
	until (flock 9; postfix -c "$pf/etc" start >"$H/postfix-start.log" 2>&1) 9>/run/lock/pocmilter-harness.lock; do
		tries=$((tries + 1))
		if [ $tries -ge 3 ]; then
			cat "$H/postfix-start.log" >&2
			tail -5 "$pf/maillog" >&2 2>/dev/null
			h_die "postfix did not start (see $pf/maillog)"
		fi
		postfix -c "$pf/etc" stop >/dev/null 2>&1
		sleep 1
	done
	PF_CONF="$pf/etc"
	export PF_CONF
	h_wait_for 20 h_port_open "$SMTP_PORT" || h_die "postfix is not listening on $SMTP_PORT"
}

h_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

h_config() { # extra "Key value" lines as arguments
	cat >"$H/etc/pocmilter.conf" <<EOT
# written by tests/lib/harness.sh
Socket unix:$MILTER_SOCKET
SocketMode 0660
SocketGroup postfix
User $POC_USER
PidFile $H/run/pocmilter.pid
Watch security@vendor.example
Coordinator vuls@jpcert.example
CoordinatorKey $COORD_FPR
GnuPGHome $GV
Database $H/db
AckMode auto
AckFrom security@vendor.example
AckSendmail /usr/sbin/sendmail -C $PF_CONF -i -t
TemplateDir $TOP/conf/templates
Organization Vendor Example
PocName PSIRT
EOT
	# A key given as an argument replaces the default line of the same key.
	local line key
	for line in "$@"; do
		key=${line%% *}
		sed -i "/^${key} /Id" "$H/etc/pocmilter.conf"
	done
	for line in "$@"; do printf '%s\n' "$line" >>"$H/etc/pocmilter.conf"; done
	CONF="$H/etc/pocmilter.conf"
	export CONF
}

h_milter_start() {
	rm -f "$MILTER_SOCKET"
	"$POCMILTER" -f -c "$CONF" ${MILTER_ARGS:-} >>"$H/pocmilter.log" 2>&1 &
	MILTER_PID=$!
	export MILTER_PID
	h_wait_for 20 test -S "$MILTER_SOCKET" || { cat "$H/pocmilter.log" >&2; h_die "pocmilter did not start"; }
}

h_milter_stop() {
	[ -n "${MILTER_PID:-}" ] || return 0
	kill -TERM "$MILTER_PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$MILTER_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$MILTER_PID" 2>/dev/null
	wait "$MILTER_PID" 2>/dev/null
	MILTER_PID=
}

h_milter_kills() { # N UP DOWN
	local k
	H_KILLS=0
	for k in $(seq "$1"); do
		sleep "$(python3 -c "import random; print(round(random.uniform(0.5, $2), 2))")"
		kill -KILL "$MILTER_PID" 2>/dev/null && H_KILLS=$((H_KILLS + 1))
		wait "$MILTER_PID" 2>/dev/null
		echo "kill $k: pocmilter $MILTER_PID killed; POC Maildir $(h_maildir_count "$H/mail/vendor/security"), acks $(h_maildir_count "$H/mail/jpcert/vuls")"
		sleep "$(python3 -c "import random; print(round(random.uniform(0, $3), 2))")"
		h_milter_start
	done
}

h_pocctl() { runuser -u "$POC_USER" -- "$POCCTL" -c "$CONF" "$@"; }

# For h_wait_for: the export is read at every try.
h_filed() { "$POCCTL" -c "$CONF" export 2>/dev/null | grep -qF "$1"; } # TEXT
h_filed_ge() { # N
	[ "$("$POCCTL" -c "$CONF" export | python3 -c 'import sys,json; print(sum(len(json.loads(l)["messages"]) for l in sys.stdin))')" -ge "$1" ]
}

h_check_ack() { # FILE check_ack.py-ARGS...
	local f=$1; shift
	python3 "$TOP/tests/lib/check_ack.py" "$f" --gnupghome "$GC" --signer "$VENDOR_FPR" "$@"
}

# h_notice --tn JPCERT#12345678 [--subject S] [--body TEXT]
#          [--sign coord|none|other|untrusted|badsig|othermsg]
#          [--encrypt yes|no] [--from ADDR] [--message-id ID]
# A PGP/MIME notice (RFC 3156), signed and encrypted in one OpenPGP message.
# Forgeries (other and untrusted need h_keys_forgers): other = signed by a
# key the vendor does not have; untrusted = by a key it has that is not a
# CoordinatorKey; badsig = a multipart/signed by the coordinator whose text
# was changed after signing; othermsg = the coordinator's good detached
# signature of another message attached to this one. The last two are
# encrypted (not signed) around the multipart/signed.
h_notice() {
	local tn="JPCERT#12345678" subject="" body="" sign=coord encrypt=yes
	local from="vuls@jpcert.example" mid=""
	while [ $# -gt 0 ]; do
		case $1 in
		--tn) tn=$2; shift 2 ;;
		--subject) subject=$2; shift 2 ;;
		--body) body=$2; shift 2 ;;
		--sign) sign=$2; shift 2 ;;
		--encrypt) encrypt=$2; shift 2 ;;
		--from) from=$2; shift 2 ;;
		--message-id) mid=$2; shift 2 ;;
		*) h_die "h_notice: $1?" ;;
		esac
	done
	[ -n "$subject" ] || subject="[$tn] Summary information on a vulnerability"
	[ -n "$mid" ] || mid="<$(date +%s).$RANDOM.$RANDOM@jpcert.example>"
	[ -n "$body" ] || body="$tn

Vendor Example PSIRT

This is the summary information (概要情報) of a vulnerability.
VN: JVNVU#99999999 / TN: $tn
CVE-2026-12345
Please tell us if you have affected products."
	local inner boundary="=-poc-$RANDOM$RANDOM"
	inner=$(printf 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n' "$body")
	printf 'From: JPCERT/CC <%s>\nTo: security@vendor.example\nSubject: %s\nDate: %s\nMessage-ID: %s\nMIME-Version: 1.0\n' \
		"$from" "$subject" "$(LC_ALL=C date -R)" "$mid"
	if [ "$encrypt" = no ]; then
		printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n' "$body"
		return
	fi
	local signargs=() gpghome="$GC"
	case $sign in
	coord) signargs=(--sign --local-user "$COORD_FPR") ;;
	none) ;;
	other) signargs=(--sign --local-user "$OTHER_FPR") gpghome="$GO" ;;
	untrusted) signargs=(--sign --local-user "$UNTRUSTED_FPR") gpghome="$GO" ;;
	badsig | othermsg)
		local sb="=-sig-$RANDOM$RANDOM" signed sigtext
		# The signed part in canonical form (CRLF), without the CRLF before the boundary.
		signed=$(printf 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s' "${body//$'\n'/$'\r\n'}")
		if [ "$sign" = othermsg ]; then
			sigtext=$(printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nSome other message entirely.')
		else
			sigtext=$signed
		fi
		sigtext=$(printf '%s' "$sigtext" | gpg --homedir "$GC" --batch --quiet --armor \
			--detach-sign --local-user "$COORD_FPR" --digest-algo SHA256 2>/dev/null) || h_die "gpg sign"
		[ "$sign" = badsig ] && signed="$signed (changed after signing)"
		inner=$(printf 'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="%s"\r\n\r\n--%s\r\n%s\r\n--%s\r\nContent-Type: application/pgp-signature\r\n\r\n%s\r\n--%s--\r\n' \
			"$sb" "$sb" "$signed" "$sb" "$sigtext" "$sb")
		;;
	*) h_die "h_notice --sign $sign?" ;;
	esac
	printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="%s"\n\n' "$boundary"
	printf 'This is an OpenPGP/MIME encrypted message (RFC 3156).\n--%s\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--%s\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n' "$boundary" "$boundary"
	[ "$gpghome" = "$GC" ] || gpg --homedir "$gpghome" --list-keys "$VENDOR_FPR" >/dev/null 2>&1 ||
		gpg --homedir "$gpghome" --batch --quiet --import "$H/vendor.pub" 2>/dev/null
	printf '%s' "$inner" | gpg --homedir "$gpghome" --batch --quiet --armor --trust-model always \
		--encrypt --recipient "$VENDOR_FPR" "${signargs[@]}" 2>/dev/null || h_die "gpg encrypt"
	printf '\n--%s--\n' "$boundary"
}

h_send() { # FILE [FROM [TO]]
	python3 - "$1" "${2:-vuls@jpcert.example}" "${3:-security@vendor.example}" "$SMTP_PORT" <<'PY'
import smtplib, sys
path, sender, rcpt, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(path, 'rb') as f:
    data = f.read()
with smtplib.SMTP('127.0.0.1', port, timeout=60) as s:
    s.sendmail(sender, rcpt.split(','), data)
PY
}

h_wait_for() { # SECONDS CMD...
	local t=$1; shift
	local end=$((SECONDS + t))
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}

h_maildir_count() { # DIR
	local n=0 f
	for f in "$1"/new/* "$1"/cur/*; do [ -f "$f" ] && n=$((n + 1)); done
	echo $n
}

# Wait until a Maildir holds at least N messages. (Not h_wait_for with
# "$(h_maildir_count ...)": that would be counted once, before waiting.)
h_wait_maildir() { # SECONDS DIR N
	local end=$((SECONDS + $1))
	while [ "$(h_maildir_count "$2")" -lt "$3" ]; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.2
	done
}
# For h_wait_for: the count is read at every try (a $(...) argument would be read once).
h_maildir_ge() { [ "$(h_maildir_count "$1")" -ge "$2" ]; } # DIR N

h_maildir_files() { ls -1 "$1"/new/* "$1"/cur/* 2>/dev/null; }

# PageCommand for tests: $H/page.sh appends each page (a JSON line) to
# $H/pages.jsonl. Then: h_config "PageCommand $H/page.sh".
h_pages() {
	cat >"$H/page.sh" <<EOT
#!/bin/sh
cat >>"$H/pages.jsonl"
EOT
	chmod 755 "$H/page.sh"
	touch "$H/pages.jsonl"
	chmod 666 "$H/pages.jsonl"
}

h_field() { # MESSAGE-ID FIELD: a field of the filed message, from pocctl export
	"$POCCTL" -c "$CONF" export | python3 -c '
import json, sys
for l in sys.stdin:
    for m in json.loads(l)["messages"]:
        if m["message_id"] == sys.argv[1]: print(m[sys.argv[2]])' "$1" "$2"
}

h_acks_of() { # MESSAGE-ID: acknowledgements of it in the coordinator's Maildir
	grep -l "^In-Reply-To: $1" "$H"/mail/jpcert/vuls/new/* "$H"/mail/jpcert/vuls/cur/* 2>/dev/null | wc -l
}
# For h_wait_for: MESSAGE-ID has at least one acknowledgement (counted at every try).
h_acked() { [ "$(h_acks_of "$1")" -ge 1 ]; }

h_cleanup() {
	local rc=$?
	h_milter_stop
	[ -n "${PF_CONF:-}" ] && postfix -c "$PF_CONF" stop >/dev/null 2>&1
	for g in "${GC:-}" "${GV:-}"; do
		[ -n "$g" ] && [ -d "$g" ] && gpgconf --homedir "$g" --kill all >/dev/null 2>&1
	done
	if [ -n "${PF_CONF:-}" ]; then
		# Leave /etc/postfix/main.cf as it was.
		(
			flock 9
			alt=$(postconf -h alternate_config_directories 2>/dev/null | sed "s#,* *$PF_CONF##")
			postconf -e "alternate_config_directories = $alt" 2>/dev/null
		) 9>/run/lock/pocmilter-harness.lock
	fi
	if [ "${KEEP:-0}" = 1 ] || { [ $rc -ne 0 ] && [ "${KEEP_ON_FAIL:-0}" = 1 ]; }; then
		h_log "kept $H"
	else
		rm -rf "$H"
	fi
	return $rc
}
