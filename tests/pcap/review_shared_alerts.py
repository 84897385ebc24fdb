#!/usr/bin/env python3
"""Review aid for tests/pcap/golden/shared-alerts.tsv (not run by the suite).

usage: python3 tests/pcap/review_shared_alerts.py WORKDIR
       where WORKDIR is TMPDIR/shared-alerts of a run of
       `bash tests/pcap/shared_alerts.sh BUILD_DIR TMPDIR SHARED_DIR` (it holds
       events/<capture>.jsonl, certs/<sha256>.pem and corpus-roots.pem).

Recomputes the certificate checks for every certificate of every tls event,
without the sensor's analysis, and compares with the golden rows, so misses
show as well as false alarms:
  - validity.expired / not_yet_valid (capture time of the event), validity.too_long
    (server leaf > 398 days, notBefore..notAfter inclusive), leaf.self_signed,
    key.weak (RSA/DSA < 2048, EC < 224), sig.sha1 / sig.md5 (not self-signed),
    hostname.mismatch (SNI against dNSName SANs, else CN; RFC 6125 wildcards),
    chain.duplicate / order / name / signature / keyid: python3-cryptography (its own
    DER parser; signatures checked with the issuer's key directly);
  - trust.*: `openssl verify -no_check_time -partial_chain -purpose sslserver|sslclient
    -CAfile corpus-roots.pem -untrusted <rest of chain>` fails exactly for the
    chains with a trust alert.
Certificates python3-cryptography cannot parse are listed for a manual look.
Exit 0 when everything agrees.
"""
import collections, datetime, json, os, re, subprocess, sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

WD = sys.argv[1]
GOLDEN = "tests/pcap/golden/shared-alerts.tsv"
CERTS = os.path.join(WD, "certs")
ROOTS = os.path.join(WD, "corpus-roots.pem")


def load(sha):
    try:
        with open(os.path.join(CERTS, sha + ".pem"), "rb") as fh:
            return x509.load_pem_x509_certificate(fh.read())
    except Exception:
        return None


def when(s):
    return datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)


def signed_by(child, issuer):
    """True / False, or None when the algorithm is not one checked here (RSA-PSS, ...)"""
    try:
        pk, h = issuer.public_key(), child.signature_hash_algorithm
        if isinstance(pk, rsa.RSAPublicKey):
            if child.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.10":
                return None
            pk.verify(child.signature, child.tbs_certificate_bytes, padding.PKCS1v15(), h)
        elif isinstance(pk, ec.EllipticCurvePublicKey):
            pk.verify(child.signature, child.tbs_certificate_bytes, ec.ECDSA(h))
        elif isinstance(pk, dsa.DSAPublicKey):
            pk.verify(child.signature, child.tbs_certificate_bytes, h)
        else:
            return None
        return True
    except Exception:
        return False


