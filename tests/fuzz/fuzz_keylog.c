/* Fuzz target: the NSS key log reader and store (parsers/keylog.h).
 *
 * Input: [split: 2 bytes, big endian] [store size selector] key log text...
 * The text goes to two stores of the same size (1..16 client randoms, so
 * the "store full" path is reached): one gets it in one keylog_feed() call,
 * the other in two calls cut at `split` (modulo length + 1); both then get
 * keylog_finish(). Then every line's second field that is 64 hex digits,
 * and the first 32 bytes of the text, are looked up in both.
 *
 * Properties (keylog.h): every chunking gives the same store and the same
 * counters; every line lands in exactly one counter; lookups agree between
 * the stores, and every returned secret view is readable and at most
 * KEYLOG_SECRET_MAX bytes. */
#include <string.h>

#include "fuzz.h"
#include "keylog.h"

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void lookup_both(const struct keylog *a, const struct keylog *b,
                        const uint8_t cr[KEYLOG_RANDOM_LEN])
{
    struct keylog_entry ea, eb;
    bool fa = keylog_lookup(a, cr, &ea);
    bool fb = keylog_lookup(b, cr, &eb);
    FUZZ_CHECK(fa == fb);
    if (!fa)
        return;
    for (int k = 0; k < KEYLOG_SECRET_KINDS; k++) {
        FUZZ_CHECK(ea.secret[k].n == eb.secret[k].n);
        FUZZ_CHECK(ea.secret[k].n <= KEYLOG_SECRET_MAX);
        FUZZ_CHECK((ea.secret[k].n == 0) == (ea.secret[k].p == NULL));
        if (ea.secret[k].n > 0)
            FUZZ_CHECK(memcmp(ea.secret[k].p, eb.secret[k].p, ea.secret[k].n) == 0);
    }
}

/* the second space/tab-separated field of line[0..n), if it is 64 hex digits */
static bool second_field_random(const uint8_t *line, size_t n, uint8_t cr[KEYLOG_RANDOM_LEN])
{
    size_t i = 0;
    while (i < n && line[i] != ' ' && line[i] != '\t')
        i++;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (n - i < 2 * KEYLOG_RANDOM_LEN)
        return false;
    for (size_t j = 0; j < KEYLOG_RANDOM_LEN; j++) {
        int hi = hexval(line[i + 2 * j]), lo = hexval(line[i + 2 * j + 1]);
        if (hi < 0 || lo < 0)
            return false;
        cr[j] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t split = (size_t)data[0] << 8 | data[1];
    size_t max_entries = 1 + data[2] % 16;
    const uint8_t *t = data + 3;
    size_t n = size - 3;
    split %= n + 1;

    struct keylog *a = keylog_new(max_entries);
    struct keylog *b = keylog_new(max_entries);
    FUZZ_CHECK(a != NULL && b != NULL);
    keylog_feed(a, t, n);
    keylog_finish(a);
    keylog_feed(b, t, split);
    keylog_feed(b, t + split, n - split);
    keylog_finish(b);

    const struct keylog_stats *sa = keylog_stats(a), *sb = keylog_stats(b);
    FUZZ_CHECK(sa->lines == sb->lines && sa->comments == sb->comments);
    FUZZ_CHECK(sa->stored == sb->stored && sa->duplicates == sb->duplicates);
    FUZZ_CHECK(sa->conflicts == sb->conflicts && sa->ignored == sb->ignored);
    FUZZ_CHECK(sa->unknown == sb->unknown && sa->malformed == sb->malformed);
    FUZZ_CHECK(sa->full == sb->full && sa->entries == sb->entries);
    FUZZ_CHECK(sa->last_bad_line == sb->last_bad_line && sa->last_reason == sb->last_reason);
    FUZZ_CHECK(sa->lines == sa->comments + sa->stored + sa->duplicates + sa->conflicts +
                                sa->ignored + sa->unknown + sa->malformed + sa->full);
    FUZZ_CHECK(sa->entries <= max_entries);
    FUZZ_CHECK(sa->last_bad_line <= sa->lines);
    FUZZ_CHECK(keylog_reason_text(sa->last_reason) != NULL);
    FUZZ_CHECK(keylog_mem_bytes(a) == keylog_mem_bytes(b));

    uint8_t cr[KEYLOG_RANDOM_LEN] = {0};
    memcpy(cr, t, n < sizeof cr ? n : sizeof cr);
    lookup_both(a, b, cr);
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && t[e] != '\n')
            e++;
        if (second_field_random(t + i, e - i, cr))
            lookup_both(a, b, cr);
        i = e + 1;
    }
    keylog_free(a);
    keylog_free(b);
    return 0;
}
