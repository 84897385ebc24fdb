#!/usr/bin/env bash
# Mail protocols that upgrade to TLS in-band (SMTP, IMAP, POP3, LDAP, FTP,
# XMPP): one protocol event per session, STARTTLS offered / requested /
# accepted / refused, stripped and mangled STARTTLS, clear-text
# authentication, the tls event of an upgraded session ("from_proto",
# "pre_tls"), and that no password ever reaches the output.
#
# The expected values are what tests/gen wrote on the wire (the dialogues in
# tests/gen/dialog.c, the certificates in pcaps/expected.jsonl), not what the
# sensor printed once. The shared captures were read with tshark first; only
# what tshark shows there is asserted.
set -eu
B=$1 TMP=$2 SHARED=$3
python3 - "$B/certsensor" "$TMP/mail" "$SHARED" <<'PY'
import json, os, subprocess, sys

SENSOR, OUT, SHARED = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(OUT, exist_ok=True)
MAIL = ("smtp", "imap", "pop3", "ldap", "ftp", "xmpp")
CLIENT, SERVER = "192.0.2.10", "198.51.100.20"  # tests/gen/run.c
fails = []
checked = 0

# Certificates per capture and sender, in chain order, from certgen's ground truth.
truth = {}
for line in open("pcaps/expected.jsonl"):
    r = json.loads(line)
    truth.setdefault((r["file"], r["sender"]), []).append((r["msg_index"], r["chain_index"], r))
for k in truth:
    truth[k] = [r for _, _, r in sorted(truth[k], key=lambda t: t[:2])]

MISSING = object()


def get(ev, path):
    cur = ev
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return MISSING
        cur = cur[part]
    return cur


def show(v):
    return "(absent)" if v is MISSING else json.dumps(v)


class Cap:
    """One sensor run over one capture; assertions collect failures, never stop."""

    def __init__(self, path, keys=None, shared=False):
        self.name = os.path.basename(path)
        out = os.path.join(OUT, self.name + ".jsonl")
        cmd = [SENSOR, "-r", path, "-o", out, "--anomalies"]
        if keys:
            cmd += ["--keylog", keys]
        p = subprocess.run(cmd, capture_output=True, timeout=120)
        self.raw = open(out, "rb").read() if os.path.exists(out) else b""
        self.raw += p.stdout + p.stderr
        self.events = []
        for i, line in enumerate(self.raw.splitlines()):
            if not line.startswith(b"{"):
                continue
            try:
                self.events.append(json.loads(line))
            except ValueError:
                self.fail(f"output line {i + 1} is not JSON")
        if p.returncode != 0:
            self.fail(f"certsensor exit status {p.returncode}: {p.stderr.decode(errors='replace')[:200]}")

    def fail(self, what):
        fails.append(f"{self.name}: {what}")

    def of(self, etype, **where):
        return [e for e in self.events if e.get("event_type") == etype and
                all(get(e, k.replace("__", ".")) == v for k, v in where.items())]

    def one(self, etype, **where):
        evs = self.of(etype, **where)
        if len(evs) != 1:
            self.fail(f"{len(evs)} '{etype}' events {where or ''}, expected exactly 1")
            return None
        return evs[0]

    def eq(self, ev, path, want):
        got = get(ev, path) if ev is not None else MISSING
        if got != want:
            where = ev.get("event_type") if ev is not None else "(missing event)"
            self.fail(f"{where} event: {path} = {show(got)}, expected {show(want)}")

    def absent(self, ev, path):
        if ev is not None and get(ev, path) is not MISSING:
            self.fail(f"{ev['event_type']} event: {path} = {show(get(ev, path))}, expected no such field")

    def has_caps(self, ev, path, want, without=()):
        caps = get(ev, path) if ev is not None else MISSING
        if not isinstance(caps, list):
            self.fail(f"{path} = {show(caps)}, expected a list")
            return
        up = {str(c).upper() for c in caps}
        for c in want:
            if c.upper() not in up:
                self.fail(f"{path} lacks {c!r}: {show(caps)}")
        for c in without:
            if c.upper() in up:
                self.fail(f"{path} has {c!r}: {show(caps)}")

    def alerts(self, flow_id):
        return [get(e, "alert.check") for e in self.events
                if e.get("event_type") == "alert" and e.get("flow_id") == flow_id]

    def alert_checks(self, ev, want=(), not_want=()):
        if ev is None:
            return
        got = self.alerts(ev.get("flow_id"))
        for c in want:
            if got.count(c) != 1:
                self.fail(f"{got.count(c)} '{c}' alerts for the session, expected 1 (alerts: {got})")
        for c in not_want:
            if c in got:
                self.fail(f"unexpected '{c}' alert (alerts: {got})")

    def no_secret(self, *secrets):
        for s in secrets:
            if s.encode() in self.raw:
                self.fail(f"the clear-text secret {s!r} appears in the output")

    def certs(self, ev, role, file, sender):
        want = [r["sha256"] for r in truth.get((file, sender), [])]
        got = [c.get("sha256") for c in (get(ev, f"tls.{role}") or [])] if ev else []
        if got != want:
            self.fail(f"tls.{role} sha256 {got}, expected {want} (pcaps/expected.jsonl)")
        dec = [r["decrypted"] for r in truth.get((file, sender), [])]
        gotdec = [c.get("decrypted") for c in (get(ev, f"tls.{role}") or [])] if ev else []
        if got == want and gotdec != dec:
            self.fail(f"tls.{role} decrypted {gotdec}, expected {dec}")


