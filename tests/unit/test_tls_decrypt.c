/* Unit tests for parsers/tls_decrypt.c.
 *
 * Independent vectors:
 *  - RFC 8448 section 3 ("Simple 1-RTT Handshake"): traffic secrets, the
 *    derived keys and IVs, and the protected records of that handshake with
 *    the plaintext the RFC lists for them.
 *  - Records cut from real captures in ../shared/pcaps (hotplace TLS 1.3
 *    AES-128-GCM, ChaCha20-Poly1305 and AES-128-CCM; the Illustrated TLS 1.3
 *    capture, AES-256-GCM-SHA384; hotplace TLS 1.2 ECDHE-ECDSA-AES128-GCM and
 *    the TLS 1.2 renegotiation capture, ECDHE-RSA-AES256-GCM-SHA384; the
 *    Illustrated TLS 1.2 capture, ECDHE-RSA-AES128-CBC-SHA), with the secrets
 *    from their .keys files. Expected plaintexts were produced by tshark 4.0
 *    (-o tls.keylog_file:<capture>.keys -x), and the certificate digests
 *    are those of expected.jsonl ("decrypted": true).
 *  - Live sessions made in memory with OpenSSL's libssl for the TLS 1.0-1.2
 *    suites no capture has (ChaCha20 in TLS 1.2, CBC with SHA-256/SHA-384,
 *    encrypt-then-MAC, TLS 1.0 chained IVs, TLS 1.1) and all TLS 1.3 suites:
 *    libssl encrypts, its key log callback feeds parsers/keylog, and this
 *    module must decrypt every record of both directions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cursor.h"
#include "keylog.h"
#include "tls_decrypt.h"

/* ---- helpers ------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* hex (spaces allowed) -> bytes; fails the test on bad input */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*h) {
        if (*h == ' ' || *h == '\n') {
            h++;
            continue;
        }
        int hi = hexval(h[0]);
        int lo = hexval(h[1]);
        assert_true(hi >= 0 && lo >= 0);
        assert_true(n < cap);
        out[n++] = (uint8_t)(hi << 4 | lo);
        h += 2;
    }
    return n;
}

static uint8_t *unhex_dup(const char *h, size_t *n)
{
    size_t cap = strlen(h) / 2 + 1;
    uint8_t *p = malloc(cap);
    assert_non_null(p);
    *n = unhex(h, p, cap);
    return p;
}

static void expect_hex(const uint8_t *p, size_t n, const char *want_hex)
{
    uint8_t want[1024];
    size_t wn = unhex(want_hex, want, sizeof want);
    assert_int_equal(n, wn);
    assert_memory_equal(p, want, n);
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
    uint8_t md[32];
    unsigned int mdlen = 0;
    assert_int_equal(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL), 1);
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The first certificate of a Certificate message (RFC 5246 7.4.2, RFC 8446 4.4.2) */
static struct bytes first_cert(const uint8_t *msg, size_t len, bool tls13)
{
    struct cur c = cur_make(msg, len);
    assert_int_equal(cur_u8(&c), 11);
    struct cur body = cur_block(&c, 3);
    if (tls13)
        (void)cur_block(&body, 1); /* certificate_request_context */
    struct cur list = cur_block(&body, 3);
    struct cur cert = cur_block(&list, 3);
    assert_false(cert.err);
    assert_true(cur_done(&c));
    struct bytes b = {cert.p, (size_t)(cert.end - cert.p)};
    return b;
}

/* RFC 8448 3, {server} send handshake record: complete record (679 bytes) */
static const char RFC8448_S_FLIGHT[] =
    "17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35edf7869fcf40aa40aa2b8ea73"
    "f848a7ca07612ef9f945cb960b4068905123ea78b111b429ba9191cd05d2a389280f526134aadc7fc78c4b72"
    "9df828b5ecf7b13bd9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9d7477609"
    "aee6e122a4cf51427325250c7d0e509289444c9b3a648f1d71035d2ed65b0e3cdd0cbae8bf2d0b227812cbb3"
    "60987255cc744110c453baa4fcd610928d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09"
    "ead686945ba246ab66e5edd8044b4c6de3fcf2a89441ac66272fd8fb330ef8190579b3684596c960bd596eea"
    "520a56a8d650f563aad27409960dca63d3e688611ea5e22f4415cf9538d51a200c27034272968a264ed6540c"
    "84838d89f72c24461aad6d26f59ecaba9acbbb317b66d902f4f292a36ac1b639c637ce343117b65962224531"
    "7b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e1b7a6c7178af36879018e3f2"
    "52107f243d243dc7339d5684c8b0378bf30244da8c87c843f5e56eb4c5e8280a2b48052cf93b16499a66db7c"
    "ca71e4599426f7d461e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe5a376689"
    "36b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb992f2b992f67f8afe67f76913fa388cb"
    "5630c8ca01e0c65d11c66a1e2ac4c85977b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b"
    "66763038ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b845e275592c12335ee"
    "340bbc4fddd502784016e4b3be7ef04dda49f4b440a30cb5d2af939828fd4ae3794e44f94df5a631ede42c17"
    "19bfdabf0253fe5175be898e750edc53370d2b";

/* RFC 8448 3: EncryptedExtensions || Certificate || CertificateVerify || Finished, as listed there
 * (657 bytes) */
static const char RFC8448_S_FLIGHT_PLAIN[] =
    "080000240022000a00140012001d00170018001901000101010201030104001c00024001000000000b0001b9"
    "000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a"
    "06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e"
    "310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4"
    "bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace"
    "6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda4308467480"
    "30530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001"
    "a31a301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d01010b050003"
    "81810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172"
    "f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3e"
    "b7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de100"
    "000f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc"
    "90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411"
    "ac027671459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53df"
    "acd42f74f3140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718";

/* The rest of RFC 8448 section 3 (short records and values, as printed there) */
#define RFC_S_HS_SECRET "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
#define RFC_S_HS_KEY "3fce516009c21727d0f2e4e86ee403bc"
#define RFC_S_HS_IV "5d313eb2671276ee13000b30"
#define RFC_C_HS_SECRET "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
#define RFC_C_HS_KEY "dbfaa693d1762c5b666af5d950258d01"
#define RFC_C_HS_IV "5bd3c71b836e0b76bb73265f"
#define RFC_S_AP_SECRET "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"
#define RFC_S_AP_KEY "9f02283b6c9c07efc26bb9f2ac92e356"
#define RFC_S_AP_IV "cf782b88dd83549aadf1e984"
#define RFC_C_AP_SECRET "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"
#define RFC_C_AP_KEY "17422dda596ed5d9acd890e3c63f5051"
#define RFC_C_AP_IV "5b78923dee08579033e523d9"
/* {client} send handshake record (client Finished) and its Finished message */
#define RFC_C_FIN                                                                                  \
    "170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46de"     \
    "b384bd1caeacab6867d726c40546"
#define RFC_C_FIN_PLAIN "14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"
/* {client} / {server} send application_data record: payload 00 01 .. 31 */
#define RFC_C_APP                                                                                  \
    "1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a"     \
    "20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4"
#define RFC_S_APP                                                                                  \
    "17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb"     \
    "501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d"
/* {client} / {server} send alert record: close_notify */
#define RFC_C_ALERT "1703030013c9872760655666b74d7ff1153efd6db6d0b0e3"
#define RFC_S_ALERT "1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9"

/* Records cut from ../shared/pcaps captures (tshark -T fields -e tcp.payload) */
/* hotplace-tls13_TLS_AES_128_GCM_SHA256.pcapng, server port 9000 */
/* server EncryptedExtensions, hs seq 0 (28 bytes) */
static const char GCM_S_EE[] = "1703030017f5e2928c6cae196388fa9d36f6e84a7b6f7da164514839";

/* server Certificate, hs seq 1 (559 bytes) */
static const char GCM_S_CERT[] =
    "170303022aa9684bbb75b776c9b7ba8ad6a9c542f8268f97fec2a9a2ec4d5e7d71730384a23187b43911d629"
    "374bb0c022301a1f85989c7186578f0a3801f33896929c3bd0da6bdd4f7c57adcf609e95feafb8607d89256d"
    "1fbafa827ef5f855e47221fffd384fb2a02d37ad5acd19e2a7beced576eec8e1837fc06c45d7529a7a0fab8b"
    "7fe40b343229606f026cf362009ec07584ca4b61023c40b3651049f4269329162e6393013cbc70f4b0fa2242"
    "6c9f9a33adb94e91422d966b6a476206308e4fda127bf1116d3478524bdb09d7f03952fbeb3d65aba70fcffc"
    "6f7d50db5f5d18a8c5d9db3874819d4cb611c257983142ff2fced3ca164bfef140aebd0fbb5672013c309689"
    "409950672b9a64e98736cc1cee1387fffdf5b0409b7882aec08620601416ef3a8335f18c7b1abccec8ce54e9"
    "812e4a870f4ea024c511bdc9b6f4614abe002eff8b3fdb468efb5eb04a592a9242a5c3920116ad76a9139ac0"
    "4e44492024e62589c97808dbe0ff6f435e44bc3ba9f8942d60da9536247ccc0de21a7990f6bc66791b1a28fc"
    "668c46294eaa6aa3eb28d9b37a3a920353a7bbb926e4dc0c9142acb3d44452bec8b1d4ce5a9564f7cb0a6c8e"
    "7c88a1f6ef58d10840a95bb7c9ad8eb39a53b562071790faaaffcba7b3adbf4de2a15ffb4a7996a73c887c8b"
    "155720ce8aaa7402c70c5c3b994589b80008a379aee996548041e9fe30889eaf1f6c23f51d1a2f3fe2dbebef"
    "b97d193cb8d25c594c002bb66a0ab4dee372077fd1f2547f60ce777ef543c5";

/* server Finished, hs seq 3 (58 bytes) */
static const char GCM_S_FIN[] =
    "17030300356446bb8bf180d7a7b008ae1d4a6018a26e3fc2a3ead1b30219b9725b697bc3c6fdab83cd6c52eb"
    "0c08803ee590268066a72f985d7e";

/* server close_notify, ap seq 2 (24 bytes) */
static const char GCM_S_ALERT[] = "1703030013d2f3f4a533e5913d7a859e5b97cf7ec11cba03";

/* hotplace-tls13_TLS_AES_128_GCM_SHA256.pcapng, client port 1807 */
/* client Finished, hs seq 0 (58 bytes) */
static const char GCM_C_FIN[] =
    "17030300355111899e96363743e26c51365979871ccf33835e01d89dfe33d80d91a7b316f1b0355fc3f25833"
    "b92794a803f2085797b648c37cac";

/* client application data, ap seq 0 (28 bytes) */
static const char GCM_C_APP[] = "1703030017aba53584e59c28a409238f2e739e568479019f57759b98";

/* client close_notify, ap seq 1 (24 bytes) */
static const char GCM_C_ALERT[] = "17030300138d24ce456368f0c416608a73c2905fe23138e0";

