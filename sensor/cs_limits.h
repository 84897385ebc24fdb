/* Every default cap of the sensor, in one place. Each can be overridden
 * through struct cs_config (and the CLI); hitting one is counted in
 * struct cs_stats, never a crash and never silent. */
#ifndef CS_SENSOR_LIMITS_H
#define CS_SENSOR_LIMITS_H

#define CS_DEF_MAX_FLOWS 262144u           /* flow table slots, preallocated */
#define CS_DEF_FLOW_TIMEOUT_S 600u         /* idle flow, packet time */
#define CS_DEF_CLOSED_TIMEOUT_S 10u        /* after RST or FIN both ways */
#define CS_DEF_REASM_MAX_DIR (256u * 1024u)    /* out-of-order bytes held per direction */
#define CS_DEF_REASM_MAX_TOTAL (256u * 1024u * 1024u) /* ... in all flows */
#define CS_DEF_HS_MSG_MAX (2u * 1024u * 1024u) /* one handshake message (>= 1 MiB) */
#define CS_DEF_PROBE_BYTES (16u * 1024u)   /* cleartext scanned for a TLS start per direction */
#define CS_DEF_CERT_CACHE 4096u            /* certificate analyses kept, by SHA-256 */
#define CS_DEF_MEMCAP (2048ull * 1024u * 1024u) /* heap the sensor may use */
#define CS_DEF_KEYLOG_ENTRIES 65536u        /* client randoms kept from key logs */
#define CS_DEF_DECRYPT_WATCH (256u * 1024u) /* protected bytes per direction decrypted after a
                                              TLS 1.2 handshake, watching for renegotiation */
#define CS_DEF_KEY_WAIT_MS 5000u           /* TLS 1.3 without keys yet: how long (packet time) */
#define CS_DEF_KEY_WAIT_BYTES (64u * 1024u) /* ... and how many protected bytes are held */
#define CS_REASM_MAX_SEGS_DIR 1024u        /* out-of-order segments held per direction */
#define CS_MEM_RESERVE_DIV 16u  /* 1/16 of the memcap stays free for sessions under way: a new
                                   session first ends the oldest idle flows to keep it so */
#define CS_EVICT_BATCH 8u       /* ... at most this many flows per new session */
#define CS_TLS_RECORD_MAX (16384u + 2048u) /* RFC 5246 6.2.3: TLSCiphertext.length <= 2^14 + 2048 */

#endif
