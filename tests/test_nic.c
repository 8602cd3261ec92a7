/* The SR-IOV NIC's functions and switching: VFs appear at the routing IDs the SR-IOV
 * capability gives and vanish when disabled, the queue pool refuses over-subscription,
 * the embedded switch delivers by MAC and VLAN and replicates broadcast, anti-spoofing
 * drops foreign source MACs, each VF interrupts with its own vectors, the mailbox
 * takes effect after its latency, and guest mistakes are counted, not fatal. The PF's
 * driver and a VF's guest driver read their own parameters (nicdrv.*, vfdrv.*). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/nic_fixture.h"

#define VF_MAC(i) (0x020000000100ull + (i))
#define PF_MAC 0x001b21000001ull
#define PEER_MAC 0x001b21ffff01ull

static unsigned sriov_of(nicfx *f) { return pcie_cfg_find_ext_capability(nic_fn_cfg(f->n, NIC_PF), PCIE_EXT_CAP_ID_SRIOV); }

static uint32_t pf_cfg_read(nicfx *f, unsigned off, unsigned size)
{
    return pcie_cfg_bus_read(f->r.pf->bus, PLATFORM_DEVICE_RID, (uint16_t)off, size);
}

START_TEST(test_vfs_appear_at_their_routing_ids)
{
    nicfx f;
    nicfx_params(&f);
    nicfx_build(&f);
    unsigned s = sriov_of(&f);
    ck_assert_uint_ne(s, 0);
    ck_assert_uint_eq(pf_cfg_read(&f, s + PCIE_SRIOV_TOTAL_VFS, 2), 8);
    unsigned offset = pf_cfg_read(&f, s + PCIE_SRIOV_FIRST_VF_OFFSET, 2);
    unsigned stride = pf_cfg_read(&f, s + PCIE_SRIOV_VF_STRIDE, 2);
    ck_assert_uint_eq(offset, 128);
    ck_assert_uint_eq(stride, 2);
    /* Nothing but the PF before VF Enable. */
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.r.pf->bus), 1);
    ck_assert_int_eq(pfdrv_enable_vfs(f.pf, 4), 0);
    ck_assert_uint_eq(nic_num_vfs(f.n), 4);
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.r.pf->bus), 5);
    for (unsigned i = 0; i < 8; i++) {
        uint16_t rid = (uint16_t)(PLATFORM_DEVICE_RID + offset + i * stride);
        pcie_cfg *c = pcie_cfg_bus_lookup(f.r.pf->bus, rid);
        if (i >= 4) {
            ck_assert_ptr_null(c);
            continue;
        }
        ck_assert_ptr_nonnull(c);
        ck_assert_ptr_eq(c, nic_fn_cfg(f.n, NIC_FN_OF_VF(i)));
        ck_assert_uint_eq(nic_fn_rid(f.n, NIC_FN_OF_VF(i)), rid);
        /* A VF's own space: Vendor ID reads FFFFh, MSI-X present, its BARs from the PF's
         * VF BARs, one window per VF. */
        ck_assert_uint_eq(pcie_cfg_bus_read(f.r.pf->bus, rid, PCIE_CFG_VENDOR_ID, 2), 0xffff);
        ck_assert_uint_ne(pcie_cfg_find_capability(c, PCIE_CAP_ID_MSIX), 0);
        ck_assert_uint_eq(pcie_cfg_msix_table_size(c), 3); /* 2 queue pairs + mailbox */
        uint64_t bar0 = nic_fn_bar(f.n, NIC_FN_OF_VF(i), NIC_BAR_REGS);
        ck_assert_uint_eq(bar0, pcie_cfg_bar_reg_address(nic_fn_cfg(f.n, NIC_PF),
                                                         (uint16_t)(s + PCIE_SRIOV_VF_BAR(0)), true) +
                                    i * NIC_VF_BAR0_BYTES);
    }
    ck_assert_uint_eq(pf_cfg_read(&f, s + PCIE_SRIOV_NUM_VFS, 2), 4);
    ck_assert_uint_ne(pf_cfg_read(&f, s + PCIE_SRIOV_CTRL, 2) & PCIE_SRIOV_CTRL_VF_ENABLE, 0);
    ck_assert_uint_eq(nic_queues_in_use(f.n), 2 + 4 * 2);

    /* Disabling removes them. */
    pfdrv_disable_vfs(f.pf);
    ck_assert_uint_eq(nic_num_vfs(f.n), 0);
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.r.pf->bus), 1);
    for (unsigned i = 0; i < 4; i++)
        ck_assert_ptr_null(pcie_cfg_bus_lookup(f.r.pf->bus, (uint16_t)(PLATFORM_DEVICE_RID + offset + i * stride)));
    ck_assert_uint_eq(nic_queues_in_use(f.n), 2);

    /* System software writing the capability directly does the same. */
    pcie_cfg_bus_write(f.r.pf->bus, PLATFORM_DEVICE_RID, (uint16_t)(s + PCIE_SRIOV_NUM_VFS), 2, 2);
    pcie_cfg_bus_write(f.r.pf->bus, PLATFORM_DEVICE_RID, (uint16_t)(s + PCIE_SRIOV_CTRL), 2,
                       PCIE_SRIOV_CTRL_VF_ENABLE | PCIE_SRIOV_CTRL_VF_MSE);
    ck_assert_uint_eq(nic_num_vfs(f.n), 2);
    ck_assert_ptr_nonnull(pcie_cfg_bus_lookup(f.r.pf->bus, PLATFORM_DEVICE_RID + 128));
    ck_assert_ptr_nonnull(pcie_cfg_bus_lookup(f.r.pf->bus, PLATFORM_DEVICE_RID + 130));
    ck_assert_ptr_null(pcie_cfg_bus_lookup(f.r.pf->bus, PLATFORM_DEVICE_RID + 132));
    /* NumVFs cannot change while VF Enable is set. */
    pcie_cfg_bus_write(f.r.pf->bus, PLATFORM_DEVICE_RID, (uint16_t)(s + PCIE_SRIOV_NUM_VFS), 2, 3);
    ck_assert_uint_eq(pf_cfg_read(&f, s + PCIE_SRIOV_NUM_VFS, 2), 2);
    ck_assert_uint_eq(nic_num_vfs(f.n), 2);
    ck_assert_uint_eq(nic_pf_errors(f.n), 1);
    pcie_cfg_bus_write(f.r.pf->bus, PLATFORM_DEVICE_RID, (uint16_t)(s + PCIE_SRIOV_CTRL), 2, 0);
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.r.pf->bus), 1);
    nicfx_destroy(&f);
}
END_TEST

