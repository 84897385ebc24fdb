/* certgen: the scenario table (see scenarios.h). */
#include "scenarios.h"
#include "util.h"

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
