/* The hot-unplug and hot-plug of a VM's assigned VF that a migration with a failover
 * pair goes through, as times: when the guest's VF driver stops (Linux's net_failover
 * moves the VM's traffic to its virtio-net standby then), when the device is gone and
 * when QEMU sees it, and on the destination when the VF is enumerated and its driver
 * is up (net_failover moves the traffic back).
 *
 * Timing and semantics. An unplug requested at t (QEMU's failover, at the migration's
 * start: virtio-net's failover_unplug_primary) goes through the slot's hot-plug
 * mechanism, failover.hotplug:
 *   acpi    QEMU's ACPI PCI hot-plug (the default for q35 machines since QEMU 6.1): the
 *           guest's acpiphp removes the device at once;
 *   native  PCIe native hot-plug: QEMU presses the slot's attention button and Linux's
 *           pciehp waits failover.button_wait_ms (5 s, the abort window), removes the
 *           device, powers the slot off and waits failover.power_off_wait_ms (1 s)
 *           before the unplug is complete (pciehp_ctrl.c).
 * The removal is the VF driver's remove (ixgbevf_remove: close, unregister_netdev):
 * its netdev's carrier drops at its start, so net_failover's transmit
 * (net_failover_start_xmit) picks the standby from then; it lasts failover.remove_ms.
 * QEMU's migration thread waits in wait-unplug, looking every failover.unplug_poll_ms
 * (250 ms, migration.c's qemu_sem_timedwait) from the request: the migration starts at
 * the first look after the unplug is complete.
 *
 * A hot-plug requested at t (on the destination, once the VM runs there) is found by
 * the guest, enumerated and given its resources (failover.enumerate_ms), then its
 * driver probes it (failover.probe_ms: register set-up, mailbox reset, netdev
 * registration, link up) and net_failover takes it as the primary: the traffic moves
 * back. The guest's configuration accesses in the probe are exits the caller books
 * (vpci_probe); the times here are the rest. */
#ifndef HOST_FAILOVER_H
#define HOST_FAILOVER_H

#include <stdint.h>

#include "sim/params.h"

/* failover.hotplug, in its choices' order. */
typedef enum failover_hotplug {
    FAILOVER_HOTPLUG_ACPI,
    FAILOVER_HOTPLUG_NATIVE,
} failover_hotplug;

typedef struct failover_cfg {
    uint32_t hotplug; /* failover_hotplug */
    uint64_t button_wait_ps, power_off_wait_ps, remove_ps, unplug_poll_ps;
    uint64_t enumerate_ps, probe_ps;
} failover_cfg;

/* An unplug's times, from its request. */
typedef struct failover_unplug {
    uint64_t remove_ps; /* the VF driver's remove begins: traffic on the standby */
    uint64_t gone_ps;   /* the unplug is complete (QEMU's DEVICE_DELETED) */
    uint64_t seen_ps;   /* QEMU's wait-unplug sees it: the migration goes on */
} failover_unplug;

/* A hot-plug's times, from its request. */
typedef struct failover_plug {
    uint64_t enumerated_ps; /* the device is enumerated, its BARs assigned */
    uint64_t up_ps;         /* its driver is up: traffic back on the primary */
} failover_plug;

void failover_register_params(sim_params *p);
failover_cfg failover_cfg_load(const sim_params *p);
failover_unplug failover_unplug_at(const failover_cfg *c, uint64_t request_ps);
failover_plug failover_plug_at(const failover_cfg *c, uint64_t request_ps);

#endif
