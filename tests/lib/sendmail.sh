# sendmail.sh - a private sendmail 8.17 (Debian 12's own packages) on
# 127.0.0.1 beside the harness's private postfix, with pocmilter attached.
# Sourced after tests/lib/harness.sh (uses $H, $MILTER_SOCKET, $SMTP_PORT).
#
# sendmail-bin conflicts with postfix, so it is never apt-installed: its
# packages (and libwrap0's) are fetched once with `apt-get download` into
# $SM_CACHE (scripts/deps.sh does it; sm_init does it when missing) and
# unpacked with dpkg -x under $H/sm/root. A non-setgid copy of the binary
# runs with LD_LIBRARY_PATH at the unpacked libwrap, on a .cf made with m4
# from the unpacked cf/ tree. Nothing outside $H is written (the host's
# postfix and other test runs' instances are not disturbed):
#   - a qualified host name: sendmail sleeps 60 s at every start when the
#     host's name has no dot, before it reads its .cf (so confDOMAIN_NAME
#     does not help there): an LD_PRELOAD shim (tests/lib/sendmail-shim.c)
#     makes gethostname say sm.vendor.example;
#   - queue, aliases, pid and status under $H (confDONT_BLAME_SENDMAIL
#     TrustStickyBit: /tmp is sticky);
#   - its log: no /dev/log in a container and not the host's, so the shim
#     appends it to $SM_LOG;
#   - it refuses bare LF in DATA (the SMTP smuggling fix): sm_send sends CRLF.
#
#   sm_init                  fetch, unpack, build the shim (exit 77 when the
#                            packages cannot be had)
#   sm_start local|relay     start it: local = vendor.example is delivered by
#                            sendmail itself (alias -> $H/mail/vendor/... Maildir),
#                            relay = vendor.example is relayed to the private
#                            postfix; everything else always goes to the postfix.
#                            The filter: conf/sendmail.mc.snippet's line.
#   sm_stop
#   sm_send FILE [FROM [TO]] SMTP to sendmail, CRLF line ends
#   sm_msp                   a command line for sendmail's MSP (submit.cf)
#   sm_postfix_plain         the harness's postfix without milters (sendmail's
#                            inner server and the coordinator's MTA)

SM_CACHE=${SM_CACHE:-/var/cache/pocmilter-test/sendmail}
SM_PACKAGES="sendmail-bin sendmail-cf libwrap0"

sm_log() { printf '%s\n' "sendmail.sh: $*" >&2; }

sm_init() {
	local p missing=""
	for p in $SM_PACKAGES; do
		ls "$SM_CACHE/${p}_"*.deb >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		mkdir -p "$SM_CACHE"
		# shellcheck disable=SC2086
		(cd "$SM_CACHE" && apt-get download -q $missing) >"$H/sm-download.log" 2>&1 || {
			echo "SKIP: cannot fetch$missing (apt-get download; see scripts/deps.sh)"
			exit 77
		}
	fi
	command -v m4 >/dev/null || { echo "SKIP: m4 not installed"; exit 77; }
	SM="$H/sm"
	mkdir -p "$SM/root"
	for p in $SM_PACKAGES; do
		dpkg -x "$(ls "$SM_CACHE/${p}_"*.deb | tail -1)" "$SM/root" || h_die "dpkg -x $p"
	done
	SM_CF_DIR="$SM/root/usr/share/sendmail/cf"
	# A copy without the set-gid bit (we run it as root, or as the daemon's user for the MSP).
	install -m 755 "$SM/root/usr/libexec/sendmail/sendmail" "$SM/sendmail.bin"
	cc -shared -fPIC -o "$SM/shim.so" "$TOP/tests/lib/sendmail-shim.c" -ldl ||
		h_die "cannot build tests/lib/sendmail-shim.c"
	SM_LOG="$SM/maillog"
	: >"$SM_LOG"
	chmod 666 "$SM_LOG"
	# The wrapper every caller uses, the MSP run by pocmilter's user included.
	cat >"$SM/sendmail" <<EOT
#!/bin/sh
LD_LIBRARY_PATH=$SM/root/usr/lib/x86_64-linux-gnu LD_PRELOAD=$SM/shim.so
SHIM_SYSLOG_FILE=$SM_LOG SHIM_HOSTNAME=sm.vendor.example
export LD_LIBRARY_PATH LD_PRELOAD SHIM_SYSLOG_FILE SHIM_HOSTNAME
exec $SM/sendmail.bin "\$@"
EOT
	chmod 755 "$SM/sendmail"
	SM_PORT=${SM_PORT:-$((20000 + RANDOM % 20000))}
	while [ "$SM_PORT" = "$SMTP_PORT" ] || h_port_open "$SM_PORT"; do SM_PORT=$((20000 + RANDOM % 20000)); done
	export SM SM_PORT SM_LOG SM_CF_DIR
}

# The harness's postfix, milters off: with sendmail in front, pocmilter is
# attached to sendmail only (one filter run per message, as on a real site).
sm_postfix_plain() {
	postconf -c "$PF_CONF" -e "smtpd_milters =" "non_smtpd_milters =" || h_die "postconf"
	postfix -c "$PF_CONF" reload >/dev/null 2>&1 || h_die "postfix reload"
}