def key_ids_differ(child, issuer):
    """authorityKeyIdentifier of child != subjectKeyIdentifier of issuer, both present"""
    try:
        aki = child.extensions.get_extension_for_oid(
            ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value.key_identifier
        ski = issuer.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
    except (x509.ExtensionNotFound, ValueError):
        return False
    return aki is not None and aki != ski


def self_signed(c):
    return c.subject == c.issuer and signed_by(c, c) is True


def host_match(pattern, host):
    p, h = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if p == h:
        return True
    return (p.startswith("*.") and p[2:].count(".") >= 1 and "." in h
            and h.split(".", 1)[1] == p[2:])


golden = collections.Counter()
for line in open(GOLDEN):
    if not line.startswith("#") and not line.startswith("file\t"):
        golden[tuple(line.rstrip("\n").split("\t"))] += 1

oracle, unparsed, verify_cache = collections.Counter(), set(), {}
trust_fail = collections.Counter()
for name in sorted(os.listdir(os.path.join(WD, "events"))):
    f = name[:-len(".jsonl")]
    for line in open(os.path.join(WD, "events", name)):
        ev = json.loads(line)
        if ev["event_type"] != "tls":
            continue
        t, flow, tls = when(ev["timestamp"]), str(ev["flow_id"]), ev["tls"]
        for role in ("server", "client"):
            certs = tls.get(role + "_certs", [])
            xs = [load(c["sha256"]) for c in certs]

            def add(check, i):
                oracle[(f, flow, role, str(i), check, certs[i]["sha256"])] += 1

            for i, (cj, c) in enumerate(zip(certs, xs)):
                if c is None:
                    unparsed.add((f, cj["sha256"]))
                    continue
                nb, na = c.not_valid_before_utc, c.not_valid_after_utc
                if t > na:
                    add("validity.expired", i)
                if t < nb:
                    add("validity.not_yet_valid", i)
                if i == 0 and role == "server" and (na - nb).total_seconds() + 1 > 398 * 86400:
                    add("validity.too_long", i)
                if i == 0 and role == "server" and self_signed(c):
                    add("leaf.self_signed", i)
                pk = c.public_key()
                if (isinstance(pk, (rsa.RSAPublicKey, dsa.DSAPublicKey)) and pk.key_size < 2048
                        or isinstance(pk, ec.EllipticCurvePublicKey) and pk.key_size < 224):
                    add("key.weak", i)
                try:
                    h = c.signature_hash_algorithm
                except Exception:
                    h = None
                if not self_signed(c) and isinstance(h, hashes.SHA1):
                    add("sig.sha1", i)
                if not self_signed(c) and isinstance(h, hashes.MD5):
                    add("sig.md5", i)
            # chain linkage, in sent order, repeats skipped
            first, eff = {}, []
            for i, cj in enumerate(certs):
                if cj["sha256"] in first:
                    add("chain.duplicate", i)
                else:
                    first[cj["sha256"]] = i
                    eff.append(i)
            order = None
            for a, b in zip(eff, eff[1:]):
                A, Bc = xs[a], xs[b]
                if A is None or Bc is None:
                    continue
                if A.issuer == Bc.subject and key_ids_differ(A, Bc):
                    add("chain.keyid", a)
                if A.issuer == Bc.subject and signed_by(A, Bc) is not False:
                    continue
                if A.issuer == A.subject:
                    order = b if order is None else order
                    continue
                alts = [c for c in eff if c not in (a, b) and xs[c] is not None
                        and xs[c].subject == A.issuer]
                good = [c for c in alts if signed_by(A, xs[c])]
                if not good and A.issuer == Bc.subject:
                    add("chain.signature", a)
                elif alts:
                    order = a if order is None else order
                    if signed_by(A, xs[(good or alts)[0]]) is False:
                        add("chain.signature", a)
                else:
                    add("chain.name", a)
            if order is not None:
                add("chain.order", order)
            if role == "server" and certs and xs[0] is not None and tls.get("sni"):
                try:
                    dns = xs[0].extensions.get_extension_for_oid(
                        ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value.get_values_for_type(x509.DNSName)
                except x509.ExtensionNotFound:
                    dns = []
                except ValueError:  # an extension python3-cryptography refuses
                    dns = None
                    unparsed.add((f, certs[0]["sha256"] + " (extensions)"))
                names = dns or [a.value for a in xs[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
                if dns is not None and not any(host_match(n, tls["sni"]) for n in names):
                    add("hostname.mismatch", 0)
            # trust: does openssl verify the chain against the same roots?
            if certs and certs[0].get("parsed"):
                key = (role, tuple(c["sha256"] for c in certs))
                if key not in verify_cache:
                    rest = "".join(open(os.path.join(CERTS, s + ".pem")).read() for s in key[1][1:])
                    unt = os.path.join(WD, "review-untrusted.pem")
                    with open(unt, "w") as fh:
                        fh.write(rest)
                    cmd = ["openssl", "verify", "-no_check_time", "-partial_chain", "-purpose",
                           "sslserver" if role == "server" else "sslclient", "-CAfile", ROOTS]
                    if rest:
                        cmd += ["-untrusted", unt]
                    r = subprocess.run(cmd + [os.path.join(CERTS, key[1][0] + ".pem")],
                                       capture_output=True, text=True)
                    m = re.search(r"error (\d+) at (\d+) depth lookup: (.*)", r.stdout + r.stderr)
                    verify_cache[key] = None if r.returncode == 0 else (m.groups() if m else ("?",) * 3)
                if verify_cache[key] is not None:
                    trust_fail[(f, flow, role)] += 1

bad = 0
for check in ("validity.expired", "validity.not_yet_valid", "validity.too_long", "leaf.self_signed",
              "key.weak", "sig.sha1", "sig.md5", "hostname.mismatch", "chain.duplicate",
              "chain.order", "chain.name", "chain.signature", "chain.keyid"):
    g = collections.Counter({k: n for k, n in golden.items() if k[4] == check})
    o = collections.Counter({k: n for k, n in oracle.items() if k[4] == check})
    print("%-24s golden %3d  recomputed %3d" % (check, sum(g.values()), sum(o.values())))
    for k in sorted(set(g) | set(o)):
        if g[k] != o[k]:
            bad += 1
            print("    differs: %s golden %d recomputed %d" % ("\t".join(k), g[k], o[k]))
g = collections.Counter()
for k, n in golden.items():
    if k[4].startswith("trust."):
        g[k[:3]] += n
print("%-24s golden %3d  openssl verify fails %3d" % ("trust.* (chains)", sum(g.values()),
                                                     sum(trust_fail.values())))
for k in sorted(set(g) | set(trust_fail)):
    if g[k] != trust_fail[k]:
        bad += 1
        print("    differs: %s golden %d openssl %d" % ("\t".join(k), g[k], trust_fail[k]))
for f, sha in sorted(unparsed):
    print("not parsed by python3-cryptography, check by hand: %s %s" % (f, sha))
sys.exit(1 if bad else 0)
