/* PCI Express configuration space: one function's 4 KiB of registers, and a bus that
 * routes configuration requests to functions by routing ID (ECAM or TLP style).
 *
 * Registers are data (docs/ARCHITECTURE.md, conventions). Each byte has a value, a write mask and
 * a write-1-to-clear mask, and every software write follows one rule:
 *
 *     new = (old & ~wmask) | (val & wmask);   new &= ~(val & w1cmask);
 *
 * A device model reacts to writes through handlers installed per register range;
 * a handler runs after the rule has been applied and sees the old and new values.
 * Software mistakes (a misaligned or out-of-range access, an attempt to set a
 * read-only bit) are counted, never fatal; reads of such accesses return all-ones.
 *
 * Two kinds of access:
 *   pcie_cfg_read / pcie_cfg_write   software (configuration requests): counted,
 *                                    write rule applied, handlers called;
 *   pcie_cfg_get / pcie_cfg_set      the device itself (hardware state such as Link
 *                                    Status or error bits): raw, no masks, no
 *                                    counters, no handlers.
 *
 * No timing lives here: the cost of a configuration access is added by its callers.
 *
 * Stats (pcie_cfg_register_stats, names under a caller-given prefix):
 *   reads, writes      configuration requests that reached the function;
 *   misaligned         access size not 1, 2 or 4 or not naturally aligned (dropped);
 *   out_of_range       access beyond the 4 KiB space (dropped);
 *   ro_writes          writes that tried to set a read-only bit that reads 0 (the
 *                      writable bits of the same write still take effect). Zeros
 *                      written over read-only ones are not counted (that is how RW1C
 *                      bits are cleared next to read-only ones), nor is writing
 *                      all-ones to a Base Address Register to size it. */
#ifndef MODELS_PCIE_CFGSPACE_H
#define MODELS_PCIE_CFGSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/pcie/cfgspace_regs.h"
#include "sim/stats.h"

typedef struct pcie_cfg pcie_cfg;
typedef struct pcie_cfg_bus pcie_cfg_bus;

/* ---------------------------------------------------------------- routing IDs */

/* A routing ID (requester or completer ID) is bus[15:8] device[7:3] function[2:0].
 * With ARI the low 8 bits are one function number; the 16-bit value is the same. */
static inline uint16_t pcie_cfg_rid(unsigned bus, unsigned dev, unsigned fn)
{
    return (uint16_t)(((bus & 0xffu) << 8) | ((dev & 0x1fu) << 3) | (fn & 0x7u));
}
static inline unsigned pcie_cfg_rid_bus(uint16_t rid) { return rid >> 8; }
static inline unsigned pcie_cfg_rid_dev(uint16_t rid) { return (rid >> 3) & 0x1fu; }
static inline unsigned pcie_cfg_rid_fn(uint16_t rid) { return rid & 0x7u; }

/* ---------------------------------------------------------------- one function */

/* A type 0 (endpoint) header with Vendor ID, Device ID and the 24-bit Class Code
 * (base class << 16 | sub-class << 8 | programming interface); everything else
 * starts as the spec's reset value. Header Type, Revision ID, Subsystem IDs and
 * Interrupt Pin are hardware-initialised: set them with pcie_cfg_set. */
pcie_cfg *pcie_cfg_create(uint16_t vendor_id, uint16_t device_id, uint32_t class_code);
/* Also detaches the function from its bus, if attached. */
void pcie_cfg_destroy(pcie_cfg *c);
/* Conventional reset: every writable and write-1-to-clear bit returns to its default
 * (the value the bit held when its mask was set); read-only state is kept. Handlers
 * are not called: the device resets its own state alongside. */
void pcie_cfg_reset(pcie_cfg *c);

/* Software access. size is 1, 2 or 4 and off must be a multiple of it. */
uint32_t pcie_cfg_read(pcie_cfg *c, uint16_t off, unsigned size);
void pcie_cfg_write(pcie_cfg *c, uint16_t off, unsigned size, uint32_t val);

