#include "app/json.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The length of the UTF-8 sequence at s (1 to 4 bytes), 0 when s holds none: a stray
 * continuation byte, a sequence cut short (the terminating NUL included), an overlong
 * form, a surrogate or a code point beyond U+10FFFF. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0], cp, min;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void app_json_string(FILE *f, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    fputc('"', f);
    while (*u) {
        size_t n = utf8_len(u);
        if (n == 0) {
            fputs("\xEF\xBF\xBD", f); /* U+FFFD for the byte that starts no sequence */
            u++;
        } else if (n > 1) {
            fwrite(u, 1, n, f);
            u += n;
        } else {
            unsigned char c = *u++;
            if (c == '"' || c == '\\')
                fprintf(f, "\\%c", c);
            else if (c == '\n')
                fputs("\\n", f);
            else if (c == '\t')
                fputs("\\t", f);
            else if (c == '\r')
                fputs("\\r", f);
            else if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
}

static const char *digits(const char *s)
{
    while (isdigit((unsigned char)*s))
        s++;
    return s;
}

bool app_json_is_number(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        s = digits(s);
    else
        return false;
    if (*s == '.') {
        if (!isdigit((unsigned char)s[1]))
            return false;
        s = digits(s + 1);
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!isdigit((unsigned char)*s))
            return false;
        s = digits(s);
    }
    return *s == '\0';
}

void app_json_value(FILE *f, const char *s)
{
    if (app_json_is_number(s)) {
        fputs(s, f);
        return;
    }
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end || isspace((unsigned char)*s))
        app_json_string(f, s);
    else if (!isfinite(d))
        fputs("null", f);
    else
        fprintf(f, "%.17g", d);
}
