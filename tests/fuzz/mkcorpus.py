#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut from the project's own captures.

    tests/fuzz/mkcorpus.py [PCAP_DIR]        (default: pcaps)

Reads only the captures made by tests/gen (pcaps/*.pcap and the key log
pcaps/tls13.pcap.keys) and writes seed files named seed-* into
tests/fuzz/corpus/<target>/, replacing earlier seed-* files and leaving every
other file (inputs libFuzzer found and merged) alone. Needs tshark (stream
reassembly, TLS 1.3 decryption with the key log, handshake and certificate
bytes); packets are read from the classic pcap files directly.

Each file is in the input layout its target's header comment describes:
  tls_record   [flags][split:2] one direction's TCP stream
  tls_hs       one handshake message body (ClientHello, ServerHello,
               Certificate, CertificateRequest; TLS 1.3 ones decrypted)
  x509         one certificate DER
  decode       [link type selector] one frame, in every supported link type
               and tunnel the decoder follows (built around real frames)
  keylog       [split:2][store size] key log text
  tls_decrypt  [flags][suite:2][seq:2] secret, records (real keys and records
               from tls13.pcap; TLS 1.2 records with a made-up master secret)
  feed         [link flags][time step] then [len:2][frame] per packet (with a
               key log, the first [len:2][bytes] is the key log: step bit 6)
"""
import glob
import hashlib
import json
import os
import struct
import subprocess
import sys

# captures that differ from tls12-chain in TCP segmentation only
TCP_TRICKS = {"tls12-reorder", "tls12-retransmit", "tls12-tiny-segments"}
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


# ---- pcap and stream input -------------------------------------------------

def read_pcap(path):
    """Frames of a classic pcap (either byte order), as (linktype, bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit(f"mkcorpus: {path}: not a classic pcap file")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + caplen])
        off += caplen
    return linktype, frames


def tshark(args):
    r = subprocess.run(["tshark"] + args, capture_output=True, check=True)
    return r.stdout.decode()


def streams(pcap):
    """(client bytes, server bytes) of TCP stream 0, reassembled by tshark."""
    out = tshark(["-r", pcap, "-q", "-z", "follow,tcp,raw,0"])
    cli, srv = bytearray(), bytearray()
    started = False
    for line in out.splitlines():
        if line.startswith("Node 1:"):
            started = True
            continue
        if not started or not line.strip() or line.startswith("="):
            continue
        (srv if line.startswith("\t") else cli).extend(bytes.fromhex(line.strip()))
    return bytes(cli), bytes(srv)


def tls_start(stream):
    """Offset of the first plausible TLS record header (STARTTLS streams)."""
    for i in range(len(stream) - 5):
        if stream[i] in (20, 21, 22, 23) and stream[i + 1] == 3 and stream[i + 2] <= 4:
            return i
    return len(stream)


def records(stream):
    """TLS records of a stream as (type, whole record bytes)."""
    out, i = [], tls_start(stream)
    while i + 5 <= len(stream):
        n = struct.unpack(">H", stream[i + 3:i + 5])[0]
        out.append((stream[i], stream[i:i + 5 + n]))
        i += 5 + n
    return out


class Pairs(list):
    """A JSON object as its list of (key, value) pairs, duplicates kept."""


def raw_fields(pcap, keys, name):
    """Every value of tshark field `name`, as bytes (TLS 1.3 decrypted)."""
    args = ["-r", pcap, "-T", "json", "-x"]
    if keys:
        args += ["-o", "tls.keylog_file:" + keys]
    found = []

    def walk(o):
        if isinstance(o, Pairs):
            for k, v in o:
                if k == name + "_raw":
                    collect(v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    def collect(v):
        # [hex, offset, length, bitmask, type] or a list of those
        if isinstance(v, list) and v and isinstance(v[0], str):
            found.append(bytes.fromhex(v[0]))
        elif isinstance(v, list):
            for x in v:
                collect(x)

    # tshark repeats a key within one object for repeated fields: keep them all
    walk(json.loads(tshark(args), object_pairs_hook=Pairs))
    return found


def keylog(path, client_random):
    """{label: secret} of the key log lines for one client random."""
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[1] == client_random.hex():
                out.setdefault(parts[0], bytes.fromhex(parts[2]))
    return out


def server_hello_info(msg):
    """(suite, extension types) of a ServerHello message (with its header)."""
    c = 4 + 2 + 32
    c += 1 + msg[c]
    suite = struct.unpack(">H", msg[c:c + 2])[0]
    c += 3
    types = []
    if c + 2 <= len(msg):
        end = c + 2 + struct.unpack(">H", msg[c:c + 2])[0]
        c += 2
        while c + 4 <= end:
            t, n = struct.unpack(">HH", msg[c:c + 4])
            types.append(t)
            c += 4 + n
    return suite, types


# ---- frame building (decode seeds) -----------------------------------------

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(proto, payload, src=b"\xc0\x00\x02\x01", dst=b"\xc6\x33\x64\x01", frag=0):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, frag, 64, proto, 0, src, dst)
    return h[:10] + struct.pack(">H", csum(h)) + h[12:] + payload


def ipv6(next_hdr, payload):
    src = bytes.fromhex("20010db8000100000000000000000001")
    dst = bytes.fromhex("20010db8000200000000000000000001")
    return struct.pack(">IHBB", 6 << 28, len(payload), next_hdr, 64) + src + dst + payload


def udp(dport, payload):
    return struct.pack(">HHHH", 40000, dport, 8 + len(payload), 0) + payload


def ether(ethertype, payload):
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack(">H", ethertype) + payload


def strip_link(frame):
    """The IP packet inside an Ethernet frame (VLAN tags skipped), or None."""
    i, et = 12, struct.unpack(">H", frame[12:14])[0]
    while et in (0x8100, 0x88A8, 0x9100):
        i += 4
        et = struct.unpack(">H", frame[i:i + 2])[0]
    if et not in (0x0800, 0x86DD):
        return None
    return frame[i + 2:]


# ---- seeds per target ------------------------------------------------------

class Seeds:
    def __init__(self):
        self.files = {}

    def add(self, target, name, data):
        files = self.files.setdefault(target, {})
        if data in files.values():
            return
        name, k = "seed-" + name, 2
        while name in files:  # e.g. a second Certificate message in one capture
            name = name.rstrip("0123456789").rstrip("-") + f"-{k}"
            k += 1
        files[name] = data

    def write(self):
        total = 0
        for target, files in sorted(self.files.items()):
            d = os.path.join(OUT, target)
            os.makedirs(d, exist_ok=True)
            for old in glob.glob(os.path.join(d, "seed-*")):
                os.remove(old)
            for name, data in sorted(files.items()):
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            size = sum(len(x) for x in files.values())
            total += size
            print(f"  {target:12} {len(files):3} seeds {size:7} bytes")
        print(f"  {'total':12}     {total:13} bytes")


# ---- TLS 1.3 record protection (which records a secret opens) ---------------

def hkdf_expand_label(hash_name, secret, label, length):
    """RFC 8446 7.1 HKDF-Expand-Label with an empty context."""
    import hmac
    full = b"tls13 " + label
    info = struct.pack(">H", length) + bytes([len(full)]) + full + b"\0"
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), hash_name).digest()
        out += t
        i += 1
    return out[:length]


def tls13_opens(suite, secret, recs):
    """How many leading records (seq 0, 1, ...) the traffic secret opens;
    None without pyca/cryptography or for a suite not listed here."""
    try:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
    except ImportError:
        return None
    table = {0x1301: ("sha256", 16, AESGCM), 0x1302: ("sha384", 32, AESGCM),
             0x1303: ("sha256", 32, ChaCha20Poly1305), 0x1304: ("sha256", 16, AESCCM)}
    if suite not in table:
        return None
    hash_name, key_len, aead = table[suite]
    key = hkdf_expand_label(hash_name, secret, b"key", key_len)
    iv = hkdf_expand_label(hash_name, secret, b"iv", 12)
    for seq, r in enumerate(recs):
        nonce = bytes(x ^ y for x, y in zip(iv, b"\0" * 4 + struct.pack(">Q", seq)))
        try:
            aead(key).decrypt(nonce, r[5:], r[:5])
        except InvalidTag:
            return seq
    return len(recs)


def keyed_decrypt_seeds(s, pcap):
    """tls_decrypt seeds from a capture and its key log: both directions;
    TLS 1.3 handshake and application secrets, each with its own records
    (plus one record of the next epoch, which must fail); TLS 1.2 the
    master secret with every record after the first ChangeCipherSpec."""
    base = os.path.basename(pcap)[:-5]
    hs = raw_fields(pcap, None, "tls.handshake")
    ch = [m for m in hs if m[0] == 1][0]
    sh = [m for m in hs if m[0] == 2][-1]  # after a HelloRetryRequest, the real one
    crand, srand = ch[6:38], sh[6:38]
    suite, exts = server_hello_info(sh)
    sec = keylog(pcap + ".keys", crand)
    cli, srv = streams(pcap)
    su = struct.pack(">H", suite)
    if suite >> 8 == 0x13:
        for d, stream in (("client", cli), ("server", srv)):
            recs = [r for _, r in records(stream) if r[0] in (20, 23)]
            prot = [r for r in recs if r[0] == 23]
            ccs = [r for r in recs if r[0] == 20][:1]  # refused in 1.3: not protected
            hs_secret = sec[d.upper() + "_HANDSHAKE_TRAFFIC_SECRET"]
            n = tls13_opens(suite, hs_secret, prot)
            first = prot if n is None else prot[:n + 1]
            s.add("tls_decrypt", f"{base}-{d}-hs", b"\x01" + su + b"\0\0" + hs_secret
                  + b"".join(ccs + first))
            if n is not None:
                s.add("tls_decrypt", f"{base}-{d}-ap", b"\x01" + su + b"\0\0"
                      + sec[d.upper() + "_TRAFFIC_SECRET_0"] + b"".join(prot[n:]))
        return
    etm = 22 in exts  # RFC 7366 encrypt_then_mac (meaningful for CBC suites only)
    for d, stream, flag in (("client", cli, 0x04), ("server", srv, 0x14)):
        recs = records(stream)
        ccs = [i for i, (t, _) in enumerate(recs) if t == 20][0]
        after = b"".join(r for _, r in recs[ccs + 1:])
        s.add("tls_decrypt", f"{base}-{d}", bytes([flag | (0x08 if etm else 0)]) + su + b"\0\0"
              + sec["CLIENT_RANDOM"] + crand + srand + after)


# ---- TLS <= 1.2 records with known keys (tls_decrypt seeds) ------------------
# The captures carry no TLS 1.2 key log, so these records are made here, with
# a fixed master secret around the real randoms of tls12-chain, by an
# independent implementation (pyca/cryptography): RFC 5246 5 / RFC 2246 5
# PRF, 6.3 key block, 6.2.3 protection. Skipped when the module is missing.

def p_hash(name, secret, seed, n):
    import hmac
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, name).digest()
        out += hmac.new(secret, a + seed, name).digest()
    return out[:n]


def prf(version, secret, label, seed, n):
    if version == 0x0303:
        return p_hash("sha256", secret, label + seed, n)
    half = (len(secret) + 1) // 2
    md5 = p_hash("md5", secret[:half], label + seed, n)
    sha = p_hash("sha1", secret[len(secret) - half:], label + seed, n)
    return bytes(x ^ y for x, y in zip(md5, sha))


def tls12_records(kind, version, etm, master, crand, srand, plains):
    """Client-direction records protecting plains [(type, bytes)], seq 0.."""
    import hmac
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
    mac_name, mac_len, key_len, iv_len = {
        "gcm": (None, 0, 16, 4), "chacha": (None, 0, 32, 12),
        "cbc-sha1": ("sha1", 20, 16, 16), "cbc-sha256": ("sha256", 32, 16, 16)}[kind]
    kb = prf(version, master, b"key expansion", srand + crand,
             2 * (mac_len + key_len + iv_len))
    mac_key, kb = kb[:mac_len], kb[2 * mac_len:]
    key, kb = kb[:key_len], kb[2 * key_len:]
    iv = kb[:iv_len]
    ver = struct.pack(">H", version)
    out = b""
    for seq, (ctype, plain) in enumerate(plains):
        sq = struct.pack(">Q", seq)
        if kind == "gcm":
            aad = sq + bytes([ctype]) + ver + struct.pack(">H", len(plain))
            body = sq + AESGCM(key).encrypt(iv + sq, plain, aad)
        elif kind == "chacha":
            aad = sq + bytes([ctype]) + ver + struct.pack(">H", len(plain))
            nonce = bytes(x ^ y for x, y in zip(iv, b"\0" * 4 + sq))
            body = ChaCha20Poly1305(key).encrypt(nonce, plain, aad)
        else:
            def mac(data):
                return hmac.new(mac_key, sq + bytes([ctype]) + ver
                                + struct.pack(">H", len(data)) + data, mac_name).digest()
            rec_iv = iv if version == 0x0301 else hashlib.sha256(sq + key).digest()[:16]
            inner = plain if etm else plain + mac(plain)
            pad = 15 - len(inner) % 16
            inner += bytes([pad]) * (pad + 1)
            enc = Cipher(algorithms.AES(key), modes.CBC(rec_iv)).encryptor()
            ct = enc.update(inner) + enc.finalize()
            if version == 0x0301:
                iv = ct[-16:]  # TLS 1.0: the next record chains from this one
            else:
                ct = rec_iv + ct
            body = ct + mac(ct) if etm else ct
        out += bytes([ctype]) + ver + struct.pack(">H", len(body)) + body
    return out


def tls12_seeds(s, crand, srand):
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print("  (pyca/cryptography missing: no TLS 1.2 seeds with known keys)")
        return
    master = hashlib.sha384(b"certsensor fuzz master secret").digest()
    plains = [(22, b"\x14\x00\x00\x0c" + bytes(range(12))),
              (23, b"GET / HTTP/1.1\r\nHost: www.example.test\r\n\r\n"),
              (21, b"\x01\x00")]
    # (name, flags: version bits 1-2 and encrypt_then_mac bit 3, suite, kind, version)
    for name, flags, suite, kind, version in (
            ("gcm", 0x04, 0xC02F, "gcm", 0x0303),
            ("chacha", 0x04, 0xCCA8, "chacha", 0x0303),
            ("cbc-sha1-tls10", 0x00, 0x002F, "cbc-sha1", 0x0301),
            ("cbc-sha1-tls11", 0x02, 0xC013, "cbc-sha1", 0x0302),
            ("cbc-sha256-tls12", 0x04, 0x003C, "cbc-sha256", 0x0303),
            ("cbc-sha1-tls12-etm", 0x0C, 0xC013, "cbc-sha1", 0x0303)):
        recs = tls12_records(kind, version, bool(flags & 8), master, crand, srand, plains)
        s.add("tls_decrypt", "tls12-keys-" + name, bytes([flags]) + struct.pack(">H", suite)
              + b"\0\0" + master + crand + srand + recs)


# ---- certificates of every shape the analyser reports (x509 seeds) ----------
# The captures hold six certificates of two shapes; these add the SAN kinds,
# key types, name encodings and extensions x509_analyse() has code for.
# Made here with pyca/cryptography, fixed keys and dates (ECDSA signatures are
# randomised, so those files change when regenerated); skipped without it.

def x509_seeds(s):
    try:
        import datetime
        import ipaddress
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
        from cryptography.x509.oid import NameOID
    except ImportError:
        print("  (pyca/cryptography missing: no synthetic certificates)")
        return
    t0 = datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc)

    def name(cn, extra=()):
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] + list(extra)
        return x509.Name(attrs)

    def cert(tag, key, subject, issuer=None, sans=None, ca=False, sign_key=None, algo=None,
             serial=0x1234, not_after_days=365, ext=()):
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer or subject)
             .public_key(key.public_key()).serial_number(serial)
             .not_valid_before(t0).not_valid_after(t0 + datetime.timedelta(days=not_after_days)))
        if sans is not None:
            b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                            critical=False)
        sk = sign_key or key
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(sk.public_key()),
                            critical=False)
        for e in ext:
            b = b.add_extension(e, critical=False)
        c = b.sign(sk, algo)
        s.add("x509", "synth-" + tag, c.public_bytes(serialization.Encoding.DER))

    ec_key = ec.derive_private_key(0x5EED, ec.SECP256R1())
    cert("ec-sans", ec_key, name("sans.example.test"),
         sans=[x509.DNSName("a.example.test"), x509.DNSName("*.example.test"),
               x509.IPAddress(ipaddress.ip_address("192.0.2.1")),
               x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
               x509.RFC822Name("ops@example.test"),
               x509.UniformResourceIdentifier("https://example.test/x"),
               x509.DirectoryName(name("dir")),
               x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4"))],
         algo=hashes.SHA256())
    cert("ec-many-sans", ec_key, name("many.example.test"),
         sans=[x509.DNSName(f"h{i}.example.test") for i in range(70)], algo=hashes.SHA256())
    cert("ec384-ca-names", ec.derive_private_key(0x5EED2, ec.SECP384R1()),
         name("Ca, \"Quoted\" + <Name>; \u00e9\u4e2d\u200b",
              [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Org\x01\x7f"),
               x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
               x509.NameAttribute(NameOID.EMAIL_ADDRESS, "ca@example.test"),
               x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example")]),
         ca=True, algo=hashes.SHA384(), serial=(1 << 159) - 1, not_after_days=36500)
    cert("ed25519", ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
         name("ed25519.example.test"), sans=[x509.DNSName("ed.example.test")], algo=None)
    cert("ed448", ed448.Ed448PrivateKey.from_private_bytes(bytes(range(57))),
         name("ed448.example.test"), algo=None)
    cert("ec-usage", ec_key, name("usage.example.test"), issuer=name("Other CA"),
         sign_key=ec.derive_private_key(0x0CA, ec.SECP256R1()), algo=hashes.SHA512(), serial=1,
         ext=[x509.KeyUsage(True, False, True, False, False, False, False, False, False),
              x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH])])
    cert("long-name", ec_key, name("x" * 64, [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME,
                                                                 "u" * 64)] * 12),
         algo=hashes.SHA256())


def main():
    pdir = sys.argv[1] if len(sys.argv) > 1 else "pcaps"
    pcaps = sorted(glob.glob(os.path.join(pdir, "*.pcap")))
    if not pcaps:
        raise SystemExit(f"mkcorpus: no captures in {pdir}")
    s = Seeds()
    eth_frames = {}

    for pcap in pcaps:
        base = os.path.basename(pcap)[:-5]
        keys = pcap + ".keys" if os.path.exists(pcap + ".keys") else None
        lt, frames = read_pcap(pcap)
        if lt == 1:
            eth_frames[base] = frames
        # feed: every frame, Ethernet; time step 2^10 us. With a key log, the
        # key log first (step bit 6); the plain run only for tls13.pcap.
        pkts = b"".join(struct.pack(">H", len(f)) + f for f in frames) if lt == 1 else None
        if pkts and keys:
            with open(keys, "rb") as f:
                ktext = f.read()
            s.add("feed", base + "-keys", bytes([0, 0x40 | 10]) + struct.pack(">H", len(ktext))
                  + ktext + pkts)
        if pkts and (not keys or base == "tls13"):
            s.add("feed", base, bytes([0, 10]) + pkts)
        # the TCP tricks change segmentation only: their TLS bytes add nothing
        if base in TCP_TRICKS:
            continue

        cli, srv = streams(pcap)
        cli, srv = cli[tls_start(cli):], srv[tls_start(srv):]

        # tls_record: flags 0 (plain) for the client, want_protected for the server
        s.add("tls_record", base + "-client", bytes([0]) + struct.pack(">H", len(cli) // 2) + cli)
        s.add("tls_record", base + "-server", bytes([1]) + struct.pack(">H", len(srv) // 3) + srv)

        # tls_hs and x509
        for msg in raw_fields(pcap, keys, "tls.handshake"):
            if len(msg) >= 4 and msg[0] in (1, 2, 11, 13):
                name = {1: "ch", 2: "sh", 11: "cert", 13: "certreq"}[msg[0]]
                tag = "-dec" if keys else ""  # dissected with the key log
                s.add("tls_hs", f"{base}-{name}{tag}", msg[4:])
        for i, der in enumerate(raw_fields(pcap, keys, "tls.handshake.certificate")):
            s.add("x509", f"{base}-{i}", der)

        if lt != 1:
            continue
        # decode: the first SYN and the first data frame, as captured
        for f in frames[:1] + [f for f in frames if len(f) > 80][:1]:
            s.add("decode", f"{base}-eth-{len(f)}", bytes([0]) + f)

    # tls_record: a gap at the split, and the small handshake cap
    cli, srv = streams(os.path.join(pdir, "tls12-chain.pcap"))
    s.add("tls_record", "tls12-chain-server-gap", bytes([4]) + struct.pack(">H", 300) + srv)
    s.add("tls_record", "tls12-chain-server-smallcap", bytes([8]) + struct.pack(">H", 1000) + srv)

    # feed: raw IP and Ethernet alternating (link flags 0xaa: odd packets raw)
    frames = eth_frames["tls12-chain"]
    pkts = []
    for i, f in enumerate(frames):
        ip = strip_link(f) if i % 2 else f
        pkts.append(struct.pack(">H", len(ip)) + ip)
    s.add("feed", "tls12-chain-mixed", bytes([0xAA, 10]) + b"".join(pkts))

    # decode: every link type and tunnel around one real TCP/IPv4 data packet
    data = [f for f in eth_frames["tls12-chain"] if len(f) > 80][0]
    ip4 = strip_link(data)
    ip6 = strip_link([f for f in eth_frames["tls12-ipv6"] if len(f) > 80][0])
    sel = {"eth": 0, "raw": 1, "null": 2, "loop": 3, "sll": 4, "ipv4": 5, "ipv6": 6,
           "raw12": 7, "raw14": 8, "sll2": 9, "user0": 10}
    seeds = {
        "raw-v4": (sel["raw"], ip4),
        "raw-v6": (sel["raw"], ip6),
        "ipv4": (sel["ipv4"], ip4),
        "ipv6": (sel["ipv6"], ip6),
        "raw12": (sel["raw12"], ip4),
        "raw14": (sel["raw14"], ip6),
        "null-v4": (sel["null"], struct.pack("<I", 2) + ip4),
        "null-v6": (sel["null"], struct.pack("<I", 30) + ip6),
        "loop-v4": (sel["loop"], struct.pack(">I", 2) + ip4),
        "sll-v4": (sel["sll"], struct.pack(">HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", 0x0800)
                   + ip4),
        "sll2-v6": (sel["sll2"], struct.pack(">HHIHBB8s", 0x86DD, 0, 2, 1, 0, 6,
                                              b"\x02\0\0\0\0\x01\0\0") + ip6),
        "user0": (sel["user0"], ip4),
        "eth-qinq": (sel["eth"], ether(0x88A8, struct.pack(">HH", 10, 0x8100)
                                        + struct.pack(">HH", 20, 0x0800) + ip4)),
        "eth-mpls": (sel["eth"], ether(0x8847, struct.pack(">I", (16 << 12) | 0x100 | 64) + ip4)),
        "eth-pppoe": (sel["eth"], ether(0x8864, struct.pack(">BBHHH", 0x11, 0, 1, len(ip4) + 2,
                                                            0x0021) + ip4)),
        "ipip": (sel["raw"], ipv4(4, ip4)),
        "6in4": (sel["raw"], ipv4(41, ip6)),
        "v6-in-v6-ext": (sel["raw"], ipv6(0, bytes([41, 0]) + b"\0" * 6 + ip6)),
        "v6-frag-atomic": (sel["raw"], ipv6(44, bytes([6, 0, 0, 0]) + b"\0\0\0\1" + ip6[40:])),
        "v6-routing-dst": (sel["raw"], ipv6(43, bytes([60, 0, 0, 0]) + b"\0" * 4
                                             + bytes([6, 0]) + b"\0" * 6 + ip6[40:])),
        "v6-ah": (sel["raw"], ipv6(51, bytes([6, 1]) + b"\0" * 10 + ip6[40:])),
        "v4-frag": (sel["raw"], ipv4(6, ip4[20:60], frag=0x2000)),
        "gre": (sel["raw"], ipv4(47, struct.pack(">HH", 0x2000, 0x0800) + b"\0\0\0\7" + ip4)),
        "gre-teb": (sel["raw"], ipv4(47, struct.pack(">HH", 0, 0x6558) + data)),
        "vxlan": (sel["raw"], ipv4(17, udp(4789, b"\x08\0\0\0\0\0\x2a\0" + data))),
        "geneve": (sel["raw"], ipv4(17, udp(6081, struct.pack(">BBHI", 1, 0, 0x6558, 0x2a00)
                                              + b"\0\0\0\0" + data))),
        "gtpu": (sel["raw"], ipv4(17, udp(2152, struct.pack(">BBHI", 0x30, 0xFF, len(ip4), 7)
                                            + ip4))),
        "gtpu-ext": (sel["raw"], ipv4(17, udp(2152, struct.pack(">BBHI", 0x34, 0xFF, len(ip4) + 8, 7)
                                                + b"\0\0\0\x85" + b"\x01\0\0\0" + ip4))),
        "udp-other": (sel["raw"], ipv4(17, udp(53, b"\0" * 12))),
    }
    for name, (lt, frame) in seeds.items():
        s.add("decode", name, bytes([lt]) + frame)

    # keylog: the real file, CRLF with comments, TLS 1.2 lines, a full store
    kpath = os.path.join(pdir, "tls13.pcap.keys")
    with open(kpath, "rb") as f:
        ktext = f.read()
    s.add("keylog", "tls13", struct.pack(">H", len(ktext) // 2) + bytes([15]) + ktext)
    crlf = b"# key log\r\n\r\n" + ktext.replace(b"\n", b"\r\n")
    s.add("keylog", "tls13-crlf", struct.pack(">H", 100) + bytes([15]) + crlf)
    ch = [m for m in raw_fields(os.path.join(pdir, "tls12-chain.pcap"), None, "tls.handshake")
          if m[0] == 1][0]
    cr = ch[6:38].hex().encode()
    tls12 = (b"CLIENT_RANDOM " + cr + b" " + b"ab" * 48 + b"\n"
             b"CLIENT_RANDOM\t" + cr + b"\t" + b"ab" * 48 + b"\n"      # duplicate
             b"CLIENT_RANDOM " + cr + b" " + b"cd" * 48 + b"\n"        # conflict
             b"CLIENT_RANDOM " + cr[:-2] + b" " + b"cd" * 48 + b"\n"   # short random
             b"CLIENT_RANDOM " + cr + b" " + b"cd" * 47 + b"c\n"       # odd hex
             b"NOT_A_LABEL " + cr + b" " + b"00" * 32 + b"\n"
             b"EXPORTER_SECRET " + cr + b" " + b"00" * 32)             # no final newline
    s.add("keylog", "tls12-mixed", struct.pack(">H", 77) + bytes([15]) + tls12)
    s.add("keylog", "full-store", struct.pack(">H", 0) + bytes([0]) + ktext + tls12)

    # tls_decrypt: the real secrets and records of every capture with a key log
    for pcap in pcaps:
        if os.path.exists(pcap + ".keys"):
            keyed_decrypt_seeds(s, pcap)

    # tls_decrypt: TLS <= 1.2 records with known keys, every protection kind
    p = os.path.join(pdir, "tls12-chain.pcap")
    hs = raw_fields(p, None, "tls.handshake")
    tls12_seeds(s, [m for m in hs if m[0] == 1][0][6:38], [m for m in hs if m[0] == 2][0][6:38])

    x509_seeds(s)
    s.write()


if __name__ == "__main__":
    main()
