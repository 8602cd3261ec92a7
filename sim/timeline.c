/* A run's timeline as Chrome trace-event JSON (see sim/timeline.h). */
#include "sim/timeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/files.h"

/* A group is a "process" of the trace format (pid), a track a "thread" in it (tid =
 * its index + 1). An in-flight track's lanes are tracks too, made at the close. */
typedef struct tl_track {
    char *group, *name;
    unsigned pid;
    bool inflight;
    bool lane;             /* a lane made at the close (in its track's lane_tid) */
    uint64_t *lane_end_ns; /* an in-flight track at the close: each lane's last end */
    unsigned *lane_tid;    /* and its tid (the first lane's: the track's own) */
    unsigned nlanes;
} tl_track;

/* A slice kept until the close: one of an in-flight track or a followed packet's. */
typedef struct tl_slice {
    uint64_t start_ns, end_ns;
    uint64_t seq;    /* booking order */
    uint32_t packet; /* the followed packet, or 0 */
    unsigned tid;    /* its track; at the close, its lane */
    unsigned name;   /* in names */
    unsigned flow;   /* FLOW_IN | FLOW_OUT, set at the close */
} tl_slice;

enum { FLOW_IN = 1, FLOW_OUT = 2 };

struct sim_timeline {
    uint64_t from_ps, to_ps;
    uint32_t every;
    sim_file file;
    tl_track *tracks;
    unsigned ntracks, ngroups;
    tl_slice *kept;
    size_t nkept, kept_cap;
    char **names; /* the kept slices' names (the components' may be gone at the close) */
    unsigned nnames;
    bool any; /* an event written: the next needs a comma */
};

static void event_sep(sim_timeline *tl)
{
    fputs(tl->any ? ",\n" : "\n", tl->file.f);
    tl->any = true;
}

/* The nearest ns (halves up): a slice's ends are rounded, never its duration, so what
 * nests or follows in ps still does. */
static uint64_t ns_of(uint64_t ps) { return ps / 1000u + (ps % 1000u >= 500u); }

/* Nanoseconds as microseconds, the unit of the format: 3 decimals, nothing Perfetto
 * would round. */
static void put_us(FILE *f, uint64_t ns)
{
    fprintf(f, "%" PRIu64 ".%03" PRIu64, ns / 1000u, ns % 1000u);
}

sim_timeline *sim_timeline_open(const char *path, uint64_t from_ps, uint64_t to_ps,
                                uint32_t every, sim_err *e)
{
    sim_timeline *tl = sim_xcalloc(1, sizeof *tl);
    tl->from_ps = from_ps;
    tl->to_ps = to_ps;
    tl->every = every ? every : 1;
    if (sim_file_open(&tl->file, path, e) < 0) {
        free(tl);
        return NULL;
    }
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", tl->file.f);
    return tl;
}

static void free_all(sim_timeline *tl)
{
    for (unsigned i = 0; i < tl->ntracks; i++) {
        free(tl->tracks[i].group);
        free(tl->tracks[i].name);
        free(tl->tracks[i].lane_end_ns);
        free(tl->tracks[i].lane_tid);
    }
    free(tl->tracks);
    for (unsigned i = 0; i < tl->nnames; i++)
        free(tl->names[i]);
    free(tl->names);
    free(tl->kept);
    free(tl);
}

static void put_meta(sim_timeline *tl, const char *what, unsigned pid, unsigned tid)
{
    event_sep(tl);
    fprintf(tl->file.f, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%u", what, pid);
    if (tid)
        fprintf(tl->file.f, ",\"tid\":%u", tid);
}

static void put_thread_name(sim_timeline *tl, unsigned pid, unsigned tid, const char *name,
                            unsigned lane)
{
    put_meta(tl, "thread_name", pid, tid);
    fprintf(tl->file.f, ",\"args\":{\"name\":\"%s", name);
    if (lane)
        fprintf(tl->file.f, " #%u", lane + 1);
    fputs("\"}}", tl->file.f);
}

static void put_slice(sim_timeline *tl, unsigned pid, unsigned tid, const char *name,
                      uint64_t start_ns, uint64_t end_ns, uint32_t packet, unsigned flow)
{
    FILE *f = tl->file.f;
    event_sep(tl);
    fprintf(f, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"name\":\"%s\",\"ts\":", pid, tid, name);
    put_us(f, start_ns);
    fputs(",\"dur\":", f);
    put_us(f, end_ns - start_ns);
    if (flow)
        fprintf(f, ",\"bind_id\":%" PRIu32 "%s%s", packet,
                flow & FLOW_IN ? ",\"flow_in\":true" : "",
                flow & FLOW_OUT ? ",\"flow_out\":true" : "");
    fputc('}', f);
}

/* The order Perfetto reads slices in (its sorter: start, then the longer first, then
 * the file's order), which is the order a flow's steps must come in. */
static int by_time(const void *a, const void *b)
{
    const tl_slice *x = a, *y = b;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    uint64_t dx = x->end_ns - x->start_ns, dy = y->end_ns - y->start_ns;
    if (dx != dy)
        return dx > dy ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A new lane for in-flight track `tid` (its tid). */
static unsigned add_lane(sim_timeline *tl, unsigned tid)
{
    tl->tracks = sim_xrealloc(tl->tracks, (tl->ntracks + 1) * sizeof *tl->tracks);
    tl_track *t = &tl->tracks[tid - 1];
    tl->tracks[tl->ntracks] = (tl_track){.group = sim_xstrdup(t->group),
                                         .name = sim_xstrdup(t->name), .pid = t->pid,
                                         .lane = true};
    unsigned lane_tid = ++tl->ntracks;
    put_thread_name(tl, t->pid, lane_tid, t->name, t->nlanes);
    return lane_tid;
}

/* Each kept slice of an in-flight track, in time order, onto the first of its track's
 * lanes whose last slice has ended (as many lanes as slices overlap at most). */
static void lay_out_lanes(sim_timeline *tl)
{
    for (size_t i = 0; i < tl->nkept; i++) {
        tl_slice *s = &tl->kept[i];
        unsigned tid = s->tid;
        tl_track *t = &tl->tracks[tid - 1];
        if (!t->inflight)
            continue;
        unsigned l = 0;
        while (l < t->nlanes && t->lane_end_ns[l] > s->start_ns)
            l++;
        if (l == t->nlanes) {
            unsigned lane_tid = l ? add_lane(tl, tid) : tid;
            t = &tl->tracks[tid - 1]; /* add_lane moved the tracks */
            t->lane_end_ns = sim_xrealloc(t->lane_end_ns, (l + 1) * sizeof *t->lane_end_ns);
            t->lane_tid = sim_xrealloc(t->lane_tid, (l + 1) * sizeof *t->lane_tid);
            t->lane_tid[l] = lane_tid;
            t->nlanes++;
        }
        t->lane_end_ns[l] = s->end_ns;
        s->tid = t->lane_tid[l];
    }
}

/* Threads in the order they were made, a track's lanes right after it. */
static void put_thread_order(sim_timeline *tl)
{
    unsigned at = 0;
    for (unsigned i = 0; i < tl->ntracks; i++) {
        const tl_track *t = &tl->tracks[i];
        if (t->lane)
            continue;
        put_meta(tl, "thread_sort_index", t->pid, i + 1);
        fprintf(tl->file.f, ",\"args\":{\"sort_index\":%u}}", ++at);
        for (unsigned l = 1; l < t->nlanes; l++) {
            put_meta(tl, "thread_sort_index", t->pid, t->lane_tid[l]);
            fprintf(tl->file.f, ",\"args\":{\"sort_index\":%u}}", ++at);
        }
    }
}

typedef struct tl_step {
    uint32_t packet;
    size_t at; /* in kept (time order) */
} tl_step;

static int by_packet(const void *a, const void *b)
{
    const tl_step *x = a, *y = b;
    if (x->packet != y->packet)
        return x->packet < y->packet ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Each followed packet's steps, in time order: out of the first, in and out of the
 * middle ones, into the last (none for a lone one). */
static void join_flows(sim_timeline *tl)
{
    tl_step *st = sim_xcalloc(tl->nkept, sizeof *st);
    size_t n = 0;
    for (size_t i = 0; i < tl->nkept; i++)
        if (tl->kept[i].packet)
            st[n++] = (tl_step){tl->kept[i].packet, i};
    if (n) /* qsort wants an array, even of none */
        qsort(st, n, sizeof *st, by_packet);
    for (size_t i = 0; i < n; i++) {
        bool first = i == 0 || st[i - 1].packet != st[i].packet;
        bool last = i + 1 == n || st[i + 1].packet != st[i].packet;
        if (!(first && last))
            tl->kept[st[i].at].flow = (first ? 0 : FLOW_IN) | (last ? 0 : FLOW_OUT);
    }
    free(st);
}

int sim_timeline_close(sim_timeline *tl, sim_err *e)
{
    if (tl->nkept)
        qsort(tl->kept, tl->nkept, sizeof *tl->kept, by_time);
    lay_out_lanes(tl);
    put_thread_order(tl);
    join_flows(tl);
    for (size_t i = 0; i < tl->nkept; i++) {
        const tl_slice *s = &tl->kept[i];
        put_slice(tl, tl->tracks[s->tid - 1].pid, s->tid, tl->names[s->name], s->start_ns,
                  s->end_ns, s->packet, s->flow);
    }
    /* No newline after the end: Perfetto reads a file in slices and refuses bytes after
     * the closing bracket that come in a slice of their own. */
    fputs("\n]}", tl->file.f);
    int rc = sim_file_commit(&tl->file, e);
    free_all(tl);
    return rc;
}

void sim_timeline_abort(sim_timeline *tl)
{
    if (!tl)
        return;
    sim_file_abort(&tl->file);
    free_all(tl);
}

static unsigned track_of(sim_timeline *tl, const char *group, const char *name, bool inflight)
{
    unsigned pid = 0;
    for (unsigned i = 0; i < tl->ntracks; i++) {
        if (tl->tracks[i].lane || strcmp(tl->tracks[i].group, group))
            continue;
        pid = tl->tracks[i].pid;
        if (!strcmp(tl->tracks[i].name, name))
            return i + 1;
    }
    if (!pid) {
        pid = ++tl->ngroups;
        put_meta(tl, "process_name", pid, 0);
        fprintf(tl->file.f, ",\"args\":{\"name\":\"%s\"}}", group);
        put_meta(tl, "process_sort_index", pid, 0);
        fprintf(tl->file.f, ",\"args\":{\"sort_index\":%u}}", pid);
    }
    tl->tracks = sim_xrealloc(tl->tracks, (tl->ntracks + 1) * sizeof *tl->tracks);
    tl->tracks[tl->ntracks] = (tl_track){.group = sim_xstrdup(group), .name = sim_xstrdup(name),
                                         .pid = pid, .inflight = inflight};
    unsigned tid = ++tl->ntracks;
    put_thread_name(tl, pid, tid, name, 0);
    return tid;
}

unsigned sim_timeline_track(sim_timeline *tl, const char *group, const char *name)
{
    return track_of(tl, group, name, false);
}

unsigned sim_timeline_track_inflight(sim_timeline *tl, const char *group, const char *name)
{
    return track_of(tl, group, name, true);
}

bool sim_timeline_wants(const sim_timeline *tl, uint64_t start_ps, uint64_t end_ps)
{
    return end_ps >= tl->from_ps && start_ps < tl->to_ps;
}

void sim_timeline_instant(sim_timeline *tl, unsigned track, const char *name, uint64_t t_ps)
{
    if (!track || track > tl->ntracks || !sim_timeline_wants(tl, t_ps, t_ps))
        return;
    FILE *f = tl->file.f;
    event_sep(tl);
    fprintf(f, "{\"ph\":\"i\",\"s\":\"t\",\"pid\":%u,\"tid\":%u,\"name\":\"%s\",\"ts\":",
            tl->tracks[track - 1].pid, track, name);
    put_us(f, ns_of(t_ps));
    fputc('}', f);
}

static unsigned name_of(sim_timeline *tl, const char *name)
{
    for (unsigned i = 0; i < tl->nnames; i++)
        if (!strcmp(tl->names[i], name))
            return i;
    tl->names = sim_xrealloc(tl->names, (tl->nnames + 1) * sizeof *tl->names);
    tl->names[tl->nnames] = sim_xstrdup(name);
    return tl->nnames++;
}

void sim_timeline_slice(sim_timeline *tl, unsigned track, const char *name, uint64_t start_ps,
                        uint64_t dur_ps, uint32_t packet)
{
    if (!track || track > tl->ntracks || !sim_timeline_wants(tl, start_ps, start_ps + dur_ps))
        return;
    uint64_t start_ns = ns_of(start_ps), end_ns = ns_of(start_ps + dur_ps);
    bool followed = packet && packet % tl->every == 0;
    if (!followed && !tl->tracks[track - 1].inflight) {
        put_slice(tl, tl->tracks[track - 1].pid, track, name, start_ns, end_ns, 0, 0);
        return;
    }
    if (tl->nkept == tl->kept_cap) {
        tl->kept_cap = tl->kept_cap ? 2 * tl->kept_cap : 1024;
        tl->kept = sim_xrealloc(tl->kept, tl->kept_cap * sizeof *tl->kept);
    }
    tl->kept[tl->nkept] = (tl_slice){start_ns, end_ns, tl->nkept, followed ? packet : 0, track,
                                     name_of(tl, name), 0};
    tl->nkept++;
}