START_TEST(test_numvfs_above_totalvfs_refused)
{
    nicfx f;
    nicfx_params(&f);
    nicfx_build(&f);
    unsigned s = sriov_of(&f);
    /* The device refuses VF Enable with NumVFs above TotalVFs. */
    pcie_cfg_bus_write(f.r.pf->bus, PLATFORM_DEVICE_RID, (uint16_t)(s + PCIE_SRIOV_NUM_VFS), 2, 9);
    pcie_cfg_bus_write(f.r.pf->bus, PLATFORM_DEVICE_RID, (uint16_t)(s + PCIE_SRIOV_CTRL), 2, PCIE_SRIOV_CTRL_VF_ENABLE);
    ck_assert_uint_eq(pf_cfg_read(&f, s + PCIE_SRIOV_CTRL, 2) & PCIE_SRIOV_CTRL_VF_ENABLE, 0);
    ck_assert_uint_eq(nic_num_vfs(f.n), 0);
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.r.pf->bus), 1);
    ck_assert_uint_eq(nic_pf_errors(f.n), 1);
    ck_assert_ptr_nonnull(strstr(nic_last_error(f.n), "above TotalVFs"));
    /* So does the PF driver, before touching the device: its error, not the device's. */
    ck_assert_int_eq(pfdrv_enable_vfs(f.pf, 9), -1);
    ck_assert_ptr_nonnull(strstr(pfdrv_last_error(f.pf), "TotalVFs"));
    ck_assert_uint_eq(pfdrv_errors(f.pf), 1);
    ck_assert_uint_eq(nic_pf_errors(f.n), 1);
    ck_assert_uint_eq(rig_stat(&f.r, "nic.pf_driver_errors"), 0);
    ck_assert_uint_eq(rig_stat(&f.r, "nic.sriov_errors"), 1);
    nicfx_destroy(&f);
}
END_TEST

START_TEST(test_queue_pool_refuses_oversubscription)
{
    nicfx f;
    nicfx_params(&f);
    rig_set(&f.r, "nic.total_queues", "16");
    nicfx_build(&f);
    /* 2 for the PF + 7 x 2 = 16: fits exactly. */
    ck_assert_int_eq(pfdrv_enable_vfs(f.pf, 7), 0);
    ck_assert_uint_eq(nic_queues_in_use(f.n), 16);
    pfdrv_disable_vfs(f.pf);
    /* 2 + 8 x 2 = 18 > 16: the PF driver refuses, counts it and says why. */
    ck_assert_int_eq(pfdrv_enable_vfs(f.pf, 8), -1);
    ck_assert_uint_eq(nic_num_vfs(f.n), 0);
    ck_assert_ptr_nonnull(strstr(pfdrv_last_error(f.pf), "more queues than the pool holds"));
    ck_assert_ptr_nonnull(strstr(pfdrv_last_error(f.pf), "at most 7 VFs"));
    ck_assert_uint_eq(pfdrv_errors(f.pf), 1);
    ck_assert_uint_eq(rig_stat(&f.r, "nic.pf_driver_errors"), 0);
    /* The device refuses it too when software bypasses the driver. */
    unsigned s = sriov_of(&f);
    pcie_cfg_bus_write(f.r.pf->bus, PLATFORM_DEVICE_RID, (uint16_t)(s + PCIE_SRIOV_NUM_VFS), 2, 8);
    pcie_cfg_bus_write(f.r.pf->bus, PLATFORM_DEVICE_RID, (uint16_t)(s + PCIE_SRIOV_CTRL), 2, PCIE_SRIOV_CTRL_VF_ENABLE);
    ck_assert_uint_eq(nic_num_vfs(f.n), 0);
    ck_assert_uint_eq(rig_stat(&f.r, "nic.sriov_errors"), 1);

    /* As a configuration, the same is refused before a run. */
    sim_err e;
    rig_set(&f.r, "nic.vfs", "8");
    ck_assert_int_eq(pfdrv_check(f.r.p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "more queues than the pool holds"));
    nicfx_destroy(&f);
}
END_TEST

/* Every function gets a queue pair with posted receive buffers. */
static void with_rx_everywhere(nicfx *f, unsigned vfs)
{
    ck_assert_int_eq(pfdrv_enable_vfs(f->pf, vfs), 0);
    nicfx_queue(f, NIC_PF, 0);
    for (unsigned i = 0; i < vfs; i++)
        nicfx_queue(f, NIC_FN_OF_VF(i), 0);
}

static uint64_t rx_of(nicfx *f, unsigned fn) { return nic_fn_get_counters(f->n, fn).rx_frames; }

START_TEST(test_veb_by_mac_and_vlan)
{
    nicfx f;
    nicfx_params(&f);
    rig_set(&f.r, "nic.vf_vlan", "100");
    nicfx_build(&f);
    with_rx_everywhere(&f, 3);
    ck_assert_int_eq(pfdrv_set_vf_vlan(f.pf, 0, 2, 200, NULL), 0);
    nicfx_run_us(&f, 20); /* the mailbox takes effect */
    ck_assert_uint_eq(nic_fn_vlan(f.n, NIC_FN_OF_VF(2)), 200);
    uint64_t t = sim_now_ps(f.r.k);
    /* VF 1 by its MAC in its VLAN. */
    nic_pkt p = fx_pkt(VF_MAC(1), PEER_MAC, 100, 128, 0);
    nic_wire_rx(f.n, &p, t + 1000);
    /* VF 2's MAC but VF 1's VLAN: no pool owns it there, so the PF gets it. */
    p = fx_pkt(VF_MAC(2), PEER_MAC, 100, 128, 0);
    nic_wire_rx(f.n, &p, t + 2000);
    /* VF 2 in its own VLAN. */
    p = fx_pkt(VF_MAC(2), PEER_MAC, 200, 128, 0);
    nic_wire_rx(f.n, &p, t + 3000);
    /* An unknown address goes to the PF. */
    p = fx_pkt(0x0a0b0c0d0e0full, PEER_MAC, 0, 128, 0);
    nic_wire_rx(f.n, &p, t + 4000);
    nicfx_run_us(&f, 50);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(0)), 0);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(1)), 1);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(2)), 1);
    ck_assert_uint_eq(rx_of(&f, NIC_PF), 2);
    /* The drivers got them, with the port VLAN stripped for the VF. */
    ck_assert_uint_eq(f.ctr[2].rx_pkts, 1);
    ck_assert_uint_eq(f.ctr[0].rx_pkts, 2);
    nicfx_destroy(&f);
}
END_TEST