/* hotplace-tls13_TLS_CHACHA20_POLY1305_SHA256.pcapng, server port 9000 */
/* server Certificate, hs seq 1 (559 bytes) */
static const char CHACHA_S_CERT[] =
    "170303022ae3370e361a4006569c69b9f8503e300dce598bc56dfbb0a672c310139fd4a9dea844a2f6bf1ae8"
    "5e5264bdb3f4e1938ee352a52505c4b16d8794410e7160bb228ca1820f5f404474ed2b44593bb37ff223f41d"
    "861796c2207a0b2bc8ff4e0e4deba044dceaf76495dfd32ee0b0847035e6ba80a54b82db497cf957023c50c0"
    "05221e84e8bc1153da5c0a8c3645b060d5042deabbc782d53c08cc96b499dc7b60372737661909a59d27d4d8"
    "7a242c6f231a63abb1c3e36c07e41e7e9bbf29d58591894cef14a37f202299f55df147dbb457e607387e9fde"
    "0f2bece9d024a1a2e2efa21fdfed0c2d6dc4a9a50c89ce61bc645ed32e4dcc5aed29a9fad1338d1b3f48b47c"
    "79bfaff9fe71856d601e0e2fc82acd80d2ecf086f4df9e2f729b84139bb16e87ae58f075063083227482091b"
    "b8016665494170ab9ee8120857f3af519c5615c5b375004d9de5b3e0c5b5594cea2da82d06bf883a507e5ef4"
    "195e1b4acea6e98df9ed3de157eab010a4f91894cc7e6588f30de3cbb4bdfbf5d4c57a683f228230a190377d"
    "9cb5f06b4e6ff2c8c9b079a3d1c405a6ede0a537936bda43a7eec0ed6032160f0c7ad467713cd3680ff2b61d"
    "d731a4878d4206d9386ca1eca4ab913f77a967c17fc6276c5bd27f538dc5d85c07ebc0a90d35596c4ed7f4f2"
    "0c2df84d1c7816dc5c48b685f2ffaf1717b12c7f0886bf89c6a77080f1fbd2af7ae90908b9dff10354766615"
    "4b9d5ba1618f6c7b4e634655a7b00a58fbfbc4c2d5c237e22cbd46237fc61e";

/* hotplace-tls13_TLS_CHACHA20_POLY1305_SHA256.pcapng, client port 1738 */
/* client Finished, hs seq 0 (58 bytes) */
static const char CHACHA_C_FIN[] =
    "1703030035de19ea0275ab10917a37c277509eac258a2e0c72b515625cd0dbdf0db7c22c2673d6a6106134c0"
    "adcf2690cfb465c5bf7caf619d85";

/* client application data, ap seq 0 (28 bytes) */
static const char CHACHA_C_APP[] = "1703030017a70839a3f8532b8b1ee820bb86ccef9f8da47ce7b76879";

/* hotplace-tls13_TLS_AES_128_CCM_SHA256_X25519MLKEM768.pcapng, server port 9000 */
/* server Certificate, hs seq 1 (559 bytes) */
static const char CCM_S_CERT[] =
    "170303022a7c7bbcd771240edef6331d7e32be81c6a88c588087ee6dfadaceff97bd0b3f0cfd1eba1ad14d72"
    "62dda205a5d9e6e7d6bbb7048c79b4b56466efa5e2c00ce280afe3a3f3c6f364c16146c7a0b301ed39722d52"
    "b70a9d660e2e4bf0dd3798426cd1188fced7eb9c6311c591fb72d58d6e90c1a832a2f0a688da33d08961b55c"
    "bbcbeab8c332ec24269c8816c156d537a70089241557b8de8e470792aa146363fa3bc1ccc89cf7e77a903ad6"
    "9729438c6dc4d47e2618cec12236633965ccf41e3e828d56bd3ec07174f867089fbdb3ce9e9adde16e71b6b2"
    "096084ad763858e2c0b9f99597be1d941cc57d62bd837debbcf7695afc1a40ccf562b917aff7f242adc1d2e2"
    "92fc368704a81cbf31d8c119b9f419a6bc1703d0119cb39ed61e5e43d4e031ddc5cea01ac318a0d48e9588d2"
    "c88fa60bccbaa4f8a1eb80b65cd55ac72e14e3ae10bd64b9714bde446beb5ce4f01cdd44ffb65508f18c7506"
    "308d43ac9be488a40f9c1dec8ed8a2c083245e23c4fc712a646acc20b4c380b17eef94857a17a0d0d277c64c"
    "dc3294cc3dad2bb787dadb1eb2968e290f2826708c8dede11a8a0d1b56881581891051098dd3b6a74b33af4d"
    "bc6427464bdf4eb9985e2fe901429e888e5d2cfd4073b67c6256907b229aaaed577d1f6914db90a116839da0"
    "32081eab8286d6ea3847b716f02602e85d67a9a67e1e8f182d846650b91d3f79caed87c89bb1268e163f3bd4"
    "18ef5ee28f88d6cde34ac440d2753f5372524b3326a3b2123e2af28cbadb75";

/* hotplace-tls13_TLS_AES_128_CCM_SHA256_X25519MLKEM768.pcapng, client port 12182 */
/* client Finished, hs seq 0 (58 bytes) */
static const char CCM_C_FIN[] =
    "1703030035653a696609c48c769f928908a679b92df15f26e4492c0f0748aeca783da8daf0e064cf8b632fdb"
    "88397573c1c637872fc3a351c32a";

/* client application data, ap seq 0 (28 bytes) */
static const char CCM_C_APP[] = "170303001701a7f4b36f25fe82a1c68ca5d7a9def70c82286ce9c2d4";

/* it13-capture.pcap, server port 8400 */
/* server Certificate, hs seq 1 (840 bytes) */
static const char IT13_S_CERT[] =
    "1703030343baf00a9be50f3f2307e726edcbdacbe4b18616449d46c6207af6e9953ee5d2411ba65d31feaf4f"
    "78764f2d693987186cc01329c187a5e4608e8d27b318e98dd94769f7739ce6768392caca8dcc597d77ec0d12"
    "72233785f6e69d6f43effa8e7905edfdc4037eee5933e990a7972f206913a31e8d04931366d3d8bcd6a4a4d6"
    "47dd4bd80b0ff863ce3554833d744cf0e0b9c07cae726dd23f9953df1f1ce3aceb3b7230871e92310cfb2b09"
    "8486f43538f8e82d8404e5c6c25f66a62ebe3c5f26232640e20a769175ef83483cd81e6cb16e78dfad4c1b71"
    "4b04b45f6ac8d1065ad18c13451c9055c47da300f93536ea56f531986d6492775393c4ccb095467092a0ec0b"
    "43ed7a0687cb470ce350917b0ac30c6e5c24725a78c45f9f5f29b6626867f6f79ce054273547b36df030bd24"
    "af10d632dba54fc4e890bd0586928c0206ca2e28e44e227a2d5063195935df38da8936092eef01e84cad2e49"
    "d62e470a6c7745f625ec39e4fc23329c79d1172876807c36d736ba42bb69b004ff55f93850dc33c1f98abb92"
    "858324c76ff1eb085db3c1fc50f74ec04442e622973ea70743418794c388140bb492d6294a0540e5a59cfae6"
    "0ba0f14899fca71333315ea083a68e1d7c1e4cdc2f56bcd6119681a4adbc1bbf42afd806c3cbd42a076f545d"
    "ee4e118d0b396754be2b042a685dd4727e89c0386a94d3cd6ecb9820e9d49afeed66c47e6fc243eabebbcb0b"
    "02453877f5ac5dbfbdf8db1052a3c994b224cd9aaaf56b026bb9efa2e01302b36401ab6494e7018d6e5b573b"
    "d38bcef023b1fc92946bbca0209ca5fa926b4970b1009103645cb1fcfe552311ff730558984370038fd2cce2"
    "a91fc74d6f3e3ea9f843eed356f6f82d35d03bc24b81b58ceb1a43ec9437e6f1e50eb6f555e321fd67c8332e"
    "b1b832aa8d795a27d479c6e27d5a61034683891903f66421d094e1b00a9a138d861e6f78a20ad3e1580054d2"
    "e305253c713a02fe1e28deee7336246f6ae34331806b46b47b833c39b9d31cd300c2a6ed831399776d07f570"
    "eaf0059a2c68a5f3ae16b617404af7b7231a4d942758fc020b3f23ee8c15e36044cfd67cd640993b16207597"
    "fbf385ea7a4d99e8d456ff83d41f7b8b4f069b028a2a63a919a70e3a10e3084158faa5bafa30186c6b2f238e"
    "b530c73e";

/* server NewSessionTicket, ap seq 0 (239 bytes) */
static const char IT13_S_NST[] =
    "17030300ea382d8c19a47f4e8d9b0c510bc348db2cc99b241cd0d18b31d0ca1ac12dc1e303c58d0c7e9e2729"
    "4c6b0e3198f7d319eb14622ec48b6ac8f866d7494fa775c880ff43ad4b1af53a03ca197795778fff2ffe1d3b"
    "99b34de782a76abfa840e6366cd7349d9bcff641f5e0dff95e40d72e09effe18ee64672cb96005404488ad18"
    "96c44a5fd174998e9b0094d8e6d84d2929b7883dc9a3c3c7313a87293f31b61d24d99097c8853bfbeb95d1d0"
    "1f99ca05b0501859cf6340e8377075970152fa94f5f5be2906e72a15e40836a41f4cd3dbe7d513c16e88611d"
    "3eae9338d9db1f91ca3d5842602a610b43a463";

/* hotplace-tls12_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.pcapng, server port 9000 */
/* server Finished, seq 0 (45 bytes) */
static const char T12GCM_S_FIN[] =
    "1603030028a889ac79789b9a8383ec3232c31dc895a8433d714c5e4ef4d22eb2053090e9feba3fa01d39cc41"
    "dc";

/* hotplace-tls12_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.pcapng, client port 12526 */
/* client Finished, seq 0 (45 bytes) */
static const char T12GCM_C_FIN[] =
    "1603030028f1b1d2e278b9f2345dd173bbf2f37cef1f1e54c5afbb79b6b0e2f803e99840943c28518b1db18f"
    "a8";

/* client application data, seq 1 (35 bytes) */
static const char T12GCM_C_APP[] =
    "170303001ef1b1d2e278b9f23509381f192904b3fe1a052a2eced805840410e3b97544";

/* client close_notify, seq 2 (31 bytes) */
static const char T12GCM_C_ALERT[] =
    "150303001af1b1d2e278b9f236cfb19bea4bf447e8c7cc93fd64d5dd2d63cc";

/* hotplace-tls12renogotiation.pcapng, server port 9000 */
/* server Finished, seq 0 (45 bytes) */
static const char RENEG_S_FIN[] =
    "160303002826ada079e834cfcc7035677ef646392bfb0fd08f68bba18d7c587a43e4df82d86c95cfda539c2d"
    "ca";

/* renegotiation ServerHello, seq 1 (118 bytes) */
static const char RENEG_S_SH[] =
    "160303007126ada079e834cfcda743df194db6315f6aa2f1fd083ec81784b1b4c7a332a4751b3564faf14407"
    "ad8e70567a780ff107c37f7bb3f25d98aa664ebbd530a1948775dc15f09d54e4128df8e166cce9fe817e90ee"
    "f1bcd32f6be5de89c2846acb6dc8704112028f5d2062e161a7d9c592e2dd";

