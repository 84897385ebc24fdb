#!/usr/bin/env bash
# Every detection, end to end on the generated captures of pcaps/: each check
# fires on the capture made to trigger it (right check, role, chain_index,
# certificate and, for file-driven checks, file:line), and the other samples
# stay silent under the same flags.
#
#   bash tests/pcap/test_alerts.sh BUILD_DIR TMPDIR [SHARED_DIR]
#
# 1. every sample of pcaps/ under one full configuration (roots, blocklist,
#    pins, Suricata rules, interception list, GeoIP bindings and databases),
#    exact multiset of certificate alerts per sample: attack/hygiene samples
#    from the ATTACK table, benign ones validity.too_long per server leaf (+
#    BENIGN_EXTRA); samples this table does not know (other tests') must raise
#    no certificate alert but validity.too_long on their own leaves;
# 2. a listed / wrongly pinned client certificate; 3. a pin met only through a
#    rotation value; 4. baselines (--state): learning is silent, then a new
#    leaf, a new issuer, a client certificate from a new address / ASN /
#    country; 5. --check-rules on a good and a bad file (and --rules at start).
# Each check id of rules/*.h must have been expected somewhere.
#
# Independence: thumbprints in the blocklist, pin and binding files come from
# pcaps/expected.jsonl (certgen's record of what OpenSSL put on the wire), root
# hashes from pcaps/certgen-roots.pem, the FortiGate CA's SPKI digest from the
# openssl command, JA3/JA4 from the ClientHello bytes parsed below (and the
# sensor's own JA3/JA4 must equal them for every sample); the sensor only
# provides the alerts under test. The GeoIP databases are written by
# `certgen --mmdb` (tests/unit/mmdb_writer.c, checked against libmaxminddb in
# test_geo). Trust is fixed: --ca-file pcaps/certgen-roots.pem, never the
# system bundle.
#
# Hygiene on benign samples: the test PKI's CAs and benign leaves are valid 10
# years, so each visible server leaf of a benign sample raises
# validity.too_long (server #0); the attack samples' own leaves are valid one
# year, so their alerts are what each sample is about.
set -eu
B=$1 TMP=$2
exec python3 - "$B" "$TMP" <<'PY'
import base64, collections, hashlib, json, os, re, struct, subprocess, sys

B, TMP = sys.argv[1], sys.argv[2]
SENSOR = os.path.join(B, "certsensor")
CERTGEN = os.path.join(B, "gen", "certgen")
W = os.path.join(TMP, "alerts")
os.makedirs(W, exist_ok=True)
os.chmod(W, 0o700)  # rule files must not sit in a world-writable directory
ROOTS = "pcaps/certgen-roots.pem"
S, C = "server", "client"
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


# ---- the generator's record -------------------------------------------------------

truth = collections.defaultdict(list)
for line in open("pcaps/expected.jsonl"):
    e = json.loads(line)
    truth[e["file"]].append(e)


def messages(f, sender):
    """Certificate messages of one side, in order: [[entry by chain_index], ...]"""
    by = collections.defaultdict(list)
    for e in truth[f]:
        if e["sender"] == sender:
            by[e["msg_index"]].append(e)
    return [sorted(v, key=lambda e: e["chain_index"]) for _, v in sorted(by.items())]


def cert(f, sender, idx, msg=0):
    return messages(f, sender)[msg][idx]


def roots_from_pem(path):
    ders = []
    for m in re.finditer(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
                         open(path).read(), re.S):
        ders.append(base64.b64decode("".join(m.group(1).split())))
    return ders


root_der = roots_from_pem(ROOTS)
root_subjects = [subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject",
                                 "-nameopt", "RFC2253"], input=d, capture_output=True,
                                check=True).stdout.decode().strip() for d in root_der]
assert root_subjects == ["subject=CN=certgen Root CA EC,O=certsensor test PKI",
                         "subject=CN=certgen Root CA RSA,O=certsensor test PKI"], root_subjects
ROOT_EC, ROOT_RSA = (hashlib.sha256(d).hexdigest() for d in root_der)

# ---- JA3 / JA4 from the ClientHello bytes ------------------------------------------