NONE_ALERTS = ("starttls.offered_unused", "starttls.capability_mangled", "starttls.refused",
               "auth.cleartext")


def mail_event(c, proto, port, ev_client=CLIENT, ev_server=SERVER):
    """The one protocol event of an own capture, with its 4-tuple."""
    ev = c.one(proto)
    if ev is None:
        return None
    c.eq(ev, "app_proto", proto)
    c.eq(ev, "dest_port", port)
    c.eq(ev, "src_ip", ev_client)
    c.eq(ev, "dest_ip", ev_server)
    for other in MAIL:
        if other != proto and c.of(other):
            c.fail(f"unexpected '{other}' event")
    return ev


def starttls(c, ev, proto, offered, requested, accepted, refused, required=False,
             code=None, reply=None):
    c.eq(ev, f"{proto}.starttls.offered", offered)
    c.eq(ev, f"{proto}.starttls.required", required)
    c.eq(ev, f"{proto}.starttls.requested", requested)
    c.eq(ev, f"{proto}.starttls.accepted", accepted)
    c.eq(ev, f"{proto}.starttls.refused", refused)
    if code is not None:
        c.eq(ev, f"{proto}.starttls.reply_code", code)
    if reply is not None:
        c.eq(ev, f"{proto}.starttls.reply", reply)


def upgraded(c, ev, proto, port, file, sni, pre_caps=(), client_name=None, auth=None):
    """The tls event of a session that went through STARTTLS."""
    c.eq(ev, f"{proto}.tls", True)
    t = c.one("tls", dest_port=port)
    if t is None:
        return
    c.eq(t, "tls.from_proto", proto)
    c.eq(t, "tls.sni", sni)
    if ev is not None and t.get("flow_id") != ev.get("flow_id"):
        c.fail(f"tls flow_id {t.get('flow_id')} != {proto} flow_id {ev.get('flow_id')}")
    c.certs(t, "server_certs", file, "server")
    if pre_caps:
        c.has_caps(t, "tls.pre_tls.capabilities", pre_caps)
    if client_name is not None:
        c.eq(t, "tls.pre_tls.client_name", client_name)
    if auth is not None:
        c.eq(t, "tls.pre_tls.auth.mechanism", auth[0])
        c.eq(t, "tls.pre_tls.auth.user", auth[1])
    else:
        c.absent(t, "tls.pre_tls.auth")


def own(name):
    path = f"pcaps/{name}.pcap"
    keys = path + ".keys" if os.path.exists(path + ".keys") else None
    global checked
    checked += 1
    return Cap(path, keys)


