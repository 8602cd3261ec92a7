/* Unit tests of one function's configuration space (models/pcie/cfgspace.c): the write
 * rule (write mask, write-1-to-clear, read-only bits kept and counted), BAR sizing, the
 * capability lists, the PCI Express and MSI-X capabilities, write handlers. The bus and
 * the SR-IOV capability: test_pcie_cfgbus.c. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pcie/cfgspace.h"
#include "sim/stats.h"
#include "tests/cfg_fixture.h"

/* ---------------------------------------------------------------- header */

START_TEST(test_create_ids)
{
    pcie_cfg *c = new_fn();
    pcie_cfg_set(c, PCIE_CFG_REVISION_ID, 1, 0x01);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_VENDOR_ID, 2), VID);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_DEVICE_ID, 2), DID);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_VENDOR_ID, 4), ((uint32_t)DID << 16) | VID);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_REVISION_ID, 4), (CLASS_ETHERNET << 8) | 0x01);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_BASE_CLASS, 1), 0x02);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_HEADER_TYPE, 1), PCIE_HDR_TYPE_0);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_STATUS, 2) & PCIE_STS_CAP_LIST, 0);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_CAP_PTR, 1), 0);
    /* No extended capabilities: a zero header at 100h. */
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_EXT_CAP_START, 4), 0);
    pcie_cfg_counters k = pcie_cfg_get_counters(c);
    ck_assert_uint_eq(k.reads, 9);
    ck_assert_uint_eq(k.writes + k.ro_writes + k.misaligned + k.out_of_range, 0);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_read_only_ids_stay)
{
    pcie_cfg *c = new_fn();
    pcie_cfg_write(c, PCIE_CFG_VENDOR_ID, 2, 0x1234);
    pcie_cfg_write(c, PCIE_CFG_DEVICE_ID, 2, 0x5678);
    pcie_cfg_write(c, PCIE_CFG_VENDOR_ID, 4, 0xffffffffu);
    pcie_cfg_write(c, PCIE_CFG_REVISION_ID, 4, 0xffffffffu);
    pcie_cfg_write(c, PCIE_CFG_HEADER_TYPE, 1, PCIE_HDR_TYPE_MULTI_FUNCTION);
    pcie_cfg_write(c, PCIE_CFG_CAP_PTR, 1, 0x40);
    pcie_cfg_write(c, PCIE_CFG_SUBSYSTEM_VENDOR_ID, 4, 0xdeadbeefu);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_VENDOR_ID, 2), VID);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_DEVICE_ID, 2), DID);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_REVISION_ID, 4), CLASS_ETHERNET << 8);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_HEADER_TYPE, 1), 0);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_CAP_PTR, 1), 0);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_SUBSYSTEM_VENDOR_ID, 4), 0);
    pcie_cfg_counters k = pcie_cfg_get_counters(c);
    ck_assert_uint_eq(k.writes, 7);
    ck_assert_uint_eq(k.ro_writes, 7);

    /* Writing back what is there (read-modify-write) is no mistake, nor is writing
     * zeros over read-only bits (the value stays all the same). */
    pcie_cfg_write(c, PCIE_CFG_VENDOR_ID, 4, pcie_cfg_read(c, PCIE_CFG_VENDOR_ID, 4));
    pcie_cfg_write(c, PCIE_CFG_VENDOR_ID, 4, 0);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_VENDOR_ID, 2), VID);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 7);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_command_write_mask)
{
    pcie_cfg *c = new_fn();
    const uint32_t rw = PCIE_CMD_MEMORY_SPACE | PCIE_CMD_BUS_MASTER |
                        PCIE_CMD_PARITY_ERROR_RESPONSE | PCIE_CMD_SERR_ENABLE |
                        PCIE_CMD_INTX_DISABLE;
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND, 2), 0);
    pcie_cfg_write(c, PCIE_CFG_COMMAND, 2, 0xffff);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND, 2), rw);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 1);
    ck_assert(pcie_cfg_memory_enabled(c));
    ck_assert(pcie_cfg_bus_master(c));

    pcie_cfg_write(c, PCIE_CFG_COMMAND, 2, PCIE_CMD_BUS_MASTER);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND, 2), PCIE_CMD_BUS_MASTER);
    ck_assert(!pcie_cfg_memory_enabled(c));
    /* A byte write reaches only its byte. */
    pcie_cfg_write(c, PCIE_CFG_COMMAND + 1, 1, PCIE_CMD_INTX_DISABLE >> 8);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND, 2),
                      PCIE_CMD_BUS_MASTER | PCIE_CMD_INTX_DISABLE);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 1);
    /* Cache Line Size and Interrupt Line are scratch registers. */
    pcie_cfg_write(c, PCIE_CFG_CACHE_LINE_SIZE, 1, 0x10);
    pcie_cfg_write(c, PCIE_CFG_INTERRUPT_LINE, 1, 0x0b);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_CACHE_LINE_SIZE, 1), 0x10);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_INTERRUPT_LINE, 1), 0x0b);
    ck_assert_uint_eq(pcie_cfg_wmask(c, PCIE_CFG_COMMAND, 2), rw);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_status_w1c)
{
    pcie_cfg *c = new_fn();
    ck_assert_uint_ne(pcie_cfg_add_capability(c, PCIE_CAP_ID_PM, PCIE_PM_SIZEOF), 0);
    const uint32_t errs = PCIE_STS_RECEIVED_MASTER_ABORT | PCIE_STS_SIGNALED_TARGET_ABORT |
                          PCIE_STS_DETECTED_PARITY_ERROR;
    /* The device records errors; software clears them by writing 1. */
    pcie_cfg_set(c, PCIE_CFG_STATUS, 2, pcie_cfg_get(c, PCIE_CFG_STATUS, 2) | errs);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_STATUS, 2), PCIE_STS_CAP_LIST | errs);

    pcie_cfg_write(c, PCIE_CFG_STATUS, 2, 0);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_STATUS, 2), PCIE_STS_CAP_LIST | errs);
    pcie_cfg_write(c, PCIE_CFG_STATUS, 2, PCIE_STS_RECEIVED_MASTER_ABORT);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_STATUS, 2),
                      PCIE_STS_CAP_LIST | PCIE_STS_SIGNALED_TARGET_ABORT |
                          PCIE_STS_DETECTED_PARITY_ERROR);
    /* Zeros over Capabilities List are how RW1C bits are cleared: not a mistake. */
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 0);

    /* A DWORD write of Command and Status, as a driver restoring Command does with
     * the Status it read: the error bits it read as 1 are cleared, Command is set. */
    uint32_t cs = pcie_cfg_read(c, PCIE_CFG_COMMAND, 4);
    pcie_cfg_write(c, PCIE_CFG_COMMAND, 4, cs | PCIE_CMD_MEMORY_SPACE);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND, 4),
                      ((uint32_t)PCIE_STS_CAP_LIST << 16) | PCIE_CMD_MEMORY_SPACE);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 0);

    /* Writing all-ones clears every error bit but not Capabilities List; it also
     * tries to set hardwired bits (66 MHz Capable, ...), which counts. */
    pcie_cfg_set(c, PCIE_CFG_STATUS, 2, PCIE_STS_CAP_LIST | PCIE_STS_ERROR_BITS);
    pcie_cfg_write(c, PCIE_CFG_STATUS, 2, 0xffff);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_STATUS, 2), PCIE_STS_CAP_LIST);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 1);
    ck_assert_uint_eq(pcie_cfg_w1cmask(c, PCIE_CFG_STATUS, 2), PCIE_STS_ERROR_BITS);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_bad_accesses_counted)
{
    pcie_cfg *c = new_fn();
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND + 1, 2), 0xffff);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND + 2, 4), 0xffffffffu);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND, 3), 0xffffffffu);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND, 8), 0xffffffffu);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_SIZE, 4), 0xffffffffu);
    ck_assert_uint_eq(pcie_cfg_read(c, 0xfffe, 1), 0xff);
    pcie_cfg_write(c, PCIE_CFG_COMMAND + 1, 2, 0xffff); /* would set Command bits */
    pcie_cfg_write(c, PCIE_CFG_SIZE + 4, 4, 0);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND, 2), 0);
    /* The last byte of the space is fine. */
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_SIZE - 1, 1), 0);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_SIZE - 4, 4), 0);
    pcie_cfg_counters k = pcie_cfg_get_counters(c);
    ck_assert_uint_eq(k.misaligned, 5);
    ck_assert_uint_eq(k.out_of_range, 3);
    ck_assert_uint_eq(k.reads, 9);
    ck_assert_uint_eq(k.writes, 2);
    ck_assert_uint_eq(k.ro_writes, 0);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_reset)
{
    pcie_cfg *c = new_fn();
    ck_assert(pcie_cfg_add_bar(c, 0, 1 << 20, false, false));
    uint8_t exp = pcie_cfg_add_exp_capability(c, &endpoint_gen3x8);
    ck_assert_uint_ne(exp, 0);
    pcie_cfg_write(c, PCIE_CFG_COMMAND, 2, PCIE_CMD_MEMORY_SPACE | PCIE_CMD_BUS_MASTER);
    pcie_cfg_write(c, PCIE_CFG_BAR0, 4, 0xfe000000u);
    pcie_cfg_write(c, exp + PCIE_EXP_DEVCTL, 2, 0);
    pcie_cfg_set(c, PCIE_CFG_STATUS, 2,
                 pcie_cfg_get(c, PCIE_CFG_STATUS, 2) | PCIE_STS_RECEIVED_MASTER_ABORT);
    ck_assert(pcie_cfg_exp_set_link_status(c, PCIE_LINK_SPEED_5GT, 4));

    pcie_cfg_reset(c);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_COMMAND, 2), 0);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_STATUS, 2), PCIE_STS_CAP_LIST);
    ck_assert_uint_eq(pcie_cfg_bar_address(c, 0), 0);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_BAR0, 4), PCIE_BAR_MEM_TYPE_32);
    ck_assert_uint_eq(pcie_cfg_exp_mrrs_bytes(c), 512);
    ck_assert_uint_eq(pcie_cfg_read(c, exp + PCIE_EXP_DEVCTL, 2) &
                          (PCIE_EXP_DEVCTL_RELAXED_ORDERING | PCIE_EXP_DEVCTL_NO_SNOOP),
                      PCIE_EXP_DEVCTL_RELAXED_ORDERING | PCIE_EXP_DEVCTL_NO_SNOOP);
    /* Hardware state survives: IDs and the trained link. */
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_VENDOR_ID, 2), VID);
    ck_assert_uint_eq(pcie_cfg_exp_link_speed(c), PCIE_LINK_SPEED_5GT);
    ck_assert_uint_eq(pcie_cfg_exp_link_width(c), 4);
    pcie_cfg_destroy(c);
}
END_TEST

/* ---------------------------------------------------------------- BARs */

static const uint64_t bar32_sizes[] = {16, 128, 4096, 1u << 16, 1u << 20, 1u << 28, 1ull << 31};

START_TEST(test_bar32_sizing)
{
    uint64_t size = bar32_sizes[_i];
    for (int pf = 0; pf <= 1; pf++) {
        pcie_cfg *c = new_fn();
        ck_assert(pcie_cfg_add_bar(c, 2, size, false, pf));
        uint32_t type = pf ? PCIE_BAR_PREFETCHABLE : 0;
        ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_BAR2, 4), type);
        pcie_cfg_write(c, PCIE_CFG_BAR2, 4, 0xffffffffu);
        uint32_t rb = pcie_cfg_read(c, PCIE_CFG_BAR2, 4);
        ck_assert_uint_eq(rb, ((uint32_t)~(size - 1) & PCIE_BAR_MEM_ADDR) | type);
        ck_assert_uint_eq((uint64_t)(~(rb & PCIE_BAR_MEM_ADDR)) + 1, size);
        /* Program an aligned address; the bits below the size stay zero. */
        uint32_t addr = (uint32_t)(0x80000000u & ~(size - 1));
        pcie_cfg_write(c, PCIE_CFG_BAR2, 4, addr | 0x7u);
        ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_BAR2, 4), addr | type);
        ck_assert_uint_eq(pcie_cfg_bar_address(c, 2), addr);
        ck_assert_uint_eq(pcie_cfg_bar_size(c, 2), size);
        ck_assert(!pcie_cfg_bar_is_64bit(c, 2));
        pcie_cfg_write(c, PCIE_CFG_BAR2, 4, 0x12345678u);
        ck_assert_uint_eq(pcie_cfg_bar_address(c, 2), 0x12345670u & ~(size - 1));
        /* Sizing is the spec's protocol, not a mistake; other slots size to 0. */
        pcie_cfg_write(c, PCIE_CFG_BAR0, 4, 0xffffffffu);
        ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_BAR0, 4), 0);
        pcie_cfg_write(c, PCIE_CFG_EXPANSION_ROM, 4, PCIE_ROM_ADDR);
        ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_EXPANSION_ROM, 4), 0);
        ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 0);
        ck_assert_uint_eq(pcie_cfg_bar_size(c, 0), 0);
        ck_assert_uint_eq(pcie_cfg_bar_address(c, 0), 0);
        pcie_cfg_destroy(c);
    }
}
END_TEST

static const uint64_t bar64_sizes[] = {16, 4096, 1u << 20, 1ull << 32, 1ull << 33, 1ull << 40};

