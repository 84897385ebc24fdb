#!/usr/bin/env bash
# Exchange Web Services and Autodiscover: one "ews" event per request (clear
# HTTP on port 80, and inside TLS 1.3 / TLS 1.2 with a key log), the
# ews.impersonation alert, "exchange": true on the tls event of an Exchange
# Online name, no credential token in the output; and a TLS session whose
# client certificate the server rejects with a fatal alert.
#
# The expected values are what tests/gen wrote on the wire (tests/gen/dialog.c:
# EWS_FINDITEM_*; the certificates in pcaps/expected.jsonl), not what the
# sensor printed once.
set -eu
B=$1 TMP=$2 SHARED=$3
python3 - "$B/certsensor" "$TMP/ews" <<'PY'
import json, os, subprocess, sys

SENSOR, OUT = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)
CLIENT, SERVER = "192.0.2.10", "198.51.100.20"  # tests/gen/run.c
# The Authorization header of every EWS request (an NTLM NEGOTIATE_MESSAGE):
# only the scheme may be reported.
NTLM_TOKEN = "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGVKAAAADw=="
EWS_UA = "ExchangeServicesClient/15.00.0913.015"
OUTLOOK_UA = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)"
fails = []
runs = 0

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


class Run:
    def __init__(self, cap, keys=False, label=None):
        global runs
        runs += 1
        path = f"pcaps/{cap}"
        self.name = label or cap + (" (key log)" if keys else "")
        out = os.path.join(OUT, f"{cap}.{'k' if keys else 'n'}.jsonl")
        cmd = [SENSOR, "-r", path, "-o", out, "--anomalies"]
        if keys:
            cmd += ["--keylog", path + ".keys"]
        p = subprocess.run(cmd, capture_output=True, timeout=120)
        self.raw = (open(out, "rb").read() if os.path.exists(out) else b"") + p.stdout + p.stderr
        self.events = [json.loads(l) for l in self.raw.splitlines() if l.startswith(b"{")]
        if p.returncode != 0:
            self.fail(f"certsensor exit status {p.returncode}")

    def fail(self, what):
        fails.append(f"{self.name}: {what}")

    def of(self, etype):
        return [e for e in self.events if e.get("event_type") == etype]

    def count(self, etype, n):
        evs = self.of(etype)
        if len(evs) != n:
            self.fail(f"{len(evs)} '{etype}' events, expected {n}")
        return evs

    def eq(self, ev, path, want):
        got = get(ev, path)
        if got != want:
            self.fail(f"{ev.get('event_type')} event: {path} = {show(got)}, expected {show(want)}")

    def alerts(self, check):
        return [e for e in self.of("alert") if get(e, "alert.check") == check]

    def no_secret(self, *secrets):
        for s in secrets:
            if s.encode() in self.raw:
                self.fail(f"the credential {s!r} appears in the output")

    def certs(self, t, role, file, sender):
        want = [r["sha256"] for r in truth.get((file, sender), [])]
        got = [c.get("sha256") for c in (get(t, f"tls.{role}") or [])]
        if got != want:
            self.fail(f"tls.{role} sha256 {got}, expected {want} (pcaps/expected.jsonl)")


def finditem(r, ev, host, decrypted, port):
    """The POST /EWS/Exchange.asmx FindItem request of EWS_FINDITEM_HEAD/BODY."""
    r.eq(ev, "src_ip", CLIENT)
    r.eq(ev, "dest_ip", SERVER)
    r.eq(ev, "dest_port", port)
    r.eq(ev, "ews.endpoint", "ews")
    r.eq(ev, "ews.method", "POST")
    r.eq(ev, "ews.host", host)
    r.eq(ev, "ews.path", "/EWS/Exchange.asmx")
    r.eq(ev, "ews.user_agent", EWS_UA)
    r.eq(ev, "ews.auth_scheme", "NTLM")
    r.eq(ev, "ews.anchor_mailbox", "ceo@example.test")
    r.eq(ev, "ews.operation", "FindItem")
    r.eq(ev, "ews.impersonation.primary_smtp", "ceo@example.test")
    r.eq(ev, "ews.decrypted", decrypted)


def impersonation_alert(r, ev):
    al = r.alerts("ews.impersonation")
    if len(al) != 1:
        r.fail(f"{len(al)} ews.impersonation alerts, expected 1")
    elif al[0].get("flow_id") != ev.get("flow_id"):
        r.fail("the ews.impersonation alert is not on the EWS request's flow")