/* Device access (no masks, counters or handlers). Asserts a valid, in-range access:
 * a device model addressing its own registers wrongly is a bug. */
uint32_t pcie_cfg_get(const pcie_cfg *c, uint16_t off, unsigned size);
void pcie_cfg_set(pcie_cfg *c, uint16_t off, unsigned size, uint32_t val);

/* Which bits software may write, and which it clears by writing 1. The two masks of
 * a bit are exclusive (asserted). Setting a mask also records the current value of
 * those bits as their reset default. */
void pcie_cfg_set_wmask(pcie_cfg *c, uint16_t off, unsigned size, uint32_t mask);
void pcie_cfg_set_w1cmask(pcie_cfg *c, uint16_t off, unsigned size, uint32_t mask);
uint32_t pcie_cfg_wmask(const pcie_cfg *c, uint16_t off, unsigned size);
uint32_t pcie_cfg_w1cmask(const pcie_cfg *c, uint16_t off, unsigned size);

/* ---------------------------------------------------------------- write handlers */

/* One software write, as a handler sees it. old_val and new_val are the accessed
 * bytes before and after the write rule; value is what software wrote, before the
 * masks (for bits that act on a write of 1 but read as 0). */
typedef struct pcie_cfg_write_info {
    uint16_t off;
    uint8_t size;
    uint32_t value;
    uint32_t old_val;
    uint32_t new_val;
} pcie_cfg_write_info;

typedef void (*pcie_cfg_write_fn)(pcie_cfg *c, const pcie_cfg_write_info *w, void *ctx);

/* fn runs after every software write that touches [off, off + len), once per write,
 * in installation order with other handlers the write touches. A handler may change
 * registers with pcie_cfg_set (e.g. to refuse a setting); a write it makes with
 * pcie_cfg_write is handled as a new write. */
void pcie_cfg_set_write_handler(pcie_cfg *c, uint16_t off, unsigned len, pcie_cfg_write_fn fn,
                                void *ctx);
/* The value register [reg, reg + len) held before the write w (len 1, 2 or 4): the
 * bytes w covered come from w->old_val, the others from the current space. Lets a
 * handler compare one register's old and new value whatever the access width. */
uint32_t pcie_cfg_write_old(const pcie_cfg *c, const pcie_cfg_write_info *w, uint16_t reg,
                            unsigned len);
/* The bits software wrote (before the masks) into register [reg, reg + len) (len 1, 2
 * or 4), 0 in the bytes w did not cover: for bits that act on a write of 1 but read
 * as 0 (Initiate FLR), whatever the access width. */
uint32_t pcie_cfg_write_value(const pcie_cfg_write_info *w, uint16_t reg, unsigned len);
/* Whether w touched [reg, reg + len). */
bool pcie_cfg_write_touches(const pcie_cfg_write_info *w, uint16_t reg, unsigned len);

/* ---------------------------------------------------------------- BARs */

/* A memory BAR of size_bytes (a power of two, >= 16; at most 2 GiB for a 32-bit BAR)
 * in slot index (0..5). A 64-bit BAR also takes slot index + 1. Sizing follows the
 * spec: the address bits below the size and the four type bits are read-only, so
 * writing all-ones reads back ~(size - 1) | type. False (nothing changed) for a bad
 * index or size or a slot already used. */
bool pcie_cfg_add_bar(pcie_cfg *c, unsigned index, uint64_t size_bytes, bool is_64bit,
                      bool prefetchable);
/* The same register format anywhere in the space, for BAR-like registers outside the
 * header (the SR-IOV capability's VF BARs, whose size is per VF). size_bytes 0 makes
 * an unimplemented BAR: hardwired 0, and sizing writes to it are not counted. */
bool pcie_cfg_init_bar_reg(pcie_cfg *c, uint16_t off, uint64_t size_bytes, bool is_64bit,
                           bool prefetchable);
