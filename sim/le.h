/* Little-endian fields in byte buffers: file headers, and structures devices and
 * software share in simulated memory (x86 byte order), whatever the host's. */
#ifndef SIM_LE_H
#define SIM_LE_H

#include <stdint.h>

/* The value of bytes (1..8) bytes at p, least significant first. */
static inline uint64_t sim_le_get(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Stores the low bytes (1..8) bytes of v at p, least significant first. */
static inline void sim_le_put(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif
