#include "traces/trace_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/text.h"

/* Escapes n bytes of s: backslash and non-printable bytes; newlines too unless the
 * caller splits lines itself. */
static void put_escaped(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\')
            fputs("\\\\", out);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
}

int trace_text_write(trace_reader *r, FILE *out, sim_err *e)
{
    const char *creator = trace_reader_creator(r);
    size_t params_len;
    const char *params = trace_reader_params(r, &params_len);
    fprintf(out, "%s%u\n# creator: ", TRACE_TEXT_FIRST_LINE, trace_reader_version(r));
    put_escaped(out, creator, strlen(creator));
    fprintf(out, "\n# flags: 0x%08" PRIx32 "\n# params: %zu bytes\n", trace_reader_flags(r),
            params_len);
    for (size_t i = 0; i < params_len;) {
        const char *nl = memchr(params + i, '\n', params_len - i);
        size_t n = nl ? (size_t)(nl - (params + i)) : params_len - i;
        fputs("#|", out);
        put_escaped(out, params + i, n);
        fputc('\n', out);
        i += n + 1;
    }
    fputs("# time_ps ahead_ps op rid pasid domain addr len aux flags\n", out);
    const trace_rec *recs;
    size_t n;
    char line[TRACE_TEXT_MAX];
    while ((n = trace_reader_block(r, &recs)) > 0)
        for (size_t i = 0; i < n; i++) {
            size_t k = trace_rec_format(&recs[i], line, sizeof line);
            line[k] = '\n';
            fwrite(line, 1, k + 1, out);
        }
    if (trace_reader_error(r))
        return sim_err_set(e, "%s", trace_reader_error(r));
    if (fflush(out) != 0 || ferror(out))
        return sim_err_set(e, "cannot write the text: %s", strerror(errno));
    return 0;
}

/* ---- reading it back ----------------------------------------------------------------- */

typedef struct buf {
    char *s;
    size_t n, cap;
} buf;

static int buf_add(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = 2 * (b->n + n + 1);
        char *t = realloc(b->s, cap);
        if (!t)
            return -1;
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
    return 0;
}

/* Appends the unescaped s to b; -1 on a bad escape (or no memory). */
static int unescape(buf *b, const char *s)
{
    while (*s) {
        char c = *s++;
        if (c == '\\') {
            if (*s == '\\') {
                s++;
            } else if (*s == 'x' && sim_text_hex_digit((unsigned char)s[1]) >= 0 &&
                       sim_text_hex_digit((unsigned char)s[2]) >= 0) {
                c = (char)(sim_text_hex_digit((unsigned char)s[1]) * 16 +
                           sim_text_hex_digit((unsigned char)s[2]));
                s += 3;
            } else {
                return -1;
            }
        }
        if (buf_add(b, &c, 1) < 0)
            return -1;
    }
    return 0;
}

typedef struct text_in {
    FILE *in;
    const char *name;
    char *line;
    size_t cap;
    uint64_t lineno;
} text_in;

/* The next line without its newline (and a carriage return before it), or NULL. */
static char *next_line(text_in *t)
{
    ssize_t n = getline(&t->line, &t->cap, t->in);
    if (n < 0)
        return NULL;
    t->lineno++;
    if (n && t->line[n - 1] == '\n')
        t->line[--n] = '\0';
    if (n && t->line[n - 1] == '\r')
        t->line[--n] = '\0';
    return t->line;
}

static int header_value(const char *line, const char *key, const char **value)
{
    size_t k = strlen(key);
    if (strncmp(line, key, k))
        return 0;
    *value = line + k;
    return 1;
}

/* The header is complete: the declared count says whether the parameters text ends
 * with the newline each of its lines brings. */
static trace_writer *open_writer(const char *name, const char *out_path, uint32_t flags,
                                 const buf *creator, buf *params, bool have_declared,
                                 unsigned long long declared, sim_err *e)
{
    if (have_declared) {
        if (declared + 1 == params->n)
            params->n--;
        else if (declared != params->n) {
            sim_err_set(e, "%s: the parameter lines hold %zu bytes, the header says %llu", name,
                        params->n, declared);
            return NULL;
        }
    }
    return trace_writer_open(out_path, flags, creator->s, params->s ? params->s : "", params->n, e);
}