/* renegotiation Certificate, seq 2 (903 bytes) */
static const char RENEG_S_CERT[] =
    "160303038226ada079e834cfceabfed2e5efbffb8ec5d4eed9dabd26e6e3c82d54fc6add90474755fd316ca9"
    "fd5e0e9e968cef946088477d903e9c423d0da48d30312a25de142c315e3588432a75f363cd15223b61ece4c8"
    "e283135bedb46ea4ab7508ee2fd69bd71c28a792080b9168fa58efa42757fd20afa466a4d3217c47ac15f841"
    "1e35995c39990fd0fab1dfe2c55ef165ac95cb4fef5b7242f0e4b0b74cac293f3580998a2f8a6069a233249f"
    "aa752788039dd26be2114b8cdb21970d420ed6fcb7ddac868a601858bab6114f3a1f1b085fb8bd5008300a34"
    "d44642fa7fc4923fa57eec0156cb41b0194e764ff8aa88e4fb480bab932d753db9d52d55dbfe5b864f5853b4"
    "42fa9393f5b76cd9f826e0c17f69be19e229c2da8c6009101bec633cc4b61534bb69ecf919147022c98aa5f1"
    "9cf3ce1fe92c704aacb6d28e881d6af8f7ce26d88cadd85fc3f7466969c61a101f12e7a59168beeb5eb48ee6"
    "b0655d1c756491fb1c26b4be4f124e49ebe996e332ae3ff19c322470194f6b87e9b7b692b45e7d01f873e64e"
    "829378a6b758816e915730581fe376b804be136890aab7afe8db03f123b3acf9f9ac9992c7e6f5faa3ec5db3"
    "c802b76c23828322af79db4b184b0ceb895b294c899eacb3097e4d94da7c2b59ca829bab2ae470aaec88edd8"
    "300bc488d3b88903e8b7487f887bf4daa39cb390e72387bffee05dacb1def378876ab6bbc202a326ba77e0dc"
    "70c5aca2e24fa8b5c582ae66b21b452041ab33c89480e91e96e2ced2cbb550784f9b652d948d4ab57e86bb94"
    "20cf77554ca7aa59ace76864bfdb363869cc5219d0b9a0f74bb00ca8e224227b09171a6cdfb04002ee206c75"
    "d9dfd77f8e3940b2a50b390dee0efd19d6e818da6f66716f6cc17ef606a313e8a13558231adcf7573cb6941b"
    "02ca9684ec879aa84f5ab2ac17b4a067e9ed919996050030fcb585a3475f7da4b9ca234c03a51714b082248e"
    "1a785067827c60f9551ebf8a06f72cde65c94a9e49d3abaf9f313c6a8a0ff9d810ef07f7c3e76357b4be85fe"
    "9431874add1f6590e7d7666bfc188d9ad102bf0a32cbbfd57b3f2dbd63dbb67d4ae741f33c2d66545ecbb28a"
    "d1de5be8c7e2f62fedc908fc4ea5c9e15881549a189c5169cfd422507d0c71adb62d36cd0f97503d12d72058"
    "c3f2b08986c0867c96e82ce7df0ef3f23da18403d3d055972ad80ecee026e212a14366777fbe331e9fdadd2b"
    "c26538c73c84a62daa2e61cbfe526ecb6cbb0b3d3b8ec9";

/* it12-capture.pcap, server port 8443 */
/* server Finished, seq 0 (69 bytes) */
static const char IT12_S_FIN[] =
    "16030300405152535455565758595a5b5c5d5e5f6018e075317b100315f6081fcbf313781aac73efe19fe25b"
    "a1af59c20be94fc01bda2d6800298b73a7e849d74bd494cf7d";

/* server application data, seq 1 (53 bytes) */
static const char IT12_S_APP[] =
    "17030300306162636465666768696a6b6c6d6e6f709783488af5fa20bf7a2ef69debb534db9fb07a8c2721de"
    "e5409f77af0c3dde56";

/* it12-capture.pcap, client port 50159 */
/* client Finished, seq 0 (69 bytes) */
static const char IT12_C_FIN[] =
    "1603030040404142434445464748494a4b4c4d4e4f227bc9ba81ef30f2a8a78ff1df50844d5804b7eeb2e214"
    "c32b6892aca3db7b78077fdd90067c516bacb3ba90dedf720f";

/* client application data, seq 1 (53 bytes) */
static const char IT12_C_APP[] =
    "1703030030000102030405060708090a0b0c0d0e0f6c421c71c42b183bfa06195d133d0a09d00fc7cb4e0f5d"
    "1cda59d147ec790c99";

/* client close_notify, seq 2 (53 bytes) */
static const char IT12_C_ALERT[] =
    "1503030030101112131415161718191a1b1c1d1e1f0d83f97904750dd8fd8aa130218632634fd065e4628379"
    "b88bbf9efd1287a62d";

/* Lines copied from the key logs of ../shared/pcaps (see each capture's .keys) */
static const char capture_keylog[] =
    /* hotplace-tls13_TLS_AES_128_GCM_SHA256.pcapng.keys */
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "c55d7de4cca2ee3f725ca027cbb30a1bf3b857f2962aa4b7bccf3106bbc9e7b3 "
    "601dd4dcc3277dbb3969a464b716f1fe868d2af6424d1f04481a472103bc899b\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "c55d7de4cca2ee3f725ca027cbb30a1bf3b857f2962aa4b7bccf3106bbc9e7b3 "
    "965272c3a3c1a8df580ec6edb4eeb5b779ea32ea2b702a65016356816d5f1a81\n"
    "SERVER_TRAFFIC_SECRET_0 "
    "c55d7de4cca2ee3f725ca027cbb30a1bf3b857f2962aa4b7bccf3106bbc9e7b3 "
    "bad5f6924fa2ab3a258e1c8c4168fddd09c05fb8cd29573ef24850d1b4ad73a4\n"
    "CLIENT_TRAFFIC_SECRET_0 "
    "c55d7de4cca2ee3f725ca027cbb30a1bf3b857f2962aa4b7bccf3106bbc9e7b3 "
    "788b2e29a6ce9dff91b21231e775a59e345aaf79bbdc5e9d371afeb6548142b9\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "809e8158ce5615096911896042afa66b1bdf63678c35ace06618e5da520c2ded "
    "173f64c03a1f2be84418c226be95396d493a262d9c0c31e06cf6fcbf77083e00\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "809e8158ce5615096911896042afa66b1bdf63678c35ace06618e5da520c2ded "
    "747fb5763d962534c3bae4bf2af31a3e83fac020241842c6eb5e8d925d38e0e0\n"
    "SERVER_TRAFFIC_SECRET_0 "
    "809e8158ce5615096911896042afa66b1bdf63678c35ace06618e5da520c2ded "
    "0fc45c37bf9ee0675e337b7fa53b052a8f1444d1e1626ec0e3207ef186334415\n"
    "CLIENT_TRAFFIC_SECRET_0 "
    "809e8158ce5615096911896042afa66b1bdf63678c35ace06618e5da520c2ded "
    "78e236e89ebc5759d212eb5f5a548185cba9f511643d8e58afa2e0665f34806b\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "eeff3b12b284e64c59ee3eb71ead214c28e552964939fddacd5cbb7b61d5fbb2 "
    "b87a2fefb446a062ac376d1c3e64e0b4967528dd4599233be6c31e63039a67bb\n"
    "SERVER_TRAFFIC_SECRET_0 "
    "eeff3b12b284e64c59ee3eb71ead214c28e552964939fddacd5cbb7b61d5fbb2 "
    "678afd939623d2d91132bd895087e40006e3a61818cfa5005eb3cd0a7e6748be\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "eeff3b12b284e64c59ee3eb71ead214c28e552964939fddacd5cbb7b61d5fbb2 "
    "450b1a22afc24e238d00186e367309876a7e67e3d0a9844577e5d815cdabdbb8\n"
    "CLIENT_TRAFFIC_SECRET_0 "
    "eeff3b12b284e64c59ee3eb71ead214c28e552964939fddacd5cbb7b61d5fbb2 "
    "1156d6830a41d7fe958cde2cf74ccb348d91f59c9a649b18ab803b26c23a2f54\n"
    /* it13-capture.pcap.keys */
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
    "23323da031634b241dd37d61032b62a4f450584d1f7f47983ba2f7cc0cdcc39a"
    "68f481f2b019f9403a3051908a5d1622\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
    "db89d2d6df0e84fed74a2288f8fd4d0959f790ff23946cdf4c26d85e51bebd42"
    "ae184501972f8d30c4a3e4a3693d0ef0\n"
    "SERVER_TRAFFIC_SECRET_0 "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
    "86c967fd7747a36a0685b4ed8d0e6b4c02b4ddaf3cd294aa44e9f6b0183bf911"
    "e89a189ba5dfd71fccffb5cc164901f8\n"
    "CLIENT_TRAFFIC_SECRET_0 "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
    "9e47af27cb60d818a9ea7d233cb5ed4cc525fcd74614fb24b0ee59acb8e5aa7f"
    "f8d88b89792114208fec291a6fa96bad\n"
    /* it12-capture.pcap.keys */
    "CLIENT_RANDOM "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
    "916abf9da55973e13614ae0a3f5d3f37b023ba129aee02cc9134338127cd7049"
    "781c8e19fc1eb2a7387ac06ae237344c\n"
    /* hotplace-tls12_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.pcapng.keys */
    "CLIENT_RANDOM "
    "6115ecae8b32e5a8bfb98870068d715c0bed911fdea15775642e9db8db160e27 "
    "987ce499b21747d6d81e6795d58e6112e8ba22ec1f10f31b9623a126a09fe51f"
    "b14b3840455c5a53463d17c2f5627005\n"
    "CLIENT_RANDOM "
    "8d4e72acf55111544eadc50e5e9e0c3015648025881194328bce1573dec89ed6 "
    "20c27d23fd3f64170b2b63917ccfe7251b792ea9492fa52b59c6adccc7109510"
    "2e72ad1b08880a78f3f8316c1234a89b\n";

/* ---- suite table ---------------------------------------------------------- */

static void test_suite_table(void **state)
{
    (void)state;
    static const uint16_t known[] = {
        0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0x000a, 0x002f, 0x0033, 0x0035,
        0x0039, 0x003c, 0x003d, 0x0067, 0x006b, 0x009c, 0x009d, 0x009e, 0x009f,
        0xc009, 0xc00a, 0xc012, 0xc013, 0xc014, 0xc023, 0xc024, 0xc027, 0xc028,
        0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca8, 0xcca9, 0xccaa,
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const struct tls_suite_info *si = tls_suite_find(known[i]);
        assert_non_null(si);
        assert_int_equal(si->id, known[i]);
        assert_int_equal(si->tls13, (known[i] >> 8) == 0x13);
        /* every row names an algorithm OpenSSL has, with the sizes it says */
        EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, si->cipher, NULL);
        if (c == NULL)
            fail_msg("%s: cipher %s not available", si->name, si->cipher);
        assert_int_equal((size_t)EVP_CIPHER_get_key_length(c), si->key_len);
        if (si->kind == TLS_CIPHER_CBC) {
            assert_int_equal((size_t)EVP_CIPHER_get_block_size(c), si->iv_len);
            assert_int_equal((size_t)EVP_CIPHER_get_iv_length(c), si->iv_len);
            EVP_MD *md = EVP_MD_fetch(NULL, si->mac, NULL);
            assert_non_null(md);
            assert_int_equal((size_t)EVP_MD_get_size(md), si->mac_len);
            EVP_MD_free(md);
            assert_int_equal(si->tag_len, 0);
        } else {
            assert_null(si->mac);
            assert_true(si->tag_len == 16 || (si->id == 0x1305 && si->tag_len == 8));
            assert_int_equal(si->iv_len, si->kind == TLS_CIPHER_GCM && !si->tls13 ? 4 : 12);
        }
        EVP_MD *prf = EVP_MD_fetch(NULL, si->prf, NULL);
        assert_non_null(prf);
        assert_int_equal((size_t)EVP_MD_get_size(prf), si->hash_len);
        EVP_MD_free(prf);
        EVP_CIPHER_free(c);
    }
    /* NULL, RC4, export, TLS 1.2 CCM, SM4 and unassigned are not decryptable here */
    static const uint16_t unknown[] = {0x0000, 0x0004, 0x0005, 0x0003, 0xc0ac,
                                       0x00c6, 0x1306, 0xffff, 0x0a0a};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_null(tls_suite_find(unknown[i]));
}

