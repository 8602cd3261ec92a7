/* A run's timeline as Chrome trace-event JSON (see sim/timeline.h). */
#include "sim/timeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/files.h"

/* A group is a "process" of the trace format (pid), a track a "thread" in it (tid). */
typedef struct tl_track {
    char *group, *name;
    unsigned pid;
} tl_track;

/* A followed packet's step, kept until the file closes: steps are booked out of time
 * order (a stage's slice is written after the nested ones it holds), and a flow must
 * start ("s") at its earliest step. */
typedef struct tl_step {
    uint32_t packet;
    unsigned pid, tid;
    uint64_t t_ps, seq;
} tl_step;

struct sim_timeline {
    uint64_t from_ps, to_ps;
    uint32_t every;
    sim_file file;
    tl_track *tracks;
    unsigned ntracks, ngroups;
    tl_step *steps;
    size_t nsteps, steps_cap;
    bool any; /* an event written: the next needs a comma */
};

static void event_sep(sim_timeline *tl)
{
    fputs(tl->any ? ",\n" : "\n", tl->file.f);
    tl->any = true;
}

/* Picoseconds as microseconds with every digit. */
static void put_us(FILE *f, uint64_t ps)
{
    fprintf(f, "%" PRIu64 ".%06" PRIu64, ps / 1000000u, ps % 1000000u);
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
    }
    free(tl->tracks);
    free(tl->steps);
    free(tl);
}

static int by_packet_time(const void *a, const void *b)
{
    const tl_step *x = a, *y = b;
    if (x->packet != y->packet)
        return x->packet < y->packet ? -1 : 1;
    if (x->t_ps != y->t_ps)
        return x->t_ps < y->t_ps ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The flows, each in time order: "s" at the first step, "t" at the middle ones, "f" at
 * the last, each bound to the slice that encloses it ("bp":"e"). */
static void write_flows(sim_timeline *tl)
{
    if (!tl->nsteps) /* qsort wants an array, even of none */
        return;
    qsort(tl->steps, tl->nsteps, sizeof *tl->steps, by_packet_time);
    FILE *f = tl->file.f;
    for (size_t i = 0; i < tl->nsteps; i++) {
        const tl_step *s = &tl->steps[i];
        bool first = i == 0 || tl->steps[i - 1].packet != s->packet;
        bool last = i + 1 == tl->nsteps || tl->steps[i + 1].packet != s->packet;
        event_sep(tl);
        fprintf(f, "{\"ph\":\"%s\",\"bp\":\"e\",\"cat\":\"packet\",\"name\":\"packet\",\"id\":%" PRIu32
                   ",\"pid\":%u,\"tid\":%u,\"ts\":",
                first ? "s" : last ? "f" : "t", s->packet, s->pid, s->tid);
        put_us(f, s->t_ps);
        fputc('}', f);
    }
}

int sim_timeline_close(sim_timeline *tl, sim_err *e)
{
    write_flows(tl);
    fputs("\n]}\n", tl->file.f);
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

unsigned sim_timeline_track(sim_timeline *tl, const char *group, const char *name)
{
    unsigned pid = 0;
    for (unsigned i = 0; i < tl->ntracks; i++) {
        if (strcmp(tl->tracks[i].group, group))
            continue;
        pid = tl->tracks[i].pid;
        if (!strcmp(tl->tracks[i].name, name))
            return i + 1;
    }
    FILE *f = tl->file.f;
    if (!pid) {
        pid = ++tl->ngroups;
        event_sep(tl);
        fprintf(f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,\"args\":{\"name\":\"%s\"}}",
                pid, group);
    }
    tl->tracks = sim_xrealloc(tl->tracks, (tl->ntracks + 1) * sizeof *tl->tracks);
    tl->tracks[tl->ntracks] = (tl_track){sim_xstrdup(group), sim_xstrdup(name), pid};
    unsigned tid = ++tl->ntracks;
    event_sep(tl);
    fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":"
               "\"%s\"}}",
            pid, tid, name);
    return tid;
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
    put_us(f, t_ps);
    fputc('}', f);
}

void sim_timeline_slice(sim_timeline *tl, unsigned track, const char *name, uint64_t start_ps,
                        uint64_t dur_ps, uint32_t packet)
{
    if (!track || track > tl->ntracks || !sim_timeline_wants(tl, start_ps, start_ps + dur_ps))
        return;
    FILE *f = tl->file.f;
    unsigned pid = tl->tracks[track - 1].pid;
    event_sep(tl);
    fprintf(f, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"name\":\"%s\",\"ts\":", pid, track, name);
    put_us(f, start_ps);
    fputs(",\"dur\":", f);
    put_us(f, dur_ps);
    fputc('}', f);
    if (!packet || packet % tl->every)
        return;
    /* The flow's step, inside the slice it binds to (written at the close). */
    if (tl->nsteps == tl->steps_cap) {
        tl->steps_cap = tl->steps_cap ? 2 * tl->steps_cap : 1024;
        tl->steps = sim_xrealloc(tl->steps, tl->steps_cap * sizeof *tl->steps);
    }
    tl->steps[tl->nsteps] = (tl_step){packet, pid, track, start_ps + (dur_ps > 1 ? 1 : 0),
                                      tl->nsteps};
    tl->nsteps++;
}
