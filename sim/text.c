#include "sim/text.h"

#include <string.h>

int sim_text_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool sim_text_parse_u64(const char **s, unsigned base, uint64_t *v)
{
    const char *p = *s;
    uint64_t x = 0;
    for (;; p++) {
        int d = base == 16 ? sim_text_hex_digit((unsigned char)*p)
                           : (*p >= '0' && *p <= '9' ? *p - '0' : -1);
        if (d < 0)
            break;
        if (x > (UINT64_MAX - (uint64_t)d) / base)
            return false;
        x = x * base + (uint64_t)d;
    }
    if (p == *s)
        return false;
    *v = x;
    *s = p;
    return true;
}

size_t sim_text_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= SIM_TEXT_EDIT_MAX || lb >= SIM_TEXT_EDIT_MAX)
        return SIZE_MAX;
    size_t row[SIM_TEXT_EDIT_MAX];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *sim_text_closest(const char *name, const char *const *names, size_t n, size_t budget)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = sim_text_edit_distance(name, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best_d <= budget ? best : NULL;
}
