#!/usr/bin/env python3
"""Cross-check a certgen corpus against tshark, an extractor that shares no code
with certgen or the sensor.

usage: tests/gen/check_tshark.py DIR        (e.g. pcaps)

For every capture in DIR/MANIFEST.tsv:
  - the file's SHA-256 matches the manifest;
  - tshark (with DIR/<capture>.keys when present, or the Decryption Secrets
    Blocks of a pcapng file, out-of-order reassembly on) extracts every
    certificate; each is hashed here and the multiset of
    (file, frame, tcp_stream, src, sport, dst, dport, sender, msg_index,
    chain_index, der_len, sha1, sha256) must equal DIR/expected.jsonl;
  - "decrypted": tshark without any secrets (no key log; a pcapng copy made by
    `editcap --discard-all-secrets`) sees exactly the certificates marked
    "decrypted": false, by (frame, sender, chain_index, sha256);
  - subject, issuer and serial match `openssl x509 -nameopt RFC2253` on the DER;
  - the Certificate-message count matches the manifest;
  - no IP/TCP checksum is wrong and no packet is malformed.
Exit 0 if everything matches, 1 otherwise.
"""
import collections, hashlib, json, os, subprocess, sys, tempfile

TSHARK = ["tshark", "-n", "-o", "tcp.reassemble_out_of_order:TRUE",
          "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"]


def tshark(path, keys, dfilter, fields):
    cmd = TSHARK + ["-r", path, "-o", "tls.keylog_file:" + (keys or "")]
    cmd += ["-Y", dfilter, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def openssl_fields(der):
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-issuer",
                          "-serial", "-nameopt", "RFC2253"], input=der, check=True,
                         capture_output=True).stdout.decode()
    f = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        f[k.strip()] = v.strip()
    serial = f["serial"].lower().lstrip("0") or "0"
    return f["subject"], f["issuer"], serial


def visible_without_secrets(path, servers):
    """(frame, sender, chain_index, sha256) of every certificate tshark sees with no
    key log and, for pcapng, with the Decryption Secrets Blocks removed."""
    with tempfile.TemporaryDirectory() as tmp:
        if path.endswith(".pcapng"):
            bare = os.path.join(tmp, "bare.pcapng")
            subprocess.run(["editcap", "--discard-all-secrets", path, bare], check=True,
                           capture_output=True)
            path = bare
        seen = collections.Counter()
        for frame, stream, s4, s6, sport, certs in tshark(
                path, None, "tls.handshake.certificate",
                ["frame.number", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport",
                 "tls.handshake.certificate"]):
            sender = "server" if (stream, s4 or s6, sport) in servers else "client"
            for ci, hexder in enumerate(certs.split("|")):
                der = bytes.fromhex(hexder.replace(":", ""))
                seen[(int(frame), sender, ci, hashlib.sha256(der).hexdigest())] += 1
        return seen


def check_capture(d, name, row, expected):
    problems = []
    path = os.path.join(d, name)
    keys = path + ".keys" if os.path.exists(path + ".keys") else None
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if sha != row[4]:
        problems.append(f"sha256 {sha} != manifest {row[4]}")

    bad = tshark(path, keys, "tcp.checksum.status != 1 || (ip && ip.checksum.status != 1) "
                 "|| _ws.malformed", ["frame.number"])
    if bad:
        problems.append(f"bad checksum or malformed in frames {[b[0] for b in bad]}")

    servers = set()
    for stream, s4, s6, port in tshark(path, keys, "tcp.flags.syn == 1 && tcp.flags.ack == 1",
                                       ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport"]):
        servers.add((stream, s4 or s6, port))

    got = collections.Counter()
    msg_index = 0
    rows = tshark(path, keys, "tls.handshake.certificate",
                  ["frame.number", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst",
                   "ipv6.dst", "tcp.dstport", "tls.handshake.certificates_length",
                   "tls.handshake.certificate"])
    names = {}
    for frame, stream, s4, s6, sport, d4, d6, dport, lists, certs in rows:
        if len(lists.split("|")) != 1:
            problems.append(f"frame {frame}: several Certificate messages, not handled here")
            continue
        src, dst = s4 or s6, d4 or d6
        sender = "server" if (stream, src, sport) in servers else "client"
        for ci, hexder in enumerate(certs.split("|")):
            der = bytes.fromhex(hexder.replace(":", ""))
            sha256 = hashlib.sha256(der).hexdigest()
            got[(name, int(frame), int(stream), src, int(sport), dst, int(dport), sender,
                 msg_index, ci, len(der), hashlib.sha1(der).hexdigest(), sha256)] += 1
            names[sha256] = openssl_fields(der)
        msg_index += 1
    if str(msg_index) != row[7]:
        problems.append(f"tshark sees {msg_index} Certificate messages, manifest says {row[7]}")

    want = collections.Counter()
    for r in expected:
        want[(name, r["frame"], r["tcp_stream"], r["src"], r["sport"], r["dst"], r["dport"],
              r["sender"], r["msg_index"], r["chain_index"], r["der_len"], r["sha1"],
              r["sha256"])] += 1
        if r["sha256"] in names and names[r["sha256"]] != (r["subject"], r["issuer"], r["serial"]):
            problems.append(f"{r['sha256'][:12]}: openssl says {names[r['sha256']]}")
    for k in want - got:
        problems.append(f"expected but tshark did not find: {k}")
    for k in got - want:
        problems.append(f"tshark found but not expected: {k}")

    clear = collections.Counter((r["frame"], r["sender"], r["chain_index"], r["sha256"])
                                for r in expected if not r["decrypted"])
    bare = visible_without_secrets(path, servers)
    for k in clear - bare:
        problems.append(f"decrypted: false, but tshark needs secrets to see it: {k}")
    for k in bare - clear:
        problems.append(f"decrypted: true, but tshark sees it without secrets: {k}")
    n = sum(want.values())
    dec = sum(1 for r in expected if r["decrypted"])
    return problems, n, dec


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    d = sys.argv[1]
    manifest = [l.rstrip("\n").split("\t") for l in open(os.path.join(d, "MANIFEST.tsv"))][1:]
    expected = collections.defaultdict(list)
    for line in open(os.path.join(d, "expected.jsonl")):
        r = json.loads(line)
        expected[r["file"]].append(r)
    failed = 0
    for row in manifest:
        problems, n, dec = check_capture(d, row[0], row, expected.pop(row[0], []))
        status = "ok" if not problems else "MISMATCH"
        print(f"{row[0]}: {status} ({n} certificates, {dec} of them decrypted with the key log)")
        for p in problems:
            print("   " + p)
        failed += bool(problems)
    for f in expected:
        print(f"{f}: in expected.jsonl but not in MANIFEST.tsv")
        failed += 1
    print("all captures match tshark" if not failed else f"{failed} capture(s) do not match")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
