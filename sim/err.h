/* Error reports for configuration and input problems (not for internal invariants,
 * which are asserts). A function that can fail takes a sim_err * and returns -1 (or
 * NULL) after filling it; the message already says where the problem came from
 * ("workloads/dma.ini:12: ..."). */
#ifndef SIM_ERR_H
#define SIM_ERR_H

#include <stddef.h>

typedef struct sim_err {
    char msg[1024];
} sim_err;

/* Formats into e->msg (e may be NULL) and returns -1, so callers can write
 * `return sim_err_set(e, "...")`. */
int sim_err_set(sim_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Puts "prefix: " in front of the existing message. */
void sim_err_prefix(sim_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_err_clear(sim_err *e);

#endif
