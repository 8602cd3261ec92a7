/* Lists of strings for the command line's parsers and result files: the values of a
 * sweep axis or of a plot key, the metric names a results folder holds. A list owns
 * copies of its strings; used as a set (app_strlist_add) it keeps each string once
 * and names it by its index. And what the parsers share: trimming, the option a
 * mistyped one was meant to be. */
#ifndef APP_STRLIST_H
#define APP_STRLIST_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct app_strlist {
    char **v;
    size_t n, cap;
} app_strlist;

/* Appends `s` (malloc'd; the list takes it), even when the list has it already. */
void app_strlist_push(app_strlist *l, char *s);
/* The index of `s`, appending a copy when the list lacks it. */
size_t app_strlist_add(app_strlist *l, const char *s);
/* The index of the first `s`; SIZE_MAX when the list lacks it. */
size_t app_strlist_find(const app_strlist *l, const char *s);
bool app_strlist_has(const app_strlist *l, const char *s);
/* Appends the pieces of `s` between `sep`s, trimmed of white space; empty pieces are
 * left out. Returns how many it appended. */
size_t app_strlist_split(app_strlist *l, const char *s, char sep);
/* Frees the strings and the list, which is then empty and may be used again. */
void app_strlist_free(app_strlist *l);

/* [*s, *s + *len) without white space at either end. */
void app_trim_span(const char **s, size_t *len);
/* A copy of s[0..len) without white space at either end. */
char *app_trimmed(const char *s, size_t len);

/* The long option of `opts` (a getopt_long table ending in a row of zeros) closest to
 * the mistyped `arg` ("--sets", "--sets=x", "-out"), without its dashes; NULL when none
 * is close enough to be a likely typo. */
const char *app_closest_option(const char *arg, const struct option *opts);
/* "CMD: unknown option 'ARG'", and " (did you mean '--NAME'?)" when one of `opts` is
 * close, into buf. */
void app_unknown_option_text(char *buf, size_t len, const char *cmd, const char *arg,
                             const struct option *opts);

#endif
