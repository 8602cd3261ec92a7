#include "app/strlist.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/text.h"

void app_strlist_push(app_strlist *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = sim_xreallocarray(l->v, l->cap, sizeof *l->v);
    }
    l->v[l->n++] = s;
}

size_t app_strlist_find(const app_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s))
            return i;
    return SIZE_MAX;
}

bool app_strlist_has(const app_strlist *l, const char *s)
{
    return app_strlist_find(l, s) != SIZE_MAX;
}

size_t app_strlist_add(app_strlist *l, const char *s)
{
    size_t i = app_strlist_find(l, s);
    if (i != SIZE_MAX)
        return i;
    app_strlist_push(l, sim_xstrdup(s));
    return l->n - 1;
}

size_t app_strlist_split(app_strlist *l, const char *s, char sep)
{
    size_t before = l->n;
    for (;;) {
        const char *end = strchr(s, sep);
        char *piece = app_trimmed(s, end ? (size_t)(end - s) : strlen(s));
        if (*piece)
            app_strlist_push(l, piece);
        else
            free(piece);
        if (!end)
            break;
        s = end + 1;
    }
    return l->n - before;
}

void app_strlist_free(app_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (app_strlist){0};
}

void app_trim_span(const char **s, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

char *app_trimmed(const char *s, size_t len)
{
    app_trim_span(&s, &len);
    return sim_xstrndup(s, len);
}

const char *app_closest_option(const char *arg, const struct option *opts)
{
    while (*arg == '-')
        arg++;
    char name[SIM_TEXT_EDIT_MAX + 1];
    size_t len = strcspn(arg, "=");
    if (!len || len >= sizeof name)
        return NULL;
    memcpy(name, arg, len);
    name[len] = '\0';
    size_t n = 0;
    while (opts[n].name)
        n++;
    const char **names = sim_xcalloc(n ? n : 1, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = opts[i].name;
    const char *near = sim_text_closest(name, names, n, len / 3 + 1);
    free(names);
    return near;
}

void app_unknown_option_text(char *buf, size_t len, const char *cmd, const char *arg,
                             const struct option *opts)
{
    const char *near = app_closest_option(arg, opts);
    snprintf(buf, len, "%s: unknown option '%s'%s%s%s", cmd, arg, near ? " (did you mean '--" : "",
             near ? near : "", near ? "'?)" : "");
}