def frames(path):
    """(link payload) of each packet; classic pcap or pcapng (EPB), Ethernet."""
    data = open(path, "rb").read()
    out = []
    if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        e = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
            out.append(data[off + 16:off + 16 + incl])
            off += 16 + incl
        return out
    off = 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack("<II", data[off:off + 8])
        if btype == 6:
            cap = struct.unpack("<I", data[off + 20:off + 24])[0]
            out.append(data[off + 28:off + 28 + cap])
        off += blen
    return out


def client_stream(path):
    """Bytes the TCP client (sender of the SYN) sent, in sequence order."""
    segs, isn, client = {}, None, None
    for fr in frames(path):
        et, p = struct.unpack(">H", fr[12:14])[0], 14
        while et in (0x8100, 0x88a8):
            et, p = struct.unpack(">H", fr[p + 2:p + 4])[0], p + 4
        if et == 0x0800:
            ihl = (fr[p] & 15) * 4
            src, dst, proto, p = fr[p + 12:p + 16], fr[p + 16:p + 20], fr[p + 9], p + ihl
        elif et == 0x86dd:
            src, dst, proto, p = fr[p + 8:p + 24], fr[p + 24:p + 40], fr[p + 6], p + 40
        else:
            continue
        if proto != 6:
            continue
        sport, dport, seq = struct.unpack(">HHI", fr[p:p + 8])
        flags, hl = fr[p + 13], (fr[p + 12] >> 4) * 4
        key = (src, sport)
        if flags & 0x02 and not flags & 0x10:
            client, isn = key, seq
            continue
        if key == client and len(fr) > p + hl:
            segs.setdefault(seq, fr[p + hl:])
    out, nxt = b"", (isn + 1) & 0xffffffff
    while nxt in segs:
        out += segs[nxt]
        nxt = (nxt + len(segs[nxt])) & 0xffffffff
    return out


GREASE = {0x0a0a + 0x1010 * i for i in range(16)}


def client_hello(path):
    s = client_stream(path)
    m = re.search(rb"\x16\x03[\x00-\x04]..\x01", s, re.S)  # after any STARTTLS prefix
    if m is None:
        return None
    body = s[m.start() + 5:]
    n = int.from_bytes(body[1:4], "big")
    return body[4:4 + n]


