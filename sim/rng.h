/* Deterministic random numbers: xoshiro256** seeded through splitmix64 from the run
 * seed and a stream name, so that each model draws from its own stream and adding a
 * model does not shift another's numbers. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct sim_rng {
    uint64_t s[4];
} sim_rng;

static inline uint64_t sim_rng_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void sim_rng_seed(sim_rng *r, uint64_t seed, const char *stream)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a of the stream name */
    for (const char *c = stream ? stream : ""; *c; c++)
        h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
    uint64_t x = seed ^ h;
    for (int i = 0; i < 4; i++)
        r->s[i] = sim_rng_splitmix64(&x);
}

static inline uint64_t sim_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t sim_rng_u64(sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = sim_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sim_rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n), n > 0; Lemire's multiply-shift with rejection (unbiased). */
static inline uint64_t sim_rng_below(sim_rng *r, uint64_t n)
{
    unsigned __int128 m = (unsigned __int128)sim_rng_u64(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t threshold = -n % n;
        while (lo < threshold) {
            m = (unsigned __int128)sim_rng_u64(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Uniform in [0, 1). */
static inline double sim_rng_double(sim_rng *r) { return (double)(sim_rng_u64(r) >> 11) * 0x1.0p-53; }

/* Exponentially distributed with mean `mean`: inversion of a uniform in (0, 1]. */
static inline double sim_rng_exp(sim_rng *r, double mean) { return -mean * log(1.0 - sim_rng_double(r)); }

#endif
