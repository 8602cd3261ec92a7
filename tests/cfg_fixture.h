/* Shared by the configuration-space tests: a function with the identity of an 82599
 * port and the PCI Express capability of a Gen3 x8 endpoint. */
#ifndef TESTS_CFG_FIXTURE_H
#define TESTS_CFG_FIXTURE_H

#include <check.h>

#include "models/pcie/cfgspace.h"

#define VID 0x8086
#define DID 0x10fb
#define CLASS_ETHERNET 0x020000u

static inline pcie_cfg *new_fn(void)
{
    pcie_cfg *c = pcie_cfg_create(VID, DID, CLASS_ETHERNET);
    ck_assert_ptr_nonnull(c);
    return c;
}

static const pcie_cfg_exp_info endpoint_gen3x8 __attribute__((unused)) = {
    .port_type = PCIE_EXP_TYPE_ENDPOINT,
    .mps_supported_bytes = 512,
    .max_link_speed = PCIE_LINK_SPEED_8GT,
    .max_link_width = 8,
    .devcap = PCIE_EXP_DEVCAP_EXT_TAG | PCIE_EXP_DEVCAP_FLR,
    .devcap2 = PCIE_EXP_DEVCAP2_CPL_TIMEOUT_RANGES | PCIE_EXP_DEVCAP2_CPL_TIMEOUT_DISABLE,
};

#endif