START_TEST(test_bar64_sizing)
{
    uint64_t size = bar64_sizes[_i];
    pcie_cfg *c = new_fn();
    ck_assert(pcie_cfg_add_bar(c, 0, size, true, true));
    uint32_t type = PCIE_BAR_MEM_TYPE_64 | PCIE_BAR_PREFETCHABLE;
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_BAR0, 4), type);
    pcie_cfg_write(c, PCIE_CFG_BAR0, 4, 0xffffffffu);
    pcie_cfg_write(c, PCIE_CFG_BAR1, 4, 0xffffffffu);
    uint32_t lo = pcie_cfg_read(c, PCIE_CFG_BAR0, 4);
    uint32_t hi = pcie_cfg_read(c, PCIE_CFG_BAR1, 4);
    uint64_t mask = ((uint64_t)hi << 32) | (lo & PCIE_BAR_MEM_ADDR);
    ck_assert_uint_eq(lo & PCIE_BAR_MEM_FLAGS, type);
    ck_assert_uint_eq(~mask + 1, size);

    uint64_t addr = 0x3800000000ull & ~(size - 1);
    if (!addr)
        addr = size; /* a BAR larger than the test address: use its own size */
    pcie_cfg_write(c, PCIE_CFG_BAR0, 4, (uint32_t)addr);
    pcie_cfg_write(c, PCIE_CFG_BAR1, 4, (uint32_t)(addr >> 32));
    ck_assert_uint_eq(pcie_cfg_bar_address(c, 0), addr);
    ck_assert_uint_eq(pcie_cfg_bar_size(c, 0), size);
    ck_assert(pcie_cfg_bar_is_64bit(c, 0));
    /* The upper half is not a BAR of its own. */
    ck_assert_uint_eq(pcie_cfg_bar_size(c, 1), 0);
    ck_assert_uint_eq(pcie_cfg_bar_address(c, 1), 0);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 0);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_bar_refused)
{
    pcie_cfg *c = new_fn();
    ck_assert(!pcie_cfg_add_bar(c, 6, 4096, false, false));
    ck_assert(!pcie_cfg_add_bar(c, 5, 4096, true, false)); /* needs slot 6 */
    ck_assert(!pcie_cfg_add_bar(c, 0, 0, false, false));
    ck_assert(!pcie_cfg_add_bar(c, 0, 8, false, false));
    ck_assert(!pcie_cfg_add_bar(c, 0, 3000, false, false));
    ck_assert(!pcie_cfg_add_bar(c, 0, 1ull << 32, false, false)); /* 32-bit: 2 GiB max */
    ck_assert(pcie_cfg_add_bar(c, 0, 4096, true, false));
    ck_assert(!pcie_cfg_add_bar(c, 0, 4096, false, false));
    ck_assert(!pcie_cfg_add_bar(c, 1, 4096, false, false)); /* upper half of BAR0 */
    ck_assert(pcie_cfg_add_bar(c, 3, 4096, false, false));
    ck_assert(!pcie_cfg_add_bar(c, 2, 4096, true, false)); /* would take slot 3 */
    ck_assert(pcie_cfg_add_bar(c, 2, 8192, false, false));
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_bar_decode)
{
    pcie_cfg *c = new_fn();
    ck_assert(pcie_cfg_add_bar(c, 0, 1 << 20, false, false));
    ck_assert(pcie_cfg_add_bar(c, 2, 1ull << 32, true, true));
    pcie_cfg_write(c, PCIE_CFG_BAR0, 4, 0xfe000000u);
    pcie_cfg_write(c, PCIE_CFG_BAR2, 4, 0);
    pcie_cfg_write(c, PCIE_CFG_BAR3, 4, 0x10);
    unsigned bar = 9;
    uint64_t off = 0;
    ck_assert(!pcie_cfg_bar_decode(c, 0xfe000010u, &bar, &off)); /* decoding off */
    pcie_cfg_write(c, PCIE_CFG_COMMAND, 2, PCIE_CMD_MEMORY_SPACE);
    ck_assert(pcie_cfg_bar_decode(c, 0xfe000010u, &bar, &off));
    ck_assert_uint_eq(bar, 0);
    ck_assert_uint_eq(off, 0x10);
    ck_assert(pcie_cfg_bar_decode(c, 0x1000000000ull + 0xabcdef12ull, &bar, &off));
    ck_assert_uint_eq(bar, 2);
    ck_assert_uint_eq(off, 0xabcdef12ull);
    ck_assert(!pcie_cfg_bar_decode(c, 0xfe100000u, &bar, &off));
    ck_assert(!pcie_cfg_bar_decode(c, 0x1100000000ull, &bar, &off));
    pcie_cfg_destroy(c);
}
END_TEST

/* Decoding as the registers say it, read back on every call: the reference for the
 * decoding a function keeps as Command and its BARs are written. */
static bool decode_from_registers(const pcie_cfg *c, uint64_t addr, unsigned *index,
                                  uint64_t *offset)
{
    if (!(pcie_cfg_get(c, PCIE_CFG_COMMAND, 2) & PCIE_CMD_MEMORY_SPACE))
        return false;
    for (unsigned i = 0; i < PCIE_CFG_NUM_BARS; i++) {
        uint64_t size = pcie_cfg_bar_size(c, i);
        uint64_t base = size ? pcie_cfg_bar_reg_address(c, (uint16_t)PCIE_CFG_BAR(i),
                                                        pcie_cfg_bar_is_64bit(c, i))
                             : 0;
        if (base && addr >= base && addr - base < size) {
            *index = i;
            *offset = addr - base;
            return true;
        }
    }
    return false;
}

/* Mismatches between the kept decoding and the registers, at 0 and around the start
 * and the end of every BAR, and in the BAR addresses themselves. */
static unsigned decode_mismatches(const pcie_cfg *c)
{
    unsigned bad = 0;
    uint64_t probes[2 + 5 * PCIE_CFG_NUM_BARS];
    unsigned n = 0;
    probes[n++] = 0;
    probes[n++] = 0xfe000010u;
    for (unsigned i = 0; i < PCIE_CFG_NUM_BARS; i++) {
        uint64_t size = pcie_cfg_bar_size(c, i);
        uint64_t reg = size ? pcie_cfg_bar_reg_address(c, (uint16_t)PCIE_CFG_BAR(i),
                                                       pcie_cfg_bar_is_64bit(c, i))
                            : 0;
        bad += pcie_cfg_bar_address(c, i) != reg;
        if (!size)
            continue;
        uint64_t at[5] = {reg - 1, reg, reg + size / 2, reg + size - 1, reg + size};
        for (unsigned k = 0; k < 5; k++)
            probes[n++] = at[k];
    }
    for (unsigned k = 0; k < n; k++) {
        unsigned i1 = 99, i2 = 99;
        uint64_t o1 = 1, o2 = 1;
        bool h1 = pcie_cfg_bar_decode(c, probes[k], &i1, &o1);
        bool h2 = decode_from_registers(c, probes[k], &i2, &o2);
        bad += h1 != h2 || (h1 && (i1 != i2 || o1 != o2));
    }
    return bad;
}

static void check_decode_in_handler(pcie_cfg *c, const pcie_cfg_write_info *w, void *ctx)
{
    (void)w;
    *(unsigned *)ctx += decode_mismatches(c);
}

/* A BAR rewrite, a Memory Space Enable toggle and a reset are seen by the very next
 * decode (and by a write handler of the same write), whatever the access width and
 * whether software or the device itself changed the register. */