/* ---- RFC 8448 ------------------------------------------------------------- */

static void setup13(struct tls_dir_keys *k, uint16_t suite, const char *secret_hex)
{
    uint8_t secret[48];
    size_t n = unhex(secret_hex, secret, sizeof secret);
    assert_int_equal(tls_dir_keys_tls13(k, suite, secret, n), PR_OK);
}

/* RFC 8448 3: "derive write traffic keys for handshake data" / "... for application data" */
static void test_rfc8448_keys(void **state)
{
    (void)state;
    static const struct {
        const char *secret, *key, *iv;
    } v[] = {
        {RFC_S_HS_SECRET, RFC_S_HS_KEY, RFC_S_HS_IV},
        {RFC_C_HS_SECRET, RFC_C_HS_KEY, RFC_C_HS_IV},
        {RFC_S_AP_SECRET, RFC_S_AP_KEY, RFC_S_AP_IV},
        {RFC_C_AP_SECRET, RFC_C_AP_KEY, RFC_C_AP_IV},
    };
    struct tls_dir_keys k = {0};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        /* the same struct is set up again each time, as a caller does when it
         * switches from handshake to application keys */
        setup13(&k, 0x1301, v[i].secret);
        assert_int_equal(k.key_len, 16);
        assert_int_equal(k.iv_len, 12);
        assert_int_equal(k.seq, 0);
        assert_int_equal(k.version, TLS_VERSION_1_3);
        expect_hex(k.key, k.key_len, v[i].key);
        expect_hex(k.iv, k.iv_len, v[i].iv);
    }
    tls_dir_keys_free(&k);
    assert_null(k.suite);
    assert_null(k.cipher_ctx);
}

static void expect_record(struct tls_dir_keys *k, const char *rec_hex, uint8_t type,
                          const char *plain_hex)
{
    size_t n = 0;
    uint8_t *rec = unhex_dup(rec_hex, &n);
    uint8_t out[TLS_DECRYPT_OUT_MAX];
    struct tls_plain res;
    uint64_t seq = k->seq;
    assert_int_equal(tls_decrypt_record(k, rec, n, out, sizeof out, &res), PR_OK);
    assert_int_equal(res.content_type, type);
    assert_int_equal(res.consumed, n);
    assert_int_equal(k->seq, seq + 1);
    expect_hex(out, res.len, plain_hex);
    free(rec);
}

/* RFC 8448 3: the server's encrypted flight decrypts to EncryptedExtensions,
 * Certificate, CertificateVerify and Finished exactly as listed. */
static void test_rfc8448_server_flight(void **state)
{
    (void)state;
    struct tls_dir_keys k = {0};
    setup13(&k, 0x1301, RFC_S_HS_SECRET);
    expect_record(&k, RFC8448_S_FLIGHT, 22, RFC8448_S_FLIGHT_PLAIN);

    /* the certificate inside is the RFC's "rsa" certificate */
    size_t n = 0;
    uint8_t *plain = unhex_dup(RFC8448_S_FLIGHT_PLAIN, &n);
    struct bytes cert = first_cert(plain + 40, 445, true);
    assert_int_equal(cert.n, 432);
    free(plain);
    tls_dir_keys_free(&k);
}

static void test_rfc8448_other_records(void **state)
{
    (void)state;
    uint8_t app[50];
    char app_hex[101];
    for (size_t i = 0; i < sizeof app; i++) {
        app[i] = (uint8_t)i;
        snprintf(app_hex + 2 * i, 3, "%02x", app[i]);
    }
    struct tls_dir_keys k = {0};

    setup13(&k, 0x1301, RFC_C_HS_SECRET);
    expect_record(&k, RFC_C_FIN, 22, RFC_C_FIN_PLAIN);

    setup13(&k, 0x1301, RFC_C_AP_SECRET);
    expect_record(&k, RFC_C_APP, 23, app_hex);
    expect_record(&k, RFC_C_ALERT, 21, "0100"); /* seq 1 */

    /* the server sent its NewSessionTicket with seq 0 first */
    setup13(&k, 0x1301, RFC_S_AP_SECRET);
    k.seq = 1;
    expect_record(&k, RFC_S_APP, 23, app_hex);
    expect_record(&k, RFC_S_ALERT, 21, "0100");
    tls_dir_keys_free(&k);
}

/* ---- real captures ---------------------------------------------------------- */

struct cap_case {
    const char *name;
    const char *rec;
    uint16_t suite;
    bool tls13;
    const char *cr;               /* client random (hex) */
    const char *sr;               /* server random (hex), TLS 1.2 */
    enum keylog_secret_kind kind; /* TLS 1.3 secret, or KEYLOG_MASTER_SECRET */
    bool server;                  /* TLS 1.2 direction */
    uint64_t seq;
    uint8_t type;
    const char *plain;        /* expected plaintext (hex), or NULL */
    const char *plain_sha256; /* or its digest */
    const char *cert_sha256;  /* first certificate's SHA-256, or NULL */
    const char *capture;      /* for the expected.jsonl cross-check */
};

#define CR_HP_GCM "809e8158ce5615096911896042afa66b1bdf63678c35ace06618e5da520c2ded"
#define CR_HP_CHACHA "c55d7de4cca2ee3f725ca027cbb30a1bf3b857f2962aa4b7bccf3106bbc9e7b3"
#define CR_HP_CCM "eeff3b12b284e64c59ee3eb71ead214c28e552964939fddacd5cbb7b61d5fbb2"
#define CR_IT "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define SR_IT "707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f"
#define CR_HP12 "8d4e72acf55111544eadc50e5e9e0c3015648025881194328bce1573dec89ed6"
#define SR_HP12 "074a0cb6fe8a12a0470fc32988f98eefee81e3d6a6099ddf444f574e47524401"
#define CR_RENEG "6115ecae8b32e5a8bfb98870068d715c0bed911fdea15775642e9db8db160e27"
#define SR_RENEG "ea57d2b545e3fa385e8de37c78bf56bf2728991c8a95f3e8444f574e47524401"
/* cert of frame 6 of the hotplace TLS 1.3 captures, frame 7 of it13, frame
 * 16 of the renegotiation capture (expected.jsonl, "decrypted": true) */
#define CERT_HP13 "8af2d196ab9d620c5072a698e622a9d363f168f0a194cd6e6a28dbbff3dab4d7"
#define CERT_IT13 "c66414aaf6eb0445ccbf2769c0f5ed68dd8940563bf4ebb4b59cdc14d7d71e91"
#define CERT_RENEG "5fea92719cb252ff514e6e8e163c0641dcd380eb5042694dc1550d3c1cce8026"
#define HP13_CERT_MSG "48a6b5a0387ba5ba49535f70e5735c61486c3bddab47811c2445662f274a8af6"

#define HPGCM "hotplace-tls13_TLS_AES_128_GCM_SHA256.pcapng"
#define HPCHACHA "hotplace-tls13_TLS_CHACHA20_POLY1305_SHA256.pcapng"
#define HPCCM "hotplace-tls13_TLS_AES_128_CCM_SHA256_X25519MLKEM768.pcapng"
#define RENEG "hotplace-tls12renogotiation.pcapng"

static const struct cap_case cap_cases[] = {
    {"tls13 gcm server EncryptedExtensions", GCM_S_EE, 0x1301, true, CR_HP_GCM, NULL,
     KEYLOG_SERVER_HS, true, 0, 22, "080000020000", NULL, NULL, NULL},
    {"tls13 gcm server Certificate", GCM_S_CERT, 0x1301, true, CR_HP_GCM, NULL, KEYLOG_SERVER_HS,
     true, 1, 22, NULL, HP13_CERT_MSG, CERT_HP13, HPGCM},
    {"tls13 gcm server Finished", GCM_S_FIN, 0x1301, true, CR_HP_GCM, NULL, KEYLOG_SERVER_HS, true,
     3, 22, "1400002022f83216f641981f8ca03a04d568d482cefeb9cc375eb448e3e8d6872b861596", NULL, NULL,
     NULL},
    {"tls13 gcm server close_notify", GCM_S_ALERT, 0x1301, true, CR_HP_GCM, NULL, KEYLOG_SERVER_AP0,
     true, 2, 21, "0100", NULL, NULL, NULL},
    {"tls13 gcm client Finished", GCM_C_FIN, 0x1301, true, CR_HP_GCM, NULL, KEYLOG_CLIENT_HS, false,
     0, 22, "14000020726f72307037961cc3c9937e72db3d7eb38c0fff3d86864ba0b481f81d0b9fa6", NULL, NULL,
     NULL},
    {"tls13 gcm client data", GCM_C_APP, 0x1301, true, CR_HP_GCM, NULL, KEYLOG_CLIENT_AP0, false, 0,
     23, "746573740d0a", NULL, NULL, NULL},
    {"tls13 gcm client close_notify", GCM_C_ALERT, 0x1301, true, CR_HP_GCM, NULL, KEYLOG_CLIENT_AP0,
     false, 1, 21, "0100", NULL, NULL, NULL},
    {"tls13 chacha20 server Certificate", CHACHA_S_CERT, 0x1303, true, CR_HP_CHACHA, NULL,
     KEYLOG_SERVER_HS, true, 1, 22, NULL, HP13_CERT_MSG, CERT_HP13, HPCHACHA},
    {"tls13 chacha20 client Finished", CHACHA_C_FIN, 0x1303, true, CR_HP_CHACHA, NULL,
     KEYLOG_CLIENT_HS, false, 0, 22,
     "1400002059e9b55cd07b02282b5c6af746e80243ad191ca5661a633f2360af040be05f8e", NULL, NULL, NULL},
    {"tls13 chacha20 client data", CHACHA_C_APP, 0x1303, true, CR_HP_CHACHA, NULL,
     KEYLOG_CLIENT_AP0, false, 0, 23, "746573740d0a", NULL, NULL, NULL},
    {"tls13 ccm server Certificate", CCM_S_CERT, 0x1304, true, CR_HP_CCM, NULL, KEYLOG_SERVER_HS,
     true, 1, 22, NULL, HP13_CERT_MSG, CERT_HP13, HPCCM},
    {"tls13 ccm client Finished", CCM_C_FIN, 0x1304, true, CR_HP_CCM, NULL, KEYLOG_CLIENT_HS, false,
     0, 22, "14000020541c146b2220301a4976ba56d1142d4dd23d38503eaa7e49ad55e82162cba20f", NULL, NULL,
     NULL},
    {"tls13 ccm client data", CCM_C_APP, 0x1304, true, CR_HP_CCM, NULL, KEYLOG_CLIENT_AP0, false, 0,
     23, "746573740d0a", NULL, NULL, NULL},
    {"tls13 aes256-gcm-sha384 server Certificate", IT13_S_CERT, 0x1302, true, CR_IT, NULL,
     KEYLOG_SERVER_HS, true, 1, 22, NULL,
     "3e0b7908bab8c1217b8bb2f04c674ad08137dac17b51ad7f9e34cf6ae2c6744c", CERT_IT13,
     "it13-capture.pcap"},
    {"tls13 aes256-gcm-sha384 server NewSessionTicket", IT13_S_NST, 0x1302, true, CR_IT, NULL,
     KEYLOG_SERVER_AP0, true, 0, 22, NULL,
     "0b348a847f6ee43989b96024fd6a0719bb3297b3bc89746430989896f0899b15", NULL, NULL},
    {"tls12 ecdhe-ecdsa-aes128-gcm server Finished", T12GCM_S_FIN, 0xc02b, false, CR_HP12, SR_HP12,
     KEYLOG_MASTER_SECRET, true, 0, 22, "1400000c305971c8f38e0968280f935d", NULL, NULL, NULL},
    {"tls12 ecdhe-ecdsa-aes128-gcm client Finished", T12GCM_C_FIN, 0xc02b, false, CR_HP12, SR_HP12,
     KEYLOG_MASTER_SECRET, false, 0, 22, "1400000cff7486f7d9a31384a38cf562", NULL, NULL, NULL},
    {"tls12 ecdhe-ecdsa-aes128-gcm client data", T12GCM_C_APP, 0xc02b, false, CR_HP12, SR_HP12,
     KEYLOG_MASTER_SECRET, false, 1, 23, "746573740d0a", NULL, NULL, NULL},
    {"tls12 ecdhe-ecdsa-aes128-gcm client close_notify", T12GCM_C_ALERT, 0xc02b, false, CR_HP12,
     SR_HP12, KEYLOG_MASTER_SECRET, false, 2, 21, "0100", NULL, NULL, NULL},
    {"tls12 renegotiation server Finished", RENEG_S_FIN, 0xc030, false, CR_RENEG, SR_RENEG,
     KEYLOG_MASTER_SECRET, true, 0, 22, "1400000c522748448a013f75119810f6", NULL, NULL, NULL},
    {"tls12 renegotiation ServerHello", RENEG_S_SH, 0xc030, false, CR_RENEG, SR_RENEG,
     KEYLOG_MASTER_SECRET, true, 1, 22, NULL,
     "0a5337464836afa280de1583243143fe09838660462c0665dc87e2c6035eed4b", NULL, NULL},
    {"tls12 renegotiation Certificate", RENEG_S_CERT, 0xc030, false, CR_RENEG, SR_RENEG,
     KEYLOG_MASTER_SECRET, true, 2, 22, NULL,
     "a872e47be03671d9784638028a3c77f369feed0e6dec5a3a17871e14a0b0dd78", CERT_RENEG, RENEG},
    {"tls12 aes128-cbc-sha server Finished", IT12_S_FIN, 0xc013, false, CR_IT, SR_IT,
     KEYLOG_MASTER_SECRET, true, 0, 22, "1400000c844d3c10746dd722f92f0c7e", NULL, NULL, NULL},
    {"tls12 aes128-cbc-sha server data", IT12_S_APP, 0xc013, false, CR_IT, SR_IT,
     KEYLOG_MASTER_SECRET, true, 1, 23, "706f6e67", NULL, NULL, NULL},
    {"tls12 aes128-cbc-sha client Finished", IT12_C_FIN, 0xc013, false, CR_IT, SR_IT,
     KEYLOG_MASTER_SECRET, false, 0, 22, "1400000ccf919626f1360c536aaad73a", NULL, NULL, NULL},
    {"tls12 aes128-cbc-sha client data", IT12_C_APP, 0xc013, false, CR_IT, SR_IT,
     KEYLOG_MASTER_SECRET, false, 1, 23, "70696e67", NULL, NULL, NULL},
    {"tls12 aes128-cbc-sha client close_notify", IT12_C_ALERT, 0xc013, false, CR_IT, SR_IT,
     KEYLOG_MASTER_SECRET, false, 2, 21, "0100", NULL, NULL, NULL},
};

