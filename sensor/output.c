#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool output_open(struct output *o, const char *path)
{
    memset(o, 0, sizeof *o);
    o->stats = true;
    if (strcmp(path, "-") == 0) {
        o->fp = stdout;
        return true;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return false;
    o->fp = fdopen(fd, "w");
    if (o->fp == NULL) {
        int e = errno;
        close(fd);
        errno = e;
        return false;
    }
    o->close_fp = true;
    return true;
}

/* DIR/<sha256>.pem, written once, atomically (temporary name + rename). */
static void extract_cert(struct output *o, const struct cs_cert *c)
{
    char hex[65], path[4096], tmp[4200];
    cs_hex(c->info->sha256, 32, hex);
    if ((size_t)snprintf(path, sizeof path, "%s/%s.pem", o->cert_dir, hex) >= sizeof path)
        return;
    if (access(path, F_OK) == 0)
        return;
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", o->cert_dir, hex, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        o->write_failed = true;
        return;
    }
    FILE *fp = fdopen(fd, "w");
    if (fp == NULL) {
        close(fd);
        unlink(tmp);
        o->write_failed = true;
        return;
    }
    /* raw bytes as sent, even when OpenSSL could not parse them */
    int ok = PEM_write(fp, "CERTIFICATE", "", c->der, (long)c->der_len) > 0;
    ok = (fflush(fp) == 0) && ok;
    ok = (fsync(fileno(fp)) == 0 || errno == EINVAL) && ok;
    ok = (fclose(fp) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        o->write_failed = true;
        return;
    }
    o->certs_written++;
}

void output_event(const struct cs_event *ev, void *user)
{
    struct output *o = user;
    if (ev->type == CS_EVENT_STATS && !o->stats)
        return;
    size_t need = cs_event_to_json(ev, o->buf, o->cap);
    if (need >= o->cap) {
        size_t cap = need + 1 > 65536 ? need + 1 : 65536;
        char *nb = realloc(o->buf, cap);
        if (nb == NULL) {
            o->write_failed = true;
            return;
        }
        o->buf = nb;
        o->cap = cap;
        cs_event_to_json(ev, o->buf, o->cap);
    }
    o->buf[need] = '\n';
    if (fwrite(o->buf, 1, need + 1, o->fp) != need + 1)
        o->write_failed = true;
    o->buf[need] = '\0';
    if (ev->type == CS_EVENT_TLS && o->cert_dir != NULL) {
        const struct cs_tls *t = ev->u.tls;
        for (size_t i = 0; i < t->server_cert_count; i++)
            extract_cert(o, &t->server_certs[i]);
        for (size_t i = 0; i < t->client_cert_count; i++)
            extract_cert(o, &t->client_certs[i]);
    }
}

bool output_close(struct output *o)
{
    bool ok = !o->write_failed;
    if (o->fp != NULL) {
        if (fflush(o->fp) != 0)
            ok = false;
        if (o->close_fp && fclose(o->fp) != 0)
            ok = false;
    }
    free(o->buf);
    o->buf = NULL;
    o->fp = NULL;
    return ok;
}