START_TEST(test_bar_decode_follows_writes)
{
    pcie_cfg *c = new_fn();
    ck_assert(pcie_cfg_add_bar(c, 0, 1 << 16, false, false));
    ck_assert(pcie_cfg_add_bar(c, 2, 1 << 20, true, true));
    unsigned in_handler = 0;
    pcie_cfg_set_write_handler(c, PCIE_CFG_COMMAND, PCIE_CFG_BAR5 + 4 - PCIE_CFG_COMMAND,
                               check_decode_in_handler, &in_handler);
    unsigned bar = 9;
    uint64_t off = 0;
    pcie_cfg_write(c, PCIE_CFG_BAR0, 4, 0xfe000000u);
    pcie_cfg_write(c, PCIE_CFG_BAR2, 4, 0);
    pcie_cfg_write(c, PCIE_CFG_BAR3, 4, 0x10);
    pcie_cfg_write(c, PCIE_CFG_COMMAND, 2, PCIE_CMD_MEMORY_SPACE);
    ck_assert(pcie_cfg_bar_decode(c, 0xfe000010u, &bar, &off) && bar == 0 && off == 0x10);
    /* Moved by a DWORD write, then by its top byte alone. */
    pcie_cfg_write(c, PCIE_CFG_BAR0, 4, 0xfd000000u);
    ck_assert(!pcie_cfg_bar_decode(c, 0xfe000010u, &bar, &off));
    ck_assert(pcie_cfg_bar_decode(c, 0xfd000010u, &bar, &off) && bar == 0);
    pcie_cfg_write(c, PCIE_CFG_BAR0 + 3, 1, 0xfc);
    ck_assert_uint_eq(pcie_cfg_bar_address(c, 0), 0xfc000000u);
    ck_assert(pcie_cfg_bar_decode(c, 0xfc00fffful, &bar, &off) && off == 0xffff);
    /* The upper half of the 64-bit BAR alone. */
    pcie_cfg_write(c, PCIE_CFG_BAR3, 4, 0x20);
    ck_assert(!pcie_cfg_bar_decode(c, 0x1000000000ull, &bar, &off));
    ck_assert(pcie_cfg_bar_decode(c, 0x2000000000ull + 5, &bar, &off) && bar == 2 && off == 5);
    /* Memory Space Enable off and on: through Command alone, through Command and Status
     * in one DWORD, and by the device. */
    pcie_cfg_write(c, PCIE_CFG_COMMAND, 2, 0);
    ck_assert(!pcie_cfg_bar_decode(c, 0xfc000010u, &bar, &off));
    pcie_cfg_write(c, PCIE_CFG_COMMAND, 4, PCIE_CMD_MEMORY_SPACE);
    ck_assert(pcie_cfg_bar_decode(c, 0xfc000010u, &bar, &off));
    pcie_cfg_set(c, PCIE_CFG_COMMAND, 2, 0);
    ck_assert(!pcie_cfg_bar_decode(c, 0xfc000010u, &bar, &off));
    pcie_cfg_set(c, PCIE_CFG_COMMAND, 2, PCIE_CMD_MEMORY_SPACE);
    pcie_cfg_set(c, PCIE_CFG_BAR0, 4, 0xfb000000u);
    ck_assert(pcie_cfg_bar_decode(c, 0xfb000010u, &bar, &off) && bar == 0);
    /* Sizing reads back the mask; then a reset clears addresses and decoding. */
    pcie_cfg_write(c, PCIE_CFG_BAR0, 4, 0xffffffffu);
    ck_assert_uint_eq(pcie_cfg_bar_address(c, 0), 0xffff0000u);
    pcie_cfg_reset(c);
    ck_assert_uint_eq(pcie_cfg_bar_address(c, 0), 0);
    ck_assert_uint_eq(pcie_cfg_bar_address(c, 2), 0);
    ck_assert(!pcie_cfg_bar_decode(c, 0xfb000010u, &bar, &off));
    ck_assert_uint_eq(decode_mismatches(c), 0);
    ck_assert_uint_eq(in_handler, 0);
    pcie_cfg_destroy(c);
}
END_TEST

/* Random writes of every width, by software and by the device, over Command, Status and
 * the BARs (with an occasional reset): the kept decoding always agrees with the
 * registers. */
START_TEST(test_bar_decode_random_writes)
{
    pcie_cfg *c = new_fn();
    ck_assert(pcie_cfg_add_bar(c, 0, 1 << 16, false, false));
    ck_assert(pcie_cfg_add_bar(c, 1, 1 << 12, true, false));
    ck_assert(pcie_cfg_add_bar(c, 4, 16, false, false));
    unsigned in_handler = 0;
    pcie_cfg_set_write_handler(c, PCIE_CFG_BAR0, 4 * PCIE_CFG_NUM_BARS, check_decode_in_handler,
                               &in_handler);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int step = 0; step < 20000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned size = 1u << (x % 3);
        unsigned span = PCIE_CFG_BAR5 + 4 - PCIE_CFG_COMMAND;
        unsigned off = PCIE_CFG_COMMAND + (unsigned)((x >> 8) % span);
        off -= off % size;
        /* Mostly addresses a BAR can take (its top bits), Memory Space Enable half the time. */
        uint32_t val = (uint32_t)(x >> 32) & 0xfff0fff6u;
        if ((x >> 20) % 2)
            val |= PCIE_CMD_MEMORY_SPACE;
        if ((x >> 24) % 500 == 0)
            pcie_cfg_reset(c);
        else if ((x >> 24) % 2)
            pcie_cfg_write(c, (uint16_t)off, size, val);
        else
            pcie_cfg_set(c, (uint16_t)off, size, val);
        ck_assert_uint_eq(decode_mismatches(c), 0);
    }
    ck_assert_uint_eq(in_handler, 0);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_bar_reg_elsewhere)
{
    /* A BAR-format register outside the header, as the SR-IOV VF BARs are. */
    pcie_cfg *c = new_fn();
    uint16_t sriov = pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_SRIOV, PCIE_SRIOV_VERSION,
                                                 PCIE_SRIOV_SIZEOF);
    ck_assert_uint_eq(sriov, PCIE_EXT_CAP_START);
    for (unsigned i = 0; i < 6; i++)
        ck_assert(pcie_cfg_init_bar_reg(c, (uint16_t)(sriov + PCIE_SRIOV_VF_BAR(i)), 0, false,
                                        false));
    ck_assert(pcie_cfg_init_bar_reg(c, sriov + PCIE_SRIOV_VF_BAR(0), 16384, true, true));
    ck_assert(!pcie_cfg_init_bar_reg(c, sriov + PCIE_SRIOV_VF_BAR(0) + 2, 16384, true, true));
    ck_assert(!pcie_cfg_init_bar_reg(c, PCIE_CFG_SIZE - 4, 16384, true, true));
    uint16_t r = (uint16_t)(sriov + PCIE_SRIOV_VF_BAR(0));
    for (unsigned i = 0; i < 6; i++)
        pcie_cfg_write(c, (uint16_t)(sriov + PCIE_SRIOV_VF_BAR(i)), 4, 0xffffffffu);
    ck_assert_uint_eq(pcie_cfg_read(c, r, 4), 0xffffc000u | PCIE_BAR_MEM_TYPE_64 |
                                                  PCIE_BAR_PREFETCHABLE);
    ck_assert_uint_eq(pcie_cfg_read(c, r + 4, 4), 0xffffffffu);
    ck_assert_uint_eq(pcie_cfg_read(c, r + 8, 4), 0);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 0);
    pcie_cfg_write(c, r, 4, 0x00100000u);
    pcie_cfg_write(c, r + 4, 4, 0x2);
    ck_assert_uint_eq(pcie_cfg_bar_reg_address(c, r, true), 0x200100000ull);
    pcie_cfg_destroy(c);
}
END_TEST

/* ---------------------------------------------------------------- capabilities */

