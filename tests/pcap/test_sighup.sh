#!/usr/bin/env bash
# SIGHUP reloads every rule input between two packets; a broken new set keeps
# the old one. Deterministic and offline; nothing waits on a timer.
#
# The CLI looks at the reload flag after every 4096th packet it reads. The test
# feeds one pcap stream on stdin: session A (tls12-chain), filler frames up to
# packet 4095, then (rules file rewritten, SIGHUP) packet 4096 and session B
# (hostname-mismatch), filler up to 8191, (broken rules, SIGHUP) packet 8192 and
# session C (expired-leaf). Each SIGHUP is sent while the sensor sleeps in its
# read of the pipe (polled: nothing unread in the pipe, state S, wchan
# *pipe_read) and the next bytes are written only once the signal has been
# delivered (polled: no longer in SigPnd/ShdPnd), so the flag is set before
# packet 4096 (8192) can be read. Hence A is judged by rules v1, B by v2
# (reloaded) and C by v2 (v3 refused). The only other wait is for the handler
# to be installed (SigCgt).
#
# Sending the signal during a blocking pipe read is on purpose: a handler
# installed without SA_RESTART makes that read fail with EINTR, and the capture
# ends with "error reading dump file: Interrupted system call" (found with this
# test; a SIGHUP from logrotate must not end `tcpdump -w - | certsensor -r -`).
#
#   bash tests/pcap/test_sighup.sh BUILD_DIR TMPDIR [SHARED_DIR]
set -eu
B=$1 TMP=$2
exec python3 - "$B" "$TMP" <<'PY'
import fcntl, json, os, struct, subprocess, sys, termios, time

B, TMP = sys.argv[1], sys.argv[2]
W = os.path.join(TMP, "sighup")
os.makedirs(W, exist_ok=True)
os.chmod(W, 0o700)
RULES = os.path.join(W, "hup.rules")
PERIOD = 4096  # sensor/main.c: between() after every 4096th packet of a file


def put_rules(text):
    tmp = RULES + ".new"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, RULES)


def rule(sid, label):
    return ('alert tls any any -> any any (msg:"%s"; tls.sni; content:"www.example.test"; '
            "sid:%d; rev:1;)\n" % (label, sid))


def records(path, shift_s):
    data = open(path, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", path  # certgen: little-endian, microseconds
    out, off = [], 24
    while off < len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        out.append(struct.pack("<IIII", sec + shift_s, usec, incl, orig) + data[off + 16:off + 16 + incl])
        off += 16 + incl
    return data[:24], out


def filler(n, after):
    """n frames nobody parses: Ethernet, local experimental ethertype 0x88b5"""
    sec, usec = struct.unpack("<II", after[:8])
    frame = b"\x02\x00\x5e\x10\x00\x02\x02\x00\x5e\x10\x00\x01\x88\xb5" + bytes(46)
    return [struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame] * n


hdr, a = records("pcaps/tls12-chain.pcap", 0)
_, b = records("pcaps/hostname-mismatch.pcap", 1)
_, c = records("pcaps/expired-leaf.pcap", 2)
assert len(a) < PERIOD - 1 and len(b) < PERIOD - 1
put_rules(rule(1, "v1"))
p = subprocess.Popen([os.path.join(B, "certsensor"), "-r", "-", "--rules", RULES, "--ca-file",
                      "pcaps/certgen-roots.pem", "--no-stats", "-o", os.path.join(W, "out.jsonl")],
                     stdin=subprocess.PIPE, stderr=subprocess.PIPE)
deadline = time.monotonic() + 30
while True:  # the handler is installed after the rules load, before input is read
    with open("/proc/%d/status" % p.pid) as fh:
        st = dict(l.split(":", 1) for l in fh if ":" in l)
    if int(st["SigCgt"], 16) & 1:  # bit 0: SIGHUP
        break
    assert p.poll() is None and time.monotonic() < deadline, "SIGHUP handler never installed"
    time.sleep(0.01)
assert int(st["Threads"]) == 1, "one thread, so the handler runs in the reading thread"


def feed(recs):
    try:
        p.stdin.write(b"".join(recs))
        p.stdin.flush()
    except BrokenPipeError:  # the sensor stopped reading; its stderr says why
        pass


def wait_blocked():
    """Until the sensor has taken every byte written and sleeps (in its read of stdin):
    the hardest moment for a signal, which must not break the read."""
    deadline = time.monotonic() + 30
    while p.poll() is None and time.monotonic() < deadline:
        unread = struct.unpack("i", fcntl.ioctl(p.stdin.fileno(), termios.FIONREAD, b"\0" * 4))[0]
        with open("/proc/%d/stat" % p.pid) as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/%d/wchan" % p.pid) as fh:
            wchan = fh.read().strip()  # "anon_pipe_read" / "pipe_read"; "0" if not shown
        if unread == 0 and state == "S" and (wchan in ("", "0") or "pipe_read" in wchan):
            return
        time.sleep(0.01)


def hup():
    """SIGHUP, then wait until it has been delivered (no longer pending), so the
    sensor's read has either been restarted or has failed before more bytes come."""
    p.send_signal(1)
    deadline = time.monotonic() + 30
    while p.poll() is None and time.monotonic() < deadline:
        with open("/proc/%d/status" % p.pid) as fh:
            st = dict(l.split(":", 1) for l in fh if ":" in l)
        if not (int(st["ShdPnd"], 16) | int(st["SigPnd"], 16)) & 1:
            return
        time.sleep(0.01)


first = a + filler(PERIOD - 1 - len(a), a[-1])                      # packets 1 .. 4095
second = filler(1, a[-1]) + b
second += filler(2 * PERIOD - 1 - len(first) - len(second), b[-1])  # 4096 .. 8191
feed([hdr] + first)
put_rules(rule(2, "v2"))
wait_blocked()
hup()
feed(second)
put_rules("alert tls any any -> any any (msg:\"v3\"; tls.sni; pcre:\"/x/\"; sid:3;)\n")
wait_blocked()
hup()
feed(filler(1, b[-1]) + c)                                           # 8192 ..
try:
    p.stdin.close()
except BrokenPipeError:
    pass
err = p.stderr.read().decode()
rc = p.wait(timeout=60)
expect_err = ("certsensor: rules reloaded\n"
              "certsensor: %s:1: unsupported keyword 'pcre'\n"
              "certsensor: reload failed; the previous rules stay in force\n" % RULES)
problems = []
if rc != 0 or err != expect_err:
    problems.append("exit %d, stderr:\n%s\nexpected exit 0, stderr:\n%s" % (rc, err, expect_err))
    if "Interrupted system call" in err:
        problems.append("the SIGHUP interrupted the blocking read of -r - (EINTR): sensor/main.c "
                        "installs its SIGHUP handler without SA_RESTART")
seen = {}
for line in open(os.path.join(W, "out.jsonl")):
    ev = json.loads(line)
    if ev["event_type"] == "tls":
        seen.setdefault(ev["flow_id"], {"sni": ev["tls"]["sni"], "port": ev["src_port"], "sids": []})
    if ev["event_type"] == "alert" and ev["alert"]["check"] == "rule":
        seen.setdefault(ev["flow_id"], {"sids": []})["sids"].append(ev["alert"]["signature_id"])
got = [v["sids"] for _, v in sorted(seen.items())]
if got != [[1], [2], [2]]:
    problems.append("rule alerts per session (A, B, C): %s, expected [[1], [2], [2]]" % got)
if problems:
    print("\n".join(problems))
    sys.exit(1)
print("A judged by v1, B by v2 after SIGHUP, C by v2 after a refused reload")
PY