SMTP_BANNER = "mail.example.test ESMTP certgen"
SMTP_CLIENT = "client01.example.test"

# ---- SMTP ------------------------------------------------------------------------------
# smtp-starttls: 220, EHLO, 250-STARTTLS, STARTTLS, 220, TLS 1.2
c = own("smtp-starttls")
ev = mail_event(c, "smtp", 25)
c.eq(ev, "smtp.banner", SMTP_BANNER)
c.eq(ev, "smtp.client_name", SMTP_CLIENT)
c.has_caps(ev, "smtp.capabilities", ["SIZE", "8BITMIME", "PIPELINING", "STARTTLS", "SMTPUTF8"])
starttls(c, ev, "smtp", True, True, True, False, code=220, reply="220")
c.absent(ev, "smtp.auth")
c.absent(ev, "smtp.capability_mangled")
upgraded(c, ev, "smtp", 25, "smtp-starttls.pcap", "mail.example.test",
         pre_caps=["PIPELINING", "STARTTLS"], client_name=SMTP_CLIENT)
c.alert_checks(ev, not_want=NONE_ALERTS)

# smtp-stripped: STARTTLS offered, never used; AUTH PLAIN alice in clear; 1 MAIL, 2 RCPT
c = own("smtp-stripped")
ev = mail_event(c, "smtp", 25)
c.eq(ev, "smtp.banner", SMTP_BANNER)
c.eq(ev, "smtp.client_name", SMTP_CLIENT)
c.has_caps(ev, "smtp.capabilities", ["SIZE", "8BITMIME", "PIPELINING", "STARTTLS", "SMTPUTF8"])
starttls(c, ev, "smtp", True, False, False, False)
c.eq(ev, "smtp.auth", {"mechanism": "PLAIN", "user": "alice", "secret_in_clear": True})
c.eq(ev, "smtp.mail_from_domain", "example.test")
c.eq(ev, "smtp.mail_count", 1)
c.eq(ev, "smtp.rcpt_count", 2)
c.eq(ev, "smtp.tls", False)
c.absent(ev, "smtp.capability_mangled")
if c.of("tls"):
    c.fail("a tls event for a session that never started TLS")
c.alert_checks(ev, ["starttls.offered_unused", "auth.cleartext"],
               ["starttls.refused", "starttls.capability_mangled"])
c.no_secret("Str1pped-Pa55!", "Str1pped", "AGFsaWNlAFN0cjFwcGVkLVBhNTUh")

# smtp-mangled: "250-XXXXXXXA" where STARTTLS was; AUTH LOGIN bob in clear
c = own("smtp-mangled")
ev = mail_event(c, "smtp", 25)
c.eq(ev, "smtp.banner", SMTP_BANNER)
c.eq(ev, "smtp.client_name", SMTP_CLIENT)
c.has_caps(ev, "smtp.capabilities", ["SIZE", "8BITMIME", "PIPELINING", "SMTPUTF8"],
           without=["STARTTLS"])
starttls(c, ev, "smtp", False, False, False, False)
c.eq(ev, "smtp.capability_mangled", "XXXXXXXA")
c.eq(ev, "smtp.auth", {"mechanism": "LOGIN", "user": "bob", "secret_in_clear": True})
c.eq(ev, "smtp.mail_from_domain", "example.test")
c.eq(ev, "smtp.mail_count", 1)
c.eq(ev, "smtp.rcpt_count", 1)
c.eq(ev, "smtp.tls", False)
c.alert_checks(ev, ["starttls.capability_mangled", "auth.cleartext"],
               ["starttls.refused", "starttls.offered_unused"])
c.no_secret("M4ngled-Secret", "TTRuZ2xlZC1TZWNyZXQ=")