START_TEST(test_capability_list)
{
    pcie_cfg *c = new_fn();
    uint8_t pm = pcie_cfg_add_capability(c, PCIE_CAP_ID_PM, PCIE_PM_SIZEOF);
    uint8_t exp = pcie_cfg_add_exp_capability(c, &endpoint_gen3x8);
    uint8_t msix = pcie_cfg_add_msix_capability(c, 64, 3, 0, 3, 0x2000);
    ck_assert_uint_eq(pm, PCIE_CAP_AREA_START);
    ck_assert_uint_eq(exp, pm + PCIE_PM_SIZEOF);
    ck_assert_uint_eq(msix, exp + PCIE_EXP_SIZEOF);
    ck_assert_uint_ne(pcie_cfg_read(c, PCIE_CFG_STATUS, 2) & PCIE_STS_CAP_LIST, 0);

    /* Walk as software does. */
    uint8_t seen[8];
    unsigned n = 0;
    for (unsigned p = pcie_cfg_read(c, PCIE_CFG_CAP_PTR, 1); p && n < 8;
         p = pcie_cfg_read(c, (uint16_t)(p + PCIE_CAP_NEXT), 1))
        seen[n++] = (uint8_t)pcie_cfg_read(c, (uint16_t)(p + PCIE_CAP_ID), 1);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(seen[0], PCIE_CAP_ID_PM);
    ck_assert_uint_eq(seen[1], PCIE_CAP_ID_EXP);
    ck_assert_uint_eq(seen[2], PCIE_CAP_ID_MSIX);

    ck_assert_uint_eq(pcie_cfg_find_capability(c, PCIE_CAP_ID_EXP), exp);
    ck_assert_uint_eq(pcie_cfg_find_capability(c, PCIE_CAP_ID_MSIX), msix);
    ck_assert_uint_eq(pcie_cfg_find_capability(c, PCIE_CAP_ID_PM), pm);
    ck_assert_uint_eq(pcie_cfg_find_capability(c, PCIE_CAP_ID_MSI), 0);

    /* The list is not software's to change. */
    pcie_cfg_write(c, PCIE_CFG_CAP_PTR, 1, msix);
    pcie_cfg_write(c, pm + PCIE_CAP_NEXT, 1, 0xfc);
    pcie_cfg_write(c, exp, 2, 0xffff);
    ck_assert_uint_eq(pcie_cfg_read(c, PCIE_CFG_CAP_PTR, 1), pm);
    ck_assert_uint_eq(pcie_cfg_read(c, pm + PCIE_CAP_NEXT, 1), exp);
    ck_assert_uint_eq(pcie_cfg_read(c, exp, 2), ((unsigned)msix << 8) | PCIE_CAP_ID_EXP);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 3);
    /* Only one of each helper capability. */
    ck_assert_uint_eq(pcie_cfg_add_exp_capability(c, &endpoint_gen3x8), 0);
    ck_assert_uint_eq(pcie_cfg_add_msix_capability(c, 8, 0, 0, 0, 0x100), 0);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_capability_area_full)
{
    pcie_cfg *c = new_fn();
    ck_assert_uint_eq(pcie_cfg_add_capability(c, PCIE_CAP_ID_VNDR, 1), 0);
    /* 40h..FFh holds 192 bytes: 47 capabilities of 4 bytes after one of 3 (rounded). */
    ck_assert_uint_eq(pcie_cfg_add_capability(c, PCIE_CAP_ID_VNDR, 3), 0x40);
    unsigned added = 1;
    while (pcie_cfg_add_capability(c, PCIE_CAP_ID_VNDR, 4))
        added++;
    ck_assert_uint_eq(added, 48);
    ck_assert_uint_eq(pcie_cfg_add_capability(c, PCIE_CAP_ID_MSI, 2), 0);
    ck_assert_uint_eq(pcie_cfg_add_exp_capability(c, &endpoint_gen3x8), 0);
    ck_assert_uint_eq(pcie_cfg_find_capability(c, PCIE_CAP_ID_MSI), 0);
    ck_assert_uint_eq(pcie_cfg_read(c, 0xfc + PCIE_CAP_NEXT, 1), 0);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_ext_capability_chain)
{
    pcie_cfg *c = new_fn();
    ck_assert_uint_eq(pcie_cfg_find_ext_capability(c, PCIE_EXT_CAP_ID_AER), 0);
    uint16_t aer = pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_AER, PCIE_AER_VERSION,
                                               PCIE_AER_SIZEOF);
    uint16_t ari = pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_ARI, PCIE_ARI_VERSION,
                                               PCIE_ARI_SIZEOF);
    uint16_t ats = pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_ATS, PCIE_ATS_VERSION,
                                               PCIE_ATS_SIZEOF);
    uint16_t sriov = pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_SRIOV, PCIE_SRIOV_VERSION,
                                                 PCIE_SRIOV_SIZEOF);
    uint16_t acs = pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_ACS, PCIE_ACS_VERSION, 6);
    uint16_t pasid = pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_PASID, PCIE_PASID_VERSION,
                                                 PCIE_PASID_SIZEOF);
    ck_assert_uint_eq(aer, 0x100);
    ck_assert_uint_eq(ari, 0x100 + PCIE_AER_SIZEOF);
    ck_assert_uint_eq(ats, ari + PCIE_ARI_SIZEOF);
    ck_assert_uint_eq(sriov, ats + PCIE_ATS_SIZEOF);
    ck_assert_uint_eq(acs, sriov + PCIE_SRIOV_SIZEOF);
    ck_assert_uint_eq(pasid, acs + 8); /* 6 rounded up to a DWORD */

    /* The header layout, read as software reads it. */
    uint32_t h = pcie_cfg_read(c, sriov, 4);
    ck_assert_uint_eq(h & PCIE_EXT_CAP_HDR_ID, PCIE_EXT_CAP_ID_SRIOV);
    ck_assert_uint_eq((h & PCIE_EXT_CAP_HDR_VERSION) >> PCIE_EXT_CAP_HDR_VERSION_SHIFT, 1);
    ck_assert_uint_eq(h >> PCIE_EXT_CAP_HDR_NEXT_SHIFT, acs);
    ck_assert_uint_eq(pcie_cfg_read(c, aer, 4), PCIE_EXT_CAP_HDR(PCIE_EXT_CAP_ID_AER, 2, ari));
    ck_assert_uint_eq(pcie_cfg_read(c, pasid, 4), PCIE_EXT_CAP_HDR(PCIE_EXT_CAP_ID_PASID, 1, 0));

    const uint16_t ids[] = {PCIE_EXT_CAP_ID_AER, PCIE_EXT_CAP_ID_ARI, PCIE_EXT_CAP_ID_ATS,
                            PCIE_EXT_CAP_ID_SRIOV, PCIE_EXT_CAP_ID_ACS, PCIE_EXT_CAP_ID_PASID};
    unsigned n = 0;
    for (uint16_t off = PCIE_EXT_CAP_START; off && n < 16;
         off = PCIE_EXT_CAP_HDR_NEXT_OF(pcie_cfg_read(c, off, 4))) {
        ck_assert_uint_lt(n, 6);
        ck_assert_uint_eq(PCIE_EXT_CAP_HDR_ID_OF(pcie_cfg_read(c, off, 4)), ids[n]);
        n++;
    }
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(pcie_cfg_find_ext_capability(c, PCIE_EXT_CAP_ID_SRIOV), sriov);
    ck_assert_uint_eq(pcie_cfg_find_ext_capability(c, PCIE_EXT_CAP_ID_PASID), pasid);
    ck_assert_uint_eq(pcie_cfg_find_ext_capability(c, PCIE_EXT_CAP_ID_PRI), 0);

    /* Headers are read-only. */
    pcie_cfg_write(c, sriov, 4, 0xffffffffu);
    ck_assert_uint_eq(pcie_cfg_read(c, sriov, 4), h);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 1);

    /* Refused: too small, bad version, no room. */
    ck_assert_uint_eq(pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_DSN, 1, 2), 0);
    ck_assert_uint_eq(pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_DSN, 16, 12), 0);
    ck_assert_uint_eq(pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_VNDR, 1, 4096), 0);
    uint16_t last = pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_VNDR, 1,
                                                PCIE_CFG_SIZE - (pasid + PCIE_PASID_SIZEOF));
    ck_assert_uint_eq(last, pasid + PCIE_PASID_SIZEOF);
    ck_assert_uint_eq(pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_DSN, 1, 4), 0);
    ck_assert_uint_eq(pcie_cfg_find_ext_capability(c, PCIE_EXT_CAP_ID_VNDR), last);
    pcie_cfg_destroy(c);
}
END_TEST

