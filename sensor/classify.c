#include "classify.h"

#include <ndpi_api.h>
#include <stdio.h>
#include <string.h>

struct classifier {
    struct cs_mem *mem;
    struct ndpi_detection_module_struct *ndpi;
    size_t flow_size;
};

struct classifier *classify_new(struct cs_mem *mem)
{
    struct classifier *c = mem_calloc(mem, 1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->mem = mem;
    c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (c->ndpi == NULL) {
        mem_free(mem, c, sizeof *c);
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
    ndpi_finalize_initialization(c->ndpi);
    c->flow_size = ndpi_detection_get_sizeof_ndpi_flow_struct();
    return c;
}

void classify_free(struct classifier *c)
{
    if (c == NULL)
        return;
    ndpi_exit_detection_module(c->ndpi);
    mem_free(c->mem, c, sizeof *c);
}

void classify_release(struct classifier *c, struct classify_flow *cf)
{
    if (cf->state == NULL)
        return;
    ndpi_free_flow_data(cf->state); /* nDPI's own allocations inside the flow */
    mem_free(c->mem, cf->state, cf->state_size);
    cf->state = NULL;
    cf->state_size = 0;
}

static void take_result(struct classify_flow *cf, ndpi_protocol p)
{
    struct ndpi_flow_struct *nf = cf->state;
    cf->master = p.master_protocol;
    cf->app = p.app_protocol;
    cf->category = (uint16_t)p.category;
    cf->risk = nf->risk;
}

void classify_packet(struct classifier *c, struct classify_flow *cf, const uint8_t *l3,
                     size_t l3_len, int64_t ts_us)
{
    if (cf->done || l3 == NULL || l3_len == 0)
        return;
    if (cf->state == NULL) {
        cf->state = mem_calloc(c->mem, 1, c->flow_size);
        if (cf->state == NULL) {
            cf->done = true; /* memcap: no label rather than no sensor */
            return;
        }
        cf->state_size = c->flow_size;
    }
    unsigned short n = l3_len > 65535 ? 65535 : (unsigned short)l3_len;
    ndpi_protocol p = ndpi_detection_process_packet(c->ndpi, cf->state, l3, n,
                                                    (u_int64_t)(ts_us / 1000));
    take_result(cf, p);
    cf->pkts++;
    bool known = p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
    /* Stop at the first label: nDPI's "extra dissection" of TLS would parse
     * certificates and build a JA3 again, which the sensor already does
     * (measured on bench-large: 0.66 s with it, see README). */
    if (known || cf->pkts >= CLASSIFY_MAX_PKTS)
        classify_finish(c, cf);
}

void classify_finish(struct classifier *c, struct classify_flow *cf)
{
    if (cf->done)
        return;
    if (cf->state != NULL) {
        if (cf->app == NDPI_PROTOCOL_UNKNOWN && cf->master == NDPI_PROTOCOL_UNKNOWN) {
            u_int8_t guessed = 0;
            take_result(cf, ndpi_detection_giveup(c->ndpi, cf->state, 1, &guessed));
        }
        classify_release(c, cf);
    }
    cf->done = true;
}

void classify_describe(struct classifier *c, const struct classify_flow *cf, char *proto,
                       size_t proto_cap, char *category, size_t cat_cap, char *risks,
                       size_t risks_cap)
{
    ndpi_protocol p = {cf->master, cf->app, (ndpi_protocol_category_t)cf->category};
    char buf[128];
    snprintf(proto, proto_cap, "%s", ndpi_protocol2name(c->ndpi, p, buf, sizeof buf));
    const char *cat = ndpi_category_get_name(c->ndpi, p.category);
    snprintf(category, cat_cap, "%s", cat != NULL ? cat : "");
    size_t o = 0;
    if (risks_cap > 0)
        risks[0] = '\0';
    for (int r = 1; r < NDPI_MAX_RISK && r < 64; r++) {
        if (!(cf->risk & ((uint64_t)1 << r)))
            continue;
        const char *name = ndpi_risk2str((ndpi_risk_enum)r);
        int w = snprintf(risks + o, risks_cap - o, "%s%s", o ? "," : "", name ? name : "?");
        if (w < 0 || (size_t)w >= risks_cap - o)
            break;
        o += (size_t)w;
    }
}
