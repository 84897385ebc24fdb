#!/usr/bin/env bash
# make demo: analyse the shipped sample captures and show what was found.
set -eu
S=${1:?usage: demo.sh CERTSENSOR}
cd "$(dirname "$0")/.."
OUT=build/demo
mkdir -p "$OUT"
caps=()
for c in pcaps/*.pcap pcaps/*.pcapng; do [ -f "$c" ] && caps+=(-r "$c"); done
keys=()
for k in pcaps/*.keys; do [ -f "$k" ] && keys+=(--keylog "$k"); done
echo "certsensor ${caps[*]} ${keys[*]} --extract-certs $OUT/certs -o $OUT/events.jsonl"
"$S" "${caps[@]}" "${keys[@]}" --extract-certs "$OUT/certs" -o "$OUT/events.jsonl"
python3 - "$OUT/events.jsonl" <<'PY'
import json, sys
n_tls = n_cert = 0
for line in open(sys.argv[1]):
    ev = json.loads(line)
    et = ev["event_type"]
    if et == "tls":
        t = ev["tls"]
        n_tls += 1
        print(f'{ev["timestamp"]}  {ev["src_ip"]}:{ev["src_port"]} -> {ev["dest_ip"]}:{ev["dest_port"]}'
              f'  {t["version"]}  sni={t.get("sni")}  ja4={t.get("ja4")}  state={t["session_state"]}'
              + ("  (certificates encrypted: TLS 1.3 without keys)" if t["certs_encrypted"] else ""))
        for role in ("server", "client"):
            for i, c in enumerate(t[role + "_certs"]):
                n_cert += 1
                print(f'    {role}[{i}] sha256={c["sha256"][:16]}..  subject={c.get("subject")}'
                      f'  issuer={c.get("issuer")}')
    elif et == "alert":
        a = ev["alert"]
        print(f'ALERT [{a["severity"]}] {a["signature"]}  {ev["src_ip"]} -> {ev["dest_ip"]}')
    elif et == "stats":
        s = ev["stats"]
        print(f'\nstats: {s["packets"]} packets, {s["flows_created"]} flows, {s["tls_sessions"]} TLS sessions,'
              f' {s["certs_seen"]} certificates ({s["cert_cache_misses"]} distinct analyses),'
              f' {s["tcp_segments_ooo"]} out-of-order, {s["tcp_retransmits"]} retransmitted segments')
print(f"{n_tls} TLS sessions, {n_cert} certificate occurrences")
PY
echo "events: $OUT/events.jsonl   certificates: $OUT/certs/ ($(ls "$OUT/certs" | wc -l) files)"
