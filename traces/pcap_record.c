/* Capturing the NIC's wire as a pcap file (see traces/pcap_record.h). */
#include "traces/pcap_record.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/files.h"
#include "sim/kernel.h"

typedef struct pcap_frame {
    uint64_t t_ps, seq;
    nic_pkt pkt;
} pcap_frame;

struct pcap_recorder {
    sim_kernel *kernel;
    char *path;
    pcap_frame *f;
    size_t n, cap, max;
    uint64_t seq, dropped;
    bool veb; /* trace.pcap_veb: the switch's turnarounds too */
};

typedef struct pcap_record_cfg {
    const char *file;
    uint64_t max_frames;
    bool veb;
} pcap_record_cfg;

static const sim_param_def pcap_record_params[] = {
    {"trace.pcap", SIM_PARAM_STRING, "", NULL, "",
     "Capture every frame on the NIC's wire (both directions) into this pcap file, a file "
     "name in the point's results folder (tcpdump -r and Wireshark read it)",
     SIM_AT(pcap_record_cfg, file)},
    {"trace.pcap_frames", SIM_PARAM_UINT, "1000000", "1..100000000", "frames",
     "Most frames trace.pcap keeps: the first booked (they are sorted by time at the end of "
     "the point; those booked after are counted on stderr, not kept)",
     SIM_AT(pcap_record_cfg, max_frames)},
    {"trace.pcap_veb", SIM_PARAM_BOOL, "false", NULL, "",
     "trace.pcap also captures the frames the NIC's embedded switch turns around from one "
     "function to another (VM to VM on the port), stamped when they reach the receive side",
     SIM_AT(pcap_record_cfg, veb)},
};

void pcap_record_register_params(sim_params *p)
{
    sim_params_add_table(p, pcap_record_params, SIM_TABLE_LEN(pcap_record_params));
}

static pcap_record_cfg load(const sim_params *p)
{
    pcap_record_cfg c;
    sim_params_load_table(p, pcap_record_params, SIM_TABLE_LEN(pcap_record_params), &c);
    return c;
}

int pcap_record_check(const sim_params *p, sim_err *e)
{
    return sim_point_file_name_check("trace.pcap", load(p).file, e);
}

int pcap_recorder_start(const sim_ctx *ctx, pcap_recorder **out, sim_err *e)
{
    (void)e;
    *out = NULL;
    pcap_record_cfg c = load(ctx->params);
    if (!*c.file)
        return 0;
    pcap_recorder *r = sim_xcalloc(1, sizeof *r);
    r->kernel = ctx->kernel;
    r->path = ctx->dir ? sim_xasprintf("%s/%s", ctx->dir, c.file) : sim_xstrdup(c.file);
    r->max = c.max_frames;
    r->veb = c.veb;
    *out = r;
    return 0;
}

void pcap_recorder_on_wire(void *ctx, nic_tap_point at, const nic_pkt *p, uint64_t t_ps)
{
    pcap_recorder *r = ctx;
    if (at == NIC_TAP_VEB && !r->veb)
        return;
    if (r->n == r->max) {
        r->dropped++;
        return;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        if (r->cap > r->max)
            r->cap = r->max;
        r->f = sim_xrealloc(r->f, r->cap * sizeof *r->f);
    }
    r->f[r->n++] = (pcap_frame){t_ps, r->seq++, *p};
}

static int by_time(const void *a, const void *b)
{
    const pcap_frame *x = a, *y = b;
    if (x->t_ps != y->t_ps)
        return x->t_ps < y->t_ps ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint8_t *put_mac(uint8_t *b, uint64_t mac)
{
    for (int i = 5; i >= 0; i--)
        *b++ = (uint8_t)(mac >> (8 * i));
    return b;
}

static uint8_t *put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
    return b + 2;
}

/* 10.x.y.z: the MAC's low three bytes. */
static uint8_t *put_ip_of(uint8_t *b, uint64_t mac)
{
    b[0] = 10;
    b[1] = (uint8_t)(mac >> 16);
    b[2] = (uint8_t)(mac >> 8);
    b[3] = (uint8_t)mac;
    return b + 4;
}

