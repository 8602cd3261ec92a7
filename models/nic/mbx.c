/* The PF's administration of its VFs: each VF's pool registers (MAC address, port VLAN,
 * anti-spoofing, trust, rate limit, link state) and the PF-VF mailbox that carries
 * messages between the PF's and a VF's drivers. Register layout: nic_regs.h. */
#include "models/nic/nic_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/nic/nic_regs.h"
#include "sim/alloc.h"

/* A message in flight: a copy of the sender's words, for VF vf as it was when sent. */
typedef struct nic_mbx_msg {
    unsigned vf;
    uint32_t fn_gen;
    bool from_vf;
    uint32_t w[NIC_MBX_WORDS];
} nic_mbx_msg;

/* ---------------------------------------------------------------- pool registers */

/* "VF administration: VF vf <what> refused", what formatted by the caller (a rate in
 * decimal kb/s, a register value in hex). */
static void refuse(nic *n, unsigned vf, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(nic *n, unsigned vf, const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    nic_set_error(n, &n->pf_driver_errors, "VF administration: VF %u %s refused", vf, what);
}

static void load_mac(nic *n, nic_fn *f, uint32_t rah)
{
    uint64_t mac = ((uint64_t)(rah & 0xffffu) << 32) | f->ral;
    if (!(rah & NIC_PFVF_RAH_AV))
        mac = 0; /* the address removed */
    else if (!nic_mac_is_unicast(mac)) {
        char m[18];
        nic_mac_format(mac, m);
        nic_set_error(n, &n->pf_driver_errors,
                      "VF administration: VF %u MAC %s is not unicast (refused)", f->idx - 1, m);
        return;
    }
    f->mac = mac;
    f->admin_mac = mac != 0;
    nic_veb_set(n->veb, f->idx, f->mac, f->vlan);
}

void nic_pfvf_write(nic *n, unsigned vf, uint32_t reg, uint32_t v, uint64_t t_ps)
{
    nic_fn *f = nic_fn_get(n, 1 + vf);
    if (!f) {
        nic_set_error(n, &n->pf_driver_errors, "VF administration: VF %u does not exist (%u VFs "
                                               "enabled)", vf, nic_num_vfs(n));
        return;
    }
    switch (reg) {
    case NIC_PFVF_RAL:
        f->ral = v;
        return;
    case NIC_PFVF_RAH:
        load_mac(n, f, v);
        return;
    case NIC_PFVF_VMVIR: {
        bool insert = (v & NIC_VMVIR_VLANA_MASK) == NIC_VMVIR_VLANA_DEFAULT;
        uint16_t vlan = insert ? (uint16_t)(v & NIC_VMVIR_VLAN_MASK) : 0;
        if (vlan > NIC_VLAN_MAX) {
            refuse(n, vf, "VMVIR %#x", (unsigned)v);
            return;
        }
        f->vlan = vlan;
        nic_veb_set(n->veb, f->idx, f->mac, f->vlan);
        return;
    }
    case NIC_PFVF_SPOOF:
        f->spoofchk = v & NIC_PFVF_SPOOF_MACAS;
        return;
    case NIC_PFVF_TRUST:
        f->trust = v & 1u;
        return;
    case NIC_PFVF_RATE: {
        double gbps = (double)v / 1e6;
        if (gbps > n->cfg.line_gbps) {
            refuse(n, vf, "rate limit %u kb/s (above the line rate)", (unsigned)v);
            return;
        }
        f->rate_gbps = gbps;
        nic_fn_tokens_reset(f, t_ps);
        return;
    }
    case NIC_PFVF_LINK:
        if ((v & NIC_PFVF_LINK_MASK) > NIC_LINK_DISABLE) {
            refuse(n, vf, "link state %u", (unsigned)(v & NIC_PFVF_LINK_MASK));
            return;
        }
        f->link = (nic_link_state)(v & NIC_PFVF_LINK_MASK);
        return;
    default:
        refuse(n, vf, "register %#x", (unsigned)reg);
    }
}

uint32_t nic_pfvf_read(nic *n, unsigned vf, uint32_t reg)
{
    const nic_fn *f = nic_fn_get(n, 1 + vf);
    if (!f)
        return 0;
    switch (reg) {
    case NIC_PFVF_RAL: return (uint32_t)f->mac;
    case NIC_PFVF_RAH: return (uint32_t)(f->mac >> 32) | (f->mac ? NIC_PFVF_RAH_AV : 0);
    case NIC_PFVF_VMVIR: return f->vlan ? NIC_VMVIR_VLANA_DEFAULT | f->vlan : 0;
    case NIC_PFVF_SPOOF: return f->spoofchk ? NIC_PFVF_SPOOF_MACAS : 0;
    case NIC_PFVF_TRUST: return f->trust;
    case NIC_PFVF_RATE: return (uint32_t)llround(f->rate_gbps * 1e6);
    case NIC_PFVF_LINK: return (uint32_t)f->link;
    default: return 0;
    }
}

/* ---------------------------------------------------------------- the mailbox */

void nic_mbx_send(nic *n, unsigned vf, bool from_vf, uint64_t t_ps)
{
    nic_fn *f = nic_fn_get(n, 1 + vf);
    if (!f) {
        nic_set_error(n, &n->pf_driver_errors, "mailbox: VF %u does not exist (%u VFs enabled)", vf,
                      nic_num_vfs(n));
        return;
    }
    /* A VF's request is one bit (VFMailbox.REQ) and one message memory: until the PF
     * has taken the message (ixgbe's PF reads it and acknowledges, ixgbe_rcv_msg_from_vf)
     * a second request is not a second message, however often the VF writes. */
    if (from_vf) {
        if (t_ps < f->mbx_busy_ps) {
            f->ctr->mbx_busy++;
            return;
        }
        f->mbx_busy_ps = t_ps + n->cfg.mbx_ps;
    }
    nic_mbx_msg *m = sim_xcalloc(1, sizeof *m);
    m->vf = vf;
    m->fn_gen = f->gen;
    m->from_vf = from_vf;
    memcpy(m->w, f->mbx, sizeof m->w);
    nic_sched(n, t_ps + n->cfg.mbx_ps, NIC_ACT_MBX, m, 0);
}

/* A VF asks for its own MAC address. */
static void vf_set_mac(nic *n, nic_fn *f, const nic_mbx_msg *m)
{
    uint64_t mac = ((uint64_t)(m->w[2] & 0xffffu) << 32) | m->w[1];
    char s[18];
    nic_mac_format(mac, s);
    if (!nic_mac_is_unicast(mac)) {
        nic_set_error(n, &n->mbx_refused, "mailbox: VF %u asked for MAC %s, not unicast", m->vf, s);
        return;
    }
    if (f->admin_mac && !f->trust) {
        nic_set_error(n, &n->mbx_refused, "mailbox: VF %u may not change its MAC to %s (set "
                                          "by the PF, VF not trusted)", m->vf, s);
        return;
    }
    f->mac = mac;
    nic_veb_set(n->veb, f->idx, f->mac, f->vlan);
}

void nic_mbx_deliver(nic *n, void *msg, uint64_t now)
{
    const nic_mbx_msg *m = msg;
    nic_fn *f = &n->fns[1 + m->vf];
    if (!f->present || f->gen != m->fn_gen)
        return; /* the VF went away meanwhile */
    n->mbx_msgs++;
    uint32_t type = m->w[0] & NIC_MBX_TYPE_MASK;
    if (m->from_vf) {
        if (type == NIC_MBX_VF_SET_MAC_ADDR)
            vf_set_mac(n, f, m);
        else
            nic_set_error(n, &n->mbx_refused, "mailbox: VF %u sent message type %x, unknown",
                          m->vf, (unsigned)type);
        return;
    }
    unsigned count = m->w[0] >> NIC_MBX_COUNT_SHIFT & 0xffu;
    if (type != NIC_MBX_PF_SET_REGS || 1 + 2 * count > NIC_MBX_WORDS) {
        nic_set_error(n, &n->pf_driver_errors, "mailbox: the PF sent VF %u a malformed message "
                                               "(%08x)", m->vf, (unsigned)m->w[0]);
        return;
    }
    for (unsigned k = 0; k < count; k++) {
        uint32_t reg = m->w[1 + 2 * k];
        if (reg == NIC_PFVF_PFMAILBOX)
            refuse(n, m->vf, "mailbox register %#x", (unsigned)reg);
        else
            nic_pfvf_write(n, m->vf, reg, m->w[2 + 2 * k], now);
    }
}
