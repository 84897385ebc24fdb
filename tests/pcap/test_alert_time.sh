#!/usr/bin/env bash
# Validity is judged at each session's own capture time, also when the same
# chain and SNI were judged shortly before (the sensor memoises the chain,
# trust and hygiene findings per chain, SNI and hour of capture time).
#
# expired-leaf.pcap's leaf expires 2024-12-31T23:30:00Z. The capture is replayed
# twice in one sensor run, shifted to start at 23:10:00 and at 23:50:00 that day:
# one clock hour, the leaf valid in the first session and expired in the
# second. Expected: validity.expired on server #0 in the second session only,
# exactly as when the 23:50 session is read alone. (int-ec is valid from
# 2025-01-01, so both sessions also carry validity.not_yet_valid on #1.)
#
#   bash tests/pcap/test_alert_time.sh BUILD_DIR TMPDIR [SHARED_DIR]
set -eu
B=$1 TMP=$2
exec python3 - "$B" "$TMP" <<'PY'
import calendar, json, os, struct, subprocess, sys

B, TMP = sys.argv[1], sys.argv[2]
W = os.path.join(TMP, "alert-time")
os.makedirs(W, exist_ok=True)
src = open("pcaps/expired-leaf.pcap", "rb").read()
assert src[:4] == b"\xd4\xc3\xb2\xa1"


def shifted(start):
    """the capture's records, moved so its first packet is at `start` (UTC seconds)"""
    out, off, delta = [], 24, None
    while off < len(src):
        sec, usec, incl, orig = struct.unpack("<IIII", src[off:off + 16])
        if delta is None:
            delta = start - sec
        out.append(struct.pack("<IIII", sec + delta, usec, incl, orig) + src[off + 16:off + 16 + incl])
        off += 16 + incl
    return b"".join(out)


t1 = calendar.timegm((2024, 12, 31, 23, 10, 0))
t2 = calendar.timegm((2024, 12, 31, 23, 50, 0))
both, late = os.path.join(W, "both.pcap"), os.path.join(W, "late.pcap")
with open(both, "wb") as fh:
    fh.write(src[:24] + shifted(t1) + shifted(t2))
with open(late, "wb") as fh:
    fh.write(src[:24] + shifted(t2))


def sessions(path):
    r = subprocess.run([os.path.join(B, "certsensor"), "-r", path, "--ca-file",
                        "pcaps/certgen-roots.pem", "--no-stats", "-o", "-"],
                       capture_output=True, text=True, check=True)
    out = {}
    for line in r.stdout.splitlines():
        ev = json.loads(line)
        s = out.setdefault(ev["flow_id"], {"start": None, "alerts": []})
        if ev["event_type"] == "tls":
            s["start"] = ev["timestamp"][:19]
        elif ev["event_type"] == "alert" and ev["alert"]["check"].startswith("validity."):
            s["alerts"].append("%s #%d" % (ev["alert"]["check"], ev["alert"]["chain_index"]))
    return [(s["start"], sorted(s["alerts"])) for _, s in sorted(out.items())]


want_late = ["validity.expired #0", "validity.not_yet_valid #1"]
alone = sessions(late)
assert alone == [("2024-12-31T23:50:00", want_late)], alone
got = sessions(both)
want = [("2024-12-31T23:10:00", ["validity.not_yet_valid #1"]), ("2024-12-31T23:50:00", want_late)]
if got != want:
    print("sessions (start, validity alerts):\n  got      %s\n  expected %s" % (got, want))
    print("the 23:50 session alone gets %s: its expiry is missed when the 23:10 session's "
          "findings are replayed (sensor/detect.c memo_key: hour of capture time)" % alone[0][1])
    sys.exit(1)
print("expiry judged per session within one hour:", got)
PY