START_TEST(test_broadcast_replicated_per_vlan)
{
    nicfx f;
    nicfx_params(&f);
    nicfx_build(&f);
    with_rx_everywhere(&f, 4);
    ck_assert_int_eq(pfdrv_set_vf_vlan(f.pf, 0, 3, 7, NULL), 0);
    nicfx_run_us(&f, 20);
    uint64_t t = sim_now_ps(f.r.k);
    nic_pkt p = fx_pkt(NIC_MAC_BROADCAST, PEER_MAC, 0, 64, 0);
    nic_wire_rx(f.n, &p, t + 1000);
    nicfx_run_us(&f, 50);
    /* PF and VFs 0-2 are untagged: one copy each; VF 3 is in VLAN 7. */
    ck_assert_uint_eq(rx_of(&f, NIC_PF), 1);
    for (unsigned i = 0; i < 3; i++)
        ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(i)), 1);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(3)), 0);
    /* A multicast frame in VLAN 7 reaches only VF 3. */
    p = fx_pkt(0x01005e000001ull, PEER_MAC, 7, 64, 0);
    nic_wire_rx(f.n, &p, sim_now_ps(f.r.k) + 1000);
    nicfx_run_us(&f, 50);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(3)), 1);
    ck_assert_uint_eq(rx_of(&f, NIC_PF), 1);

    /* A broadcast sent by VF 0 goes to the wire and to every other pool of its VLAN
     * (PF, VF 1, VF 2), not back to VF 0. */
    unsigned before = f.nwire;
    nic_pkt b = fx_pkt(NIC_MAC_BROADCAST, VF_MAC(0), 0, 64, 0);
    nic_drvq_xmit(f.q[1], &b, sim_now_ps(f.r.k));
    nicfx_run_us(&f, 100);
    ck_assert_uint_eq(f.nwire, before + 1);
    ck_assert_uint_eq(rx_of(&f, NIC_PF), 2);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(0)), 1);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(1)), 2);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(2)), 2);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(3)), 1);
    nicfx_destroy(&f);
}
END_TEST

START_TEST(test_vf_to_vf_turns_around_in_the_veb)
{
    nicfx f;
    nicfx_params(&f);
    nicfx_build(&f);
    with_rx_everywhere(&f, 2);
    nic_pkt p = fx_pkt(VF_MAC(1), VF_MAC(0), 0, 1518, 0);
    for (int i = 0; i < 10; i++)
        nic_drvq_xmit(f.q[1], &p, sim_now_ps(f.r.k));
    nicfx_run_us(&f, 100);
    /* No frame on the wire; VF 1 received all ten; each crossed PCIe twice (read
     * downstream, written upstream). */
    ck_assert_uint_eq(f.nwire, 0);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(1)), 10);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_FN_OF_VF(0)).tx_frames, 10);
    nic_fn_counters a = nic_fn_get_counters(f.n, NIC_FN_OF_VF(0));
    nic_fn_counters b = nic_fn_get_counters(f.n, NIC_FN_OF_VF(1));
    ck_assert_uint_gt(a.pcie_down_bytes, 10 * 1514);
    ck_assert_uint_gt(b.pcie_up_bytes, 10 * 1514);
    nicfx_destroy(&f);
}
END_TEST

START_TEST(test_antispoof_drops_foreign_source)
{
    nicfx f;
    nicfx_params(&f);
    nicfx_build(&f);
    ck_assert_int_eq(pfdrv_enable_vfs(f.pf, 2), 0);
    nic_drvq *q = nicfx_queue(&f, NIC_FN_OF_VF(0), 0);
    nic_pkt good = fx_pkt(PEER_MAC, VF_MAC(0), 0, 64, 0);
    nic_pkt bad = fx_pkt(PEER_MAC, VF_MAC(1), 0, 64, 0); /* VF 1's address */
    nic_drvq_xmit(q, &good, sim_now_ps(f.r.k));
    nic_drvq_xmit(q, &bad, sim_now_ps(f.r.k));
    nic_drvq_xmit(q, &good, sim_now_ps(f.r.k));
    nicfx_run_us(&f, 100);
    nic_fn_counters c = nic_fn_get_counters(f.n, NIC_FN_OF_VF(0));
    ck_assert_uint_eq(c.spoof_drops, 1);
    ck_assert_uint_eq(c.tx_frames, 2);
    ck_assert_uint_eq(f.nwire, 2);
    for (unsigned i = 0; i < f.nwire; i++)
        ck_assert_uint_eq(f.wire[i].src_mac, VF_MAC(0));
    ck_assert_uint_eq(f.ctr[0].tx_errors, 1); /* the driver sees the error status */
    /* The PF turns the check off for VF 0: the same frame goes out. */
    ck_assert_int_eq(pfdrv_set_vf_spoofchk(f.pf, sim_now_ps(f.r.k), 0, false, NULL), 0);
    nicfx_run_us(&f, 20);
    nic_drvq_xmit(q, &bad, sim_now_ps(f.r.k));
    nicfx_run_us(&f, 100);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_FN_OF_VF(0)).spoof_drops, 1);
    ck_assert_uint_eq(f.nwire, 3);
    ck_assert_uint_eq(f.wire[2].src_mac, VF_MAC(1));
    nicfx_destroy(&f);
}
END_TEST

#define ROLE_PKTS 10

/* The PF's queue pair (the PF driver's role) and VF 0's (the guest VF driver's) each
 * send ROLE_PKTS frames to the wire and take ROLE_PKTS from it, with the head register
 * reads of role `prefix` (NULL: neither) asked for once per packet both ways; the
 * drivers' counters are returned. */
static void run_roles(const char *prefix, nic_drv_counters *pf, nic_drv_counters *vf)
{
    nicfx f;
    nicfx_params(&f);
    if (prefix) {
        char name[64];
        snprintf(name, sizeof name, "%s.tx_head_read_pkts", prefix);
        rig_set(&f.r, name, "1");
        snprintf(name, sizeof name, "%s.rx_head_read_pkts", prefix);
        rig_set(&f.r, name, "1");
    }
    nicfx_build(&f);
    with_rx_everywhere(&f, 1); /* q[0] on the PF, q[1] on VF 0 */
    nicfx_run_us(&f, 20);      /* the NIC has fetched the receive descriptors */
    uint64_t t = sim_now_ps(f.r.k);
    for (uint32_t i = 0; i < ROLE_PKTS; i++) {
        /* One flow: the NIC spreads flows over the function's queues, and only queue
         * pair 0 has a driver here. */
        nic_pkt in = fx_pkt(PF_MAC, PEER_MAC, 0, 128, 0);
        nic_wire_rx(f.n, &in, t + 1000 * (i + 1));
        in.dst_mac = VF_MAC(0);
        nic_wire_rx(f.n, &in, t + 1000 * (i + 1) + 500);
        nic_pkt out = fx_pkt(PEER_MAC, PF_MAC, 0, 128, i);
        nic_drvq_xmit(f.q[0], &out, t);
        out.src_mac = VF_MAC(0);
        nic_drvq_xmit(f.q[1], &out, t);
    }
    nicfx_run_us(&f, 100);
    *pf = f.ctr[0];
    *vf = f.ctr[1];
    nicfx_destroy(&f);
    /* Every packet went both ways on both functions, so the reads counted are per
     * packet. */
    ck_assert_uint_eq(pf->tx_posted, ROLE_PKTS);
    ck_assert_uint_eq(vf->tx_posted, ROLE_PKTS);
    ck_assert_uint_eq(pf->rx_pkts, ROLE_PKTS);
    ck_assert_uint_eq(vf->rx_pkts, ROLE_PKTS);
}