/* ---------------------------------------------------------------- PCI Express capability */

START_TEST(test_exp_defaults)
{
    pcie_cfg *c = new_fn();
    ck_assert_uint_eq(pcie_cfg_exp_mps_bytes(c), 0);
    ck_assert_uint_eq(pcie_cfg_exp_link_speed(c), 0);
    ck_assert(!pcie_cfg_exp_set_mps_mrrs(c, 256, 512));
    uint8_t exp = pcie_cfg_add_exp_capability(c, &endpoint_gen3x8);
    ck_assert_uint_ne(exp, 0);
    ck_assert_uint_eq(pcie_cfg_read(c, exp + PCIE_EXP_CAP, 2), 2); /* v2 endpoint */
    ck_assert_uint_eq(pcie_cfg_read(c, exp + PCIE_EXP_DEVCAP, 4) & PCIE_EXP_DEVCAP_MPSS, 2);
    ck_assert_uint_eq(pcie_cfg_exp_mps_supported_bytes(c), 512);
    ck_assert_uint_eq(pcie_cfg_exp_mps_bytes(c), 128);
    ck_assert_uint_eq(pcie_cfg_exp_mrrs_bytes(c), 512);
    uint32_t lnkcap = pcie_cfg_read(c, exp + PCIE_EXP_LNKCAP, 4);
    ck_assert_uint_eq(lnkcap & PCIE_EXP_LNKCAP_MLS, PCIE_LINK_SPEED_8GT);
    ck_assert_uint_eq((lnkcap & PCIE_EXP_LNKCAP_MLW) >> PCIE_EXP_LNKCAP_MLW_SHIFT, 8);
    ck_assert_uint_eq(pcie_cfg_read(c, exp + PCIE_EXP_LNKCAP2, 4), 0x0e); /* 2.5, 5, 8 */
    ck_assert_uint_eq(pcie_cfg_exp_link_speed(c), PCIE_LINK_SPEED_8GT);
    ck_assert_uint_eq(pcie_cfg_exp_link_width(c), 8);

    /* Refused descriptions. */
    pcie_cfg *d = new_fn();
    pcie_cfg_exp_info bad = endpoint_gen3x8;
    bad.mps_supported_bytes = 300;
    ck_assert_uint_eq(pcie_cfg_add_exp_capability(d, &bad), 0);
    bad = endpoint_gen3x8;
    bad.max_link_width = 3;
    ck_assert_uint_eq(pcie_cfg_add_exp_capability(d, &bad), 0);
    bad = endpoint_gen3x8;
    bad.max_link_speed = 7;
    ck_assert_uint_eq(pcie_cfg_add_exp_capability(d, &bad), 0);
    ck_assert_uint_eq(pcie_cfg_find_capability(d, PCIE_CAP_ID_EXP), 0);
    pcie_cfg_destroy(d);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_mps_mrrs_round_trip)
{
    pcie_cfg *c = new_fn();
    uint8_t exp = pcie_cfg_add_exp_capability(c, &endpoint_gen3x8);
    uint16_t devctl = (uint16_t)(exp + PCIE_EXP_DEVCTL);
    for (unsigned mps = 0; mps <= 5; mps++) {
        for (unsigned mrrs = 0; mrrs <= 5; mrrs++) {
            uint32_t v = pcie_cfg_read(c, devctl, 2);
            v &= ~(uint32_t)(PCIE_EXP_DEVCTL_MPS | PCIE_EXP_DEVCTL_MRRS);
            v |= (mps << PCIE_EXP_DEVCTL_MPS_SHIFT) | (mrrs << PCIE_EXP_DEVCTL_MRRS_SHIFT);
            pcie_cfg_write(c, devctl, 2, v);
            ck_assert_uint_eq(pcie_cfg_read(c, devctl, 2), v);
            /* MPS is RW: a value above Max_Payload_Size Supported (512 here) is stored
             * as written; keeping within the capability is software's duty, and the
             * model layer compares the two getters. */
            ck_assert_uint_eq(pcie_cfg_exp_mps_bytes(c), 128u << mps);
            ck_assert_uint_eq(pcie_cfg_exp_mrrs_bytes(c), 128u << mrrs);
        }
    }
    ck_assert_uint_gt(pcie_cfg_exp_mps_bytes(c), pcie_cfg_exp_mps_supported_bytes(c));
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 0);

    /* Reserved encodings (110b, 111b) are stored too, and read as no size. */
    pcie_cfg_write(c, devctl, 2, (7u << PCIE_EXP_DEVCTL_MPS_SHIFT) | (6u << PCIE_EXP_DEVCTL_MRRS_SHIFT));
    ck_assert_uint_eq(pcie_cfg_exp_mps_bytes(c), 0);
    ck_assert_uint_eq(pcie_cfg_exp_mrrs_bytes(c), 0);

    /* The helper does what the OS does, leaving the other bits alone. */
    pcie_cfg_write(c, devctl, 2, PCIE_EXP_DEVCTL_URRE | PCIE_EXP_DEVCTL_EXT_TAG);
    ck_assert(pcie_cfg_exp_set_mps_mrrs(c, 256, 4096));
    ck_assert_uint_eq(pcie_cfg_exp_mps_bytes(c), 256);
    ck_assert_uint_eq(pcie_cfg_exp_mrrs_bytes(c), 4096);
    ck_assert_uint_eq(pcie_cfg_read(c, devctl, 2) & ~(uint32_t)(PCIE_EXP_DEVCTL_MPS | PCIE_EXP_DEVCTL_MRRS),
                      PCIE_EXP_DEVCTL_URRE | PCIE_EXP_DEVCTL_EXT_TAG);
    ck_assert(!pcie_cfg_exp_set_mps_mrrs(c, 300, 512));
    ck_assert(!pcie_cfg_exp_set_mps_mrrs(c, 256, 8192));
    ck_assert(!pcie_cfg_exp_set_mps_mrrs(c, 64, 512));
    ck_assert_uint_eq(pcie_cfg_exp_mps_bytes(c), 256);

    /* Phantom Functions are not supported here: that bit is hardwired. An FLR
     * request (write 1, reads 0) is legitimate and not counted. */
    uint32_t before = pcie_cfg_read(c, devctl, 2);
    pcie_cfg_write(c, devctl, 2, before | PCIE_EXP_DEVCTL_FLR);
    ck_assert_uint_eq(pcie_cfg_read(c, devctl, 2), before);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 0);
    pcie_cfg_write(c, devctl, 2, before | PCIE_EXP_DEVCTL_PHANTOM);
    ck_assert_uint_eq(pcie_cfg_read(c, devctl, 2), before);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 1);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_link_status_read_only)
{
    pcie_cfg *c = new_fn();
    uint8_t exp = pcie_cfg_add_exp_capability(c, &endpoint_gen3x8);
    uint16_t lnksta = (uint16_t)(exp + PCIE_EXP_LNKSTA);
    ck_assert(pcie_cfg_exp_set_link_status(c, PCIE_LINK_SPEED_5GT, 4));
    ck_assert_uint_eq(pcie_cfg_read(c, lnksta, 2),
                      PCIE_LINK_SPEED_5GT | (4u << PCIE_EXP_LNKSTA_NLW_SHIFT));

    pcie_cfg_write(c, lnksta, 2, 0);
    pcie_cfg_write(c, lnksta, 2, 0xffff);
    /* Link Control and Link Status as one DWORD: Control changes, Status does not. */
    pcie_cfg_write(c, (uint16_t)(exp + PCIE_EXP_LNKCTL), 4, 0xffff0000u | PCIE_EXP_LNKCTL_RCB);
    ck_assert_uint_eq(pcie_cfg_exp_link_speed(c), PCIE_LINK_SPEED_5GT);
    ck_assert_uint_eq(pcie_cfg_exp_link_width(c), 4);
    ck_assert_uint_eq(pcie_cfg_read(c, (uint16_t)(exp + PCIE_EXP_LNKCTL), 2), PCIE_EXP_LNKCTL_RCB);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 2); /* zeros do not count */
    /* Link Capabilities too. */
    pcie_cfg_write(c, (uint16_t)(exp + PCIE_EXP_LNKCAP), 4, 0xfffffff0u);
    ck_assert_uint_eq(pcie_cfg_read(c, (uint16_t)(exp + PCIE_EXP_LNKCAP), 4) & PCIE_EXP_LNKCAP_MLS,
                      PCIE_LINK_SPEED_8GT);

    ck_assert(!pcie_cfg_exp_set_link_status(c, 0, 4));
    ck_assert(!pcie_cfg_exp_set_link_status(c, 7, 4));
    ck_assert(!pcie_cfg_exp_set_link_status(c, 1, 0));
    ck_assert(!pcie_cfg_exp_set_link_status(c, 1, 33));
    ck_assert(pcie_cfg_exp_set_link_status(c, PCIE_LINK_SPEED_64GT, 32));
    ck_assert_uint_eq(pcie_cfg_exp_link_speed(c), 6);
    ck_assert_uint_eq(pcie_cfg_exp_link_width(c), 32);
    pcie_cfg_destroy(c);
}
END_TEST

