#include "host/nic_pcie_model.h"

#include <math.h>
#include <stdbool.h>

#include "host/nicdrv.h"
#include "models/nic/nic.h"
#include "models/pcie/link.h"
#include "models/pcie/tlp.h"

static double ceil_div(double a, double b) { return ceil(a / b); }

nic_pcie_model nic_pcie_model_eval(const sim_params *p, nic_drv_role role, uint32_t frame_bytes)
{
    nic_pcie_model m = {0};
    pcie_link_cfg lc = pcie_link_cfg_from_params(p);
    /* Header sizes as the link charges them: 64-bit addresses (host memory and BARs
     * above 4 GiB), framing included. */
    uint64_t a = 1ull << 32;
    double mwr = pcie_tlp_wire_bytes(&lc, PCIE_TLP_MWR, 0, a);
    double mrd = pcie_tlp_wire_bytes(&lc, PCIE_TLP_MRD, 0, a);
    double cpl = pcie_tlp_wire_bytes(&lc, PCIE_TLP_CPLD, 0, a);
    double data = frame_bytes - NIC_FCS_BYTES;
    double mps = (double)lc.mps_bytes, mrrs = (double)lc.mrrs_bytes;
    double d = NIC_DESC_BYTES;
    nic_caps nc = nic_caps_of(p);
    nic_drv_cfg dc = nic_drv_cfg_load(p, role);
    double txf = nc.tx_fetch, rxf = nc.rx_fetch, wb = nc.tx_wb, rxwb = nc.rx_wb;
    double itr = nc.itr_pkts;
    double txb = dc.tx_batch;
    double refill = dc.rx_refill;
    double txhr = dc.tx_head_pkts;
    double rxhr = dc.rx_head_pkts;
    bool head_wb = nc.tx_head_wb;
    double irq = itr > 0 ? (mwr + 4) / itr : 0;

    /* Transmit: tail write per batch, descriptor reads per burst, the data read,
     * write-back per threshold (or a head write), an interrupt, head register reads. */
    m.tx_down_bytes = (mwr + 4) / txb;
    m.tx_up_bytes = ceil_div(txf * d, mrrs) * mrd / txf;
    m.tx_down_bytes += (ceil_div(txf * d, mps) * cpl + txf * d) / txf;
    m.tx_up_bytes += ceil_div(data, mrrs) * mrd;
    m.tx_down_bytes += ceil_div(data, mps) * cpl + data;
    m.tx_up_bytes += head_wb ? (mwr + 4) / wb : (ceil_div(wb * d, mps) * mwr + wb * d) / wb;
    m.tx_up_bytes += irq;
    if (txhr > 0) {
        m.tx_down_bytes += mrd / txhr;
        m.tx_up_bytes += (cpl + 4) / txhr;
    }
    /* Receive: tail write per refill batch, descriptor reads, data writes, write-backs,
     * an interrupt, head register reads. */
    m.rx_down_bytes = (mwr + 4) / refill;
    m.rx_up_bytes = ceil_div(rxf * d, mrrs) * mrd / rxf;
    m.rx_down_bytes += (ceil_div(rxf * d, mps) * cpl + rxf * d) / rxf;
    m.rx_up_bytes += ceil_div(data, mps) * mwr + data;
    m.rx_up_bytes += (ceil_div(rxwb * d, mps) * mwr + rxwb * d) / rxwb;
    m.rx_up_bytes += irq;
    if (rxhr > 0) {
        m.rx_down_bytes += mrd / rxhr;
        m.rx_up_bytes += (cpl + 4) / rxhr;
    }
    double tlp = pcie_link_tlp_gbps(&lc);
    double tx_busy = fmax(m.tx_up_bytes, m.tx_down_bytes);
    double rx_busy = fmax(m.rx_up_bytes, m.rx_down_bytes);
    double bi_busy = fmax(m.tx_up_bytes + m.rx_up_bytes, m.tx_down_bytes + m.rx_down_bytes);
    m.tx_gbps = tlp * data / tx_busy;
    m.rx_gbps = tlp * data / rx_busy;
    m.bidir_gbps = tlp * 2 * data / bi_busy;
    double wire = frame_bytes + NIC_PREAMBLE_BYTES + (double)nc.ifg_bytes;
    m.line_gbps = nc.line_gbps * data / wire;
    return m;
}
