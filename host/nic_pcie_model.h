/* The PCIe bandwidth of the NIC and its driver, analytically: the reference the
 * simulated figures are compared with (docs/nic-model.md, Calibration). Pure arithmetic
 * over the NIC's and the driver's parameters (so it lives with the driver, above both);
 * no device is built. */
#ifndef HOST_NIC_PCIE_MODEL_H
#define HOST_NIC_PCIE_MODEL_H

#include <stdint.h>

#include "host/nicdrv.h"
#include "sim/params.h"

/* The analytic bandwidth (pcie-bench's NIC model, Neugebauer et al. SIGCOMM 2018,
 * model/niantic.py) of this NIC and driver configuration: per-packet PCIe bytes each
 * way for transmit and receive of frame_bytes frames, and the host-side Gb/s at which
 * the busier link direction saturates. Assumes full descriptor bursts, the batching of
 * the role's driver (nicdrv.* or vfdrv.*) and one interrupt per nic.itr_pkts packets. */
typedef struct nic_pcie_model {
    double tx_up_bytes, tx_down_bytes; /* per transmitted packet */
    double rx_up_bytes, rx_down_bytes; /* per received packet */
    double tx_gbps, rx_gbps, bidir_gbps; /* PCIe-limited host-side throughput */
    double line_gbps;                    /* the wire's limit in the same unit */
} nic_pcie_model;
nic_pcie_model nic_pcie_model_eval(const sim_params *p, nic_drv_role role, uint32_t frame_bytes);

#endif