START_TEST(test_exp_status_and_control2)
{
    pcie_cfg *c = new_fn();
    uint8_t exp = pcie_cfg_add_exp_capability(c, &endpoint_gen3x8);
    uint16_t devsta = (uint16_t)(exp + PCIE_EXP_DEVSTA);
    pcie_cfg_set(c, devsta, 2, PCIE_EXP_DEVSTA_URD | PCIE_EXP_DEVSTA_CED | PCIE_EXP_DEVSTA_TRANS_PENDING);
    pcie_cfg_write(c, devsta, 2, PCIE_EXP_DEVSTA_URD);
    ck_assert_uint_eq(pcie_cfg_read(c, devsta, 2), PCIE_EXP_DEVSTA_CED | PCIE_EXP_DEVSTA_TRANS_PENDING);
    /* Completion timeout is writable because DEVCAP2 says it is supported; LTR is not. */
    uint16_t devctl2 = (uint16_t)(exp + PCIE_EXP_DEVCTL2);
    pcie_cfg_write(c, devctl2, 2, 0xffff);
    ck_assert_uint_eq(pcie_cfg_read(c, devctl2, 2),
                      PCIE_EXP_DEVCTL2_CPL_TIMEOUT_VALUE | PCIE_EXP_DEVCTL2_CPL_TIMEOUT_DISABLE);
    uint16_t lnkctl2 = (uint16_t)(exp + PCIE_EXP_LNKCTL2);
    ck_assert_uint_eq(pcie_cfg_read(c, lnkctl2, 2) & PCIE_EXP_LNKCTL2_TLS, PCIE_LINK_SPEED_8GT);
    pcie_cfg_write(c, lnkctl2, 2, PCIE_LINK_SPEED_2_5GT);
    ck_assert_uint_eq(pcie_cfg_read(c, lnkctl2, 2), PCIE_LINK_SPEED_2_5GT);
    pcie_cfg_destroy(c);
}
END_TEST

/* ---------------------------------------------------------------- MSI-X */

START_TEST(test_msix)
{
    pcie_cfg *c = new_fn();
    ck_assert_uint_eq(pcie_cfg_msix_table_size(c), 0);
    ck_assert(!pcie_cfg_msix_table(c, NULL, NULL));
    ck_assert_uint_eq(pcie_cfg_add_msix_capability(c, 0, 0, 0, 0, 0), 0);
    ck_assert_uint_eq(pcie_cfg_add_msix_capability(c, 2049, 0, 0, 0, 0), 0);
    ck_assert_uint_eq(pcie_cfg_add_msix_capability(c, 8, 6, 0, 0, 0), 0);
    ck_assert_uint_eq(pcie_cfg_add_msix_capability(c, 8, 0, 0x104, 0, 0), 0);
    uint8_t m = pcie_cfg_add_msix_capability(c, 2048, 4, 0x4000, 5, 0x8000);
    ck_assert_uint_ne(m, 0);
    ck_assert_uint_eq(pcie_cfg_find_capability(c, PCIE_CAP_ID_MSIX), m);
    uint16_t ctrl = (uint16_t)(m + PCIE_MSIX_MSG_CTRL);
    ck_assert_uint_eq(pcie_cfg_read(c, ctrl, 2), 2047); /* Table Size is N-1 */
    ck_assert_uint_eq(pcie_cfg_msix_table_size(c), 2048);
    ck_assert_uint_eq(pcie_cfg_read(c, (uint16_t)(m + PCIE_MSIX_TABLE), 4), 0x4000 | 4);
    ck_assert_uint_eq(pcie_cfg_read(c, (uint16_t)(m + PCIE_MSIX_PBA), 4), 0x8000 | 5);
    unsigned bir;
    uint32_t off;
    ck_assert(pcie_cfg_msix_table(c, &bir, &off));
    ck_assert_uint_eq(bir, 4);
    ck_assert_uint_eq(off, 0x4000);
    ck_assert(pcie_cfg_msix_pba(c, &bir, &off));
    ck_assert_uint_eq(bir, 5);
    ck_assert_uint_eq(off, 0x8000);
    ck_assert(!pcie_cfg_msix_enabled(c));
    ck_assert(!pcie_cfg_msix_function_masked(c));

    pcie_cfg_write(c, ctrl, 2, 0xffff);
    ck_assert(pcie_cfg_msix_enabled(c));
    ck_assert(pcie_cfg_msix_function_masked(c));
    ck_assert_uint_eq(pcie_cfg_msix_table_size(c), 2048);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 1);
    pcie_cfg_write(c, ctrl, 2, PCIE_MSIX_MSG_CTRL_ENABLE | 2047);
    ck_assert(pcie_cfg_msix_enabled(c));
    ck_assert(!pcie_cfg_msix_function_masked(c));
    /* Table and PBA locations are read-only. */
    pcie_cfg_write(c, (uint16_t)(m + PCIE_MSIX_TABLE), 4, 0xfffffff8u);
    ck_assert(pcie_cfg_msix_table(c, &bir, &off));
    ck_assert_uint_eq(off, 0x4000);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).ro_writes, 2);
    ck_assert_uint_eq(PCIE_MSIX_PBA_BYTES(2048), 256);
    ck_assert_uint_eq(PCIE_MSIX_PBA_BYTES(1), 8);
    pcie_cfg_destroy(c);
}
END_TEST

/* ---------------------------------------------------------------- write handlers */

typedef struct hlog {
    unsigned calls;
    pcie_cfg_write_info last;
    uint32_t reg_old, reg_new;
    uint16_t reg;
    unsigned len;
} hlog;