# smtp-refused: STARTTLS answered 454; mail goes out in clear, no AUTH
c = own("smtp-refused")
ev = mail_event(c, "smtp", 25)
c.eq(ev, "smtp.banner", SMTP_BANNER)
c.has_caps(ev, "smtp.capabilities", ["SIZE", "PIPELINING", "STARTTLS", "8BITMIME"])
starttls(c, ev, "smtp", True, True, False, True, code=454, reply="454")
c.absent(ev, "smtp.auth")
c.eq(ev, "smtp.mail_from_domain", "example.test")
c.eq(ev, "smtp.mail_count", 1)
c.eq(ev, "smtp.rcpt_count", 1)
c.eq(ev, "smtp.tls", False)
if c.of("tls"):
    c.fail("a tls event for a session whose STARTTLS was refused")
c.alert_checks(ev, ["starttls.refused"],
               ["auth.cleartext", "starttls.offered_unused", "starttls.capability_mangled"])

# smtps-465: implicit TLS, the whole SMTP dialogue (AUTH PLAIN included) inside TLS
c = own("smtps-465")
t = c.one("tls", dest_port=465)
if t is not None:
    c.eq(t, "tls.sni", "mail.example.test")
    c.certs(t, "server_certs", "smtps-465.pcap", "server")
    if get(t, "tls.from_proto") not in (MISSING, None):
        c.fail(f"tls.from_proto = {show(get(t, 'tls.from_proto'))} for implicit TLS")
for e in c.of("smtp"):
    c.eq(e, "smtp.starttls.requested", False)
    c.absent(e, "smtp.auth")
c.alert_checks(t, not_want=NONE_ALERTS)
c.no_secret("Impl1cit-Tls-Pw", "AGFsaWNlAEltcGwxY2l0LVRscy1Qdw==")

# ---- IMAP ------------------------------------------------------------------------------
# imap-starttls: CAPABILITY, STARTTLS, OK, TLS 1.3 (key log); LOGIN only inside TLS
c = own("imap-starttls")
ev = mail_event(c, "imap", 143)
c.eq(ev, "imap.banner", "certgen IMAP ready")
c.has_caps(ev, "imap.capabilities", ["IMAP4rev1", "STARTTLS", "LOGINDISABLED", "SASL-IR"])
starttls(c, ev, "imap", True, True, True, False, reply="OK")
c.absent(ev, "imap.auth")
upgraded(c, ev, "imap", 143, "imap-starttls.pcap", "mail.example.test",
         pre_caps=["IMAP4rev1", "STARTTLS"])
c.alert_checks(ev, not_want=NONE_ALERTS)
c.no_secret("Inner-Imap-Pw")

# imap-login-clear: no STARTTLS offered; ID "certgen-mua"; LOGIN carol in clear
c = own("imap-login-clear")
ev = mail_event(c, "imap", 143)
c.eq(ev, "imap.banner", "certgen IMAP ready")
c.eq(ev, "imap.client_name", "certgen-mua")
starttls(c, ev, "imap", False, False, False, False)
c.eq(ev, "imap.auth", {"mechanism": "LOGIN", "user": "carol", "secret_in_clear": True})
c.eq(ev, "imap.tls", False)
c.alert_checks(ev, ["auth.cleartext"],
               ["starttls.offered_unused", "starttls.refused", "starttls.capability_mangled"])
c.no_secret("Cl34r-Imap-Pw")

# ---- POP3 ------------------------------------------------------------------------------
# pop3-stls: CAPA (STLS), STLS, +OK, TLS 1.2; USER/PASS only inside TLS
c = own("pop3-stls")
ev = mail_event(c, "pop3", 110)
c.eq(ev, "pop3.banner", "certgen POP3 server ready")
c.has_caps(ev, "pop3.capabilities", ["TOP", "UIDL", "STLS", "USER", "PIPELINING"])
starttls(c, ev, "pop3", True, True, True, False, reply="+OK")
c.absent(ev, "pop3.auth")
upgraded(c, ev, "pop3", 110, "pop3-stls.pcap", "mail.example.test", pre_caps=["STLS"])
c.alert_checks(ev, not_want=NONE_ALERTS)
c.no_secret("Inner-Pop-Pw")