static struct keylog *capture_keys(void)
{
    struct keylog *kl = keylog_new(16);
    assert_non_null(kl);
    assert_int_equal(keylog_feed(kl, (const uint8_t *)capture_keylog, strlen(capture_keylog)),
                     PR_OK);
    assert_int_equal(keylog_finish(kl), PR_OK);
    return kl;
}

/* Keys for one case, looked up in the key log like the sensor does. */
static void case_keys(const struct cap_case *cc, const struct keylog *kl, struct tls_dir_keys *k)
{
    uint8_t cr[32];
    uint8_t sr[32];
    struct keylog_entry e;

    unhex(cc->cr, cr, sizeof cr);
    assert_true(keylog_lookup(kl, cr, &e));
    struct bytes s = e.secret[cc->kind];
    assert_non_null(s.p);
    if (cc->tls13) {
        assert_int_equal(tls_dir_keys_tls13(k, cc->suite, s.p, s.n), PR_OK);
    } else {
        unhex(cc->sr, sr, sizeof sr);
        assert_int_equal(tls_dir_keys_tls12(cc->server ? NULL : k, cc->server ? k : NULL, cc->suite,
                                            TLS_VERSION_1_2, false, s.p, s.n, cr, sr),
                         PR_OK);
    }
    k->seq = cc->seq;
}

static void test_captures(void **state)
{
    (void)state;
    struct keylog *kl = capture_keys();
    static uint8_t out[TLS_DECRYPT_OUT_MAX];

    for (size_t i = 0; i < sizeof cap_cases / sizeof cap_cases[0]; i++) {
        const struct cap_case *cc = &cap_cases[i];
        struct tls_dir_keys k = {0};
        struct tls_plain res;
        size_t n = 0;
        uint8_t *rec = unhex_dup(cc->rec, &n);

        case_keys(cc, kl, &k);
        /* trailing bytes after the record are not part of it */
        uint8_t *more = malloc(n + 7);
        assert_non_null(more);
        memcpy(more, rec, n);
        memset(more + n, 0x17, 7);
        enum pr_status st = tls_decrypt_record(&k, more, n + 7, out, sizeof out, &res);
        if (st != PR_OK)
            fail_msg("%s: status %d", cc->name, st);
        assert_int_equal(res.consumed, n);
        assert_int_equal(res.content_type, cc->type);
        assert_int_equal(k.seq, cc->seq + 1);
        if (cc->plain != NULL)
            expect_hex(out, res.len, cc->plain);
        if (cc->plain_sha256 != NULL) {
            char hex[65];
            sha256_hex(out, res.len, hex);
            if (strcmp(hex, cc->plain_sha256) != 0)
                fail_msg("%s: plaintext sha256 %s", cc->name, hex);
        }
        if (cc->cert_sha256 != NULL) {
            char hex[65];
            struct bytes cert = first_cert(out, res.len, cc->tls13);
            sha256_hex(cert.p, cert.n, hex);
            assert_string_equal(hex, cc->cert_sha256);
        }
        /* exactly the record's ciphertext size of output room is enough */
        k.seq = cc->seq;
        size_t need = n - TLS_RECORD_HEADER_LEN;
        uint8_t *tight = malloc(need);
        assert_non_null(tight);
        assert_int_equal(tls_decrypt_record(&k, rec, n, tight, need, &res), PR_OK);
        free(tight);
        free(more);
        free(rec);
        tls_dir_keys_free(&k);
    }
    keylog_free(kl);
}

/* Hostile and broken input on every capture record: no crash, never PR_OK. */
static void test_capture_corruption(void **state)
{
    (void)state;
    struct keylog *kl = capture_keys();
    static uint8_t out[TLS_DECRYPT_OUT_MAX];

    for (size_t i = 0; i < sizeof cap_cases / sizeof cap_cases[0]; i++) {
        const struct cap_case *cc = &cap_cases[i];
        struct tls_dir_keys k = {0};
        struct tls_plain res;
        size_t n = 0;
        uint8_t *rec = unhex_dup(cc->rec, &n);
        case_keys(cc, kl, &k);

        /* every truncated prefix: incomplete, sequence number untouched */
        for (size_t cut = 0; cut < n; cut++) {
            uint8_t *p = malloc(cut ? cut : 1);
            assert_non_null(p);
            memcpy(p, rec, cut);
            assert_int_equal(tls_decrypt_record(&k, p, cut, out, sizeof out, &res), PR_INCOMPLETE);
            assert_int_equal(k.seq, cc->seq);
            assert_int_equal(res.len, 0);
            free(p);
        }
        /* every single-bit change: refused */
        for (size_t pos = 0; pos < n; pos++) {
            for (unsigned bit = 0; bit < 8; bit += 7) {
                rec[pos] ^= (uint8_t)(1u << bit);
                k.seq = cc->seq;
                enum pr_status st = tls_decrypt_record(&k, rec, n, out, sizeof out, &res);
                rec[pos] ^= (uint8_t)(1u << bit);
                if (st == PR_OK)
                    fail_msg("%s: flip at %zu accepted", cc->name, pos);
                if (pos >= TLS_RECORD_HEADER_LEN)
                    assert_int_equal(st, PR_MALFORMED);
                assert_int_equal(res.len, 0);
            }
        }
        /* wrong sequence number */
        k.seq = cc->seq + 1;
        assert_int_equal(tls_decrypt_record(&k, rec, n, out, sizeof out, &res), PR_MALFORMED);
        assert_int_equal(k.seq, cc->seq + 2); /* a complete record consumes a number */
        /* wrong key */
        k.seq = cc->seq;
        k.key[0] ^= 1;
        assert_int_equal(tls_decrypt_record(&k, rec, n, out, sizeof out, &res), PR_MALFORMED);
        k.key[0] ^= 1;
        if (k.mac_key_len) {
            k.seq = cc->seq;
            k.mac_key[3] ^= 0x40;
            assert_int_equal(tls_decrypt_record(&k, rec, n, out, sizeof out, &res), PR_MALFORMED);
            k.mac_key[3] ^= 0x40;
        }
        /* output room one byte short: PR_LIMIT, nothing consumed */
        k.seq = cc->seq;
        assert_int_equal(tls_decrypt_record(&k, rec, n, out, n - TLS_RECORD_HEADER_LEN - 1, &res),
                         PR_LIMIT);
        assert_int_equal(k.seq, cc->seq);
        /* and the record still decrypts afterwards */
        assert_int_equal(tls_decrypt_record(&k, rec, n, out, sizeof out, &res), PR_OK);
        free(rec);
        tls_dir_keys_free(&k);
    }
    keylog_free(kl);
}

/* The certificate digests used above are the decrypted ones of expected.jsonl. */
static void test_expected_jsonl(void **state)
{
    (void)state;
    const char *dir = getenv("CS_SHARED_PCAPS");
    char path[512];
    snprintf(path, sizeof path, "%s/expected.jsonl", dir ? dir : "../shared/pcaps");
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        skip();
    size_t found[sizeof cap_cases / sizeof cap_cases[0]] = {0};
    char line[4096];
    while (fgets(line, sizeof line, fp) != NULL) {
        for (size_t i = 0; i < sizeof cap_cases / sizeof cap_cases[0]; i++) {
            const struct cap_case *cc = &cap_cases[i];
            char f[256], h[128];
            if (cc->capture == NULL)
                continue;
            snprintf(f, sizeof f, "\"file\": \"%s\"", cc->capture);
            snprintf(h, sizeof h, "\"sha256\": \"%s\"", cc->cert_sha256);
            if (strstr(line, f) && strstr(line, h) && strstr(line, "\"decrypted\": true"))
                found[i]++;
        }
    }
    fclose(fp);
    for (size_t i = 0; i < sizeof cap_cases / sizeof cap_cases[0]; i++) {
        if (cap_cases[i].capture != NULL && found[i] == 0)
            fail_msg("%s: certificate not in expected.jsonl", cap_cases[i].name);
    }
}

/* ---- set-up and framing errors -------------------------------------------- */

