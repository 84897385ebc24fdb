#!/usr/bin/env bash
# Every alert the sensor raises on the shared corpus (../shared/pcaps), under a
# fixed configuration, compared with the reviewed golden
# tests/pcap/golden/shared-alerts.tsv (one row per alert: file, flow, role,
# chain_index, check, certificate sha256; sorted).
#
#   bash tests/pcap/shared_alerts.sh BUILD_DIR TMPDIR SHARED_DIR           compare
#   bash tests/pcap/shared_alerts.sh BUILD_DIR TMPDIR SHARED_DIR --write   rewrite the rows
#
# (--write is what tests/pcap/regen.sh / `make goldens` runs; it keeps the golden's
# '#' header, the review notes, and refuses to finish while a check in the rows has
# no note there.)
#
# The configuration never depends on the machine:
#   - trust: --ca-file of the self-signed CA certificates found inside the captures
#     themselves (extracted, then selected by the openssl command: basicConstraints
#     CA:TRUE and `openssl verify -no_check_time -CAfile X X` succeeds), built in
#     TMPDIR, never the system bundle;
#   - --blocklist SHARED_DIR/pcaps/blocklists/ndpi-sha1_fingerprints.csv (shipped
#     with the corpus), --intercept-list rules/interception-issuers.txt;
#   - each capture's key log when it has one (NAME.keys), one sensor run per file.
set -eu
B=$1 TMP=$2 SHARED=$3 MODE=${4:-}
GOLDEN=tests/pcap/golden/shared-alerts.tsv
[ -d "$SHARED/pcaps" ] || { echo "shared corpus absent ($SHARED/pcaps): skipped"; exit 0; }
exec python3 - "$B" "$TMP" "$SHARED" "$GOLDEN" "$MODE" <<'PY'
import collections, json, os, re, subprocess, sys

B, TMP, SHARED, GOLDEN, MODE = sys.argv[1:6]
SENSOR = os.path.join(B, "certsensor")
CORPUS = os.path.join(SHARED, "pcaps")
W = os.path.join(TMP, "shared-alerts")
os.makedirs(W, exist_ok=True)
os.chmod(W, 0o700)
files = sorted(f for f in os.listdir(CORPUS) if f.endswith((".pcap", ".pcapng")))


def keys(f):
    k = os.path.join(CORPUS, f + ".keys")
    return ["--keylog", k] if os.path.exists(k) else []


# ---- the trust store: self-signed CAs that travel inside the captures ---------------
xdir = os.path.join(W, "certs")
for f in files:
    subprocess.run([SENSOR, "-r", os.path.join(CORPUS, f), "--extract-certs", xdir, "--no-stats",
                    "--ca-file", "pcaps/certgen-roots.pem", "-o", os.devnull] + keys(f),
                   check=False, capture_output=True, timeout=300)
roots = []
for name in sorted(os.listdir(xdir)):
    path = os.path.join(xdir, name)
    bc = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-ext", "basicConstraints"],
                        capture_output=True, text=True)
    if bc.returncode != 0 or "CA:TRUE" not in bc.stdout:
        continue
    v = subprocess.run(["openssl", "verify", "-no_check_time", "-CAfile", path, path],
                       capture_output=True, text=True)
    if v.returncode == 0:
        roots.append(open(path).read())
CA = os.path.join(W, "corpus-roots.pem")
with open(CA, "w") as fh:
    fh.write("".join(roots))
print("trust store: %d self-signed CA certificates from the corpus" % len(roots))

# ---- one run per capture ----------------------------------------------------------------
flags = ["--ca-file", CA, "--blocklist", os.path.join(CORPUS, "blocklists", "ndpi-sha1_fingerprints.csv"),
         "--intercept-list", "rules/interception-issuers.txt", "--no-stats", "-o", "-"]
rows = []
os.makedirs(os.path.join(W, "events"), exist_ok=True)
for f in files:
    r = subprocess.run([SENSOR, "-r", os.path.join(CORPUS, f)] + keys(f) + flags,
                       capture_output=True, text=True, timeout=300)
    if r.returncode not in (0, 1) or r.returncode == 1 and "certsensor: " not in r.stderr:
        raise SystemExit("%s: exit %d: %s" % (f, r.returncode, r.stderr))
    with open(os.path.join(W, "events", f + ".jsonl"), "w") as fh:  # for review_shared_alerts.py
        fh.write(r.stdout)
    for line in r.stdout.splitlines():
        ev = json.loads(line)
        if ev["event_type"] != "alert":
            continue
        a = ev["alert"]
        rows.append("\t".join([f, str(ev.get("flow_id", "-")), a.get("role") or "-",
                               str(a.get("chain_index", -1)), a["check"],
                               (a.get("cert") or {}).get("sha256", "-")]))
rows.sort()
HEAD = "file\tflow\trole\tchain_index\tcheck\tcert_sha256"
by_check = collections.Counter(r.split("\t")[4] for r in rows)
print("%d alerts: %s" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(by_check.items()))))

header = []
if os.path.exists(GOLDEN):
    header = [l for l in open(GOLDEN).read().splitlines() if l.startswith("#")]
# a note is "CHECK: ..." at the start of a header line or after a ';'
reviewed = {c for l in header for c in re.findall(r"(?:^#\s+|;\s*)([a-z][a-z0-9_.]*):", l)}
unreviewed = sorted(set(by_check) - reviewed)

if MODE == "--write":
    with open(GOLDEN, "w") as fh:
        fh.write("\n".join(header + [HEAD] + rows) + "\n")
    print("wrote %s" % GOLDEN)
    if unreviewed:
        raise SystemExit("no review note in the header of %s for: %s" % (GOLDEN, " ".join(unreviewed)))
    sys.exit(0)

want = [l for l in open(GOLDEN).read().splitlines() if l and not l.startswith("#")]
got = [HEAD] + rows
if got != want:
    import difflib
    print("alerts differ from %s (- golden, + now); regenerate with `make goldens` and review:"
          % GOLDEN)
    for d in list(difflib.unified_diff(want, got, lineterm="", n=0))[2:60]:
        print("  " + d)
    sys.exit(1)
if unreviewed:
    raise SystemExit("checks without a review note in %s: %s" % (GOLDEN, " ".join(unreviewed)))
print("%d alert rows match %s" % (len(rows), GOLDEN))
PY
