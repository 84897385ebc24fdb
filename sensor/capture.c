#include "capture.h"
#include "pcapng_keys.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CAPTURE_READ_BUF (64u << 10) /* measured: 4 KiB default 0.55 s, 64 KiB 0.39 s on bench-large */

static bool apply_filter(pcap_t *p, const char *name, const char *filter)
{
    if (filter == NULL || filter[0] == '\0')
        return true;
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        fprintf(stderr, "certsensor: %s: invalid filter expression \"%s\": %s\n", name, filter,
                pcap_geterr(p));
        return false;
    }
    bool ok = pcap_setfilter(p, &prog) == 0;
    if (!ok)
        fprintf(stderr, "certsensor: %s: cannot set filter: %s\n", name, pcap_geterr(p));
    pcap_freecode(&prog);
    return ok;
}

static int64_t ts_of(const struct pcap_pkthdr *h)
{
    return (int64_t)h->ts.tv_sec * 1000000 + (int64_t)h->ts.tv_usec;
}

static void dsb_keys(void *ctx, const uint8_t *p, size_t n)
{
    struct cs_sensor *s = ctx;
    cs_keylog_feed(s, p, n);
    cs_keylog_feed(s, (const uint8_t *)"\n", 1); /* one DSB's last line ends here */
}

/* Keys carried in the capture itself (pcapng Decryption Secrets Blocks),
 * read before its packets. Damage is left to the packet reader to report. */
static void embedded_keys(struct cs_sensor *s, const char *path)
{
    if (strcmp(path, "-") == 0)
        return; /* a pipe cannot be read twice */
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return;
    char err[256];
    pcapng_keys_scan(fp, dsb_keys, s, err, sizeof err);
    fclose(fp);
}

bool capture_file(struct cs_sensor *s, const char *path, const char *filter,
                  void (*between)(void *), void *between_ctx)
{
    embedded_keys(s, path);
    char err[PCAP_ERRBUF_SIZE] = "";
    /* our own FILE with a large buffer: fewer read() calls on big captures */
    FILE *in = NULL;
    if (strcmp(path, "-") == 0) {
        int fd = dup(STDIN_FILENO); /* a FILE of our own, so pcap_close may close it */
        in = fd >= 0 ? fdopen(fd, "rb") : NULL;
        if (in == NULL && fd >= 0)
            close(fd);
    } else {
        in = fopen(path, "rb");
    }
    if (in == NULL) {
        fprintf(stderr, "certsensor: %s: byte 0: cannot open: %s\n", path, strerror(errno));
        return false;
    }
    /* glibc ignores the size unless it is given the buffer */
    char *iobuf = malloc(CAPTURE_READ_BUF);
    if (iobuf != NULL)
        setvbuf(in, iobuf, _IOFBF, CAPTURE_READ_BUF);
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(in, PCAP_TSTAMP_PRECISION_MICRO, err);
    if (p == NULL) {
        fprintf(stderr, "certsensor: %s: byte 0: not a readable pcap or pcapng capture: %s\n",
                path, err);
        fclose(in);
        free(iobuf);
        return false;
    }
    bool ok = apply_filter(p, path, filter);
    int linktype = pcap_datalink(p);
    unsigned long n = 0;
    /* Classic pcap: a 24-byte file header, then 16-byte record headers, so
     * the offset of the record after the last good one is a running sum
     * (no syscall per packet). pcapng blocks vary: ftell at failure. */
    bool classic = pcap_major_version(p) == 2;
    uint64_t next_off = 24;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = 0;
    while (ok && (rc = pcap_next_ex(p, &h, &data)) == 1) {
        n++;
        /* pcapng may change link type per interface */
        linktype = pcap_datalink(p);
        struct cs_packet pkt = {ts_of(h), linktype, data, h->caplen, h->len};
        cs_err e = cs_feed(s, &pkt);
        if (e == CS_ERR_LINKTYPE) {
            fprintf(stderr, "certsensor: %s: packet %lu: unsupported link type %d (%s)\n", path,
                    n, linktype, pcap_datalink_val_to_name(linktype) ? pcap_datalink_val_to_name(linktype) : "?");
            ok = false;
            break;
        }
        next_off += 16 + (uint64_t)h->caplen;
        if (between != NULL && (n & 4095) == 0)
            between(between_ctx);
    }
    if (ok && rc == -1) {
        FILE *fp = pcap_file(p);
        long at = fp != NULL ? ftell(fp) : -1;
        if (classic)
            fprintf(stderr, "certsensor: %s: packet %lu at byte offset %llu: %s\n", path, n + 1,
                    (unsigned long long)next_off, pcap_geterr(p));
        else if (at >= 0)
            fprintf(stderr, "certsensor: %s: packet %lu, reading stopped at byte offset %ld: %s\n",
                    path, n + 1, at, pcap_geterr(p));
        else
            fprintf(stderr, "certsensor: %s: packet %lu: %s\n", path, n + 1, pcap_geterr(p));
        ok = false;
    }
    pcap_close(p); /* closes `in` */
    free(iobuf);
    return ok;
}

