/* JSON text for the files a results folder holds (results.json), written directly:
 * the numbers are copied as result.txt and the manifest write them (%.10g metrics,
 * 64-bit parameter values in full), which a JSON library would print again from a
 * double or a 63-bit integer, at a precision of its own. */
#ifndef APP_JSON_H
#define APP_JSON_H

#include <stdbool.h>
#include <stdio.h>

/* `s` as a JSON string: quoted, with '"', '\' and control characters escaped. Bytes
 * that are not UTF-8 become U+FFFD: JSON text is UTF-8, and a path or a message may
 * hold any bytes. */
void app_json_string(FILE *f, const char *s);

/* Whether `s` as written is a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
bool app_json_is_number(const char *s);

/* A value as results.csv writes it: a JSON number as it is; nan and inf (which JSON
 * lacks) as null; another number C reads (".5", "1.") in full precision; any other
 * text as a string. */
void app_json_value(FILE *f, const char *s);

#endif