# ---- ews-http-clear: POST /EWS/Exchange.asmx (FindItem, impersonating ceo@), 200,
# then GET /autodiscover/autodiscover.xml, 401, on one HTTP/1.1 connection to port 80
r = Run("ews-http-clear.pcap")
evs = r.count("ews", 2)
if len(evs) == 2:
    finditem(r, evs[0], "mail.example.test", False, 80)
    ad = evs[1]
    if "autodiscover" not in str(get(ad, "ews.endpoint")):
        r.fail(f"second request: ews.endpoint = {show(get(ad, 'ews.endpoint'))}, expected an "
               "autodiscover endpoint")
    r.eq(ad, "ews.method", "GET")
    r.eq(ad, "ews.host", "autodiscover.example.test")
    r.eq(ad, "ews.path", "/autodiscover/autodiscover.xml")
    r.eq(ad, "ews.user_agent", OUTLOOK_UA)
    r.eq(ad, "ews.decrypted", False)
    for f in ("ews.impersonation", "ews.operation", "ews.anchor_mailbox"):
        if get(ad, f) not in (MISSING, None, ""):
            r.fail(f"autodiscover request: {f} = {show(get(ad, f))}, expected none")
    impersonation_alert(r, evs[0])
r.count("tls", 0)
r.no_secret(NTLM_TOKEN)

# ---- ews-tls13-keys / ews-tls12-keys: the same POST inside TLS to outlook.office365.com
for cap in ("ews-tls13-keys.pcap", "ews-tls12-keys.pcap"):
    tls13 = "tls13" in cap
    r = Run(cap, keys=True)
    ts = r.count("tls", 1)
    if ts:
        r.eq(ts[0], "tls.sni", "outlook.office365.com")
        r.eq(ts[0], "tls.exchange", True)
        r.certs(ts[0], "server_certs", cap, "server")
        dec = [c.get("decrypted") for c in get(ts[0], "tls.server_certs") or []]
        if dec != [tls13] * 2:
            r.fail(f"server_certs decrypted {dec}, expected {[tls13] * 2}")
    evs = r.count("ews", 1)
    if evs:
        finditem(r, evs[0], "outlook.office365.com", True, 443)
        if ts and evs[0].get("flow_id") != ts[0].get("flow_id"):
            r.fail("the ews event is not on the tls event's flow")
        impersonation_alert(r, evs[0])
    r.no_secret(NTLM_TOKEN)

    # Without the key log: the Exchange name is still known (SNI), no request is.
    r = Run(cap)
    ts = r.count("tls", 1)
    if ts:
        r.eq(ts[0], "tls.exchange", True)
        if not tls13:
            r.certs(ts[0], "server_certs", cap, "server")
    r.count("ews", 0)
    if r.alerts("ews.impersonation"):
        r.fail("ews.impersonation without the key log")
    r.no_secret(NTLM_TOKEN)

# ---- not Exchange: SNI and certificate name www.example.test
r = Run("tls12-chain.pcap")
for t in r.of("tls"):
    if get(t, "tls.exchange") is True:
        r.fail("tls.exchange true for www.example.test")
r.count("ews", 0)

# ---- tls-client-cert-rejected: TLS 1.2 mutual TLS; the server answers the client's
# Certificate flight with a fatal certificate_revoked alert (level 2, code 44) and closes
r = Run("tls-client-cert-rejected.pcap")
ts = r.count("tls", 1)
if ts:
    t = ts[0]
    r.certs(t, "server_certs", "tls-client-cert-rejected.pcap", "server")
    r.certs(t, "client_certs", "tls-client-cert-rejected.pcap", "client")
    r.eq(t, "tls.alert.level", 2)
    r.eq(t, "tls.alert.code", 44)
    r.eq(t, "tls.alert.description", "certificate_revoked")
    r.eq(t, "tls.alert.from", "server")
    if get(t, "tls.session_state") == "complete":
        r.fail("tls.session_state complete for a handshake that never finished")
r.count("ews", 0)

for f in fails:
    print("FAIL", f)
print(f"{runs} sensor runs, {len(fails)} failed assertions")
sys.exit(1 if fails else 0)
PY
