#!/usr/bin/env python3
"""Compare certsensor's events on a hostile capture with what certgen recorded.

  hostile_check.py TRUTH.jsonl EVENTS.jsonl [--require-legit] [--expect COND]...

TRUTH is `certgen hostile`'s OUTDIR/<name>.truth.jsonl: a summary line, then one
line per TLS session whose certificates are known (4-tuple, server and client
SHA-256 lists, whether the server chain is longer than the sensor reports).
A session is found when a `tls` event of the same 4-tuple lists exactly those
certificates (and says server_chain_truncated when the truth does).

Prints, per kind of session, how many were found, then the counters that say
why things were dropped. --require-legit: exit 1 unless every session marked
"must" was found. --expect NAME==N, NAME>N, NAME<N (a stats counter): exit 1
unless it holds. Without options it only prints (the benchmark's use)."""
import argparse
import collections
import json
import re
import sys

COUNTERS = [
    "packets", "packets_truncated", "packets_invalid", "flows_created", "flows_evicted",
    "flows_timeout", "flows_active", "flows_bypassed", "flows_no_tls", "tcp_segments_ooo",
    "tcp_retransmits", "tcp_overlaps_differ", "tcp_gaps", "tcp_gap_bytes",
    "tcp_reasm_limit_drops", "tcp_reasm_bytes_peak", "tls_sessions", "tls_records_malformed",
    "tls_handshake_too_large", "tls_handshake_malformed", "tls_chain_truncated", "certs_seen",
    "certs_unparsed", "memcap_hits", "mem_peak", "anomalies",
]


def load(truth_path, events_path):
    lines = [json.loads(l) for l in open(truth_path) if l.strip()]
    summary = lines[0] if lines and lines[0].get("what") == "summary" else {}
    want = [l for l in lines if l.get("what") != "summary"]
    events = collections.defaultdict(list)
    stats = None
    for line in open(events_path):
        ev = json.loads(line)
        if ev.get("event_type") == "tls":
            events[(ev["src_ip"], ev["src_port"], ev["dest_ip"], ev["dest_port"])].append(ev["tls"])
        elif ev.get("event_type") == "stats":
            stats = ev["stats"]
    return summary, want, events, stats


def found(w, events):
    for t in events.get((w["src_ip"], w["src_port"], w["dest_ip"], w["dest_port"]), []):
        if ([c["sha256"] for c in t.get("server_certs", [])] == w["server_certs"]
                and [c["sha256"] for c in t.get("client_certs", [])] == w["client_certs"]
                and bool(t.get("server_chain_truncated")) == w["server_chain_truncated"]):
            return True
    return False


def check(expr, stats):
    m = re.fullmatch(r"([a-z0-9_]+)(==|>|<)(\d+)", expr)
    if not m:
        raise SystemExit(f"hostile_check: bad --expect {expr!r} (NAME==N, NAME>N or NAME<N)")
    name, op, n = m.group(1), m.group(2), int(m.group(3))
    if name not in stats:
        return False, f"{name} missing"
    v = stats[name]
    ok = v == n if op == "==" else v > n if op == ">" else v < n
    return ok, f"{name} = {v} (want {op}{n})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("events")
    ap.add_argument("--require-legit", action="store_true")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--indent", default="  ")
    a = ap.parse_args()
    summary, want, events, stats = load(a.truth, a.events)
    ind = a.indent
    bad = []
    if stats is None:
        print(f"{ind}no stats event: the sensor did not finish")
        sys.exit(1)
    groups = collections.OrderedDict()
    for w in want:
        g = groups.setdefault(w["what"], [0, 0, w["must"], []])
        g[1] += 1
        if found(w, events):
            g[0] += 1
        else:
            g[3].append(f'{w["src_ip"]}:{w["src_port"]}')
    for what, (n_found, n, must, missing) in groups.items():
        note = "" if must else " (not required: the bytes break the RFC or were cut)"
        print(f"{ind}{what}: {n_found}/{n} sessions with all their certificates{note}")
        if must and n_found < n:
            print(f"{ind}  MISSING: {' '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
            bad.append(what)
    print(f"{ind}counters: " + ", ".join(f"{k} {stats[k]}" for k in COUNTERS
                                          if stats.get(k)))
    for e in a.expect:
        ok, text = check(e, stats)
        if not ok:
            print(f"{ind}EXPECTED {text}")
            bad.append(e)
    if bad and (a.require_legit or a.expect):
        sys.exit(1)
    if bad:
        print(f"{ind}LOST sessions that must be found: {', '.join(bad)}")
        sys.exit(3)


if __name__ == "__main__":
    main()