def fingerprints(path):
    h = client_hello(path)
    if h is None:
        return None, None
    legacy = struct.unpack(">H", h[0:2])[0]
    p = 34
    p += 1 + h[p]
    n = struct.unpack(">H", h[p:p + 2])[0]
    ciphers = [c for c in struct.unpack(">%dH" % (n // 2), h[p + 2:p + 2 + n]) if c not in GREASE]
    p += 2 + n
    p += 1 + h[p]
    end = p + 2 + struct.unpack(">H", h[p:p + 2])[0]
    p += 2
    exts, groups, formats, sigalgs, versions, alpn, sni = [], [], [], [], [], [], False
    while p + 4 <= end:
        t, ln = struct.unpack(">HH", h[p:p + 4])
        d = h[p + 4:p + 4 + ln]
        p += 4 + ln
        if t in GREASE:
            continue
        exts.append(t)
        if t == 0:
            sni = True
        elif t == 10:
            groups = [g for g in struct.unpack(">%dH" % (len(d) // 2 - 1), d[2:]) if g not in GREASE]
        elif t == 11:
            formats = list(d[1:1 + d[0]])
        elif t == 13:
            sigalgs = list(struct.unpack(">%dH" % (len(d) // 2 - 1), d[2:]))
        elif t == 43:
            versions = [v for v in struct.unpack(">%dH" % (d[0] // 2), d[1:1 + d[0]]) if v not in GREASE]
        elif t == 16 and len(d) > 3:
            alpn.append(d[3:3 + d[2]].decode())
    ja3 = "%d,%s,%s,%s,%s" % (legacy, "-".join(map(str, ciphers)), "-".join(map(str, exts)),
                               "-".join(map(str, groups)), "-".join(map(str, formats)))
    ver = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10"}[max(versions or [legacy])]
    a = "t%s%s%02d%02d%s" % (ver, "d" if sni else "i", min(len(ciphers), 99), min(len(exts), 99),
                             alpn[0][0] + alpn[0][-1] if alpn else "00")
    b = hashlib.sha256(",".join("%04x" % c for c in sorted(ciphers)).encode()).hexdigest()[:12]
    cs = ",".join("%04x" % e for e in sorted(x for x in exts if x not in (0, 16)))
    if sigalgs:
        cs += "_" + ",".join("%04x" % s for s in sigalgs)
    c = hashlib.sha256(cs.encode()).hexdigest()[:12]
    return hashlib.md5(ja3.encode()).hexdigest(), "%s_%s_%s" % (a, b, c)


# ---- running the sensor -------------------------------------------------------------

CAPTURES = sorted(f for f in os.listdir("pcaps") if f.endswith((".pcap", ".pcapng")))


def run(args, ok_codes=(0,)):
    r = subprocess.run([SENSOR, "--no-stats", "-o", "-"] + args, capture_output=True, text=True)
    if r.returncode not in ok_codes:
        raise SystemExit("certsensor %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return [json.loads(l) for l in r.stdout.splitlines()]


def capture_args(f):
    a = ["-r", "pcaps/" + f]
    if os.path.exists("pcaps/%s.keys" % f):
        a += ["--keylog", "pcaps/%s.keys" % f]
    return a


def alerts(events):
    """multiset of (check, role, chain_index, cert sha256, source file:line)"""
    out = collections.Counter()
    for ev in events:
        if ev["event_type"] != "alert":
            continue
        a = ev["alert"]
        src = a.get("source")
        out[(a["check"], a.get("role"), a.get("chain_index", -1), (a.get("cert") or {}).get("sha256"),
             os.path.basename(src) if src else None)] += 1
    return out


def show(c):
    return "\n      ".join("%s x%d" % (k, n) for k, n in sorted(c.items(), key=str)) or "(none)"


covered = set()


def compare(what, got, want):
    covered.update(k[0] for k in want)
    if got != want:
        fail("%s:\n    expected:\n      %s\n    got:\n      %s" % (what, show(want), show(got)))
        return False
    return True


# certificate-based checks (the mail and EWS checks are other tests' business)
CERT_CHECK = re.compile(r"^(chain|trust|validity|leaf|key|sig|hostname|pin|intercept|blocklist"
                        r"|geo|baseline)\.|^rule$")

# ---- inputs written for this run ------------------------------------------------------

MTLS, CHAIN = "tls12-mtls.pcap", "tls12-chain.pcap"
INT_EC, INT_RSA = cert(MTLS, S, 1)["sha256"], cert(CHAIN, S, 1)["sha256"]
SRV_EC, SRV_RSA = cert(MTLS, S, 0)["sha256"], cert(CHAIN, S, 0)["sha256"]
CLI_EC = cert(MTLS, C, 0)["sha256"]
EVIL_LEAF = cert("mitm-untrusted-root.pcap", S, 0)["sha256"]
FORGED_SHA1 = cert("mitm-wrong-signer.pcap", S, 0)["sha1"]
FORTI_CA = cert("interception-issuer.pcap", S, 1)

# The FortiGate CA's SubjectPublicKeyInfo digest: its DER as the sensor extracted it
# (checked against certgen's SHA-256), the key by the openssl command.
xdir = os.path.join(W, "x")
run(["-r", "pcaps/interception-issuer.pcap", "--extract-certs", xdir])
pem = open(os.path.join(xdir, FORTI_CA["sha256"] + ".pem"), "rb").read()
der = subprocess.run(["openssl", "x509", "-outform", "DER"], input=pem, capture_output=True,
                     check=True).stdout
assert hashlib.sha256(der).hexdigest() == FORTI_CA["sha256"]
pub = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-pubkey"], input=der,
                     capture_output=True, check=True).stdout
spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                      capture_output=True, check=True).stdout
FORTI_SPKI = hashlib.sha256(spki).hexdigest()

FP = {f: fingerprints("pcaps/" + f) for f in CAPTURES}
FORTI_LINE = "interception-issuers.txt:%d" % (
    [l.strip() for l in open("rules/interception-issuers.txt")].index('name "FortiGate CA"') + 1)
BAD_JA3, BAD_JA4 = FP["interception-issuer.pcap"]


def write(name, text):
    path = os.path.join(W, name)
    with open(path, "w") as fh:
        fh.write(text)
    return path


BL = write("blocklist.txt", f"""# certgen thumbprints (pcaps/expected.jsonl) of the attack samples
sha256:{EVIL_LEAF}  leaf of the same-name second CA
{FORGED_SHA1}  leaf signed by the wrong key
spki:{FORTI_SPKI}  FortiGate CA key
ja3:{BAD_JA3}  interception-issuer client
ja4:{BAD_JA4}  interception-issuer client
""")
BL_LINE = {"blocklist.cert_sha256": 2, "blocklist.cert_sha1": 3, "blocklist.spki_sha256": 4,
           "blocklist.ja3": 5, "blocklist.ja4": 6}
PINS = write("pins.txt", f"""# the genuine intermediates for www.example.test; the one client certificate
www.example.test pin-intermediate-sha256 {INT_EC} {INT_RSA}
www.example.test role=client pin-leaf-sha256 {CLI_EC}
# a root pin satisfied through the trust store, and one a self-signed leaf breaks
mail.example.test pin-root-sha256 {ROOT_EC} {ROOT_RSA}
selfsigned.example.test pin-root-sha256 {ROOT_EC}
""")
RULES = write("rules.rules", """# Suricata-syntax rules, one per attack sample
alert tls any any -> any any (msg:"TEST FortiGate CA issued leaf"; flow:to_client; \\
    tls.cert_issuer; content:"CN=FortiGate CA"; sid:9100001; rev:1;)
alert tls any any -> any any (msg:"TEST expired server leaf"; tls_cert_expired; sid:9100002; rev:1;)
alert tls any any -> any any (msg:"TEST leaf for other.test"; tls.subjectaltname; \\
    content:"other.test"; bsize:10; sid:9100003; rev:1;)
alert tls $HOME_NET any -> any any (msg:"TEST client certificate from the roaming net"; \\
    flow:to_server; tls.cert_subject; content:"CN=client01.example.test"; sid:9100004; rev:1;)
""")
GEOBIND = write("geo.bind", f"""sha256:{CLI_EC} client allow-country US
sha256:{SRV_RSA} server allow-asn 64500
""")
NETS_C = ["192.0.2.0/24=US", "198.51.100.0/24=US", "2001:db8:1::/48=FR", "2001:db8:2::/48=DE"]
NETS_A = ["192.0.2.0/24=64496:Client Net", "198.51.100.0/24=64500:Server Net",
          "2001:db8:1::/48=64497:Roaming Net", "2001:db8:2::/48=64501:Other Hosting"]


def mmdb(name, kind, nets):
    path = os.path.join(W, name)
    subprocess.run([CERTGEN, "--mmdb", path, kind] + nets, check=True)
    return path


COUNTRY, ASN = mmdb("country.mmdb", "country", NETS_C), mmdb("asn.mmdb", "asn", NETS_A)
FULL = ["--ca-file", ROOTS, "--blocklist", BL, "--pins", PINS, "--rules", RULES,
        "--var", "HOME_NET=[2001:db8:1::/48]", "--intercept-list", "rules/interception-issuers.txt",
        "--geo-bind", GEOBIND, "--geoip-db", COUNTRY, "--asn-db", ASN]

# ---- 1. every capture under the full configuration ---------------------------------

BENIGN = ["tls12-chain.pcap", "tls12-mtls.pcap", "tls13.pcap", "smtp-starttls.pcap",
          "tls12-tiny-segments.pcap", "tls12-reorder.pcap", "tls12-retransmit.pcap",
          "tls12-ipv6.pcap", "tls12-vlan.pcap", "tls13-aes256.pcap", "tls13-chacha20.pcap",
          "tls13-ccm.pcap", "tls13-mtls.pcap", "tls13-hrr.pcap", "tls12-renegotiation.pcap",
          "tls12-cbc-renegotiation.pcap", "tls13-dsb.pcapng"]

# per attack sample: (check, role, chain_index, source line or None); the certificate
# is certgen's at that position. pin.violation of a pin-intermediate / pin-root pin
# names no position (-1); of a pin-leaf pin, #0.
ATTACK = {
    "mitm-wrong-signer.pcap": [("chain.signature", S, 0), ("trust.invalid", S, 0),
                               ("pin.violation", S, -1, "pins.txt:2"),
                               ("blocklist.cert_sha1", S, 0, "blocklist.txt:3")],
    "mitm-unrelated-chain.pcap": [("chain.name", S, 0), ("trust.missing_intermediate", S, 0),
                                  ("validity.too_long", S, 0),  # srv-ec reused
                                  ("pin.violation", S, -1, "pins.txt:2")],
    "mitm-selfsigned-leaf.pcap": [("leaf.self_signed", S, 0), ("trust.untrusted_root", S, 0),
                                  ("pin.violation", S, -1, "pins.txt:2")],
    "mitm-untrusted-root.pcap": [("trust.untrusted_root", S, 2),
                                 ("pin.violation", S, -1, "pins.txt:2"),
                                 ("blocklist.cert_sha256", S, 0, "blocklist.txt:2")],
    "mitm-keyid.pcap": [("chain.keyid", S, 0), ("chain.signature", S, 0),
                        ("trust.untrusted_root", S, 0), ("pin.violation", S, -1, "pins.txt:2"),
                        ("blocklist.cert_sha256", S, 0, "blocklist.txt:2")],
    "mitm-tls13-mtls.pcap": [("trust.untrusted_root", S, 2),
                             ("pin.violation", S, -1, "pins.txt:2"),
                             ("blocklist.cert_sha256", S, 0, "blocklist.txt:2"),
                             ("geo.binding", C, 0, "geo.bind:1"),
                             ("rule", C, 0, "rules.rules:7")],
    "interception-issuer.pcap": [("intercept.known_issuer", S, 0, FORTI_LINE),
                                 ("trust.untrusted_root", S, 1),
                                 ("pin.violation", S, -1, "pins.txt:2"),
                                 ("blocklist.spki_sha256", S, 1, "blocklist.txt:4"),
                                 ("rule", S, 0, "rules.rules:2")],
    "hostname-mismatch.pcap": [("hostname.mismatch", S, 0), ("rule", S, 0, "rules.rules:5")],
    "expired-leaf.pcap": [("validity.expired", S, 0), ("rule", S, 0, "rules.rules:4")],
    "notyet-leaf.pcap": [("validity.not_yet_valid", S, 0)],
    "weak-rsa1024.pcap": [("key.weak", S, 0)],
    "sha1-signed-leaf.pcap": [("sig.sha1", S, 0)],
    "md5-signed-leaf.pcap": [("sig.md5", S, 0)],
    "chain-out-of-order.pcap": [("chain.order", S, 0), ("validity.too_long", S, 0)],
    "chain-duplicate.pcap": [("chain.duplicate", S, 2), ("validity.too_long", S, 0)],
}
# benign samples that are expected to alert beyond validity.too_long
BENIGN_EXTRA = {
    # a self-signed server certificate for its own name: what it is, not an attack sample
    "tls12-vlan.pcap": [("leaf.self_signed", S, 0), ("trust.untrusted_root", S, 0),
                        ("pin.violation", S, -1, "pins.txt:6")],
    # srv-rsa bound to AS64500; the IPv6 server address is in AS64501
    "tls12-ipv6.pcap": [("geo.binding", S, 0, "geo.bind:2")],
}


def expect(f, rows, msg=0):
    want = collections.Counter()
    for r in rows:
        check, role, idx = r[:3]
        src = r[3] if len(r) > 3 else None
        sha = cert(f, role, idx, msg)["sha256"] if idx >= 0 else None
        want[(check, role, idx, sha, src)] += 1
    return want


def fingerprint_hits(f, n_hellos):
    want = collections.Counter()
    ja3, ja4 = FP[f]
    for kind, have, bad in (("blocklist.ja3", ja3, BAD_JA3), ("blocklist.ja4", ja4, BAD_JA4)):
        if have == bad:
            want[(kind, None, -1, None, "blocklist.txt:%d" % BL_LINE[kind])] += n_hellos
    return want


checked = {"attack": 0, "benign": 0, "other": 0}
for f in CAPTURES:
    events = run(capture_args(f) + FULL)
    # the blocklist's JA3/JA4 values are this file's; the sensor's own must agree
    hello = [ev["tls"] for ev in events if ev["event_type"] == "tls"][:1]
    if FP[f][0] is not None and (not hello or ((hello[0].get("ja3") or {}).get("hash"),
                                               hello[0].get("ja4")) != FP[f]):
        fail("%s: JA3/JA4 from the ClientHello bytes %s, sensor %s" % (f, FP[f], hello))
    got = alerts(events)
    got = collections.Counter({k: n for k, n in got.items() if CERT_CHECK.match(k[0])})
    server_msgs = messages(f, S)
    want = fingerprint_hits(f, max(1, len(server_msgs)))
    if f in ATTACK:
        want += expect(f, ATTACK[f])
        compare(f + " (attack sample, full configuration)", got, want)
        checked["attack"] += 1
    elif f in BENIGN:
        for m in range(len(server_msgs)):  # one per handshake (renegotiations: two)
            want += expect(f, [("validity.too_long", S, 0)], m)
        want += expect(f, BENIGN_EXTRA.get(f, []))
        compare(f + " (benign sample, full configuration)", got, want)
        checked["benign"] += 1
    else:
        # a sample this table does not know yet (another test's): certificate checks
        # must stay silent apart from the 10-year leaves
        leaves = {m[0]["sha256"] for m in server_msgs}
        extra = {k: n for k, n in got.items()
                 if not (k[0] == "validity.too_long" and k[1] == S and k[2] == 0 and k[3] in leaves)}
        if extra:
            fail("%s (not in this test's table): unexpected alerts\n      %s" % (f, show(extra)))
        checked["other"] += 1
missing = sorted((set(ATTACK) | set(BENIGN)) - set(CAPTURES))
if missing:
    fail("samples missing from pcaps/: %s" % missing)
print("full configuration: %(attack)d attack samples, %(benign)d benign samples exact, "
      "%(other)d other samples silent; JA3/JA4 of every ClientHello as computed here" % checked)

# ---- 2. client certificates: blocklist and pins -------------------------------------

BLC = write("blocklist-client.txt", "sha256:%s  the client certificate\n" % CLI_EC)
PINC = write("pins-client.txt",
             "# the client must present srv-ec (it never does)\n"
             "www.example.test role=client pin-leaf-sha256 %s\n" % SRV_EC)
for f in ["tls12-mtls.pcap", "tls13-mtls.pcap", "mitm-tls13-mtls.pcap", "tls12-chain.pcap"]:
    mtls = bool(messages(f, C))
    got = alerts(run(capture_args(f) + ["--ca-file", ROOTS, "--blocklist", BLC, "--pins", PINC]))
    got = collections.Counter({k: n for k, n in got.items() if k[0].startswith(("blocklist.", "pin."))})
    want = collections.Counter()
    if mtls:
        want += expect(f, [("blocklist.cert_sha256", C, 0, "blocklist-client.txt:1"),
                           ("pin.violation", C, 0, "pins-client.txt:2")])
    compare(f + " (client certificate listed and pinned to another)", got, want)

# ---- 3. pin rotation -----------------------------------------------------------------

PINR = write("pins-rotation.txt", f"""mail.example.test:25 pin-leaf-sha256 {INT_EC}
mail.example.test:25 rotation pin-leaf-sha256 {SRV_EC}
""")
for f, rows in [("smtp-starttls.pcap", [("pin.rotation_used", S, 0, "pins-rotation.txt:2")]),
                ("tls12-mtls.pcap", [])]:  # port 443, www: not pinned
    got = alerts(run(capture_args(f) + ["--ca-file", ROOTS, "--pins", PINR]))
    got = collections.Counter({k: n for k, n in got.items() if k[0].startswith("pin.")})
    compare(f + " (leaf pinned only through a rotation value)", got, expect(f, rows))

# ---- 4. baselines (--state) -----------------------------------------------------------


def baseline_step(state, f, rows, extra=()):
    got = alerts(run(capture_args(f) + ["--ca-file", ROOTS, "--state", state] + list(extra)))
    got = collections.Counter({k: n for k, n in got.items() if k[0].startswith("baseline.")})
    compare("%s after %s" % (f, os.path.basename(state)), got, expect(f, rows))


# same names, other keys: the issuer DN is known, only the leaf is new
st = os.path.join(W, "state-a.db")
baseline_step(st, MTLS, [])  # learning
baseline_step(st, MTLS, [])  # known
baseline_step(st, "mitm-untrusted-root.pcap", [("baseline.cert_changed", S, 0)])
# the same client certificate from another address (no GeoIP): a new source;
# the server leaf was learnt from mitm-untrusted-root
baseline_step(st, "mitm-tls13-mtls.pcap", [("baseline.client_new_source", C, 0)])
# a new issuer for a known service
st = os.path.join(W, "state-b.db")
baseline_step(st, CHAIN, [])
baseline_step(st, "interception-issuer.pcap", [("baseline.issuer_changed", S, 0)])
# with GeoIP: the client's new address is in another country / another ASN
geo = ["--geoip-db", COUNTRY, "--asn-db", ASN]
st = os.path.join(W, "state-c.db")
baseline_step(st, MTLS, [], geo)
baseline_step(st, "mitm-tls13-mtls.pcap", [("baseline.cert_changed", S, 0),
                                          ("baseline.client_new_country", C, 0)], geo)
geo_us = ["--geoip-db", mmdb("country-us.mmdb", "country", NETS_C[:2] + ["2001:db8:1::/48=US"]),
          "--asn-db", ASN]
st = os.path.join(W, "state-d.db")
baseline_step(st, MTLS, [], geo_us)
baseline_step(st, "mitm-tls13-mtls.pcap", [("baseline.cert_changed", S, 0),
                                          ("baseline.client_new_asn", C, 0)], geo_us)

# ---- 5. --check-rules ------------------------------------------------------------------

r = subprocess.run([SENSOR, "--check-rules", RULES], capture_output=True, text=True)
if r.returncode != 0 or r.stdout != RULES + ": OK\n":
    fail("--check-rules on a good file: exit %d, stdout %r, stderr %r"
         % (r.returncode, r.stdout, r.stderr))
BAD = write("bad.rules", """alert tls any any -> any any (msg:"fine"; tls.sni; content:"a"; sid:1;)
# the next rule starts on line 3 and uses a keyword the subset does not have
alert tls any any -> any any (msg:"regex"; tls.sni; \\
    pcre:"/evil/"; sid:2;)
""")
want_err = "certsensor: %s:3: unsupported keyword 'pcre'\n" % BAD
r = subprocess.run([SENSOR, "--check-rules", BAD], capture_output=True, text=True)
if r.returncode != 1 or r.stdout != "" or r.stderr != want_err:
    fail("--check-rules on a bad file: exit %d, stdout %r, stderr %r (expected exit 1, %r)"
         % (r.returncode, r.stdout, r.stderr, want_err))
# the same file at start-up is a usage error, with the same message
r = subprocess.run([SENSOR, "-r", "pcaps/" + CHAIN, "--rules", BAD, "-o", os.devnull],
                   capture_output=True, text=True)
if r.returncode != 2 or r.stderr != want_err:
    fail("--rules with a bad file: exit %d, stderr %r" % (r.returncode, r.stderr))

# every certificate check of rules/*.h was made to fire somewhere above
ALL = """chain.order chain.duplicate chain.name chain.signature chain.keyid trust.untrusted_root
trust.missing_intermediate trust.invalid validity.expired validity.not_yet_valid validity.too_long
leaf.self_signed key.weak sig.md5 sig.sha1 hostname.mismatch pin.violation pin.rotation_used
intercept.known_issuer blocklist.cert_sha1 blocklist.cert_sha256 blocklist.spki_sha256
blocklist.ja3 blocklist.ja4 rule geo.binding baseline.cert_changed baseline.issuer_changed
baseline.client_new_source baseline.client_new_asn baseline.client_new_country""".split()
if set(ALL) - covered:
    fail("checks never expected to fire: %s" % sorted(set(ALL) - covered))
print("%d distinct checks fired, each exactly where expected" % len(covered))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("all alert checks passed")
PY