START_TEST(test_driver_roles_read_their_own_parameters)
{
    nic_drv_counters pf, vf;
    /* By default neither driver reads a head register (ixgbe, ixgbevf). */
    run_roles(NULL, &pf, &vf);
    ck_assert_uint_eq(pf.mmio_reads, 0);
    ck_assert_uint_eq(vf.mmio_reads, 0);
    /* The PF driver's reads (pcie-bench's model of it) stay on the PF's queue: one per
     * transmitted and one per received packet there, none on the VF's, whose CPU never
     * stalls. */
    run_roles("nicdrv", &pf, &vf);
    ck_assert_uint_eq(pf.mmio_reads, 2 * ROLE_PKTS);
    ck_assert_uint_gt(pf.stall_ps, 0);
    ck_assert_uint_eq(vf.mmio_reads, 0);
    ck_assert_uint_eq(vf.stall_ps, 0);
    /* And the other way round. */
    run_roles("vfdrv", &pf, &vf);
    ck_assert_uint_eq(vf.mmio_reads, 2 * ROLE_PKTS);
    ck_assert_uint_gt(vf.stall_ps, 0);
    ck_assert_uint_eq(pf.mmio_reads, 0);
    ck_assert_uint_eq(pf.stall_ps, 0);
}
END_TEST

START_TEST(test_each_vf_interrupts_with_its_own_vector)
{
    nicfx f;
    nicfx_params(&f);
    rig_set(&f.r, "nic.itr_us", "1");
    nicfx_build(&f);
    ck_assert_int_eq(pfdrv_enable_vfs(f.pf, 3), 0);
    /* Two queue pairs on each of three VFs: six vectors, data = queue index. */
    for (unsigned i = 0; i < 3; i++)
        for (unsigned q = 0; q < 2; q++)
            nicfx_queue(&f, NIC_FN_OF_VF(i), q);
    for (unsigned i = 0; i < f.nq; i++) {
        nic_pkt p = fx_pkt(PEER_MAC, VF_MAC(nic_drvq_fn(f.q[i]) - 1), 0, 64, 0);
        nic_drvq_xmit(f.q[i], &p, sim_now_ps(f.r.k));
    }
    nicfx_run_us(&f, 100);
    ck_assert_uint_ge(f.nmsi, f.nq);
    unsigned seen[FX_MAX_Q] = {0};
    for (unsigned m = 0; m < f.nmsi; m++) {
        unsigned i = f.msi[m].data;
        ck_assert_uint_lt(i, f.nq);
        unsigned fn = nic_drvq_fn(f.q[i]);
        /* From the VF's own requester ID, to the address its driver programmed. */
        ck_assert_uint_eq(f.msi[m].rid, nic_fn_rid(f.n, fn));
        ck_assert_uint_eq(f.msi[m].addr, PCIE_MSI_BASE | ((uint64_t)i << 12));
        ck_assert_uint_eq(nic_queue_vector(f.n, fn, nic_drvq_queue(f.q[i])), nic_drvq_queue(f.q[i]));
        seen[i]++;
    }
    for (unsigned i = 0; i < f.nq; i++)
        ck_assert_uint_ge(seen[i], 1);
    /* Three different requester IDs. */
    ck_assert_uint_ne(nic_fn_rid(f.n, 1), nic_fn_rid(f.n, 2));
    ck_assert_uint_ne(nic_fn_rid(f.n, 2), nic_fn_rid(f.n, 3));
    nicfx_destroy(&f);
}
END_TEST

/* The Interrupt Message Store: the PF takes queue pairs of the pool for ADIs, QIMS moves
 * a pair's interrupts to an IMS entry, whose message (not the MSI-X table's) goes; a
 * masked entry holds it pending until unmasked, and its message needs no MSI-X Enable;
 * a VF has no QIMS; the PF takes no more pairs once VFs hold the pool after it. */
