/* Workload files read with libinih.
 *
 * libinih as Debian builds it passes no line numbers to the handler and cuts lines
 * longer than its buffer into pieces, so files are read through ini_parse_stream with
 * a line reader of our own: it counts lines, refuses a line that does not fit, and
 * mirrors inih's few rules (comment, section, continuation) so the handler knows
 * where each key came from and whether a call is the continuation of the previous key.
 *
 * A key is held back until the next key (or the end of the file) because an indented
 * line may still extend its value; only then is it checked and stored.
 *
 * An unknown parameter name does not stop the reading: a file with several typos gets
 * them all reported at once, each with its line and the closest name. Any other problem
 * stops it (what follows may depend on the bad line). */
#include "app/workload_impl.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "app/strlist.h"
#include "sim/alloc.h"

typedef struct seen_key {
    char *section, *name;
    int line;
} seen_key;

/* Unknown parameter names of the whole include tree, in reading order. */
typedef struct typos {
    app_strlist msgs;
} typos;

typedef struct file_ctx {
    app_workload *w;
    typos *typos;
    const sim_params *p;
    sim_err *e;
    const struct file_ctx *parent; /* the including file, for loops and their chain */
    const char *path;
    char *real; /* identity of the file, for loop detection */
    int file;
    FILE *f;

    /* the line reader's view, mirroring inih's rules */
    int line;
    bool indented;      /* the current line starts with white space */
    bool have_prev_key; /* inih would treat an indented line as a continuation */
    int section_line;   /* where the current section's header is */
    char *buf;
    size_t buf_cap;

    /* the key held back until its value is complete */
    bool pending;
    char *p_section, *p_name;
    char *p_value;
    int p_line, p_section_line;

    seen_key *seen;
    size_t n_seen;

    size_t keys; /* key = value lines seen (an empty workload file is refused) */

    bool failed;
    int err_line; /* the line the first problem was found at, for ordering against inih's */
} file_ctx;

static int load_file(app_workload *w, const sim_params *p, const char *path,
                     const file_ctx *parent, typos *t, const char *inc_where,
                     const char *inc_text, sim_err *e);

static int fail(file_ctx *c, int line)
{
    if (!c->failed) {
        c->failed = true;
        c->err_line = line;
    }
    return -1;
}

static char *where_at(const file_ctx *c, int line)
{
    return sim_xasprintf("%s:%d", c->path, line);
}

static const seen_key *find_seen(const file_ctx *c, const char *section, const char *name)
{
    for (size_t i = 0; i < c->n_seen; i++)
        if (!strcmp(c->seen[i].section, section) && !strcmp(c->seen[i].name, name))
            return &c->seen[i];
    return NULL;
}

static void remember_key(file_ctx *c, const char *section, const char *name, int line)
{
    c->seen = sim_xreallocarray(c->seen, c->n_seen + 1, sizeof *c->seen);
    c->seen[c->n_seen++] = (seen_key){sim_xstrdup(section), sim_xstrdup(name), line};
}

/* The folder of the including file joined with an include's relative path. */
static char *include_path(const char *from, const char *inc)
{
    const char *slash = strrchr(from, '/');
    if (inc[0] == '/' || !slash)
        return sim_xstrdup(inc);
    return sim_xasprintf("%.*s/%s", (int)(slash - from), from, inc);
}

static int do_include(file_ctx *c, const char *value, const char *where)
{
    if (!value[0])
        return sim_err_set(c->e, "%s: include needs a file name", where);
    char *path = include_path(c->path, value);
    int rc = load_file(c->w, c->p, path, c, c->typos, where, value, c->e);
    free(path);
    return rc;
}

static bool is_plot_section(const char *section, const char **name)
{
    if (strncmp(section, "plot", 4) || (section[4] && !isspace((unsigned char)section[4])))
        return false;
    *name = section + 4;
    while (isspace((unsigned char)**name))
        (*name)++;
    return true;
}

static int duplicate_error(file_ctx *c, const char *what, const char *where, int first)
{
    char *prev = where_at(c, first);
    sim_err_set(c->e, "%s: duplicate %s (first at %s)", where, what, prev);
    free(prev);
    return -1;
}

/* Notes the unknown parameter `full` (its message names where and the closest name) and
 * lets the reading go on. */
static int note_typo(file_ctx *c, const char *section, const char *name, const char *full,
                     int line, const char *where)
{
    sim_err te = {{0}};
    sim_params_check(c->p, full, "", where, &te);
    app_strlist_push(&c->typos->msgs, sim_xstrdup(te.msg));
    remember_key(c, section, name, line);
    return 0;
}

/* One complete key: section and name as inih gave them (section trimmed here). */
static int process_key(file_ctx *c, const char *section, const char *name, const char *value,
                       int line, int section_line, const char *where)
{
    if (!name[0])
        return sim_err_set(c->e, "%s: a key name is missing before '='", where);
    if (!section[0] && !strcmp(name, "include"))
        return do_include(c, value, where);
    if (!section[0])
        return sim_err_set(c->e,
                           "%s: key '%s' is outside any section (only include may come before "
                           "the first [section])",
                           where, name);
    if (!strcmp(name, "include"))
        return sim_err_set(c->e, "%s: include must come before the first [section]", where);

    const char *plot_name;
    bool is_sweep = !strcmp(section, "sweep");
    bool is_plot = is_plot_section(section, &plot_name);
    char *full = is_sweep || is_plot ? sim_xstrdup(name) : sim_xasprintf("%s.%s", section, name);
    const seen_key *dup = find_seen(c, section, name);
    int rc = 0;
    if (dup) {
        char *what = is_plot ? sim_xasprintf("key '%s' in [%s]", name, section)
                     : is_sweep ? sim_xasprintf("sweep axis '%s'", full)
                                : sim_xasprintf("key '%s'", full);
        rc = duplicate_error(c, what, where, dup->line);
        free(what);
    } else if (is_plot) {
        remember_key(c, section, name, line);
        if (!plot_name[0]) {
            char *sw = where_at(c, section_line);
            rc = sim_err_set(c->e, "%s: [plot] needs a name: [plot NAME]", sw);
            free(sw);
        } else {
            char *sw = where_at(c, section_line);
            app_workload_add_plot_key(c->w, plot_name, sw, name, value, where, c->file);
            free(sw);
        }
    } else if (is_sweep && !strcmp(name, "exclude")) {
        remember_key(c, section, name, line);
        rc = app_workload_set_exclude(c->w, c->p, value, where, c->e);
    } else if (is_sweep && !strcmp(name, "zip")) {
        remember_key(c, section, name, line);
        rc = app_workload_add_zip(c->w, c->p, value, where, c->file, c->e);
    } else if (!sim_params_exists(c->p, full)) {
        rc = note_typo(c, section, name, full, line, where);
    } else if (is_sweep) {
        remember_key(c, section, name, line);
        rc = app_workload_add_axis(c->w, c->p, full, value, where, c->file, c->e);
    } else {
        remember_key(c, section, name, line);
        rc = app_workload_add_setting(c->w, c->p, full, value, where, c->file, c->e);
    }
    free(full);
    return rc;
}

static void clear_pending(file_ctx *c)
{
    free(c->p_section);
    free(c->p_name);
    free(c->p_value);
    c->p_section = c->p_name = c->p_value = NULL;
    c->pending = false;
}

static int flush_pending(file_ctx *c)
{
    if (!c->pending)
        return 0;
    char *where = where_at(c, c->p_line);
    int rc = process_key(c, c->p_section, c->p_name, c->p_value, c->p_line, c->p_section_line,
                         where);
    free(where);
    int line = c->p_line;
    clear_pending(c);
    return rc < 0 ? fail(c, line) : 0;
}

/* inih strips "value ; comment" on a key's first line but, in this build, not on its
 * continuation lines; do the same for those. */
static size_t without_inline_comment(const char *s)
{
    for (const char *t = s; *t; t++)
        if (*t == ';' && t > s && isspace((unsigned char)t[-1]))
            return (size_t)(t - s);
    return strlen(s);
}

/* Sweep lists continue with ", " unless the line break already sits next to a comma or
 * an exclude's rule separator '|'; other values continue with a space. */
static void append_continuation(file_ctx *c, const char *more)
{
    const char *m = more;
    size_t mlen = without_inline_comment(more);
    app_trim_span(&m, &mlen);
    if (!mlen)
        return;
    size_t have = strlen(c->p_value);
    while (have > 0 && isspace((unsigned char)c->p_value[have - 1]))
        have--;
    const char *sep = "";
    if (have > 0) {
        char last = c->p_value[have - 1];
        bool comma = last == ',' || last == '|' || m[0] == ',' || m[0] == '|';
        sep = strcmp(c->p_section, "sweep") ? " " : comma ? " " : ", ";
    }
    char *v = sim_xasprintf("%.*s%s%.*s", (int)have, c->p_value, sep, (int)mlen, m);
    free(c->p_value);
    c->p_value = v;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    file_ctx *c = user;
    if (c->failed)
        return 0;
    if (c->indented && c->have_prev_key && c->pending) {
        append_continuation(c, value);
        return 1;
    }
    c->have_prev_key = true;
    c->keys++;
    if (flush_pending(c) < 0)
        return 0;
    c->pending = true;
    c->p_section = app_trimmed(section, strlen(section));
    c->p_name = sim_xstrdup(name);
    c->p_value = sim_xstrdup(value);
    c->p_line = c->line;
    c->p_section_line = c->section_line;
    return 1;
}

/* Reads one whole line (any length) into c->buf, without its line ending. Returns false
 * at the end of the file. */
static bool read_whole_line(file_ctx *c, size_t *len)
{
    size_t n = 0;
    int ch;
    bool any = false;
    while ((ch = getc(c->f)) != EOF) {
        any = true;
        if (ch == '\n')
            break;
        if (n + 1 >= c->buf_cap) {
            c->buf_cap = c->buf_cap ? 2 * c->buf_cap : 256;
            c->buf = sim_xrealloc(c->buf, c->buf_cap);
        }
        c->buf[n++] = (char)ch;
    }
    if (!any)
        return false;
    if (n > 0 && c->buf[n - 1] == '\r')
        n--;
    if (!c->buf)
        c->buf = sim_xmalloc(c->buf_cap = 256);
    c->buf[n] = '\0';
    *len = n;
    return true;
}

/* Tracks what inih will make of the line: a section header ends the previous key (no
 * continuation after it); an indented line after a key continues that key. */
