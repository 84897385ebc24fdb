/* certgen: the scenario table (see scenarios.h). */
#include "scenarios.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

/* clang-format off */
const struct scenario scenario_table[] = {
    {
        .name = "tls12-chain", .category = "tls_le_1.2",
        .notes = "certgen: TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, RSA-2048 leaf + intermediate, IPv4, port 443",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_RSA, PKI_INT_RSA},
    },
    {
        .name = "tls12-mtls", .category = "client_cert",
        .notes = "certgen: TLS 1.2 mutual TLS, ECDSA P-256 server leaf + intermediate, client leaf + intermediate",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES256-GCM-SHA384",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .client_chain = {PKI_CLI_EC, PKI_INT_EC},
    },
    {
        .name = "tls13", .category = "keylog",
        .notes = "certgen: TLS 1.3 TLS_AES_128_GCM_SHA256, ECDSA P-256 leaf + intermediate, encrypted Certificate; key log in .keys",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_AES_128_GCM_SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
    },
    {
        .name = "smtp-starttls", .category = "starttls",
        .notes = "certgen: SMTP STARTTLS on port 25 (220, EHLO, 250-STARTTLS, STARTTLS, 220), TLS 1.2, ECDSA P-256 leaf + intermediate",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .dialog = &dialog_smtp_starttls, .sni = "mail.example.test",
    },
    {
        .name = "tls12-tiny-segments", .category = "tcp_tricky",
        .notes = "certgen: TLS 1.2, every TCP segment 7 bytes (MSS 7) both ways, ECDSA P-256 leaf + intermediate",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-CHACHA20-POLY1305",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .mss = 7,
    },
    {
        .name = "tls12-reorder", .category = "tcp_tricky",
        .notes = "certgen: TLS 1.2, server flight with the Certificate sent as MSS-536 segments swapped pairwise (1,0,3,2,...), RSA-2048 leaf + intermediate",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-AES256-GCM-SHA384",
        .server_chain = {PKI_SRV_RSA, PKI_INT_RSA},
        .mss = 536, .tricks = TCP_TRICK_REORDER,
    },
    {
        .name = "tls12-retransmit", .category = "tcp_tricky",
        .notes = "certgen: TLS 1.2, server Certificate flight at MSS 536 with an exact duplicate, a lost segment and two overlapping retransmissions, RSA-2048 leaf + intermediate",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_RSA, PKI_INT_RSA},
        .mss = 536, .tricks = TCP_TRICK_RETRANSMIT,
    },
    {
        .name = "tls12-ipv6", .category = "ipv6",
        .notes = "certgen: TLS 1.2 over IPv6 (2001:db8::/32), ECDHE-RSA-CHACHA20-POLY1305, RSA-2048 leaf + intermediate",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-CHACHA20-POLY1305",
        .server_chain = {PKI_SRV_RSA, PKI_INT_RSA},
        .ipv6 = true,
    },
    {
        .name = "tls12-vlan", .category = "encap",
        .notes = "certgen: TLS 1.2 inside an 802.1Q VLAN tag (VLAN 100), self-signed ECDSA P-256 server certificate",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-SHA256",
        .server_chain = {PKI_SELF_EC}, .sni = "selfsigned.example.test",
        .vlan_id = 100,
    },
    {
        .name = "tls13-aes256", .category = "keylog",
        .notes = "certgen: TLS 1.3 TLS_AES_256_GCM_SHA384 (48-byte secrets), RSA-2048 leaf + intermediate, encrypted Certificate; key log in .keys",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_AES_256_GCM_SHA384",
        .server_chain = {PKI_SRV_RSA, PKI_INT_RSA},
    },
    {
        .name = "tls13-chacha20", .category = "keylog",
        .notes = "certgen: TLS 1.3 TLS_CHACHA20_POLY1305_SHA256, ECDSA P-256 leaf + intermediate, encrypted Certificate; key log in .keys",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_CHACHA20_POLY1305_SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
    },
    {
        .name = "tls13-ccm", .category = "keylog",
        .notes = "certgen: TLS 1.3 TLS_AES_128_CCM_SHA256 (16-byte tag), ECDSA P-256 leaf + intermediate, encrypted Certificate; key log in .keys",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_AES_128_CCM_SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
    },
    {
        .name = "tls13-mtls", .category = "keylog",
        .notes = "certgen: TLS 1.3 mutual TLS, TLS_AES_128_GCM_SHA256, server and client ECDSA P-256 leaf + intermediate, both Certificates encrypted (client's under the client handshake traffic secret); key log in .keys",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_AES_128_GCM_SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .client_chain = {PKI_CLI_EC, PKI_INT_EC},
    },
    {
        .name = "tls13-hrr", .category = "keylog",
        .notes = "certgen: TLS 1.3 HelloRetryRequest (client key share X25519, server takes only P-256), second ClientHello, TLS_AES_128_GCM_SHA256, ECDSA P-256 leaf + intermediate, encrypted Certificate; key log in .keys",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_AES_128_GCM_SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .hrr = true,
    },
    {
        .name = "tls12-renegotiation", .category = "keylog",
        .notes = "certgen: TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, one HTTP exchange, then a client-initiated renegotiation whose server Certificate is encrypted under the first session's keys; RSA-2048 leaf + intermediate twice; key log (two CLIENT_RANDOM lines) in .keys",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_RSA, PKI_INT_RSA},
        .keylog = true, .renegotiate = true,
    },
    {
        .name = "tls12-cbc-renegotiation", .category = "keylog",
        .notes = "certgen: TLS 1.2 AES128-SHA256 (RSA key exchange, CBC, encrypt-then-MAC), one HTTP exchange, then a client-initiated renegotiation whose server Certificate is encrypted under the first session's keys; RSA-2048 leaf + intermediate twice; key log in .keys",
        .tls_version = TLS1_2_VERSION, .cipher = "AES128-SHA256",
        .server_chain = {PKI_SRV_RSA, PKI_INT_RSA},
        .keylog = true, .renegotiate = true,
    },
    {
        .name = "tls13-dsb", .category = "keylog",
        .notes = "certgen: pcapng, TLS 1.3 TLS_AES_128_GCM_SHA256, ECDSA P-256 leaf + intermediate, encrypted Certificate; the key log is in a Decryption Secrets Block (TLSK) before the packets, no .keys file",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_AES_128_GCM_SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .pcapng_dsb = true,
    },
};
/* clang-format on */

const size_t scenario_count = sizeof(scenario_table) / sizeof(scenario_table[0]);

const struct scenario *scenario_find(const char *name)
{
    for (size_t i = 0; i < scenario_count; i++)
        if (strcmp(scenario_table[i].name, name) == 0)
            return &scenario_table[i];
    return NULL;
}

int scenario_file(const struct scenario *s, char *out, size_t outsz)
{
    int n = snprintf(out, outsz, "%s.%s", s->name, s->pcapng_dsb ? "pcapng" : "pcap");
    return (n < 0 || (size_t)n >= outsz) ? -1 : 0;
}