START_TEST(test_ims_vectors)
{
    nicfx f;
    nicfx_params(&f);
    rig_set(&f.r, "nic.itr_us", "1");
    nicfx_build(&f);
    unsigned pfq = nic_fn_queues(f.n, NIC_PF);
    ck_assert_int_eq(pfdrv_add_adi_queues(f.pf, 4), 0);
    ck_assert_uint_eq(nic_fn_queues(f.n, NIC_PF), pfq + 4);
    unsigned q = pfq + 2;
    ck_assert_int_eq(pfdrv_set_queue_ims(f.pf, 0, q, 7), 0);
    ck_assert_uint_eq(nic_queue_vector(f.n, NIC_PF, q), NIC_PF_MSIX_VECTORS + 7);
    ck_assert_int_lt(pfdrv_set_queue_ims(f.pf, 0, q, NIC_PF_IMS_VECTORS), 0);
    nic_drvq *d = nicfx_queue(&f, NIC_PF, q); /* programs IMS entry 7: data 0 */
    nic_pkt p = fx_pkt(PEER_MAC, PF_MAC, 0, 64, 0);
    nic_drvq_xmit(d, &p, sim_now_ps(f.r.k));
    nicfx_run_us(&f, 50);
    ck_assert_uint_ge(f.nmsi, 1);
    ck_assert_uint_eq(f.msi[0].addr, PCIE_MSI_BASE);
    ck_assert_uint_eq(f.msi[0].rid, nic_fn_rid(f.n, NIC_PF));
    uint64_t ctrl = nic_reg_addr(f.n, NIC_PF, NIC_REG_IMS(7, NIC_IMS_CTRL));
    ck_assert_uint_eq(nic_mmio_read(f.n, 0, ctrl, 4) & 1, 0);
    /* Masked: the next interrupt is held, and goes when the mask is cleared. */
    nic_mmio_write(f.n, sim_now_ps(f.r.k), ctrl, 4, 1);
    unsigned before = f.nmsi;
    p.flow = 1;
    nic_drvq_xmit(d, &p, sim_now_ps(f.r.k));
    nicfx_run_us(&f, 50);
    ck_assert_uint_eq(f.nmsi, before);
    ck_assert_double_ge(rig_stat(&f.r, "nic.msi_masked"), 1);
    nic_mmio_write(f.n, sim_now_ps(f.r.k), ctrl, 4, 0);
    ck_assert_uint_eq(f.nmsi, before + 1);
    /* An IMS message does not depend on the function's MSI-X Enable. */
    pcie_cfg *c = nic_fn_cfg(f.n, NIC_PF);
    uint16_t cap = pcie_cfg_find_capability(c, PCIE_CAP_ID_MSIX);
    uint32_t mc = pcie_cfg_read(c, (uint16_t)(cap + PCIE_MSIX_MSG_CTRL), 2);
    pcie_cfg_write(c, (uint16_t)(cap + PCIE_MSIX_MSG_CTRL), 2, mc & ~(uint32_t)PCIE_MSIX_MSG_CTRL_ENABLE);
    nicfx_run_us(&f, 50); /* the driver's poll re-enables the vector */
    before = f.nmsi;
    p.flow = 2;
    nic_drvq_xmit(d, &p, sim_now_ps(f.r.k));
    nicfx_run_us(&f, 50);
    ck_assert_uint_gt(f.nmsi, before);
    /* A VF's QIMS is no register of its; with VFs the PF takes no more pairs. */
    ck_assert_int_eq(pfdrv_enable_vfs(f.pf, 1), 0);
    nic_mmio_write(f.n, 0, nic_reg_addr(f.n, NIC_FN_OF_VF(0), NIC_REG_QIMS(0)), 4,
                   NIC_QIMS_ENABLE);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_FN_OF_VF(0)).bad_mmio, 1);
    ck_assert_uint_eq(nic_queue_vector(f.n, NIC_FN_OF_VF(0), 0), 0);
    ck_assert_int_lt(pfdrv_add_adi_queues(f.pf, 1), 0);
    nicfx_destroy(&f);
}
END_TEST

START_TEST(test_mailbox_latency_and_trust)
{
    nicfx f;
    nicfx_params(&f);
    rig_set(&f.r, "nic.mbx_latency_us", "10");
    nicfx_build(&f);
    with_rx_everywhere(&f, 2);
    uint64_t t0 = sim_now_ps(f.r.k), done;
    uint64_t mac = 0x02aabbccdd01ull;
    ck_assert_int_eq(pfdrv_set_vf_mac(f.pf, t0, 1, mac, &done), 0);
    ck_assert_uint_eq(done, t0 + 10 * SIM_PS_PER_US);
    /* Before the mailbox has delivered, the new address is unknown (PF gets it); after,
     * VF 1 does. */
    nic_pkt p = fx_pkt(mac, PEER_MAC, 0, 64, 0);
    nic_wire_rx(f.n, &p, t0 + 5 * SIM_PS_PER_US);
    nic_wire_rx(f.n, &p, t0 + 15 * SIM_PS_PER_US);
    nicfx_run_us(&f, 60);
    ck_assert_uint_eq(rx_of(&f, NIC_PF), 1);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(1)), 1);
    ck_assert_uint_eq(nic_fn_mac(f.n, NIC_FN_OF_VF(1)), mac);

    /* An untrusted VF may not replace an administratively set MAC; a trusted one may. */
    ck_assert_int_eq(nic_drv_request_mac(f.n, NIC_FN_OF_VF(1), sim_now_ps(f.r.k), 0x02aabbccdd02ull,
                                         NULL),
                     0);
    nicfx_run_us(&f, 20);
    ck_assert_uint_eq(nic_fn_mac(f.n, NIC_FN_OF_VF(1)), mac);
    ck_assert_uint_eq(rig_stat(&f.r, "nic.mbx_refused"), 1);
    ck_assert_int_eq(pfdrv_set_vf_trust(f.pf, sim_now_ps(f.r.k), 1, true, NULL), 0);
    ck_assert_int_eq(nic_drv_request_mac(f.n, NIC_FN_OF_VF(1), sim_now_ps(f.r.k), 0x02aabbccdd02ull,
                                         NULL),
                     0);
    nicfx_run_us(&f, 20);
    ck_assert_uint_eq(nic_fn_mac(f.n, NIC_FN_OF_VF(1)), 0x02aabbccdd02ull);

    /* Bad values are refused at once by the driver, with a reason. */
    ck_assert_int_eq(pfdrv_set_vf_mac(f.pf, 0, 0, 0x01005e000001ull, NULL), -1);
    ck_assert_ptr_nonnull(strstr(pfdrv_last_error(f.pf), "not unicast"));
    ck_assert_int_eq(pfdrv_set_vf_rate(f.pf, 0, 0, 41.0, NULL), -1);
    ck_assert_ptr_nonnull(strstr(pfdrv_last_error(f.pf), "above the line rate"));
    ck_assert_int_eq(pfdrv_set_vf_vlan(f.pf, 0, 5, 1, NULL), -1);
    ck_assert_ptr_nonnull(strstr(pfdrv_last_error(f.pf), "does not exist"));
    ck_assert_uint_eq(pfdrv_errors(f.pf), 3);
    ck_assert_uint_eq(nic_pf_errors(f.n), 0);
    ck_assert_int_eq(nic_drv_request_mac(f.n, NIC_FN_OF_VF(1), 0, NIC_MAC_BROADCAST, NULL), -1);

    /* Link state: a disabled VF's traffic is dropped and counted. */
    ck_assert_int_eq(pfdrv_set_vf_link(f.pf, sim_now_ps(f.r.k), 0, NIC_LINK_DISABLE, NULL), 0);
    nicfx_run_us(&f, 20);
    ck_assert(!nic_fn_link_up(f.n, NIC_FN_OF_VF(0)));
    p = fx_pkt(VF_MAC(0), PEER_MAC, 0, 64, 0);
    nic_wire_rx(f.n, &p, sim_now_ps(f.r.k) + 1000);
    nicfx_run_us(&f, 20);
    ck_assert_uint_eq(rx_of(&f, NIC_FN_OF_VF(0)), 0);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_FN_OF_VF(0)).link_drops, 1);
    nicfx_destroy(&f);
}
END_TEST

static uint64_t pf_reg(nicfx *f, uint32_t off) { return nic_reg_addr(f->n, NIC_PF, off); }