/* The memory address a BAR-format register holds (type bits removed). */
uint64_t pcie_cfg_bar_reg_address(const pcie_cfg *c, uint16_t off, bool is_64bit);

/* The address programmed in BAR index, 0 if that slot has no BAR (or is the upper
 * half of a 64-bit BAR). */
uint64_t pcie_cfg_bar_address(const pcie_cfg *c, unsigned index);
uint64_t pcie_cfg_bar_size(const pcie_cfg *c, unsigned index);
bool pcie_cfg_bar_is_64bit(const pcie_cfg *c, unsigned index);
/* Whether the function claims memory address addr: Memory Space Enable is set and
 * addr falls in a BAR with a nonzero address. On a hit, the BAR and the offset in it. */
bool pcie_cfg_bar_decode(const pcie_cfg *c, uint64_t addr, unsigned *index, uint64_t *offset);

bool pcie_cfg_memory_enabled(const pcie_cfg *c); /* Command.Memory Space Enable */
bool pcie_cfg_bus_master(const pcie_cfg *c);     /* Command.Bus Master Enable */

/* ---------------------------------------------------------------- capabilities */

/* Allocate size bytes (rounded up to a DWORD, at least 4) for capability id in
 * 40h..FFh, append it to the list (Capabilities Pointer or the last Next pointer; set
 * Status.Capabilities List) and return its offset; 0 when it does not fit. ID and
 * Next are read-only; the body starts read-only and zero, the caller sets its values
 * and masks. */
uint8_t pcie_cfg_add_capability(pcie_cfg *c, uint8_t id, unsigned size);
/* Extended capability in 100h..FFFh, linked through the Next Capability Offset of
 * the headers; the header is read-only. Returns the offset, 0 when it does not fit. */
uint16_t pcie_cfg_add_ext_capability(pcie_cfg *c, uint16_t id, unsigned version, unsigned size);
/* First capability with that ID, walking the list as software does; 0 if absent. */
uint8_t pcie_cfg_find_capability(const pcie_cfg *c, uint8_t id);
uint16_t pcie_cfg_find_ext_capability(const pcie_cfg *c, uint16_t id);

/* ---------------------------------------------------------------- PCI Express capability */

typedef struct pcie_cfg_exp_info {
    unsigned port_type;           /* PCIE_EXP_TYPE_* */
    unsigned mps_supported_bytes; /* Max_Payload_Size Supported: 128..4096, power of two */
    unsigned max_link_speed;      /* PCIE_LINK_SPEED_*: 1 (2.5 GT/s) .. 6 (64 GT/s) */
    unsigned max_link_width;      /* lanes: 1, 2, 4, 8, 12, 16 or 32 */
    uint32_t devcap;              /* further Device Capabilities bits (not MPSS) */
    uint32_t devcap2;             /* Device Capabilities 2 */
} pcie_cfg_exp_info;

/* Add the version 2 PCI Express capability with the spec's defaults (Device Control:
 * MPS 128, MRRS 512, Relaxed Ordering and No Snoop enabled; Link Status at the
 * maximum speed and width until the platform sets it). Returns its offset, 0 on a
 * bad description or no room. Writable per the spec for an endpoint: Device Control
 * (error reporting, RO/NS, MPS, MRRS, tags), Device Status error bits (RW1C), Link
 * Control (ASPM, RCB, common clock, extended synch), Device Control 2 completion
 * timeout, Link Control 2 target speed. */
uint8_t pcie_cfg_add_exp_capability(pcie_cfg *c, const pcie_cfg_exp_info *info);

/* Device Control MPS and MRRS in bytes; 0 without the capability or for a reserved
 * encoding. MPS holds whatever software wrote, even above Max_Payload_Size Supported
 * (the field is RW; staying within the capability is software's duty), so a model
 * compares pcie_cfg_exp_mps_bytes with pcie_cfg_exp_mps_supported_bytes and refuses
 * a configuration that exceeds it. */