static void test_setup_errors(void **state)
{
    (void)state;
    struct tls_dir_keys k = {0};
    struct tls_dir_keys s = {0};
    uint8_t secret[48] = {1};
    uint8_t cr[32] = {2}, sr[32] = {3};

    assert_int_equal(tls_dir_keys_tls13(&k, 0x1301, secret, 48), PR_MALFORMED);
    assert_int_equal(tls_dir_keys_tls13(&k, 0x1302, secret, 32), PR_MALFORMED);
    assert_int_equal(tls_dir_keys_tls13(&k, 0x1301, NULL, 32), PR_MALFORMED);
    assert_int_equal(tls_dir_keys_tls13(&k, 0xc02f, secret, 32), PR_UNSUPPORTED);
    assert_int_equal(tls_dir_keys_tls13(&k, 0x1306, secret, 32), PR_UNSUPPORTED);
    assert_int_equal(tls_dir_keys_tls13(NULL, 0x1301, secret, 32), PR_UNSUPPORTED);
    assert_null(k.cipher_ctx);

    assert_int_equal(tls_dir_keys_tls12(&k, &s, 0x1301, TLS_VERSION_1_2, false, secret, 48, cr, sr),
                     PR_UNSUPPORTED);
    assert_int_equal(tls_dir_keys_tls12(&k, &s, 0x0005, TLS_VERSION_1_2, false, secret, 48, cr, sr),
                     PR_UNSUPPORTED); /* RC4 */
    assert_int_equal(tls_dir_keys_tls12(&k, &s, 0xc02f, TLS_VERSION_1_1, false, secret, 48, cr, sr),
                     PR_UNSUPPORTED); /* GCM needs TLS 1.2 */
    assert_int_equal(tls_dir_keys_tls12(&k, &s, 0xc027, TLS_VERSION_1_0, false, secret, 48, cr, sr),
                     PR_UNSUPPORTED); /* SHA-256 MAC needs TLS 1.2 */
    assert_int_equal(tls_dir_keys_tls12(&k, &s, 0xc013, 0x0300, false, secret, 48, cr, sr),
                     PR_UNSUPPORTED); /* SSL 3.0 */
    assert_int_equal(tls_dir_keys_tls12(&k, &s, 0xc013, TLS_VERSION_1_3, false, secret, 48, cr, sr),
                     PR_UNSUPPORTED);
    assert_int_equal(tls_dir_keys_tls12(&k, &s, 0xc013, TLS_VERSION_1_2, false, secret, 47, cr, sr),
                     PR_MALFORMED);
    assert_int_equal(
        tls_dir_keys_tls12(&k, &s, 0xc013, TLS_VERSION_1_2, false, secret, 48, NULL, sr),
        PR_MALFORMED);
    /* encrypt-then-MAC is kept for CBC only */
    assert_int_equal(tls_dir_keys_tls12(&k, &s, 0xc02f, TLS_VERSION_1_2, true, secret, 48, cr, sr),
                     PR_OK);
    assert_false(k.encrypt_then_mac);
    assert_int_equal(tls_dir_keys_tls12(&k, &s, 0xc013, TLS_VERSION_1_0, true, secret, 48, cr, sr),
                     PR_OK);
    assert_true(k.encrypt_then_mac && s.encrypt_then_mac);
    /* client and server keys differ */
    assert_memory_not_equal(k.key, s.key, k.key_len);
    assert_memory_not_equal(k.mac_key, s.mac_key, k.mac_key_len);
    tls_dir_keys_free(&k);
    tls_dir_keys_free(&s);
    tls_dir_keys_free(&k); /* twice is fine */
    tls_dir_keys_free(NULL);

    /* not set up */
    uint8_t rec[64] = {23, 3, 3, 0, 20};
    uint8_t out[64];
    struct tls_plain res;
    assert_int_equal(tls_decrypt_record(&k, rec, 25, out, sizeof out, &res), PR_UNSUPPORTED);
    assert_int_equal(tls_decrypt_record(NULL, rec, 25, out, sizeof out, &res), PR_UNSUPPORTED);
    assert_int_equal(tls_decrypt_record(&k, rec, 25, out, sizeof out, NULL), PR_UNSUPPORTED);
}

/* Records that cannot hold what their cipher needs, over every suite kind,
 * and the record length bound. */
static void test_short_and_long_records(void **state)
{
    (void)state;
    static const struct {
        uint16_t suite, version;
        bool etm;
    } cfg[] = {
        {0x1301, TLS_VERSION_1_3, false}, {0x1302, TLS_VERSION_1_3, false},
        {0x1303, TLS_VERSION_1_3, false}, {0x1304, TLS_VERSION_1_3, false},
        {0x1305, TLS_VERSION_1_3, false}, {0xc02f, TLS_VERSION_1_2, false},
        {0xc030, TLS_VERSION_1_2, false}, {0xcca8, TLS_VERSION_1_2, false},
        {0xc013, TLS_VERSION_1_2, false}, {0xc013, TLS_VERSION_1_2, true},
        {0xc028, TLS_VERSION_1_2, true},  {0x000a, TLS_VERSION_1_2, false},
        {0xc013, TLS_VERSION_1_0, false}, {0xc013, TLS_VERSION_1_0, true},
    };
    uint8_t secret[48];
    uint8_t cr[32] = {0}, sr[32] = {0};
    static uint8_t rec[TLS12_CIPHERTEXT_MAX + 64];
    static uint8_t out[TLS12_CIPHERTEXT_MAX + 64];
    struct tls_plain res;
    memset(secret, 0x5a, sizeof secret);

    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        struct tls_dir_keys k = {0};
        const struct tls_suite_info *si = tls_suite_find(cfg[i].suite);
        bool tls13 = cfg[i].version == TLS_VERSION_1_3;
        assert_non_null(si);
        if (tls13)
            assert_int_equal(tls_dir_keys_tls13(&k, cfg[i].suite, secret, si->hash_len), PR_OK);
        else
            assert_int_equal(tls_dir_keys_tls12(&k, NULL, cfg[i].suite, cfg[i].version, cfg[i].etm,
                                                secret, 48, cr, sr),
                             PR_OK);
        /* every fragment length up to 100 bytes of junk: refused, and each
         * complete record consumes a sequence number */
        for (size_t len = 0; len <= 100; len++) {
            rec[0] = 23;
            rec[1] = 3;
            rec[2] = 3;
            rec[3] = (uint8_t)(len >> 8);
            rec[4] = (uint8_t)len;
            for (size_t j = 0; j < len; j++)
                rec[5 + j] = (uint8_t)(j * 31 + len);
            uint64_t seq = k.seq;
            uint8_t *p = malloc(5 + len);
            assert_non_null(p);
            memcpy(p, rec, 5 + len);
            assert_int_equal(tls_decrypt_record(&k, p, 5 + len, out, sizeof out, &res),
                             PR_MALFORMED);
            free(p);
            assert_int_equal(k.seq, seq + 1);
        }
        /* over the length bound (RFC 8446 5.2 / RFC 5246 6.2.3): refused */
        size_t max = tls13 ? TLS13_CIPHERTEXT_MAX : TLS12_CIPHERTEXT_MAX;
        rec[3] = (uint8_t)((max + 1) >> 8);
        rec[4] = (uint8_t)(max + 1);
        memset(rec + 5, 0, max + 1);
        assert_int_equal(tls_decrypt_record(&k, rec, 5 + max + 1, out, sizeof out, &res),
                         PR_MALFORMED);
        assert_int_equal(tls_decrypt_record(&k, rec, 5 + max, out, sizeof out, &res),
                         PR_INCOMPLETE);
        /* exactly at the bound: a normal (here: unauthentic) record */
        rec[3] = (uint8_t)(max >> 8);
        rec[4] = (uint8_t)max;
        assert_int_equal(tls_decrypt_record(&k, rec, 5 + max, out, sizeof out, &res), PR_MALFORMED);
        assert_int_equal(tls_decrypt_record(&k, rec, 5 + max, out, max - 1, &res), PR_LIMIT);
        assert_int_equal(tls_decrypt_record(&k, rec, 5 + max, NULL, 0, &res), PR_LIMIT);
        /* TLS 1.3: only application_data records are protected */
        if (tls13) {
            static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
            uint64_t seq = k.seq;
            assert_int_equal(tls_decrypt_record(&k, ccs, sizeof ccs, out, sizeof out, &res),
                             PR_UNSUPPORTED);
            assert_int_equal(k.seq, seq);
            assert_int_equal(res.consumed, sizeof ccs); /* so the caller can skip it */
        }
        /* sequence numbers never wrap */
        k.seq = UINT64_MAX;
        assert_int_equal(tls_decrypt_record(&k, rec, 5 + max, out, sizeof out, &res), PR_LIMIT);
        assert_int_equal(k.seq, UINT64_MAX);
        tls_dir_keys_free(&k);
    }
}

/* A TLS 1.3 record whose inner plaintext is all zeros has no content type
 * (RFC 8446 5.4): sealed here with the RFC 8448 server keys. */
static void test_tls13_padding(void **state)
{
    (void)state;
    struct tls_dir_keys k = {0};
    setup13(&k, 0x1301, RFC_S_HS_SECRET);
    static const size_t inner_lens[] = {0, 1, 7, 300};
    for (size_t t = 0; t < sizeof inner_lens / sizeof inner_lens[0]; t++) {
        for (int zeros_only = 0; zeros_only <= 1; zeros_only++) {
            uint8_t inner[400] = {0};
            size_t n = inner_lens[t];
            uint8_t content[3] = {0x14, 0x00, 0x42};
            size_t in_len = 0;
            if (!zeros_only) {
                memcpy(inner, content, 3);
                inner[3] = 22;
                in_len = 4 + n; /* n bytes of padding */
            } else {
                in_len = n;
            }
            uint8_t rec[5 + 400 + 16];
            rec[0] = 23;
            rec[1] = 3;
            rec[2] = 3;
            rec[3] = (uint8_t)((in_len + 16) >> 8);
            rec[4] = (uint8_t)(in_len + 16);
            uint8_t nonce[12];
            memcpy(nonce, k.iv, 12);
            nonce[11] ^= 5; /* seq 5 */
            EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
            int outl = 0;
            assert_int_equal(EVP_EncryptInit_ex2(c, EVP_aes_128_gcm(), k.key, nonce, NULL), 1);
            assert_int_equal(EVP_EncryptUpdate(c, NULL, &outl, rec, 5), 1);
            if (in_len)
                assert_int_equal(EVP_EncryptUpdate(c, rec + 5, &outl, inner, (int)in_len), 1);
            assert_int_equal(EVP_EncryptFinal_ex(c, rec + 5 + in_len, &outl), 1);
            assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, rec + 5 + in_len),
                             1);
            EVP_CIPHER_CTX_free(c);

            uint8_t out[512];
            struct tls_plain res;
            k.seq = 5;
            enum pr_status st = tls_decrypt_record(&k, rec, 5 + in_len + 16, out, sizeof out, &res);
            if (zeros_only) {
                assert_int_equal(st, PR_MALFORMED);
            } else {
                assert_int_equal(st, PR_OK);
                assert_int_equal(res.content_type, 22);
                assert_int_equal(res.len, 3);
                assert_memory_equal(out, content, 3);
            }
        }
    }
    tls_dir_keys_free(&k);
}

/* ---- CBC records sealed by the test with OpenSSL ---------------------------- */

struct cbc_opts {
    int pad_extra_blocks; /* extra whole blocks of padding (TLS allows up to 255 bytes) */
    bool bad_pad_byte;    /* one padding byte differs from padding_length */
    bool pad_too_long;    /* padding_length larger than the record */
    bool bad_mac;
};

/* Seal `plain` as a record of `type` with k's keys and seq (the inverse of
 * what tls_decrypt_record does), MAC-then-encrypt or encrypt-then-MAC.
 * `iv` is the explicit IV (TLS 1.1+) or the chained IV (TLS 1.0), updated. */
