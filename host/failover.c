#include "host/failover.h"

#include "sim/kernel.h"

/* Sources: docs/migration-model.md's table. */
static const sim_param_def failover_params[] = {
    {"failover.hotplug", SIM_PARAM_ENUM, "acpi", "acpi|native", "",
     "How the VF's slot is hot-plugged: acpi, QEMU's ACPI PCI hot-plug (the q35 default "
     "since QEMU 6.1, commit 17858a169508), removal at once; native, PCIe native hot-plug "
     "through the attention button, Linux's pciehp waiting failover.button_wait_ms before "
     "and failover.power_off_wait_ms after the removal",
     SIM_AT(failover_cfg, hotplug)},
    {"failover.button_wait_ms", SIM_PARAM_DOUBLE, "5000", "0..1e6", "ms",
     "native: pciehp's wait after an attention-button press before it removes the device "
     "(the abort window, 5*HZ in pciehp_ctrl.c)",
     SIM_AT(failover_cfg, button_wait_ps)},
    {"failover.power_off_wait_ms", SIM_PARAM_DOUBLE, "1000", "0..1e6", "ms",
     "native: pciehp's wait after it powers the slot off (msleep(1000) in pciehp_ctrl.c: "
     "\"wait for at least 1 second\")",
     SIM_AT(failover_cfg, power_off_wait_ps)},
    {"failover.remove_ms", SIM_PARAM_DOUBLE, "50", "0..1e6", "ms",
     "The guest's VF driver remove (ixgbevf_remove: close, unregister_netdev with its RCU "
     "grace periods); assumed, no measurement found",
     SIM_AT(failover_cfg, remove_ps)},
    {"failover.unplug_poll_ms", SIM_PARAM_DOUBLE, "250", "0.001..1e6", "ms",
     "How often QEMU's migration thread looks whether the guest has unplugged the primary "
     "(wait-unplug: qemu_sem_timedwait(&s->wait_unplug_sem, 250) in migration.c)",
     SIM_AT(failover_cfg, unplug_poll_ps)},
    {"failover.enumerate_ms", SIM_PARAM_DOUBLE, "620", "0..1e6", "ms",
     "A hot-added device from the hot-plug event to enumerated with its BARs assigned (a "
     "QEMU q35 guest's dmesg: attention button at 5.1065 s, BAR 0 assigned at 5.7283 s; "
     "kata-containers issue 2890)",
     SIM_AT(failover_cfg, enumerate_ps)},
    {"failover.probe_ms", SIM_PARAM_DOUBLE, "530", "0..1e6", "ms",
     "The VF driver's probe to its netdev up (an mlx5 VF: PCI add at 126.053 s to the "
     "netdev renamed at 126.581 s, canonical/netplan PR 439's dmesg; an ixgbevf's was not "
     "found)",
     SIM_AT(failover_cfg, probe_ps)},
};

void failover_register_params(sim_params *p)
{
    sim_params_add_table(p, failover_params, SIM_TABLE_LEN(failover_params));
}

failover_cfg failover_cfg_load(const sim_params *p)
{
    failover_cfg c;
    sim_params_load_table(p, failover_params, SIM_TABLE_LEN(failover_params), &c);
    return c;
}

/* pciehp_ctrl.c: on the button, a 5 s abort window (pciehp_queue_pushbutton_work), then
 * remove_board (the driver's remove) and the power-off wait; acpiphp removes at once
 * (acpiphp_disable_and_eject_slot) and ejects with _EJ0. */
failover_unplug failover_unplug_at(const failover_cfg *c, uint64_t request_ps)
{
    bool native = c->hotplug == FAILOVER_HOTPLUG_NATIVE;
    failover_unplug u;
    u.remove_ps = request_ps + (native ? c->button_wait_ps : 0);
    u.gone_ps = u.remove_ps + c->remove_ps + (native ? c->power_off_wait_ps : 0);
    /* The migration thread's first look is one period after the request. */
    uint64_t waited = u.gone_ps - request_ps;
    uint64_t looks = waited / c->unplug_poll_ps + (waited % c->unplug_poll_ps ? 1 : 0);
    u.seen_ps = request_ps + (looks ? looks : 1) * c->unplug_poll_ps;
    return u;
}

failover_plug failover_plug_at(const failover_cfg *c, uint64_t request_ps)
{
    failover_plug g;
    g.enumerated_ps = request_ps + c->enumerate_ps;
    g.up_ps = g.enumerated_ps + c->probe_ps;
    return g;
}