# pop3-user-clear: STLS offered but unused; USER dave / PASS in clear
c = own("pop3-user-clear")
ev = mail_event(c, "pop3", 110)
c.eq(ev, "pop3.banner", "certgen POP3 server ready")
c.has_caps(ev, "pop3.capabilities", ["STLS", "USER"])
starttls(c, ev, "pop3", True, False, False, False)
c.eq(ev, "pop3.auth", {"mechanism": "USER", "user": "dave", "secret_in_clear": True})
c.eq(ev, "pop3.tls", False)
c.alert_checks(ev, ["starttls.offered_unused", "auth.cleartext"],
               ["starttls.refused", "starttls.capability_mangled"])
c.no_secret("Cl34r-Pop-Pw")

# ---- LDAP ------------------------------------------------------------------------------
# ldap-starttls: ExtendedRequest 1.3.6.1.4.1.1466.20037, success, TLS 1.2; bind inside TLS
c = own("ldap-starttls")
ev = mail_event(c, "ldap", 389)
starttls(c, ev, "ldap", False, True, True, False, code=0)
c.absent(ev, "ldap.auth")
upgraded(c, ev, "ldap", 389, "ldap-starttls.pcap", "example.test")
c.alert_checks(ev, not_want=NONE_ALERTS)
c.no_secret("Inner-Ldap-Pw")

# ldap-bind-clear: simple bind cn=admin,dc=example,dc=test with a password, then StartTLS
c = own("ldap-bind-clear")
ev = mail_event(c, "ldap", 389)
starttls(c, ev, "ldap", False, True, True, False, code=0)
c.eq(ev, "ldap.auth", {"mechanism": "SIMPLE", "user": "cn=admin,dc=example,dc=test",
                       "secret_in_clear": True})
upgraded(c, ev, "ldap", 389, "ldap-bind-clear.pcap", "example.test",
         auth=("SIMPLE", "cn=admin,dc=example,dc=test"))
c.alert_checks(ev, ["auth.cleartext"],
               ["starttls.offered_unused", "starttls.refused", "starttls.capability_mangled"])
c.no_secret("Cl34r-Ldap-Pw")

# ---- FTP -------------------------------------------------------------------------------
# ftp-authtls: FEAT (AUTH TLS), AUTH TLS, 234, TLS 1.2; USER/PASS only inside TLS
c = own("ftp-authtls")
ev = mail_event(c, "ftp", 21)
c.eq(ev, "ftp.banner", "certgen FTP server ready.")
c.has_caps(ev, "ftp.capabilities", ["AUTH TLS", "PBSZ", "PROT"])
starttls(c, ev, "ftp", True, True, True, False, code=234, reply="234")
c.absent(ev, "ftp.auth")
upgraded(c, ev, "ftp", 21, "ftp-authtls.pcap", "example.test", pre_caps=["AUTH TLS"])
c.alert_checks(ev, not_want=NONE_ALERTS)
c.no_secret("Inner-Ftp-Pw")

# ---- XMPP ------------------------------------------------------------------------------
# xmpp-starttls: stream to/from example.test, <starttls><required/>, <proceed/>, TLS 1.3
c = own("xmpp-starttls")
ev = mail_event(c, "xmpp", 5222)
c.eq(ev, "xmpp.banner", "example.test")
c.eq(ev, "xmpp.client_name", "example.test")
starttls(c, ev, "xmpp", True, True, True, False, required=True, reply="proceed")
c.absent(ev, "xmpp.auth")
upgraded(c, ev, "xmpp", 5222, "xmpp-starttls.pcap", "example.test",
         pre_caps=["STARTTLS"], client_name="example.test")
c.alert_checks(ev, not_want=NONE_ALERTS)
c.no_secret("Inner-Xmpp-Pw", "AGZyYW5rAElubmVyLVhtcHAtUHc=")