struct live_ctx {
    struct cs_sensor *s;
    int linktype;
};

static void live_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct live_ctx *c = (struct live_ctx *)(void *)user;
    struct cs_packet pkt = {ts_of(h), c->linktype, data, h->caplen, h->len};
    cs_feed(c->s, &pkt);
}

bool capture_drop_privileges(const char *user)
{
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        fprintf(stderr, "certsensor: --user %s: no such user\n", user);
        return false;
    }
    /* order matters: groups and gid while still root, uid last */
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        fprintf(stderr, "certsensor: --user %s: cannot drop privileges: %s\n", user,
                strerror(errno));
        return false;
    }
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        fprintf(stderr, "certsensor: --user %s: root could be regained; stopping\n", user);
        return false;
    }
    return true;
}

bool capture_live(struct cs_sensor *s, const char *iface, const char *filter, size_t snaplen,
                  volatile int *stop, void (*tick)(void *), void *tick_ctx, const char *user)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(iface, err);
    if (p == NULL) {
        fprintf(stderr, "certsensor: %s: cannot open interface: %s\n", iface, err);
        return false;
    }
    pcap_set_snaplen(p, (int)snaplen);
    pcap_set_promisc(p, 1);
    pcap_set_timeout(p, 100);
    pcap_set_buffer_size(p, 64 * 1024 * 1024);
    int rc = pcap_activate(p);
    if (rc < 0) {
        fprintf(stderr, "certsensor: %s: cannot start capture: %s\n", iface, pcap_geterr(p));
        pcap_close(p);
        return false;
    }
    if (!apply_filter(p, iface, filter)) {
        pcap_close(p);
        return false;
    }
    /* the interface is open and filtered: nothing else needs root */
    if (user != NULL && !capture_drop_privileges(user)) {
        pcap_close(p);
        return false;
    }
    struct live_ctx c = {s, pcap_datalink(p)};
    bool ok = true;
    /* non-blocking + poll: timers (expiry, reload, key log) run every 100 ms
     * even on a quiet link */
    int fd = pcap_get_selectable_fd(p);
    if (fd >= 0 && pcap_setnonblock(p, 1, err) != 0)
        fd = -1;
    while (!*stop) {
        if (fd >= 0) {
            struct pollfd pfd = {fd, POLLIN, 0};
            int pr = poll(&pfd, 1, 100);
            if (pr < 0 && errno != EINTR) {
                fprintf(stderr, "certsensor: %s: poll: %s\n", iface, strerror(errno));
                ok = false;
                break;
            }
        }
        rc = pcap_dispatch(p, -1, live_cb, (u_char *)(void *)&c);
        if (rc < 0 && rc != PCAP_ERROR_BREAK) {
            fprintf(stderr, "certsensor: %s: capture error: %s\n", iface, pcap_geterr(p));
            ok = false;
            break;
        }
        if (tick != NULL)
            tick(tick_ctx);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        cs_tick(s, (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000);
    }
    struct pcap_stat ps;
    if (pcap_stats(p, &ps) == 0 && (ps.ps_drop || ps.ps_ifdrop))
        fprintf(stderr, "certsensor: %s: kernel dropped %u packets, interface %u\n", iface,
                ps.ps_drop, ps.ps_ifdrop);
    pcap_close(p);
    return ok;
}