unsigned pcie_cfg_exp_mps_bytes(const pcie_cfg *c);
unsigned pcie_cfg_exp_mrrs_bytes(const pcie_cfg *c);
unsigned pcie_cfg_exp_mps_supported_bytes(const pcie_cfg *c);
/* As system software would: read-modify-write Device Control through pcie_cfg_write.
 * False (nothing written) without the capability or if a size is not a power of two
 * in 128..4096. */
bool pcie_cfg_exp_set_mps_mrrs(pcie_cfg *c, unsigned mps_bytes, unsigned mrrs_bytes);
/* Link Status Current Link Speed and Negotiated Link Width, set by the platform
 * (read-only to software). False for a speed outside 1..6 or width outside 1..32. */
bool pcie_cfg_exp_set_link_status(pcie_cfg *c, unsigned speed, unsigned width);
unsigned pcie_cfg_exp_link_speed(const pcie_cfg *c); /* 0 without the capability */
unsigned pcie_cfg_exp_link_width(const pcie_cfg *c);

/* ---------------------------------------------------------------- MSI-X capability */

/* table_size vectors (1..2048); table and PBA in BARs table_bir / pba_bir (0..5) at
 * QWORD-aligned offsets. Only Function Mask and MSI-X Enable are writable. Returns
 * the capability offset, 0 on a bad argument or no room. The table and PBA live in
 * BAR memory, which the device models (entry layout: PCIE_MSIX_ENTRY_*). */
uint8_t pcie_cfg_add_msix_capability(pcie_cfg *c, unsigned table_size, unsigned table_bir,
                                     uint32_t table_offset, unsigned pba_bir,
                                     uint32_t pba_offset);
bool pcie_cfg_msix_enabled(const pcie_cfg *c);
bool pcie_cfg_msix_function_masked(const pcie_cfg *c);
unsigned pcie_cfg_msix_table_size(const pcie_cfg *c); /* vectors; 0 without MSI-X */
/* BIR and offset of the table / PBA; false without MSI-X. */
bool pcie_cfg_msix_table(const pcie_cfg *c, unsigned *bir, uint32_t *offset);
bool pcie_cfg_msix_pba(const pcie_cfg *c, unsigned *bir, uint32_t *offset);

/* ---------------------------------------------------------------- counters */

typedef struct pcie_cfg_counters {
    uint64_t reads;
    uint64_t writes;
    uint64_t misaligned;
    uint64_t out_of_range;
    uint64_t ro_writes;
} pcie_cfg_counters;

pcie_cfg_counters pcie_cfg_get_counters(const pcie_cfg *c);
/* Registers the counters as prefix.reads, prefix.writes, ... (the registry keeps
 * pointers: write the stats before destroying the function). */
void pcie_cfg_register_stats(pcie_cfg *c, sim_stats *s, const char *prefix);

/* Whether c is attached to a bus, and at which routing ID. */
bool pcie_cfg_routing_id(const pcie_cfg *c, uint16_t *rid);

/* ---------------------------------------------------------------- the bus */

/* Functions by routing ID. The bus does not own its functions: a device model
 * creates, attaches, detaches and destroys them (the SR-IOV capability attaches VFs
 * on VF Enable and detaches them when it is cleared). Attach, detach and look-up are
 * O(1); a bus number's table of 256 functions is allocated on its first attach.
 *
 * Stats (pcie_cfg_bus_register_stats):
 *   cfg_reads, cfg_writes   configuration requests routed by the bus;
 *   ur_reads, ur_writes     requests to an absent function (Unsupported Request; a
 *                           read completes with all-ones, a write is dropped). A bus
 *                           scan makes one per empty slot it probes;
 *   ecam_errors             ECAM accesses outside the 256 MiB window. */
pcie_cfg_bus *pcie_cfg_bus_create(void);
void pcie_cfg_bus_destroy(pcie_cfg_bus *b); /* detaches, does not destroy, functions */