static void classify(file_ctx *c, const char *s)
{
    if (c->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
        s += 3; /* inih skips a UTF-8 byte order mark on the first line */
    c->indented = isspace((unsigned char)*s);
    while (isspace((unsigned char)*s))
        s++;
    if (!*s || *s == ';' || *s == '#')
        return;
    if (c->indented && c->have_prev_key)
        return;
    if (*s == '[') {
        c->have_prev_key = false;
        c->section_line = c->line;
    }
}

/* The ini_reader: one line per call, counted, refused when it would not fit inih's
 * buffer (inih would silently cut it and lose count) or holds a NUL byte (inih would
 * silently end the line there). Returning NULL ends the parse, which is how a problem
 * stops inih (it otherwise reads on after an error). */
static char *read_line(char *str, int num, void *stream)
{
    file_ctx *c = stream;
    size_t len;
    if (c->failed || !read_whole_line(c, &len))
        return NULL;
    c->line++;
    const char *nul = memchr(c->buf, '\0', len);
    if (len > (size_t)num - 1 || nul) {
        /* a key before this line is complete: its problem, if any, comes first */
        if (flush_pending(c) == 0) {
            if (nul)
                sim_err_set(c->e, "%s:%d: a NUL byte (column %zu): a workload file is text",
                            c->path, c->line, (size_t)(nul - c->buf) + 1);
            else
                sim_err_set(c->e, "%s:%d: line longer than %d characters", c->path, c->line,
                            num - 1);
            fail(c, c->line);
        }
        return NULL;
    }
    memcpy(str, c->buf, len + 1);
    classify(c, str);
    return str;
}

static void free_ctx(file_ctx *c)
{
    clear_pending(c);
    for (size_t i = 0; i < c->n_seen; i++) {
        free(c->seen[i].section);
        free(c->seen[i].name);
    }
    free(c->seen);
    free(c->buf);
    free(c->real);
}

/* The include chain from the top file down to c, then `path`, for a loop message. */
static void loop_error(const file_ctx *c, const char *path, const char *where, sim_err *e)
{
    const file_ctx *chain[64];
    size_t n = 0;
    for (const file_ctx *f = c; f && n < 64; f = f->parent)
        chain[n++] = f;
    char text[sizeof e->msg] = "";
    size_t used = 0;
    while (n-- > 0 && used < sizeof text)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s -> ", chain[n]->path);
    if (used < sizeof text)
        snprintf(text + used, sizeof text - used, "%s", path);
    sim_err_set(e, "%s: include loop: %s", where, text);
}

static int parse_file(file_ctx *c)
{
    int rc = ini_parse_stream(read_line, c, on_key, c);
    if (!c->failed)
        flush_pending(c);
    if (ferror(c->f)) {
        sim_err_set(c->e, "%s:%d: read error: %s", c->path, c->line + 1, strerror(errno));
        return -1;
    }
    /* inih reports the first line it could not parse; ours may be earlier or later */
    if (rc > 0 && (!c->failed || rc < c->err_line))
        return sim_err_set(c->e, "%s:%d: expected 'key = value', '[section]' or a comment",
                           c->path, rc);
    if (rc == -2)
        abort(); /* inih out of memory */
    return c->failed || rc < 0 ? -1 : 0;
}

/* Loads `path` into w. An include names the including line (inc_where) and the text it
 * gave (inc_text) in its messages. */
static int load_file(app_workload *w, const sim_params *p, const char *path,
                     const file_ctx *parent, typos *t, const char *inc_where,
                     const char *inc_text, sim_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (inc_where)
            return sim_err_set(e, "%s: include '%s': cannot open %s: %s", inc_where, inc_text,
                               path, strerror(errno));
        return sim_err_set(e, "%s: cannot open: %s", path, strerror(errno));
    }
    char *real = realpath(path, NULL);
    if (!real)
        real = sim_xstrdup(path);
    for (const file_ctx *a = parent; a; a = a->parent)
        if (!strcmp(a->real, real)) {
            loop_error(parent, path, inc_where, e);
            free(real);
            fclose(f);
            return -1;
        }
    file_ctx c = {.w = w, .typos = t, .p = p, .e = e, .parent = parent, .path = path,
                  .real = real, .file = app_workload_new_file(w, path, inc_where), .f = f};
    int rc = parse_file(&c);
    /* Nothing to run but the defaults is a wrong or truncated file, not a workload. */
    if (rc == 0 && !parent && !c.keys)
        rc = sim_err_set(e, "%s: no settings (the file is empty, or holds only comments and "
                            "section headers); to run the defaults, set one, e.g. [workload] "
                            "kind = KIND",
                         path);
    free_ctx(&c);
    fclose(f);
    return rc;
}

/* Every unknown name on a line of its own, in reading order, then the problem that
 * stopped the reading (if one did): as many as the message holds, then how many more. */
static int report_typos(const typos *t, int rc, sim_err *e)
{
    char stop[sizeof e->msg];
    snprintf(stop, sizeof stop, "%s", rc < 0 ? e->msg : "");
    char *msg = e->msg;
    size_t cap = sizeof e->msg, used = 0;
    msg[0] = '\0';
    size_t shown = 0;
    for (; shown < t->msgs.n; shown++) {
        const char *m = t->msgs.v[shown];
        /* room for this line and a last line saying how many more */
        if (used + strlen(m) + 1 + 64 >= cap)
            break;
        used += (size_t)snprintf(msg + used, cap - used, "%s%s", shown ? "\n" : "", m);
    }
    if (shown < t->msgs.n)
        used += (size_t)snprintf(msg + used, cap - used, "\n(and %zu more unknown parameters)",
                                 t->msgs.n - shown);
    if (*stop && used + strlen(stop) + 2 < cap)
        snprintf(msg + used, cap - used, "\n%s", stop);
    return -1;
}

int app_workload_read_file(app_workload *w, const sim_params *p, const char *path, sim_err *e)
{
    typos t = {{0}};
    int rc = load_file(w, p, path, NULL, &t, NULL, NULL, e);
    if (t.msgs.n)
        rc = report_typos(&t, rc, e);
    app_strlist_free(&t.msgs);
    return rc;
}