static size_t cbc_seal(const struct tls_dir_keys *k, uint8_t type, const uint8_t *plain, size_t n,
                       uint8_t *iv, const struct cbc_opts *o, uint8_t *rec)
{
    const struct tls_suite_info *si = k->suite;
    size_t bs = si->iv_len;
    size_t mac_len = si->mac_len;
    bool explicit_iv = k->version >= TLS_VERSION_1_1;
    bool etm = k->encrypt_then_mac;
    uint8_t buf[2048];
    uint8_t macin[2048];
    uint8_t mac[64];
    size_t maclen = 0;
    size_t len = 0;
    size_t hdr_ver = k->version;

    /* MAC input: seq || type || version || length || data */
    for (int i = 0; i < 8; i++)
        macin[i] = (uint8_t)(k->seq >> (56 - 8 * i));
    macin[8] = type;
    macin[9] = (uint8_t)(hdr_ver >> 8);
    macin[10] = (uint8_t)hdr_ver;

    memcpy(buf, plain, n);
    len = n;
    if (!etm) {
        macin[11] = (uint8_t)(n >> 8);
        macin[12] = (uint8_t)n;
        memcpy(macin + 13, plain, n);
        assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, si->mac, NULL, k->mac_key, mac_len, macin,
                                  13 + n, mac, sizeof mac, &maclen));
        if (o->bad_mac)
            mac[0] ^= 1;
        memcpy(buf + len, mac, mac_len);
        len += mac_len;
    }
    size_t pad = bs - (len + 1) % bs;
    if (pad == bs)
        pad = 0;
    pad += (size_t)o->pad_extra_blocks * bs;
    for (size_t i = 0; i <= pad; i++)
        buf[len + i] = (uint8_t)pad;
    len += pad + 1;
    if (o->bad_pad_byte && pad > 0)
        buf[len - 2] ^= 1;
    if (o->pad_too_long)
        buf[len - 1] = 0xff;
    assert_int_equal(len % bs, 0);

    uint8_t *p = rec + 5;
    if (explicit_iv) {
        memcpy(p, iv, bs);
        p += bs;
    }
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    EVP_CIPHER *ciph = EVP_CIPHER_fetch(NULL, si->cipher, NULL);
    int outl = 0;
    assert_int_equal(EVP_EncryptInit_ex2(c, ciph, k->key, iv, NULL), 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    assert_int_equal(EVP_EncryptUpdate(c, p, &outl, buf, (int)len), 1);
    assert_int_equal((size_t)outl, len);
    EVP_CIPHER_CTX_free(c);
    EVP_CIPHER_free(ciph);
    if (!explicit_iv)
        memcpy(iv, p + len - bs, bs);
    p += len;
    size_t frag = (size_t)(p - (rec + 5));
    if (etm) {
        macin[11] = (uint8_t)(frag >> 8);
        macin[12] = (uint8_t)frag;
        memcpy(macin + 13, rec + 5, frag);
        assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, si->mac, NULL, k->mac_key, mac_len, macin,
                                  13 + frag, mac, sizeof mac, &maclen));
        if (o->bad_mac)
            mac[0] ^= 1;
        memcpy(p, mac, mac_len);
        frag += mac_len;
    }
    rec[0] = type;
    rec[1] = (uint8_t)(hdr_ver >> 8);
    rec[2] = (uint8_t)hdr_ver;
    rec[3] = (uint8_t)(frag >> 8);
    rec[4] = (uint8_t)frag;
    return 5 + frag;
}

static void test_cbc_sealed(void **state)
{
    (void)state;
    static const struct {
        uint16_t suite, version;
    } cfg[] = {
        {0xc013, TLS_VERSION_1_2}, {0xc028, TLS_VERSION_1_2}, {0x003c, TLS_VERSION_1_2},
        {0x000a, TLS_VERSION_1_2}, {0xc014, TLS_VERSION_1_1}, {0xc013, TLS_VERSION_1_0},
        {0xc012, TLS_VERSION_1_0},
    };
    uint8_t master[48];
    uint8_t cr[32], sr[32];
    memset(master, 0x11, sizeof master);
    memset(cr, 0x22, sizeof cr);
    memset(sr, 0x33, sizeof sr);

    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        for (int etm = 0; etm <= 1; etm++) {
            struct tls_dir_keys seal = {0}, open = {0};
            /* two copies of the client keys: one seals, one opens */
            assert_int_equal(tls_dir_keys_tls12(&seal, NULL, cfg[c].suite, cfg[c].version, etm,
                                                master, 48, cr, sr),
                             PR_OK);
            assert_int_equal(tls_dir_keys_tls12(&open, NULL, cfg[c].suite, cfg[c].version, etm,
                                                master, 48, cr, sr),
                             PR_OK);
            size_t bs = seal.suite->iv_len;
            uint8_t iv[16];
            memcpy(iv, seal.iv, bs); /* TLS 1.0: the key block IV starts the chain */
            uint8_t plain[600];
            for (size_t i = 0; i < sizeof plain; i++)
                plain[i] = (uint8_t)(i * 13);
            uint8_t rec[2048];
            uint8_t out[2048];
            struct tls_plain res;
            static const size_t lens[] = {0, 1, 15, 16, 17, 100, 600};
            /* good records, chained: any length, up to 255 bytes of padding */
            for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
                for (int extra = 0; extra <= 2; extra++) {
                    struct cbc_opts o = {extra == 2 ? (int)(240 / bs) : extra, false, false, false};
                    if (cfg[c].version >= TLS_VERSION_1_1)
                        memset(iv, (int)(l * 3 + (size_t)extra), bs);
                    size_t n = cbc_seal(&seal, 23, plain, lens[l], iv, &o, rec);
                    seal.seq++;
                    enum pr_status st = tls_decrypt_record(&open, rec, n, out, sizeof out, &res);
                    if (st != PR_OK)
                        fail_msg("suite %04x v%04x etm %d len %zu extra %d: %d", cfg[c].suite,
                                 cfg[c].version, etm, lens[l], extra, st);
                    assert_int_equal(res.len, lens[l]);
                    assert_int_equal(res.content_type, 23);
                    assert_memory_equal(out, plain, lens[l]);
                }
            }
            /* bad padding, padding longer than the record, bad MAC: refused */
            static const struct cbc_opts bad[] = {
                {1, true, false, false},
                {0, false, true, false},
                {0, false, false, true},
            };
            for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
                for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
                    if (cfg[c].version >= TLS_VERSION_1_1)
                        memset(iv, 0x77, bs);
                    size_t n = cbc_seal(&seal, 22, plain, lens[l], iv, &bad[b], rec);
                    seal.seq++;
                    assert_int_equal(tls_decrypt_record(&open, rec, n, out, sizeof out, &res),
                                     PR_MALFORMED);
                }
            }
            /* a record whose ciphertext is not whole blocks */
            struct cbc_opts o = {0, false, false, false};
            if (cfg[c].version >= TLS_VERSION_1_1)
                memset(iv, 0x55, bs);
            size_t n = cbc_seal(&seal, 23, plain, 40, iv, &o, rec);
            seal.seq++;
            rec[4] = (uint8_t)(rec[4] - 1);
            assert_int_equal(tls_decrypt_record(&open, rec, n - 1, out, sizeof out, &res),
                             PR_MALFORMED);
            tls_dir_keys_free(&seal);
            tls_dir_keys_free(&open);
        }
    }
}

/* ---- live sessions with libssl ---------------------------------------------- */

struct wire {
    uint8_t *p;
    size_t n, cap;
};

static void wire_add(struct wire *w, const uint8_t *p, size_t n)
{
    if (w->n + n > w->cap) {
        size_t cap = (w->n + n) * 2;
        uint8_t *q = realloc(w->p, cap);
        assert_non_null(q);
        w->p = q;
        w->cap = cap;
    }
    memcpy(w->p + w->n, p, n);
    w->n += n;
}

/* move what one side wrote to the other side, keeping a copy */
static void pump(BIO *from, BIO *to, struct wire *w)
{
    uint8_t buf[4096];
    int n;
    while ((n = BIO_read(from, buf, sizeof buf)) > 0) {
        wire_add(w, buf, (size_t)n);
        assert_int_equal(BIO_write(to, buf, n), n);
    }
}

static void keylog_cb(const SSL *ssl, const char *line)
{
    struct keylog *kl = SSL_get_app_data(ssl);
    assert_int_equal(keylog_add_line(kl, line, strlen(line)), PR_OK);
}

struct live_cfg {
    const char *name;
    int version;
    const char *ciphers; /* TLS <= 1.2 cipher list, or TLS 1.3 ciphersuites */
    bool no_etm;
    uint16_t suite; /* expected to be negotiated */
};

struct live_run {
    struct wire c2s, s2c;
    uint8_t cr[32], sr[32];
    uint16_t suite;
    int version;
};

static const uint8_t client_msg[] = "GET /ews/exchange.asmx HTTP/1.1\r\nHost: mail\r\n\r\n";

static void server_msg(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + i / 251);
}

enum { SERVER_MSG_LEN = 20000 }; /* more than one full-size record */

static void live_session(const struct live_cfg *cfg, EVP_PKEY *pkey, X509 *cert, struct keylog *kl,
                         struct live_run *run)
{
    SSL_CTX *ctx[2];
    SSL *ssl[2];
    BIO *rd[2], *wr[2];
    ctx[0] = SSL_CTX_new(TLS_client_method());
    ctx[1] = SSL_CTX_new(TLS_server_method());
    for (int i = 0; i < 2; i++) {
        assert_non_null(ctx[i]);
        SSL_CTX_set_security_level(ctx[i], 0);
        assert_int_equal(SSL_CTX_set_min_proto_version(ctx[i], cfg->version), 1);
        assert_int_equal(SSL_CTX_set_max_proto_version(ctx[i], cfg->version), 1);
        if (cfg->version == TLS1_3_VERSION) {
            assert_int_equal(SSL_CTX_set_ciphersuites(ctx[i], cfg->ciphers), 1);
        } else {
            char list[128];
            snprintf(list, sizeof list, "%s:@SECLEVEL=0", cfg->ciphers);
            assert_int_equal(SSL_CTX_set_cipher_list(ctx[i], list), 1);
        }
        SSL_CTX_set_keylog_callback(ctx[i], keylog_cb);
    }
    if (cfg->no_etm)
        SSL_CTX_set_options(ctx[0], SSL_OP_NO_ENCRYPT_THEN_MAC);
    assert_int_equal(SSL_CTX_use_certificate(ctx[1], cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx[1], pkey), 1);
    for (int i = 0; i < 2; i++) {
        ssl[i] = SSL_new(ctx[i]);
        assert_non_null(ssl[i]);
        SSL_set_app_data(ssl[i], kl);
        rd[i] = BIO_new(BIO_s_mem());
        wr[i] = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl[i], rd[i], wr[i]);
    }
    SSL_set_connect_state(ssl[0]);
    SSL_set_accept_state(ssl[1]);

    int rc = 0, rs = 0;
    for (int round = 0; round < 20 && (rc != 1 || rs != 1); round++) {
        rc = SSL_do_handshake(ssl[0]);
        pump(wr[0], rd[1], &run->c2s);
        rs = SSL_do_handshake(ssl[1]);
        pump(wr[1], rd[0], &run->s2c);
    }
    if (rc != 1 || rs != 1)
        fail_msg("%s: handshake failed", cfg->name);

    uint8_t buf[SERVER_MSG_LEN];
    size_t got = 0;
    assert_int_equal(SSL_write(ssl[0], client_msg, sizeof client_msg - 1),
                     (int)sizeof client_msg - 1);
    pump(wr[0], rd[1], &run->c2s);
    while (got < sizeof client_msg - 1) {
        int n = SSL_read(ssl[1], buf + got, (int)(sizeof buf - got));
        assert_true(n > 0);
        got += (size_t)n;
    }
    pump(wr[1], rd[0], &run->s2c); /* TLS 1.3 tickets, if sent late */
    server_msg(buf, sizeof buf);
    assert_int_equal(SSL_write(ssl[1], buf, sizeof buf), (int)sizeof buf);
    pump(wr[1], rd[0], &run->s2c);
    got = 0;
    while (got < sizeof buf) {
        int n = SSL_read(ssl[0], buf, (int)sizeof buf);
        assert_true(n > 0);
        got += (size_t)n;
    }
    SSL_shutdown(ssl[0]);
    pump(wr[0], rd[1], &run->c2s);
    SSL_shutdown(ssl[1]);
    pump(wr[1], rd[0], &run->s2c);

    assert_int_equal(SSL_get_client_random(ssl[0], run->cr, 32), 32);
    assert_int_equal(SSL_get_server_random(ssl[0], run->sr, 32), 32);
    run->suite = (uint16_t)SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(ssl[0]));
    run->version = SSL_version(ssl[0]);
    for (int i = 0; i < 2; i++) {
        SSL_free(ssl[i]);
        SSL_CTX_free(ctx[i]);
    }
}

