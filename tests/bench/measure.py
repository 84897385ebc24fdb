#!/usr/bin/env python3
"""Measure CPU seconds and peak RSS of the libpcap floor and of certsensor
on one capture, in the same run (median of --runs), and check the sensor's
certificate counts against the benchmark's tshark ground truth for base.pcap.
Prints figures; asserts nothing about time."""
import argparse, collections, json, os, statistics, subprocess, sys, time

RUNSTAT = None


def run(cmd, out=subprocess.DEVNULL):
    """CPU seconds and peak RSS (MiB) of cmd, measured by the runstat wrapper."""
    t0 = time.monotonic()
    p = subprocess.run([RUNSTAT] + cmd, stdout=out, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    err = p.stderr.decode(errors="replace")
    line = [l for l in err.splitlines() if l.startswith("runstat ")][-1]
    f = dict(kv.split("=") for kv in line.split()[1:])
    return float(f["cpu_s"]), int(f["maxrss_kib"]) / 1024.0, wall, int(f["rc"]), err


def certs_of(path):
    occ = collections.Counter()
    sessions = 0
    for line in open(path):
        ev = json.loads(line)
        if ev.get("event_type") != "tls":
            continue
        sessions += 1
        for role in ("server_certs", "client_certs"):
            for c in ev["tls"][role]:
                occ[c["sha256"]] += 1
    return sessions, occ


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cap", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--sensor", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--expected")
    ap.add_argument("--base")
    ap.add_argument("--extra", default="", help="extra sensor arguments")
    ap.add_argument("--runstat", required=True)
    a = ap.parse_args()
    global RUNSTAT
    RUNSTAT = a.runstat

    if a.expected and a.base and os.path.exists(a.expected):
        exp = json.load(open(a.expected))
        o = os.path.join(a.out, "base.jsonl")
        subprocess.run([a.sensor, "-r", a.base, "-o", o], check=True)
        sessions, occ = certs_of(o)
        want = {c["sha256"]: c["count"] for c in exp["certificates"]}
        ok = dict(occ) == want
        print(f"accuracy on base.pcap: {sum(occ.values())} certificate occurrences "
              f"({len(occ)} distinct) vs tshark {exp['certificate_entries_total']} "
              f"({exp['distinct_certificates']} distinct); per-certificate counts "
              f"{'match' if ok else 'DIFFER'}; {sessions} TLS sessions vs "
              f"{exp['handshakes_client_hello']} ClientHellos")

    size = os.path.getsize(a.cap)
    fl, se = [], []
    out = os.path.join(a.out, "bench.jsonl")
    extra = a.extra.split() if a.extra else []
    for _ in range(a.runs):
        fl.append(run([a.floor, a.cap]))
        se.append(run([a.sensor, "-r", a.cap, "-o", out] + extra))
        if se[-1][3] != 0:
            print("sensor failed:", se[-1][4], file=sys.stderr)
            sys.exit(1)
    f_cpu = statistics.median(x[0] for x in fl)
    s_cpu = statistics.median(x[0] for x in se)
    f_rss = max(x[1] for x in fl)
    s_rss = max(x[1] for x in se)
    s_wall = statistics.median(x[2] for x in se)
    sessions, occ = certs_of(out)
    stats = {}
    for line in open(out):
        ev = json.loads(line)
        if ev.get("event_type") == "stats":
            stats = ev["stats"]
    print(f"capture: {a.cap} ({size / 1e6:.0f} MB, {stats.get('packets', 0)} packets)")
    print(f"libpcap floor: cpu {f_cpu:.2f} s, peak RSS {f_rss:.1f} MiB")
    print(f"certsensor:    cpu {s_cpu:.2f} s ({s_cpu / f_cpu:.2f}x floor), wall {s_wall:.2f} s, "
          f"{size / 1e6 / s_wall:.0f} MB/s, peak RSS {s_rss:.1f} MiB "
          f"(sensor heap peak {stats.get('mem_peak', 0) / 1048576:.1f} MiB)")
    print(f"found: {sessions} TLS sessions, {sum(occ.values())} certificate occurrences, "
          f"{len(occ)} distinct; bypassed flows {stats.get('flows_bypassed')}, "
          f"bypassed packets {stats.get('packets_bypassed')}")


if __name__ == "__main__":
    main()
