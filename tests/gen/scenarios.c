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
    /* ---- mail protocols: STARTTLS, stripping, clear-text authentication ---- */
    {
        .name = "smtp-stripped", .category = "starttls",
        .notes = "certgen: SMTP port 25, no TLS: 250-STARTTLS offered but never used; AUTH PLAIN (user alice) in the clear, MAIL FROM, two RCPT TO, DATA",
        .dialog = &dialog_smtp_stripped,
    },
    {
        .name = "smtp-mangled", .category = "starttls",
        .notes = "certgen: SMTP port 25, no TLS: the EHLO reply says 250-XXXXXXXA where STARTTLS was; AUTH LOGIN (user bob) in the clear, MAIL FROM, RCPT TO",
        .dialog = &dialog_smtp_mangled,
    },
    {
        .name = "smtp-refused", .category = "starttls",
        .notes = "certgen: SMTP port 25, no TLS: STARTTLS answered 454 4.7.0; MAIL FROM, RCPT TO in the clear",
        .dialog = &dialog_smtp_refused,
    },
    {
        .name = "smtps-465", .category = "tls_le_1.2",
        .notes = "certgen: SMTP with implicit TLS on port 465, TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384, RSA-2048 leaf + intermediate; banner, EHLO, AUTH PLAIN inside TLS; key log in .keys",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-AES256-GCM-SHA384",
        .server_chain = {PKI_SRV_RSA, PKI_INT_RSA},
        .dialog = &dialog_smtps, .sni = "mail.example.test",
        .keylog = true,
    },
    {
        .name = "imap-starttls", .category = "starttls",
        .notes = "certgen: IMAP port 143 (CAPABILITY, STARTTLS, OK), then TLS 1.3 TLS_AES_128_GCM_SHA256, ECDSA P-256 leaf + intermediate, encrypted Certificate; key log in .keys",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_AES_128_GCM_SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .dialog = &dialog_imap_starttls, .sni = "mail.example.test",
    },
    {
        .name = "imap-login-clear", .category = "starttls",
        .notes = "certgen: IMAP port 143, no TLS: STARTTLS not offered; ID, LOGIN (user carol) with the password in the clear, SELECT, LOGOUT",
        .dialog = &dialog_imap_login_clear,
    },
    {
        .name = "pop3-stls", .category = "starttls",
        .notes = "certgen: POP3 port 110 (CAPA, STLS, +OK), then TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, RSA-2048 leaf + intermediate; key log in .keys",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_RSA, PKI_INT_RSA},
        .dialog = &dialog_pop3_stls, .sni = "mail.example.test",
        .keylog = true,
    },
    {
        .name = "pop3-user-clear", .category = "starttls",
        .notes = "certgen: POP3 port 110, no TLS: STLS offered in CAPA but not used; USER dave / PASS in the clear",
        .dialog = &dialog_pop3_user_clear,
    },
    {
        .name = "ldap-starttls", .category = "starttls",
        .notes = "certgen: LDAP port 389, StartTLS ExtendedRequest 1.3.6.1.4.1.1466.20037 and success ExtendedResponse, then TLS 1.2 ECDHE-ECDSA-AES256-GCM-SHA384, ECDSA P-256 leaf + intermediate; key log in .keys",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES256-GCM-SHA384",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .dialog = &dialog_ldap_starttls, .sni = "example.test",
        .keylog = true,
    },
    {
        .name = "ldap-bind-clear", .category = "starttls",
        .notes = "certgen: LDAP port 389, simple bind (cn=admin,dc=example,dc=test) with its password in the clear, then StartTLS and TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256, ECDSA P-256 leaf + intermediate; key log in .keys",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .dialog = &dialog_ldap_bind_clear, .sni = "example.test",
        .keylog = true,
    },
    {
        .name = "ftp-authtls", .category = "starttls",
        .notes = "certgen: FTP port 21 (FEAT, AUTH TLS, 234), then TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305, RSA-2048 leaf + intermediate; key log in .keys",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-CHACHA20-POLY1305",
        .server_chain = {PKI_SRV_RSA, PKI_INT_RSA},
        .dialog = &dialog_ftp_authtls, .sni = "example.test",
        .keylog = true,
    },
    {
        .name = "xmpp-starttls", .category = "starttls",
        .notes = "certgen: XMPP port 5222 (stream, <starttls><required/>, <starttls/>, <proceed/>), then TLS 1.3 TLS_AES_256_GCM_SHA384, ECDSA P-256 leaf + intermediate, encrypted Certificate; key log in .keys",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_AES_256_GCM_SHA384",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .dialog = &dialog_xmpp_starttls, .sni = "example.test",
    },
    /* ---- Exchange Web Services ---- */
    {
        .name = "ews-http-clear", .category = "cleartext",
        .notes = "certgen: HTTP/1.1 port 80, no TLS: POST /EWS/Exchange.asmx (NTLM, X-AnchorMailbox, SOAP FindItem with ExchangeImpersonation), 200, GET /autodiscover/autodiscover.xml, 401",
        .dialog = &dialog_ews_http_clear,
    },
    {
        .name = "ews-tls13-keys", .category = "keylog",
        .notes = "certgen: TLS 1.3 TLS_AES_128_GCM_SHA256 to SNI outlook.office365.com, RSA-2048 leaf (outlook.office365.com) + intermediate; EWS FindItem POST with ExchangeImpersonation inside, 200; key log in .keys",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_AES_128_GCM_SHA256",
        .server_chain = {PKI_SRV_EXCHANGE, PKI_INT_RSA},
        .dialog = &dialog_ews_https, .sni = "outlook.office365.com",
    },
    {
        .name = "ews-tls12-keys", .category = "keylog",
        .notes = "certgen: TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 to SNI outlook.office365.com, RSA-2048 leaf (outlook.office365.com) + intermediate; EWS FindItem POST with ExchangeImpersonation inside, 200; key log (CLIENT_RANDOM) in .keys",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_EXCHANGE, PKI_INT_RSA},
        .dialog = &dialog_ews_https, .sni = "outlook.office365.com",
        .keylog = true,
    },
    /* ---- client certificate rejected ---- */
    {
        .name = "tls-client-cert-rejected", .category = "client_cert",
        .notes = "certgen: TLS 1.2 mutual TLS, ECDHE-ECDSA-AES128-GCM-SHA256; the server rejects the client chain with a fatal certificate_revoked alert (44) and closes; no application data",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC},
        .client_chain = {PKI_CLI_EC, PKI_INT_EC},
        .reject_client_cert = true,
    },
    /* ---- attacks and certificate hygiene (tests/pcap/test_alerts.sh) ----
     * TLS 1.2 with the Certificate in clear unless noted; "attack" rows are what a
     * man in the middle produces, "chain_anomaly" rows are misconfigurations. */
    {
        .name = "mitm-wrong-signer", .category = "attack",
        .notes = "certgen: TLS 1.2, leaf whose issuer name and AKI are int-ec's but whose signature is by another key (evil-int-ec), sent with the genuine int-ec",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_FORGED_EC, PKI_INT_EC},
    },
    {
        .name = "mitm-unrelated-chain", .category = "attack",
        .notes = "certgen: TLS 1.2, srv-ec leaf (issued by int-ec) followed by int-rsa, which it does not name",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_RSA},
    },
    {
        .name = "mitm-selfsigned-leaf", .category = "attack",
        .notes = "certgen: TLS 1.2, self-signed ECDSA certificate for www.example.test sent alone",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SELF_WWW_EC},
    },
    {
        .name = "mitm-untrusted-root", .category = "attack",
        .notes = "certgen: TLS 1.2, complete chain (leaf, intermediate, root) from a second CA whose names equal certgen's EC CA but whose keys differ",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_EVIL_SRV_EC, PKI_EVIL_INT_EC, PKI_EVIL_ROOT_EC},
    },
    {
        .name = "mitm-keyid", .category = "attack",
        .notes = "certgen: TLS 1.2, leaf of the same-name second CA (issuer name 'certgen Intermediate CA EC', AKI of evil-int-ec) sent with the genuine int-ec",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_EVIL_SRV_EC, PKI_INT_EC},
    },
    {
        .name = "mitm-tls13-mtls", .category = "attack",
        .notes = "certgen: TLS 1.3 mutual TLS over IPv6, TLS_AES_128_GCM_SHA256; server presents the untrusted same-name chain (leaf, intermediate, root), client presents cli-ec + int-ec from a new address; key log in .keys",
        .tls_version = TLS1_3_VERSION, .cipher = "TLS_AES_128_GCM_SHA256",
        .server_chain = {PKI_EVIL_SRV_EC, PKI_EVIL_INT_EC, PKI_EVIL_ROOT_EC},
        .client_chain = {PKI_CLI_EC, PKI_INT_EC},
        .ipv6 = true,
    },
    {
        .name = "interception-issuer", .category = "attack",
        .notes = "certgen: TLS 1.2 ECDHE-ECDSA-AES256-SHA384 (a ClientHello no other sample sends), leaf for www.example.test issued by an intermediate named 'FortiGate CA' (under the untrusted evil-root-ec, not sent)",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES256-SHA384",
        .server_chain = {PKI_FORTI_SRV_EC, PKI_FORTI_INT_EC},
    },
    {
        .name = "hostname-mismatch", .category = "attack",
        .notes = "certgen: TLS 1.2, SNI www.example.test, leaf for other.test only (valid chain via int-ec)",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_OTHER_EC, PKI_INT_EC},
    },
    {
        .name = "expired-leaf", .category = "chain_anomaly",
        .notes = "certgen: TLS 1.2, leaf valid 2024-01-01 to 2024-12-31T23:30:00Z (expired at capture time 2025-06-01; the half hour lets a test put sessions on both sides of it within one clock hour)",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_EXPIRED_EC, PKI_INT_EC},
    },
    {
        .name = "notyet-leaf", .category = "chain_anomaly",
        .notes = "certgen: TLS 1.2, leaf valid from 2025-07-01 (not yet valid at capture time 2025-06-01)",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_NOTYET_EC, PKI_INT_EC},
    },
    {
        .name = "weak-rsa1024", .category = "chain_anomaly",
        .notes = "certgen: TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, RSA-1024 leaf under int-rsa (server at OpenSSL security level 0)",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_RSA1024, PKI_INT_RSA},
    },
    {
        .name = "sha1-signed-leaf", .category = "chain_anomaly",
        .notes = "certgen: TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, leaf signed by int-rsa with sha1WithRSAEncryption (server at OpenSSL security level 0)",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_SHA1, PKI_INT_RSA},
    },
    {
        .name = "md5-signed-leaf", .category = "chain_anomaly",
        .notes = "certgen: TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, leaf signed by int-rsa with md5WithRSAEncryption (server at OpenSSL security level 0)",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-RSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_MD5, PKI_INT_RSA},
    },
    {
        .name = "chain-out-of-order", .category = "chain_anomaly",
        .notes = "certgen: TLS 1.2, srv-ec, root-ec, int-ec: the leaf's issuer comes third, after the root",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_EC, PKI_ROOT_EC, PKI_INT_EC},
    },
    {
        .name = "chain-duplicate", .category = "chain_anomaly",
        .notes = "certgen: TLS 1.2, srv-ec, int-ec, int-ec: the intermediate sent twice",
        .tls_version = TLS1_2_VERSION, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .server_chain = {PKI_SRV_EC, PKI_INT_EC, PKI_INT_EC},
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