/* The headers the frame implies (see the header); the bytes captured. */
static uint32_t frame_bytes(const nic_pkt *p, uint32_t len, uint8_t *b)
{
    uint8_t *q = put_mac(b, p->dst_mac);
    q = put_mac(q, p->src_mac);
    if (p->vlan) {
        q = put16(q, 0x8100);
        q = put16(q, p->vlan & 0x0fff);
    }
    q = put16(q, 0x0800);
    uint32_t l2 = (uint32_t)(q - b);
    uint32_t ip_len = len > l2 ? len - l2 : 0;
    if (ip_len > 0xffff)
        ip_len = 0xffff;
    uint8_t *ip = q;
    *q++ = 0x45;
    *q++ = 0;
    q = put16(q, (uint16_t)ip_len);
    q = put16(q, 0);      /* identification */
    q = put16(q, 0x4000); /* don't fragment */
    *q++ = 64;            /* TTL */
    *q++ = 17;            /* UDP */
    q = put16(q, 0);      /* checksum, below */
    q = put_ip_of(q, p->src_mac);
    q = put_ip_of(q, p->dst_mac);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)ip[i] << 8 | ip[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(ip + 10, (uint16_t)~sum);
    uint16_t eph = (uint16_t)(50000u + p->flow % 10000u), svc = 5001;
    bool response = p->kind == NIC_PKT_RESPONSE;
    q = put16(q, response ? svc : eph);
    q = put16(q, response ? eph : svc);
    q = put16(q, (uint16_t)(ip_len > 20 ? ip_len - 20 : 0));
    q = put16(q, 0); /* no UDP checksum (allowed over IPv4) */
    uint32_t hdr = (uint32_t)(q - b);
    uint32_t cap = len < PCAP_RECORD_SNAP_BYTES ? len : PCAP_RECORD_SNAP_BYTES;
    if (cap > hdr)
        memset(q, 0, cap - hdr);
    return cap;
}

static int write_all(pcap_recorder *r, sim_err *e)
{
    if (r->n) /* qsort wants an array, even of none */
        qsort(r->f, r->n, sizeof *r->f, by_time);
    sim_file sf;
    if (sim_file_open(&sf, r->path, e) < 0)
        return -1;
    pcap_t *pd =
        pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *d = pd ? pcap_dump_fopen(pd, sf.f) : NULL;
    if (!d) {
        if (pd)
            pcap_close(pd);
        sim_file_abort(&sf);
        return sim_err_set(e, "cannot start a pcap file");
    }
    uint8_t buf[PCAP_RECORD_SNAP_BYTES];
    for (size_t i = 0; i < r->n; i++) {
        const pcap_frame *f = &r->f[i];
        uint32_t len = nic_pkt_host_bytes(f->pkt.len_bytes);
        struct pcap_pkthdr h;
        h.ts.tv_sec = (time_t)(f->t_ps / 1000000000000ull);
        h.ts.tv_usec = (suseconds_t)(f->t_ps % 1000000000000ull / 1000u); /* ns: nano precision */
        h.caplen = frame_bytes(&f->pkt, len, buf);
        h.len = len;
        pcap_dump((u_char *)d, &h, buf);
    }
    /* The dumper is the file: the commit below flushes and closes it. */
    pcap_close(pd);
    return sim_file_commit(&sf, e);
}

void pcap_recorder_finish(pcap_recorder *r)
{
    if (!r)
        return;
    if (sim_kernel_events(r->kernel) > 0) {
        sim_err e = {{0}};
        if (write_all(r, &e) < 0)
            fprintf(stderr, "iovsim: trace.pcap: %s\n", e.msg);
        else if (r->dropped)
            fprintf(stderr, "iovsim: trace.pcap: %s: %llu frames after the first %zu "
                            "(trace.pcap_frames) were not captured\n",
                    r->path, (unsigned long long)r->dropped, r->n);
    }
    free(r->f);
    free(r->path);
    free(r);
}