/* The device's side of VF administration: the PF's per-VF registers take effect at
 * once and refuse what the device cannot take (a driver or guest bypassing the PF
 * driver's checks); the mailbox carries messages both ways after its latency. */
START_TEST(test_vf_administration_registers)
{
    nicfx f;
    nicfx_params(&f);
    rig_set(&f.r, "nic.vf_vlan", "100");
    rig_set(&f.r, "nic.vf_rate_gbps", "2.5");
    nicfx_build(&f);
    ck_assert_int_eq(pfdrv_enable_vfs(f.pf, 2), 0);
    /* The PF driver's defaults, read back from the device. */
    uint64_t t = sim_now_ps(f.r.k);
    ck_assert_uint_eq(nic_mmio_read(f.n, t, pf_reg(&f, NIC_REG_PFVF(1, NIC_PFVF_RAL)), 4),
                      (uint32_t)VF_MAC(1));
    ck_assert_uint_eq(nic_mmio_read(f.n, t, pf_reg(&f, NIC_REG_PFVF(1, NIC_PFVF_RAH)), 4),
                      (VF_MAC(1) >> 32) | NIC_PFVF_RAH_AV);
    ck_assert_uint_eq(nic_mmio_read(f.n, t, pf_reg(&f, NIC_REG_PFVF(1, NIC_PFVF_VMVIR)), 4),
                      NIC_VMVIR_VLANA_DEFAULT | 100);
    ck_assert_uint_eq(nic_mmio_read(f.n, t, pf_reg(&f, NIC_REG_PFVF(1, NIC_PFVF_SPOOF)), 4),
                      NIC_PFVF_SPOOF_MACAS);
    ck_assert_uint_eq(nic_mmio_read(f.n, t, pf_reg(&f, NIC_REG_PFVF(1, NIC_PFVF_RATE)), 4),
                      2500000);
    ck_assert_double_eq(nic_fn_rate_gbps(f.n, NIC_FN_OF_VF(1)), 2.5);
    /* A register write takes effect at once. */
    nic_mmio_write(f.n, t, pf_reg(&f, NIC_REG_PFVF(0, NIC_PFVF_VMVIR)), 4,
                   NIC_VMVIR_VLANA_DEFAULT | 300);
    ck_assert_uint_eq(nic_fn_vlan(f.n, NIC_FN_OF_VF(0)), 300);
    /* What the device cannot take is refused and counted: a group MAC, VLAN 4095, a
     * rate above the line rate, an unknown link state, a VF that does not exist. */
    nic_mmio_write(f.n, t, pf_reg(&f, NIC_REG_PFVF(0, NIC_PFVF_RAL)), 4, 0x5e000001u);
    nic_mmio_write(f.n, t, pf_reg(&f, NIC_REG_PFVF(0, NIC_PFVF_RAH)), 4, 0x0100u | NIC_PFVF_RAH_AV);
    ck_assert_uint_eq(nic_fn_mac(f.n, NIC_FN_OF_VF(0)), VF_MAC(0));
    nic_mmio_write(f.n, t, pf_reg(&f, NIC_REG_PFVF(0, NIC_PFVF_VMVIR)), 4,
                   NIC_VMVIR_VLANA_DEFAULT | 0xfff);
    ck_assert_uint_eq(nic_fn_vlan(f.n, NIC_FN_OF_VF(0)), 300);
    nic_mmio_write(f.n, t, pf_reg(&f, NIC_REG_PFVF(0, NIC_PFVF_RATE)), 4, 41000000);
    ck_assert_ptr_nonnull(strstr(nic_last_error(f.n), "VF 0 rate limit 41000000 kb/s"));
    nic_mmio_write(f.n, t, pf_reg(&f, NIC_REG_PFVF(0, NIC_PFVF_LINK)), 4, 3);
    nic_mmio_write(f.n, t, pf_reg(&f, NIC_REG_PFVF(5, NIC_PFVF_TRUST)), 4, 1);
    ck_assert_uint_eq(rig_stat(&f.r, "nic.pf_driver_errors"), 5);
    ck_assert_ptr_nonnull(strstr(nic_last_error(f.n), "VF 5 does not exist"));
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_PF).bad_mmio, 0);
    /* The mailbox memory is one buffer seen from both sides. */
    uint64_t vf1 = nic_fn_bar(f.n, NIC_FN_OF_VF(1), NIC_BAR_REGS);
    nic_mmio_write(f.n, t, vf1 + NIC_REG_VFMBMEM(3), 4, 0xabcd);
    ck_assert_uint_eq(nic_mmio_read(f.n, t, pf_reg(&f, NIC_REG_PFMBMEM(1, 3)), 4), 0xabcd);
    /* A PF message is carried out after the latency; a malformed one is refused. */
    uint64_t done;
    ck_assert_int_eq(pfdrv_set_vf_link(f.pf, t, 1, NIC_LINK_DISABLE, &done), 0);
    nicfx_run_us(&f, 5);
    ck_assert(nic_fn_link_up(f.n, NIC_FN_OF_VF(1)));
    nicfx_run_us(&f, 10);
    ck_assert(!nic_fn_link_up(f.n, NIC_FN_OF_VF(1)));
    ck_assert_uint_eq(rig_stat(&f.r, "nic.mbx_msgs"), 1);
    t = sim_now_ps(f.r.k);
    nic_mmio_write(f.n, t, pf_reg(&f, NIC_REG_PFMBMEM(1, 0)), 4, 0x7777);
    nic_mmio_write(f.n, t, pf_reg(&f, NIC_REG_PFVF(1, NIC_PFVF_PFMAILBOX)), 4, NIC_PFMAILBOX_STS);
    nicfx_run_us(&f, 20);
    ck_assert_uint_eq(rig_stat(&f.r, "nic.pf_driver_errors"), 6);
    ck_assert_ptr_nonnull(strstr(nic_last_error(f.n), "malformed"));
    /* A VF's unknown message is refused as a request. */
    nic_mmio_write(f.n, t, vf1 + NIC_REG_VFMBMEM(0), 4, 0x0099);
    nic_mmio_write(f.n, t, vf1 + NIC_REG_VFMAILBOX, 4, NIC_VFMAILBOX_REQ);
    nicfx_run_us(&f, 20);
    ck_assert_uint_eq(rig_stat(&f.r, "nic.mbx_refused"), 1);
    /* A VF has no VF administration registers of its own; the PF has no VFMAILBOX. */
    nic_mmio_write(f.n, t, vf1 + NIC_REG_EIMC + 0x10, 4, 1);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_FN_OF_VF(1)).bad_mmio, 1);
    nic_mmio_write(f.n, t, pf_reg(&f, NIC_REG_VFMAILBOX), 4, NIC_VFMAILBOX_REQ);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_PF).bad_mmio, 1);
    nicfx_destroy(&f);
}
END_TEST