/* The application data and alerts of one direction after its keys start. */
struct walk {
    const char *name;
    uint8_t *app;
    size_t app_n;
    size_t records;  /* decrypted */
    size_t finished; /* Finished messages seen */
    size_t tickets;  /* TLS 1.3 NewSessionTicket messages */
    bool close_notify;
};

static void walk_plain(struct walk *w, const struct tls_plain *res, const uint8_t *out)
{
    switch (res->content_type) {
    case 23:
        memcpy(w->app + w->app_n, out, res->len);
        w->app_n += res->len;
        break;
    case 21:
        assert_int_equal(res->len, 2);
        assert_int_equal(out[1], 0); /* close_notify */
        w->close_notify = true;
        break;
    case 22: {
        /* whole handshake messages (libssl does not split them here) */
        struct cur c = cur_make(out, res->len);
        while (!cur_empty(&c)) {
            uint8_t t = cur_u8(&c);
            uint32_t l = cur_u24(&c);
            cur_skip(&c, l);
            if (t == 20)
                w->finished++;
            if (t == 4)
                w->tickets++;
        }
        assert_false(c.err);
        break;
    }
    default:
        fail_msg("%s: content type %u", w->name, res->content_type);
    }
}

/* TLS 1.0-1.2: protected from this direction's ChangeCipherSpec on. */
static void walk12(const struct wire *wire, struct tls_dir_keys *k, struct walk *w)
{
    static uint8_t out[TLS_DECRYPT_OUT_MAX];
    bool protected = false;
    size_t off = 0;
    while (off < wire->n) {
        struct cur c = cur_make(wire->p + off, wire->n - off);
        uint8_t type = cur_u8(&c);
        (void)cur_u16(&c);
        size_t len = cur_u16(&c);
        assert_false(c.err);
        assert_true(5 + len <= wire->n - off);
        if (!protected) {
            protected = type == 20;
            off += 5 + len;
            continue;
        }
        struct tls_plain res;
        enum pr_status st =
            tls_decrypt_record(k, wire->p + off, wire->n - off, out, sizeof out, &res);
        if (st != PR_OK)
            fail_msg("%s: record %zu: status %d", w->name, w->records, st);
        assert_int_equal(res.consumed, 5 + len);
        if (w->records == 0) {
            assert_int_equal(res.content_type, 22);
            assert_int_equal(res.len, 16); /* Finished, 12 bytes of verify_data */
        }
        walk_plain(w, &res, out);
        w->records++;
        off += res.consumed;
    }
    assert_true(protected);
}

/* TLS 1.3: handshake keys up to this direction's Finished, then traffic secret 0. */
static void walk13(const struct wire *wire, uint16_t suite, struct bytes hs, struct bytes ap,
                   struct walk *w)
{
    static uint8_t out[TLS_DECRYPT_OUT_MAX];
    struct tls_dir_keys k = {0};
    bool app_keys = false;
    size_t off = 0;
    assert_int_equal(tls_dir_keys_tls13(&k, suite, hs.p, hs.n), PR_OK);
    while (off < wire->n) {
        struct cur c = cur_make(wire->p + off, wire->n - off);
        uint8_t type = cur_u8(&c);
        (void)cur_u16(&c);
        size_t len = cur_u16(&c);
        assert_false(c.err);
        struct tls_plain res;
        enum pr_status st =
            tls_decrypt_record(&k, wire->p + off, wire->n - off, out, sizeof out, &res);
        if (type != 23) {
            /* hello and compatibility ChangeCipherSpec: not protected */
            assert_int_equal(st, PR_UNSUPPORTED);
            assert_int_equal(res.consumed, 5 + len);
            off += res.consumed;
            continue;
        }
        if (st != PR_OK)
            fail_msg("%s: record %zu: status %d", w->name, w->records, st);
        assert_int_equal(res.consumed, 5 + len);
        size_t fin = w->finished;
        walk_plain(w, &res, out);
        w->records++;
        if (!app_keys && w->finished > fin) {
            assert_int_equal(tls_dir_keys_tls13(&k, suite, ap.p, ap.n), PR_OK);
            app_keys = true;
        }
        off += res.consumed;
    }
    assert_true(app_keys);
    tls_dir_keys_free(&k);
}

static void test_live_sessions(void **state)
{
    (void)state;
    static const struct live_cfg cfgs[] = {
        {"1.2 ECDHE-ECDSA-CHACHA20-POLY1305", TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305",
         false, 0xcca9},
        {"1.2 ECDHE-ECDSA-AES128-GCM-SHA256", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256",
         false, 0xc02b},
        {"1.2 ECDHE-ECDSA-AES256-GCM-SHA384", TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384",
         false, 0xc02c},
        {"1.2 ECDHE-ECDSA-AES128-SHA256 etm", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA256", false,
         0xc023},
        {"1.2 ECDHE-ECDSA-AES128-SHA256", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA256", true,
         0xc023},
        {"1.2 ECDHE-ECDSA-AES256-SHA384 etm", TLS1_2_VERSION, "ECDHE-ECDSA-AES256-SHA384", false,
         0xc024},
        {"1.2 ECDHE-ECDSA-AES256-SHA384", TLS1_2_VERSION, "ECDHE-ECDSA-AES256-SHA384", true,
         0xc024},
        {"1.2 ECDHE-ECDSA-AES128-SHA etm", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA", false, 0xc009},
        {"1.2 ECDHE-ECDSA-AES128-SHA", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA", true, 0xc009},
        {"1.1 ECDHE-ECDSA-AES256-SHA etm", TLS1_1_VERSION, "ECDHE-ECDSA-AES256-SHA", false, 0xc00a},
        {"1.1 ECDHE-ECDSA-AES256-SHA", TLS1_1_VERSION, "ECDHE-ECDSA-AES256-SHA", true, 0xc00a},
        {"1.0 ECDHE-ECDSA-AES128-SHA etm", TLS1_VERSION, "ECDHE-ECDSA-AES128-SHA", false, 0xc009},
        {"1.0 ECDHE-ECDSA-AES128-SHA", TLS1_VERSION, "ECDHE-ECDSA-AES128-SHA", true, 0xc009},
        {"1.3 TLS_AES_128_GCM_SHA256", TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", false, 0x1301},
        {"1.3 TLS_AES_256_GCM_SHA384", TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", false, 0x1302},
        {"1.3 TLS_CHACHA20_POLY1305_SHA256", TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", false,
         0x1303},
        {"1.3 TLS_AES_128_CCM_SHA256", TLS1_3_VERSION, "TLS_AES_128_CCM_SHA256", false, 0x1304},
        {"1.3 TLS_AES_128_CCM_8_SHA256", TLS1_3_VERSION, "TLS_AES_128_CCM_8_SHA256", false, 0x1305},
    };

    /* a throwaway ECDSA P-256 server certificate */
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    assert_non_null(pkey);
    X509 *cert = X509_new();
    assert_non_null(cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, pkey);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"mail", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    assert_true(X509_sign(cert, pkey, EVP_sha256()) > 0);

    static uint8_t expect_server[SERVER_MSG_LEN];
    server_msg(expect_server, sizeof expect_server);

    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) {
        const struct live_cfg *cfg = &cfgs[i];
        struct keylog *kl = keylog_new(4);
        assert_non_null(kl);
        struct live_run run;
        memset(&run, 0, sizeof run);
        live_session(cfg, pkey, cert, kl, &run);
        if (run.suite != cfg->suite || run.version != cfg->version)
            fail_msg("%s: negotiated %04x/%04x", cfg->name, run.suite, (unsigned)run.version);

        struct keylog_entry e;
        assert_true(keylog_lookup(kl, run.cr, &e));
        static uint8_t capp[64 * 1024], sapp[64 * 1024];
        struct walk wc = {cfg->name, capp, 0, 0, 0, 0, false};
        struct walk ws = {cfg->name, sapp, 0, 0, 0, 0, false};
        if (cfg->version == TLS1_3_VERSION) {
            walk13(&run.c2s, run.suite, e.secret[KEYLOG_CLIENT_HS], e.secret[KEYLOG_CLIENT_AP0],
                   &wc);
            walk13(&run.s2c, run.suite, e.secret[KEYLOG_SERVER_HS], e.secret[KEYLOG_SERVER_AP0],
                   &ws);
            assert_true(ws.tickets > 0);
        } else {
            struct tls_dir_keys kc = {0}, ks = {0};
            struct bytes ms = e.secret[KEYLOG_MASTER_SECRET];
            /* OpenSSL negotiates encrypt-then-MAC for CBC unless told not to */
            assert_int_equal(tls_dir_keys_tls12(&kc, &ks, run.suite, (uint16_t)run.version,
                                                !cfg->no_etm, ms.p, ms.n, run.cr, run.sr),
                             PR_OK);
            walk12(&run.c2s, &kc, &wc);
            walk12(&run.s2c, &ks, &ws);
            tls_dir_keys_free(&kc);
            tls_dir_keys_free(&ks);
        }
        assert_int_equal(wc.finished, 1);
        assert_int_equal(ws.finished, 1);
        assert_true(wc.close_notify && ws.close_notify);
        assert_int_equal(wc.app_n, sizeof client_msg - 1);
        assert_memory_equal(capp, client_msg, wc.app_n);
        assert_int_equal(ws.app_n, sizeof expect_server);
        assert_memory_equal(sapp, expect_server, ws.app_n);
        /* both ends logged the same secrets: every second line a duplicate */
        assert_int_equal(keylog_stats(kl)->malformed, 0);
        assert_true(keylog_stats(kl)->duplicates > 0);
        free(run.c2s.p);
        free(run.s2c.p);
        keylog_free(kl);
    }
    X509_free(cert);
    EVP_PKEY_free(pkey);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_table),
        cmocka_unit_test(test_rfc8448_keys),
        cmocka_unit_test(test_rfc8448_server_flight),
        cmocka_unit_test(test_rfc8448_other_records),
        cmocka_unit_test(test_captures),
        cmocka_unit_test(test_capture_corruption),
        cmocka_unit_test(test_expected_jsonl),
        cmocka_unit_test(test_setup_errors),
        cmocka_unit_test(test_short_and_long_records),
        cmocka_unit_test(test_tls13_padding),
        cmocka_unit_test(test_cbc_sealed),
        cmocka_unit_test(test_live_sessions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