int trace_text_import(FILE *in, const char *name, const char *out_path, uint64_t *records,
                      sim_err *e)
{
    text_in t = {.in = in, .name = name};
    buf creator = {0}, params = {0};
    uint32_t flags = 0;
    unsigned long long declared = 0;
    bool have_declared = false;
    trace_writer *w = NULL;
    int rc = -1;
    uint64_t chain_open_line = 0; /* the line of a trailing chained invalidation, or 0 */
    char *line = next_line(&t);
    *records = 0;
    if (!line) {
        sim_err_set(e, "%s: empty: a text trace starts with '%s1'", name, TRACE_TEXT_FIRST_LINE);
        goto out;
    }
    const char *v;
    if (!header_value(line, TRACE_TEXT_FIRST_LINE, &v)) {
        sim_err_set(e, "%s:1: not an iovsim text trace (it starts with '%s1')", name,
                    TRACE_TEXT_FIRST_LINE);
        goto out;
    }
    if (strcmp(v, "1")) {
        sim_err_set(e, "%s:1: text format '%.20s' is not one this iovsim reads (1)", name, v);
        goto out;
    }
    buf_add(&creator, "", 0);
    while ((line = next_line(&t)) != NULL) {
        if (!*line)
            continue;
        if (line[0] == '#') {
            if (w) /* comments may follow records; the header may not */
                continue;
            if (header_value(line, "# creator: ", &v)) {
                creator.n = 0;
                if (unescape(&creator, v) < 0 || creator.n > TRACE_CREATOR_MAX_BYTES) {
                    sim_err_set(e, "%s:%" PRIu64 ": bad creator text", name, t.lineno);
                    goto out;
                }
            } else if (header_value(line, "# flags: ", &v)) {
                char *end;
                errno = 0;
                unsigned long long f = strtoull(v, &end, 16);
                if (*end || errno || f > UINT32_MAX || strncmp(v, "0x", 2)) {
                    sim_err_set(e, "%s:%" PRIu64 ": bad flags '%.20s'", name, t.lineno, v);
                    goto out;
                }
                /* Checked here, not by the writer, so the message names this line. */
                if (f & ~(unsigned long long)TRACE_HDR_KNOWN) {
                    sim_err_set(e, "%s:%" PRIu64 ": unknown header flags %s", name, t.lineno, v);
                    goto out;
                }
                flags = (uint32_t)f;
            } else if (header_value(line, "# params: ", &v)) {
                char *end;
                errno = 0;
                declared = strtoull(v, &end, 10);
                if (end == v || strcmp(end, " bytes") || errno || declared > TRACE_PARAMS_MAX_BYTES) {
                    sim_err_set(e, "%s:%" PRIu64 ": bad parameter count '%.40s'", name, t.lineno, v);
                    goto out;
                }
                have_declared = true;
            } else if (line[1] == '|') {
                if (unescape(&params, line + 2) < 0 || buf_add(&params, "\n", 1) < 0 ||
                    params.n > TRACE_PARAMS_MAX_BYTES + 1) {
                    sim_err_set(e, "%s:%" PRIu64 ": bad parameter line (an escape other than "
                                   "\\\\ or \\xHH, or too long)",
                                name, t.lineno);
                    goto out;
                }
            }
            continue;
        }
        if (!w && !(w = open_writer(name, out_path, flags, &creator, &params, have_declared,
                                     declared, e)))
            goto out;
        trace_rec r;
        char why[300];
        if (trace_rec_parse(line, &r, why, sizeof why) < 0) {
            sim_err_set(e, "%s:%" PRIu64 ": %s", name, t.lineno, why);
            goto out;
        }
        sim_err we;
        if (trace_writer_put(w, &r, &we) < 0) {
            /* Name the line, not the record index the writer counts. */
            char *colon = strstr(we.msg, ": record ");
            const char *what = colon ? strchr(colon + 9, ':') : NULL;
            sim_err_set(e, "%s:%" PRIu64 ":%s", name, t.lineno, what ? what + 1 : we.msg);
            goto out;
        }
        chain_open_line = trace_rec_chains(&r) ? t.lineno : 0;
    }
    if (ferror(in)) {
        sim_err_set(e, "%s: read error: %s", name, strerror(errno));
        goto out;
    }
    /* Checked here, not by the writer's close, so the message names this input's line. */
    if (chain_open_line) {
        sim_err_set(e, "%s:%" PRIu64 ": the last record is a chained invalidation with nothing "
                       "after it",
                    name, chain_open_line);
        goto out;
    }
    if (!w && !(w = open_writer(name, out_path, flags, &creator, &params, have_declared, declared,
                                 e)))
        goto out;
    *records = trace_writer_count(w);
    rc = trace_writer_close(w, e);
    w = NULL;
out:
    if (w)
        trace_writer_abort(w);
    free(t.line);
    free(creator.s);
    free(params.s);
    return rc;
}
