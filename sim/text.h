/* Small text helpers shared by the parsers (parameters, workload files, traces) and
 * the messages that suggest a name. */
#ifndef SIM_TEXT_H
#define SIM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of a hexadecimal digit, -1 for any other character. */
int sim_text_hex_digit(int c);

/* Reads one or more digits of `base` (10 or 16, no prefix) at *s into *v and advances
 * *s past them; false (nothing advanced) when there is no digit or the value does not
 * fit in 64 bits. */
bool sim_text_parse_u64(const char **s, unsigned base, uint64_t *v);

/* Levenshtein distance; SIZE_MAX when either string is longer than
 * SIM_TEXT_EDIT_MAX (a name that long is never a typo worth suggesting for). */
#define SIM_TEXT_EDIT_MAX 128
size_t sim_text_edit_distance(const char *a, const char *b);

/* The closest of `names` to `name`, when it is at most `budget` edits away; else NULL. */
const char *sim_text_closest(const char *name, const char *const *names, size_t n,
                             size_t budget);

#endif