# ---- shared captures (real traffic; expectations from tshark) --------------------------
shared = os.path.join(SHARED, "pcaps")
if os.path.isdir(shared):
    def sh(name):
        global checked
        checked += 1
        return Cap(os.path.join(shared, name))

    def shared_upgraded(c, proto, port, **kw):
        ev = c.one(proto, dest_port=port)
        starttls(c, ev, proto, True if proto != "ldap" else False, True, True, False, **kw)
        c.eq(ev, f"{proto}.tls", True)
        t = c.one("tls", dest_port=port)
        c.eq(t, "tls.from_proto", proto)
        if t is not None and not get(t, "tls.server_certs"):
            c.fail("tls event without server certificates")
        c.alert_checks(ev, not_want=NONE_ALERTS)
        return ev

    # frames 4-11: 220, EHLO openssl.client.net, 250-STARTTLS, STARTTLS, 220, TLS 1.2
    c = sh("zeek-smtp-starttls.pcap")
    ev = shared_upgraded(c, "smtp", 25, code=220, reply="220")
    c.eq(ev, "smtp.client_name", "openssl.client.net")
    # frames 4-11: * OK [CAPABILITY ... STARTTLS ...], . STARTTLS, . OK, TLS 1.2
    c = sh("zeek-imap-starttls.pcap")
    shared_upgraded(c, "imap", 143, reply="OK")
    # frames 4-12: +OK, AUTH -> -ERR, CAPA (STLS), STLS, +OK, TLS 1.0
    c = sh("ndpi-pop3_stls.pcap")
    ev = shared_upgraded(c, "pop3", 110, reply="+OK")
    c.has_caps(ev, "pop3.capabilities", ["STLS"])
    # frames 4-6: extendedReq(1) 1.3.6.1.4.1.1466.20037, extendedResp(1) resultCode 0, TLS 1.2
    c = sh("sv-ldap-starttls.pcap")
    shared_upgraded(c, "ldap", 389, code=0)
    # frames 4-11: stream to jabber.ccc.de, features <starttls><required/>, <starttls/>, <proceed/>
    c = sh("zeek-xmpp-starttls.pcap")
    ev = shared_upgraded(c, "xmpp", 5222, required=True, reply="proceed")
    c.eq(ev, "xmpp.client_name", "jabber.ccc.de")
    c.eq(ev, "xmpp.banner", "jabber.ccc.de")
    # zeek-smtp.pcap, stream 0 (client port 1470): STARTTLS offered in the EHLO reply,
    # never used; AUTH LOGIN with user gurpartap@patriots.in and password punjab@123 in
    # clear; MAIL FROM <gurpartap@patriots.in>, one RCPT. Stream 2 (client port 49648):
    # no STARTTLS offered, no AUTH, MAIL FROM <albert@example.com>, three RCPT.
    c = sh("zeek-smtp.pcap")
    ev = c.one("smtp", src_port=1470)
    c.eq(ev, "smtp.client_name", "GP")
    starttls(c, ev, "smtp", True, False, False, False)
    c.eq(ev, "smtp.auth", {"mechanism": "LOGIN", "user": "gurpartap@patriots.in",
                           "secret_in_clear": True})
    c.eq(ev, "smtp.mail_from_domain", "patriots.in")
    c.eq(ev, "smtp.mail_count", 1)
    c.eq(ev, "smtp.rcpt_count", 1)
    c.eq(ev, "smtp.tls", False)
    c.alert_checks(ev, ["starttls.offered_unused", "auth.cleartext"], ["starttls.refused"])
    ev = c.one("smtp", src_port=49648)
    starttls(c, ev, "smtp", False, False, False, False)
    c.absent(ev, "smtp.auth")
    c.eq(ev, "smtp.mail_from_domain", "example.com")
    c.eq(ev, "smtp.rcpt_count", 3)
    c.alert_checks(ev, not_want=NONE_ALERTS)
    c.no_secret("punjab@123", "cHVuamFiQDEyMw==")
    if any(get(e, "tls.from_proto") not in (MISSING, None) for e in c.of("tls")):
        c.fail("a tls event with from_proto, but no SMTP session here upgraded")
else:
    print(f"{shared} absent: shared STARTTLS captures skipped")

for f in fails:
    print("FAIL", f)
print(f"{checked} captures, {len(fails)} failed assertions")
sys.exit(1 if fails else 0)
PY