static void log_write(pcie_cfg *c, const pcie_cfg_write_info *w, void *ctx)
{
    hlog *h = ctx;
    h->calls++;
    h->last = *w;
    h->reg_old = pcie_cfg_write_old(c, w, h->reg, h->len);
    h->reg_new = pcie_cfg_get(c, h->reg, h->len);
}

START_TEST(test_handler_old_new)
{
    pcie_cfg *c = new_fn();
    hlog h = {.reg = PCIE_CFG_COMMAND, .len = 2};
    pcie_cfg_set_write_handler(c, PCIE_CFG_COMMAND, 2, log_write, &h);

    pcie_cfg_write(c, PCIE_CFG_COMMAND, 2, PCIE_CMD_MEMORY_SPACE | 0x8000);
    ck_assert_uint_eq(h.calls, 1);
    ck_assert_uint_eq(h.last.off, PCIE_CFG_COMMAND);
    ck_assert_uint_eq(h.last.size, 2);
    ck_assert_uint_eq(h.last.value, PCIE_CMD_MEMORY_SPACE | 0x8000);
    ck_assert_uint_eq(h.last.old_val, 0);
    ck_assert_uint_eq(h.last.new_val, PCIE_CMD_MEMORY_SPACE); /* after the masks */
    ck_assert_uint_eq(h.reg_old, 0);
    ck_assert_uint_eq(h.reg_new, PCIE_CMD_MEMORY_SPACE);

    /* Writes elsewhere do not call it. */
    pcie_cfg_write(c, PCIE_CFG_CACHE_LINE_SIZE, 1, 0x10);
    pcie_cfg_write(c, PCIE_CFG_VENDOR_ID, 2, 0);
    pcie_cfg_write(c, PCIE_CFG_STATUS, 2, 0);
    ck_assert_uint_eq(h.calls, 1);
    /* A byte write to the register's upper byte, and a DWORD write covering it. */
    pcie_cfg_write(c, PCIE_CFG_COMMAND + 1, 1, PCIE_CMD_INTX_DISABLE >> 8);
    ck_assert_uint_eq(h.calls, 2);
    ck_assert_uint_eq(h.reg_old, PCIE_CMD_MEMORY_SPACE);
    ck_assert_uint_eq(h.reg_new, PCIE_CMD_MEMORY_SPACE | PCIE_CMD_INTX_DISABLE);
    pcie_cfg_write(c, PCIE_CFG_COMMAND, 4, PCIE_CMD_BUS_MASTER);
    ck_assert_uint_eq(h.calls, 3);
    ck_assert_uint_eq(h.last.off, PCIE_CFG_COMMAND);
    ck_assert_uint_eq(h.last.size, 4);
    ck_assert_uint_eq(h.reg_old, PCIE_CMD_MEMORY_SPACE | PCIE_CMD_INTX_DISABLE);
    ck_assert_uint_eq(h.reg_new, PCIE_CMD_BUS_MASTER);
    ck_assert(pcie_cfg_write_touches(&h.last, PCIE_CFG_COMMAND, 2));
    ck_assert(!pcie_cfg_write_touches(&h.last, PCIE_CFG_REVISION_ID, 1));
    /* A dropped (misaligned) write calls nothing; neither do device-side sets. */
    pcie_cfg_write(c, PCIE_CFG_COMMAND + 1, 2, 0xffff);
    pcie_cfg_set(c, PCIE_CFG_COMMAND, 2, 0);
    ck_assert_uint_eq(h.calls, 3);
    pcie_cfg_destroy(c);
}
END_TEST

static void refuse_num_vfs(pcie_cfg *c, const pcie_cfg_write_info *w, void *ctx)
{
    (void)w;
    uint16_t reg = *(const uint16_t *)ctx;
    /* The device keeps NumVFs within TotalVFs, as a model layer might choose to. */
    if (pcie_cfg_get(c, reg, 2) > 8)
        pcie_cfg_set(c, reg, 2, 8);
}

START_TEST(test_handlers_order_and_override)
{
    pcie_cfg *c = new_fn();
    uint16_t sriov = pcie_cfg_add_ext_capability(c, PCIE_EXT_CAP_ID_SRIOV, 1, PCIE_SRIOV_SIZEOF);
    uint16_t numvfs = (uint16_t)(sriov + PCIE_SRIOV_NUM_VFS);
    pcie_cfg_set_wmask(c, numvfs, 2, 0xffff);
    hlog a = {.reg = numvfs, .len = 2}, b = {.reg = numvfs, .len = 2};
    pcie_cfg_set_write_handler(c, numvfs, 2, log_write, &a);
    pcie_cfg_set_write_handler(c, numvfs, 2, refuse_num_vfs, &numvfs);
    pcie_cfg_set_write_handler(c, sriov, PCIE_SRIOV_SIZEOF, log_write, &b);
    pcie_cfg_write(c, numvfs, 2, 100);
    ck_assert_uint_eq(a.calls, 1);
    ck_assert_uint_eq(a.reg_new, 100); /* ran before the refusal */
    ck_assert_uint_eq(b.calls, 1);
    ck_assert_uint_eq(b.reg_new, 8); /* ran after it */
    ck_assert_uint_eq(pcie_cfg_read(c, numvfs, 2), 8);
    pcie_cfg_write(c, (uint16_t)(sriov + PCIE_SRIOV_CTRL), 2, 1);
    ck_assert_uint_eq(a.calls, 1);
    ck_assert_uint_eq(b.calls, 2);
    pcie_cfg_destroy(c);
}
END_TEST

/* ---------------------------------------------------------------- suite */

static Suite *cfgspace_suite(void)
{
    Suite *s = suite_create("pcie_cfgspace");

    TCase *hdr = tcase_create("header");
    tcase_add_test(hdr, test_create_ids);
    tcase_add_test(hdr, test_read_only_ids_stay);
    tcase_add_test(hdr, test_command_write_mask);
    tcase_add_test(hdr, test_status_w1c);
    tcase_add_test(hdr, test_bad_accesses_counted);
    tcase_add_test(hdr, test_reset);
    suite_add_tcase(s, hdr);

    TCase *bar = tcase_create("bar");
    tcase_add_loop_test(bar, test_bar32_sizing, 0, (int)(sizeof bar32_sizes / sizeof *bar32_sizes));
    tcase_add_loop_test(bar, test_bar64_sizing, 0, (int)(sizeof bar64_sizes / sizeof *bar64_sizes));
    tcase_add_test(bar, test_bar_refused);
    tcase_add_test(bar, test_bar_decode);
    tcase_add_test(bar, test_bar_decode_follows_writes);
    tcase_add_test(bar, test_bar_decode_random_writes);
    tcase_add_test(bar, test_bar_reg_elsewhere);
    suite_add_tcase(s, bar);

    TCase *cap = tcase_create("capabilities");
    tcase_add_test(cap, test_capability_list);
    tcase_add_test(cap, test_capability_area_full);
    tcase_add_test(cap, test_ext_capability_chain);
    tcase_add_test(cap, test_exp_defaults);
    tcase_add_test(cap, test_mps_mrrs_round_trip);
    tcase_add_test(cap, test_link_status_read_only);
    tcase_add_test(cap, test_exp_status_and_control2);
    tcase_add_test(cap, test_msix);
    suite_add_tcase(s, cap);

    TCase *hnd = tcase_create("handlers");
    tcase_add_test(hnd, test_handler_old_new);
    tcase_add_test(hnd, test_handlers_order_and_override);
    suite_add_tcase(s, hnd);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cfgspace_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
