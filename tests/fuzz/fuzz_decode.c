/* Fuzz target: packet decoding (sensor/decode.h).
 *
 * Input: [link type selector] frame bytes...
 * The selector picks one of the link types below (modulo their number);
 * the last entry is one decode_packet() must refuse. The frame is the rest
 * of the input, so its end is the end of libFuzzer's exactly sized buffer.
 * Properties checked: the link type verdict agrees with
 * decode_linktype_supported(); a TCP result has a family of 4 or 6, a
 * payload view inside the frame (read whole) no longer than the segment
 * length the IP header declares, and an encapsulation depth within
 * DECODE_MAX_DEPTH. */
#include <string.h>

#include "certsensor.h"
#include "decode.h"
#include "fuzz.h"

static const int link_types[] = {
    CS_LINK_ETHERNET,
    CS_LINK_RAW,
    CS_LINK_NULL,
    CS_LINK_LOOP,
    CS_LINK_LINUX_SLL,
    CS_LINK_IPV4,
    CS_LINK_IPV6,
    12,
    14,
    CS_LINK_LINUX_SLL2,
    147, /* DLT_USER0: not supported */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int lt = link_types[data[0] % (sizeof link_types / sizeof link_types[0])];
    const uint8_t *frame = data + 1;
    size_t caplen = size - 1;
    struct decoded d;
    enum decode_result r = decode_packet(lt, frame, caplen, &d);
    FUZZ_CHECK((r == DEC_BAD_LINKTYPE) == !decode_linktype_supported(lt));
    if (r != DEC_TCP)
        return 0;
    FUZZ_CHECK(d.family == 4 || d.family == 6);
    FUZZ_CHECK(d.encap_depth <= DECODE_MAX_DEPTH);
    FUZZ_CHECK(d.payload_len <= d.seg_len);
    FUZZ_CHECK(fuzz_within(d.payload, d.payload_len, frame, caplen));
    volatile uint64_t h = fuzz_mix(FUZZ_HASH_INIT, d.payload, d.payload_len);
    (void)h;
    if (d.family == 4) {
        static const uint8_t zero[12];
        FUZZ_CHECK(memcmp(d.src + 4, zero, 12) == 0 && memcmp(d.dst + 4, zero, 12) == 0);
    }
    return 0;
}