/* False if the routing ID is taken. c must not be attached elsewhere (asserted). */
bool pcie_cfg_bus_attach(pcie_cfg_bus *b, uint16_t rid, pcie_cfg *c);
/* The function that was at rid, NULL if none. */
pcie_cfg *pcie_cfg_bus_detach(pcie_cfg_bus *b, uint16_t rid);
pcie_cfg *pcie_cfg_bus_lookup(const pcie_cfg_bus *b, uint16_t rid);
size_t pcie_cfg_bus_functions(const pcie_cfg_bus *b);

/* Configuration requests by routing ID; an absent function reads all-ones. */
uint32_t pcie_cfg_bus_read(pcie_cfg_bus *b, uint16_t rid, uint16_t reg, unsigned size);
void pcie_cfg_bus_write(pcie_cfg_bus *b, uint16_t rid, uint16_t reg, unsigned size, uint32_t val);
/* The same through an ECAM window offset (bus << 20 | dev << 15 | fn << 12 | reg). */
uint32_t pcie_cfg_bus_ecam_read(pcie_cfg_bus *b, uint64_t ecam_off, unsigned size);
void pcie_cfg_bus_ecam_write(pcie_cfg_bus *b, uint64_t ecam_off, unsigned size, uint32_t val);
static inline uint64_t pcie_cfg_ecam_offset(uint16_t rid, uint16_t reg)
{
    return ((uint64_t)rid << PCIE_ECAM_FN_SHIFT) | (reg & PCIE_ECAM_REG_MASK);
}

/* Scan buses 0..bus_count-1 as system software does, through configuration reads:
 * function 0 of every device, functions 1-7 only where function 0's Header Type has
 * the Multi-Function bit. (VFs read Vendor ID FFFFh and are found through the PF's
 * SR-IOV capability instead; ARI is not followed yet.) Stores up to max_rids routing
 * IDs in ascending order and returns how many functions were found. */
size_t pcie_cfg_bus_enumerate(pcie_cfg_bus *b, unsigned bus_count, uint16_t *rids,
                              size_t max_rids);

/* Program the memory BARs of the functions in rids from the window
 * [base, base + size): each BAR is sized through configuration writes (all-ones,
 * read back, restore) with decoding off, placed aligned to its size (largest first,
 * so the window does not fragment; 32-bit BARs below 4 GiB) and written; then Memory
 * Space Enable and Bus Master Enable are set in Command. A function with a BAR that
 * does not fit is left with both off (its BARs that did fit keep their addresses). Returns the number of BARs that did not
 * fit (0: all placed); *end (may be NULL) gets the end of the highest BAR placed, or
 * base if none was. */
size_t pcie_cfg_bus_assign_bars(pcie_cfg_bus *b, const uint16_t *rids, size_t n, uint64_t base,
                                uint64_t size, uint64_t *end);
/* Size the BAR whose register is at reg of function rid as system software does (the
 * assignment above, a PF driver sizing the VF BARs of an SR-IOV capability): all-ones
 * written and read back, then the upper register likewise for a 64-bit memory BAR when
 * has_upper (reg + 4 is its upper half), the size ~mask + 1. restore writes each
 * register's old value back; without it a register keeps what was read back, for the
 * caller to write an address next. Decoding should be off meanwhile. Returns the size,
 * 0 for an unimplemented or I/O BAR; *is_64bit (may be NULL): it took two registers. */
uint64_t pcie_cfg_bus_size_bar(pcie_cfg_bus *b, uint16_t rid, uint16_t reg, bool has_upper,
                               bool restore, bool *is_64bit);

typedef struct pcie_cfg_bus_counters {
    uint64_t cfg_reads;
    uint64_t cfg_writes;
    uint64_t ur_reads;
    uint64_t ur_writes;
    uint64_t ecam_errors;
} pcie_cfg_bus_counters;

pcie_cfg_bus_counters pcie_cfg_bus_get_counters(const pcie_cfg_bus *b);
void pcie_cfg_bus_register_stats(pcie_cfg_bus *b, sim_stats *s, const char *prefix);

#endif