/* Blocks device accesses to [BLOCK_LO, BLOCK_HI) as an IOMMU would unmapped memory. */
#define BLOCK_LO (1ull << 40)
#define BLOCK_HI (BLOCK_LO + (1ull << 20))

static int block_range(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr,
                       uint32_t len, bool write, uint64_t *t_ps, uint64_t *hpa)
{
    (void)ctx;
    (void)rid;
    (void)pasid;
    (void)len;
    (void)write;
    (void)t_ps;
    if (addr >= BLOCK_LO && addr < BLOCK_HI)
        return -1;
    *hpa = addr;
    return 0;
}

START_TEST(test_guest_mistakes_are_counted)
{
    nicfx f;
    nicfx_params(&f);
    nicfx_build(&f);
    ck_assert_int_eq(pfdrv_enable_vfs(f.pf, 1), 0);
    nic_drvq *q = nicfx_queue(&f, NIC_FN_OF_VF(0), 0);
    pcie_rc_set_translate(f.r.pf->rc, block_range, NULL);
    uint64_t t = sim_now_ps(f.r.k);
    /* A tail beyond the ring: ignored and counted. */
    uint64_t tdt = nic_reg_addr(f.n, NIC_FN_OF_VF(0), NIC_REG_TDT(0));
    nic_mmio_write(f.n, t, tdt, 4, 64);
    nic_mmio_write(f.n, t, tdt, 4, 1000000);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_FN_OF_VF(0)).bad_tail, 2);
    /* A register that does not exist, an address no function claims. */
    nic_mmio_write(f.n, t, nic_reg_addr(f.n, NIC_FN_OF_VF(0), 0x3ff0), 4, 1);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_FN_OF_VF(0)).bad_mmio, 1);
    nic_mmio_write(f.n, t, 0x1234, 4, 1);
    ck_assert_uint_eq(rig_stat(&f.r, "nic.bad_mmio"), 1);
    /* A transmit buffer the IOMMU does not map: the read gets UR, the packet is
     * dropped, the error is counted and written back; the next packet goes out. */
    nic_pkt p = fx_pkt(PEER_MAC, VF_MAC(0), 0, 64, 0);
    nic_drvq_xmit(q, &p, t);
    nicfx_run_us(&f, 50);
    ck_assert_uint_eq(f.nwire, 1);
    /* A queue whose first descriptor points into the blocked range, as a guest driver
     * writing a bad address would set it up. */
    nic_ring bad = {.base_addr = 1ull << 33, .entries = 64};
    nic_ring rxr = {.base_addr = (1ull << 33) + 4096, .entries = 64};
    bad.desc = calloc(64, sizeof *bad.desc);
    rxr.desc = calloc(64, sizeof *rxr.desc);
    for (unsigned i = 0; i < 64; i++)
        bad.desc[i].wb_ps = rxr.desc[i].wb_ps = NIC_NOT_DONE;
    ck_assert_int_eq(nic_queue_attach(f.n, NIC_FN_OF_VF(0), 1, &bad, &rxr), 0);
    /* Its vector (1) enabled, so the interrupt timer flushes the write-back batch. */
    nic_mmio_write(f.n, t, nic_reg_addr(f.n, NIC_FN_OF_VF(0), NIC_REG_EIMS), 4, 0x2);
    bad.desc[0].buf_addr = BLOCK_LO + 4096;
    bad.desc[0].pkt = p;
    bad.desc[1].buf_addr = 1ull << 34;
    bad.desc[1].pkt = p;
    nic_mmio_write(f.n, sim_now_ps(f.r.k), nic_reg_addr(f.n, NIC_FN_OF_VF(0), NIC_REG_TDT(1)), 4, 2);
    nicfx_run_us(&f, 50);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_FN_OF_VF(0)).dma_errors, 1);
    ck_assert_uint_eq(bad.desc[0].status, NIC_DESC_ERR_DMA);
    ck_assert_uint_ne(bad.desc[0].wb_ps, NIC_NOT_DONE);
    ck_assert_uint_eq(bad.desc[1].status, NIC_DESC_OK);
    ck_assert_uint_eq(f.nwire, 2);
    /* A length no frame can have: refused without a read, the queue goes on. */
    bad.desc[2].buf_addr = 1ull << 34;
    bad.desc[2].pkt = p;
    bad.desc[2].pkt.len_bytes = 65000;
    bad.desc[3].buf_addr = 1ull << 34;
    bad.desc[3].pkt = p;
    nic_mmio_write(f.n, sim_now_ps(f.r.k), nic_reg_addr(f.n, NIC_FN_OF_VF(0), NIC_REG_TDT(1)), 4, 4);
    nicfx_run_us(&f, 50);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_FN_OF_VF(0)).bad_desc, 1);
    ck_assert_uint_eq(bad.desc[2].status, NIC_DESC_ERR_LEN);
    ck_assert_uint_eq(f.nwire, 3);
    /* A receive buffer in the blocked range: the write is refused at the root complex
     * (posted: the NIC never learns) and counted there. */
    rxr.desc[0].buf_addr = BLOCK_LO + 8192;
    nic_mmio_write(f.n, sim_now_ps(f.r.k), nic_reg_addr(f.n, NIC_FN_OF_VF(0), NIC_REG_RDT(1)), 4, 1);
    double ur0 = rig_stat(&f.r, "rc.unsupported_requests");
    nic_pkt in = fx_pkt(VF_MAC(0), PEER_MAC, 0, 64, 1); /* flow 1: queue 1 */
    nic_wire_rx(f.n, &in, sim_now_ps(f.r.k) + 1000);
    nicfx_run_us(&f, 50);
    ck_assert_double_eq(rig_stat(&f.r, "rc.unsupported_requests"), ur0 + 1);
    /* A descriptor ring the IOMMU does not map: the fetch is refused, the queue stops. */
    nic_ring lost = {.base_addr = BLOCK_LO, .entries = 64};
    lost.desc = calloc(64, sizeof *lost.desc);
    ck_assert_int_eq(nic_queue_attach(f.n, NIC_FN_OF_VF(0), 1, &lost, NULL), 0);
    nic_mmio_write(f.n, sim_now_ps(f.r.k), nic_reg_addr(f.n, NIC_FN_OF_VF(0), NIC_REG_TDT(1)), 4, 5);
    nicfx_run_us(&f, 50);
    ck_assert_uint_eq(nic_fn_get_counters(f.n, NIC_FN_OF_VF(0)).dma_errors, 2);
    /* The rest of the device carries on. */
    nic_drvq_xmit(q, &p, sim_now_ps(f.r.k));
    nicfx_run_us(&f, 50);
    ck_assert_uint_eq(f.nwire, 4);
    nicfx_destroy(&f);
    free(bad.desc);
    free(rxr.desc);
    free(lost.desc);
}
END_TEST