sm_mc() { # MODE
	local mode=$1 uid gid
	uid=$(id -u nobody) gid=$(id -g nobody)
	cat <<EOT
divert(-1)
# written by tests/lib/sendmail.sh ($mode)
divert(0)dnl
include(\`$SM_CF_DIR/m4/cf.m4')dnl
VERSIONID(\`pocmilter test $mode')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`sm.vendor.example')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`QUEUE_DIR', \`$SM/mqueue')dnl
define(\`ALIAS_FILE', \`$SM/aliases')dnl
define(\`STATUS_FILE', \`$SM/statistics')dnl
define(\`confPID_FILE', \`$SM/sendmail.pid')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confDEF_USER_ID', \`$uid:$gid')dnl
define(\`confQUEUE_LA', \`200')dnl
define(\`confREFUSE_LA', \`400')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confMIN_QUEUE_AGE', \`0')dnl
define(\`confTO_CONNECT', \`10s')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confMILTER_LOG_LEVEL', \`2')dnl
define(\`SMART_HOST', \`[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $SMTP_PORT')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $SMTP_PORT')dnl
define(\`SMTP_MAILER_ARGS', \`TCP \$h $SMTP_PORT')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(\`Port=$SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
EOT
	[ "$mode" = local ] && echo "LOCAL_DOMAIN(\`vendor.example')dnl"
	# The filter exactly as conf/sendmail.mc.snippet recommends, on our socket.
	grep '^INPUT_MAIL_FILTER' "$TOP/conf/sendmail.mc.snippet" |
		sed "s#unix:/run/pocmilter/pocmilter.sock#unix:$MILTER_SOCKET#"
	cat <<EOT
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOT
}

sm_submit_mc() {
	cat <<EOT
divert(-1)
# written by tests/lib/sendmail.sh (MSP)
divert(0)dnl
include(\`$SM_CF_DIR/m4/cf.m4')dnl
VERSIONID(\`pocmilter test submit')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`sm.vendor.example')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confCF_VERSION', \`Submit')dnl
define(\`confTIME_ZONE', \`USE_TZ')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confDONT_INIT_GROUPS', \`True')dnl
define(\`confRUN_AS_USER', \`$POC_USER')dnl
define(\`MSP_QUEUE_DIR', \`$SM/clientmqueue')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $SM_PORT')dnl
FEATURE(\`msp', \`[127.0.0.1]')dnl
EOT
}

# Deliveries to sendmail's local mailboxes: aliases pipe into this, which
# writes a Maildir under $H/mail (as confDEF_USER_ID, nobody).
sm_deliver_script() {
	cat >"$SM/deliver" <<'EOT'
#!/bin/sh
# deliver DIR: stdin into the Maildir DIR
dir=$1
mkdir -p "$dir/tmp" "$dir/new" "$dir/cur" || exit 75
f="$(date +%s).$$.$(od -An -N4 -tx4 /dev/urandom | tr -d ' ').sendmail"
cat >"$dir/tmp/$f" && mv "$dir/tmp/$f" "$dir/new/$f" || exit 75
EOT
	chmod 755 "$SM/deliver"
}

sm_start() { # local|relay
	local mode=$1
	mkdir -p "$SM/mqueue" "$SM/clientmqueue"
	chmod 700 "$SM/mqueue"
	chown "$POC_USER" "$SM/clientmqueue"
	chmod 770 "$SM/clientmqueue"
	sm_deliver_script
	cat >"$SM/aliases" <<EOT
postmaster: root
root: |"$SM/deliver $H/mail/vendor/root"
security: |"$SM/deliver $H/mail/vendor/security"
oncall: |"$SM/deliver $H/mail/vendor/oncall"
other: |"$SM/deliver $H/mail/vendor/other"
EOT
	mkdir -p "$H/mail/vendor"
	chown nobody: "$H/mail/vendor"
	sm_mc "$mode" >"$SM/sendmail.mc"
	m4 "$SM/sendmail.mc" >"$SM/sendmail.cf" 2>"$SM/m4.err" || { cat "$SM/m4.err" >&2; h_die "m4 sendmail.mc"; }
	grep -q "^Xpocmilter, S=unix:$MILTER_SOCKET, F=T," "$SM/sendmail.cf" ||
		h_die "no pocmilter filter with F=T in sendmail.cf (conf/sendmail.mc.snippet)"
	sm_submit_mc >"$SM/submit.mc"
	m4 "$SM/submit.mc" >"$SM/submit.cf" 2>"$SM/m4.err" || { cat "$SM/m4.err" >&2; h_die "m4 submit.mc"; }
	"$SM/sendmail" -C "$SM/sendmail.cf" -bi >"$SM/newaliases.log" 2>&1 ||
		{ cat "$SM/newaliases.log" >&2; h_die "newaliases"; }
	rm -f "$SM/sendmail.pid"
	"$SM/sendmail" -C "$SM/sendmail.cf" -bd -q5s >"$SM/start.log" 2>&1 ||
		{ cat "$SM/start.log" "$SM_LOG" >&2; h_die "sendmail did not start"; }
	h_wait_for 20 h_port_open "$SM_PORT" || { cat "$SM/start.log" >&2; tail "$SM_LOG" >&2; h_die "sendmail is not listening on $SM_PORT"; }
	SM_MODE=$mode
	export SM_MODE
}

sm_stop() {
	local pid
	[ -n "${SM:-}" ] && [ -f "$SM/sendmail.pid" ] || return 0
	pid=$(head -1 "$SM/sendmail.pid")
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$SM/sendmail.pid"
}

# A command for sendmail's MSP (what AckSendmail would run on a sendmail host).
sm_msp() { echo "$SM/sendmail -C $SM/submit.cf"; }

# Copies of FILE with CRLF line ends, sent as an MTA would.
sm_crlf() { sed 's/\r*$/\r/' "$1"; }

sm_send() { # FILE [FROM [TO]]
	sm_crlf "$1" >"$1.crlf"
	SMTP_PORT=$SM_PORT h_send "$1.crlf" "${2:-vuls@jpcert.example}" "${3:-security@vendor.example}"
}