/* The same mistake with the VT-d model in the root complex: VF 0 is assigned with its
 * rings mapped but one transmit buffer's page left out. */
START_TEST(test_unmapped_buffer_with_the_iommu)
{
    nicfx f;
    nicfx_params(&f);
    rig_set(&f.r, "iommu.mode", "strict"); /* the platform's IOMMU translates */
    nicfx_build(&f);
    ck_assert_int_eq(pfdrv_enable_vfs(f.pf, 1), 0);
    iommu *u = f.r.pf->iommu;
    iommu_domain *d = iommu_domain_create(u, 1);
    sim_err e;
    uint64_t base = f.next_base, bytes = nic_drvq_mem_bytes(f.r.p, NIC_DRV_VF);
    ck_assert_int_ge(iommu_domain_map(d, base, base, bytes, 4096, IOMMU_READ | IOMMU_WRITE, &e), 0);
    ck_assert_int_eq(iommu_attach(u, nic_fn_rid(f.n, NIC_FN_OF_VF(0)), d), 0);
    nic_drvq *q = nicfx_queue(&f, NIC_FN_OF_VF(0), 0);
    /* Transmit buffers follow the rings: unmap the page of the third one. */
    uint64_t ring_bytes = (2ull * 64 * NIC_DESC_BYTES + 64 + 4095) & ~4095ull;
    uint64_t third = base + ring_bytes + 2 * 2048;
    ck_assert_uint_eq(iommu_domain_unmap(d, third & ~4095ull, 4096), 1);
    nic_pkt p = fx_pkt(PEER_MAC, VF_MAC(0), 0, 256, 0);
    for (int i = 0; i < 4; i++)
        nic_drvq_xmit(q, &p, sim_now_ps(f.r.k));
    nicfx_run_us(&f, 100);
    /* Buffers 2 and 3 share the unmapped page: two refused reads, two sent frames, two
     * DMA faults recorded by the IOMMU against VF 0's requester ID. */
    nic_fn_counters c = nic_fn_get_counters(f.n, NIC_FN_OF_VF(0));
    ck_assert_uint_eq(c.dma_errors, 2);
    ck_assert_uint_eq(c.tx_frames, 2);
    ck_assert_uint_eq(f.nwire, 2);
    ck_assert_uint_eq(iommu_faults_total(u), 2);
    ck_assert_uint_eq(iommu_fault_get(u, 0)->rid, nic_fn_rid(f.n, NIC_FN_OF_VF(0)));
    ck_assert_uint_eq(f.ctr[0].tx_errors, 2);
    nicfx_destroy(&f);
}
END_TEST

START_TEST(test_configuration_refused)
{
    nicfx f;
    nicfx_params(&f);
    sim_err e;
    rig_set(&f.r, "nic.vfs", "9");
    /* the PF driver's settings are its own */
    ck_assert_int_eq(nic_check(f.r.p, PLATFORM_DEVICE_RID, &e), 0);
    ck_assert_int_eq(pfdrv_check(f.r.p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "NumVFs above TotalVFs"));
    rig_set(&f.r, "nic.vfs", "2");
    rig_set(&f.r, "nic.vf_mac_base", "03:00:00:00:00:00");
    ck_assert_int_eq(pfdrv_check(f.r.p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "not a unicast address"));
    rig_set(&f.r, "nic.vf_mac_base", "02:00:00:00:00:00");
    rig_set(&f.r, "nic.vf_rate_gbps", "41");
    ck_assert_int_eq(pfdrv_check(f.r.p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "above the line rate"));
    rig_set(&f.r, "nic.vf_rate_gbps", "10");
    ck_assert_int_eq(pfdrv_check(f.r.p, &e), 0);
    ck_assert_int_eq(nic_check(f.r.p, PLATFORM_DEVICE_RID, &e), 0);
    rig_set(&f.r, "nicload.vms", "3");
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "nic.vfs = 2"));

    /* The PF's queue blocks must stop below the mailbox: 1152 queue pairs at most. */
    rig_set(&f.r, "nic.total_queues", "2048");
    rig_set(&f.r, "nic.pf_queues", "1153");
    ck_assert_int_eq(nic_check(f.r.p, PLATFORM_DEVICE_RID, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "nic.pf_queues = 1153"));
    ck_assert_ptr_nonnull(strstr(e.msg, "(1152 queue pairs"));
    rig_set(&f.r, "nic.pf_queues", "1152");
    ck_assert_int_eq(nic_check(f.r.p, PLATFORM_DEVICE_RID, &e), 0);
    /* The last VF's routing ID must exist; without VFs there is none. */
    rig_set(&f.r, "nic.vf_offset", "65535");
    ck_assert_int_eq(nic_check(f.r.p, PLATFORM_DEVICE_RID, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "nic.vf_offset = 65535, nic.vf_stride = 2 and "
                                        "nic.max_vfs = 8 put the last VF at routing ID"));
    rig_set(&f.r, "nic.max_vfs", "0");
    ck_assert_int_eq(nic_check(f.r.p, PLATFORM_DEVICE_RID, &e), 0);
    sim_params_destroy(f.r.p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nic");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_vfs_appear_at_their_routing_ids);
    tcase_add_test(tc, test_numvfs_above_totalvfs_refused);
    tcase_add_test(tc, test_queue_pool_refuses_oversubscription);
    tcase_add_test(tc, test_veb_by_mac_and_vlan);
    tcase_add_test(tc, test_broadcast_replicated_per_vlan);
    tcase_add_test(tc, test_vf_to_vf_turns_around_in_the_veb);
    tcase_add_test(tc, test_antispoof_drops_foreign_source);
    tcase_add_test(tc, test_driver_roles_read_their_own_parameters);
    tcase_add_test(tc, test_each_vf_interrupts_with_its_own_vector);
    tcase_add_test(tc, test_ims_vectors);
    tcase_add_test(tc, test_mailbox_latency_and_trust);
    tcase_add_test(tc, test_vf_administration_registers);
    tcase_add_test(tc, test_guest_mistakes_are_counted);
    tcase_add_test(tc, test_unmapped_buffer_with_the_iommu);
    tcase_add_test(tc, test_configuration_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
