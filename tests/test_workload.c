/* Workload files, sweeps and command-line overrides. Fixtures are in tests/data/wl. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/workload.h"
#include "sim/params.h"

static sim_params *registry(void)
{
    sim_params *p = sim_params_create();
    sim_params_add_uint(p, "pcie.mps_bytes", 256, 128, 4096, "bytes", "Max Payload Size");
    sim_params_add_uint(p, "pcie.lanes", 16, 1, 32, "", "Link width in lanes");
    sim_params_add_enum(p, "run.kernel", "systemc", "systemc|native", "Simulation kernel");
    sim_params_add_string(p, "run.name", "", "Results folder name");
    sim_params_add_uint(p, "run.seed", 1, 0, UINT64_MAX, "", "Random seed");
    sim_params_add_double(p, "link.latency_ns", 5.0, 0.0, 1e6, "ns", "Wire latency");
    sim_params_add_uint(p, "link.delay_ps", 0, 0, UINT64_MAX, "ps", "Extra delay");
    sim_params_add_uint(p, "dma.size_bytes", 64, 1, 65536, "bytes", "Transfer size");
    sim_params_add_uint(p, "dma.outstanding", 1, 1, 1024, "", "Requests in flight");
    sim_params_add_double(p, "dma.load", 0.5, 0.0, 1.0, "", "Offered load");
    sim_params_add_bool(p, "iommu.enabled", true, "DMA remapping on");
    return p;
}

static sim_params *reg;
static sim_err e;

static void setup(void)
{
    reg = registry();
    e.msg[0] = '\0';
}

static void teardown(void)
{
    sim_params_destroy(reg);
}

/* The fixture's path as the tests name it (and as messages will show it). */
static const char *fixture(const char *name)
{
    static char path[4][1024];
    static int next;
    const char *top = getenv("TOP_SRCDIR");
    char *buf = path[next++ % 4];
    snprintf(buf, sizeof path[0], "%s/tests/data/wl/%s", top && *top ? top : ".", name);
    return buf;
}

static app_workload *load_ok(const char *name)
{
    app_workload *w = app_workload_load(fixture(name), reg, &e);
    ck_assert_msg(w != NULL, "loading %s failed: %s", name, e.msg);
    return w;
}

/* Loading fails with exactly "<fixture path>:<rest>". */
static void load_fails(const char *name, const char *rest)
{
    app_workload *w = app_workload_load(fixture(name), reg, &e);
    ck_assert_msg(w == NULL, "%s loaded", name);
    char want[2 * sizeof e.msg];
    snprintf(want, sizeof want, "%s:%s", fixture(name), rest);
    ck_assert_str_eq(e.msg, want);
}

/* A copy of the registry with point i applied. */
static sim_params *applied(const app_workload *w, size_t i)
{
    sim_params *q = sim_params_clone(reg);
    ck_assert_msg(app_workload_apply(w, i, q, &e) == 0, "apply: %s", e.msg);
    return q;
}

static const char *value_of(const app_workload *w, const char *name)
{
    for (size_t i = 0; i < app_workload_settings(w); i++)
        if (!strcmp(app_workload_setting(w, i)->name, name))
            return app_workload_setting(w, i)->value;
    return NULL;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

START_TEST(test_file_sets_values)
{
    app_workload *w = load_ok("basic.ini");
    ck_assert_str_eq(app_workload_path(w), fixture("basic.ini"));
    ck_assert_str_eq(app_workload_basename(w), "basic");
    ck_assert_uint_eq(app_workload_axes(w), 0);
    ck_assert_uint_eq(app_workload_points(w), 1);
    ck_assert_uint_eq(app_workload_settings(w), 6);
    /* an indented key right after a section header is a key, not a continuation */
    ck_assert_str_eq(app_workload_setting(w, 0)->name, "pcie.lanes");
    ck_assert(ends_with(app_workload_setting(w, 0)->where, "wl/basic.ini:5"));
    const app_setting *s = app_workload_setting(w, 1);
    ck_assert_str_eq(s->name, "pcie.mps_bytes");
    ck_assert_str_eq(s->value, "4KiB");
    ck_assert(ends_with(s->where, "wl/basic.ini:6"));
    /* an indented line continues an ordinary value with a space */
    ck_assert_str_eq(value_of(w, "run.name"), "first second");

    sim_params *q = applied(w, 0);
    ck_assert_uint_eq(sim_params_uint(q, "pcie.mps_bytes"), 4096);
    ck_assert_uint_eq(sim_params_uint(q, "pcie.lanes"), 8);
    ck_assert(sim_params_double(q, "link.latency_ns") == 0.25);
    ck_assert_str_eq(sim_params_enum(q, "run.kernel"), "native");
    ck_assert(!sim_params_bool(q, "iommu.enabled"));
    sim_params_destroy(q);
    /* the registry itself is untouched */
    ck_assert_uint_eq(sim_params_uint(reg, "pcie.lanes"), 16);
    app_workload_destroy(w);
}
END_TEST

START_TEST(test_crlf_lines)
{
    app_workload *w = load_ok("crlf.ini");
    ck_assert_str_eq(value_of(w, "pcie.lanes"), "2");
    ck_assert(ends_with(app_workload_setting(w, 1)->where, "crlf.ini:4"));
    app_workload_destroy(w);
}
END_TEST

START_TEST(test_include_relative_later_wins)
{
    app_workload *w = load_ok("top.ini");
    /* common.ini (included by platform/base.ini, relative to it) sets the kernel and
     * mps; base.ini overrides mps; top.ini overrides lanes */
    ck_assert_uint_eq(app_workload_settings(w), 3);
    ck_assert_str_eq(value_of(w, "run.kernel"), "native");
    ck_assert_str_eq(value_of(w, "pcie.mps_bytes"), "512");
    ck_assert_str_eq(value_of(w, "pcie.lanes"), "8");
    for (size_t i = 0; i < app_workload_settings(w); i++) {
        const app_setting *s = app_workload_setting(w, i);
        if (!strcmp(s->name, "pcie.lanes"))
            ck_assert(ends_with(s->where, "wl/top.ini:4"));
        if (!strcmp(s->name, "pcie.mps_bytes"))
            ck_assert(ends_with(s->where, "wl/platform/base.ini:4"));
        if (!strcmp(s->name, "run.kernel"))
            ck_assert(ends_with(s->where, "wl/platform/common.ini:2"));
    }
    sim_params *q = applied(w, 0);
    ck_assert_uint_eq(sim_params_uint(q, "pcie.lanes"), 8);
    ck_assert_uint_eq(sim_params_uint(q, "pcie.mps_bytes"), 512);
    sim_params_destroy(q);
    app_workload_destroy(w);
}
END_TEST

/* What `iovsim config` and the results folder's copy of the workload rest on: the files
 * read, in order, with the line that included each, and what each setting replaced. */
START_TEST(test_include_files_and_over)
{
    app_workload *w = load_ok("top.ini");
    ck_assert_uint_eq(app_workload_files(w), 3);
    ck_assert_str_eq(app_workload_file_path(w, 0), fixture("top.ini"));
    ck_assert_ptr_null(app_workload_file_included_at(w, 0));
    ck_assert(ends_with(app_workload_file_path(w, 1), "wl/platform/base.ini"));
    ck_assert(ends_with(app_workload_file_included_at(w, 1), "wl/top.ini:2"));
    ck_assert(ends_with(app_workload_file_path(w, 2), "wl/platform/common.ini"));
    ck_assert(ends_with(app_workload_file_included_at(w, 2), "wl/platform/base.ini:1"));
    for (size_t i = 0; i < app_workload_settings(w); i++) {
        const app_setting *s = app_workload_setting(w, i);
        if (!strcmp(s->name, "pcie.lanes"))
            ck_assert(ends_with(s->over, "wl/platform/base.ini:3"));
        if (!strcmp(s->name, "pcie.mps_bytes"))
            ck_assert(ends_with(s->over, "wl/platform/common.ini:4"));
        if (!strcmp(s->name, "run.kernel"))
            ck_assert_ptr_null(s->over);
    }
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "pcie.lanes=1,2", &e), 0);
    ck_assert_int_eq(app_workload_override_set(w, reg, "pcie.lanes=16", &e), 0);
    const app_setting *last = app_workload_setting(w, app_workload_settings(w) - 1);
    ck_assert_str_eq(last->where, "--set");
    ck_assert(!strncmp(last->over, "--sweep, ", 9));
    ck_assert_ptr_nonnull(strstr(last->over, "wl/top.ini:4, "));
    ck_assert(ends_with(last->over, "wl/platform/base.ini:3"));
    app_workload_destroy(w);
}
END_TEST

START_TEST(test_duplicate_key)
{
    char rest[1024];
    snprintf(rest, sizeof rest, "8: duplicate key 'pcie.lanes' (first at %s:3)", fixture("dup.ini"));
    load_fails("dup.ini", rest);
    snprintf(rest, sizeof rest, "3: duplicate key 'x' in [plot a] (first at %s:2)",
             fixture("plot_dup.ini"));
    load_fails("plot_dup.ini", rest);
}
END_TEST

START_TEST(test_missing_include)
{
    char rest[1024];
    snprintf(rest, sizeof rest, "3: include 'nope.ini': cannot open %s: No such file or directory",
             fixture("nope.ini"));
    load_fails("missing_include.ini", rest);
    app_workload *w = app_workload_load(fixture("no-such-file.ini"), reg, &e);
    ck_assert_ptr_null(w);
    char want[1024];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory",
             fixture("no-such-file.ini"));
    ck_assert_str_eq(e.msg, want);
}
END_TEST

START_TEST(test_include_loop)
{
    char rest[1024];
    snprintf(rest, sizeof rest, "1: include loop: %s -> %s -> %s", fixture("loop_a.ini"),
             fixture("loop_b.ini"), fixture("loop_a.ini"));
    ck_assert_ptr_null(app_workload_load(fixture("loop_a.ini"), reg, &e));
    char want[2048];
    snprintf(want, sizeof want, "%s:%s", fixture("loop_b.ini"), rest);
    ck_assert_str_eq(e.msg, want);
    snprintf(rest, sizeof rest, "1: include loop: %s -> %s", fixture("self.ini"),
             fixture("self.ini"));
    load_fails("self.ini", rest);
}
END_TEST

START_TEST(test_unknown_parameter)
{
    load_fails("unknown.ini",
               "5: unknown parameter 'pcie.mps_byte' (did you mean 'pcie.mps_bytes'?)");
    load_fails("unknown_section.ini",
               "2: unknown parameter 'pcei.lanes' (did you mean 'pcie.lanes'?)");
    load_fails("wrongsection.ini",
               "2: unknown parameter 'link.mps_bytes' (did you mean 'pcie.mps_bytes'?)");
}
END_TEST

START_TEST(test_bad_and_out_of_range_values)
{
    load_fails("badvalue.ini", "3: parameter 'pcie.mps_bytes': '300x' is not a number of bytes");
    load_fails("range.ini", "5: parameter 'pcie.lanes' = 40 is out of range [1, 32]");
}
END_TEST

START_TEST(test_long_line)
{
    load_fails("longline.ini", "4: line longer than 199 characters");
    /* a problem on an earlier line is reported first */
    load_fails("longline_after.ini", "2: parameter 'pcie.lanes' = 40 is out of range [1, 32]");
    /* 199 characters fit */
    app_workload *w = load_ok("longline_ok.ini");
    ck_assert_uint_eq(strlen(value_of(w, "run.name")), 199 - strlen("name = "));
    app_workload_destroy(w);
}
END_TEST

START_TEST(test_structure_errors)
{
    load_fails("outside.ini", "1: key 'lanes' is outside any section (only include may come "
                              "before the first [section])");
    load_fails("include_late.ini", "2: include must come before the first [section]");
    load_fails("syntax.ini", "3: expected 'key = value', '[section]' or a comment");
    char rest[1024];
    snprintf(rest, sizeof rest, "4: parameter 'pcie.lanes' is swept here and also set at %s:2",
             fixture("set_and_swept.ini"));
    load_fails("set_and_swept.ini", rest);
}
END_TEST

START_TEST(test_multiline_sweep)
{
    app_workload *w = load_ok("multiline.ini");
    ck_assert_uint_eq(app_workload_axes(w), 2);
    ck_assert_str_eq(app_workload_axis_name(w, 0), "pcie.mps_bytes");
    ck_assert_uint_eq(app_workload_axis_len(w, 0), 4);
    static const char *const mps[] = {"128", "256", "512", "1024"};
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(app_workload_axis_value(w, 0, i), mps[i]);
    ck_assert(ends_with(app_workload_axis_where(w, 0), "multiline.ini:6"));
    ck_assert_str_eq(app_workload_axis_name(w, 1), "run.kernel");
    ck_assert_uint_eq(app_workload_axis_len(w, 1), 2);
    ck_assert_str_eq(app_workload_axis_value(w, 1, 1), "native");
    ck_assert(ends_with(app_workload_axis_where(w, 1), "multiline.ini:11"));
    /* line numbers stay right after continuations, comments and blank lines */
    ck_assert(ends_with(app_workload_setting(w, 1)->where, "multiline.ini:15"));
    ck_assert_uint_eq(app_workload_points(w), 8);
    app_workload_destroy(w);
    load_fails("multiline_bad.ini",
               "15: unknown parameter 'dma.size_byte' (did you mean 'dma.size_bytes'?)");
    /* a bad value in a continuation names the key's line */
    load_fails("cont_bad.ini", "2: parameter 'pcie.lanes' = 40 is out of range [1, 32]");
}
END_TEST

START_TEST(test_range_syntax)
{
    app_workload *w = load_ok("sweep_range.ini");
    ck_assert_uint_eq(app_workload_axes(w), 2);
    /* 64, 128, ... 1472: 1500 is not a multiple of 64, so the last is 23 * 64 */
    ck_assert_uint_eq(app_workload_axis_len(w, 0), 23);
    ck_assert_str_eq(app_workload_axis_value(w, 0, 0), "64");
    ck_assert_str_eq(app_workload_axis_value(w, 0, 1), "128");
    ck_assert_str_eq(app_workload_axis_value(w, 0, 22), "1472");
    /* 1, 2, 4, ... 64 */
    ck_assert_uint_eq(app_workload_axis_len(w, 1), 7);
    ck_assert_str_eq(app_workload_axis_value(w, 1, 0), "1");
    ck_assert_str_eq(app_workload_axis_value(w, 1, 6), "64");
    ck_assert_uint_eq(app_workload_points(w), 23 * 7);
    app_workload_destroy(w);
}
END_TEST

/* An axis given on the command line to an empty workload. */
static app_workload *swept(const char *assignment)
{
    app_workload *w = app_workload_empty();
    ck_assert_msg(app_workload_override_sweep(w, reg, assignment, &e) == 0, "%s: %s", assignment,
                  e.msg);
    return w;
}

static void sweep_fails(const char *assignment, const char *msg)
{
    app_workload *w = app_workload_empty();
    ck_assert_int_eq(app_workload_override_sweep(w, reg, assignment, &e), -1);
    ck_assert_str_eq(e.msg, msg);
    ck_assert_uint_eq(app_workload_axes(w), 0);
    app_workload_destroy(w);
}

START_TEST(test_range_forms)
{
    app_workload *w = swept("dma.outstanding=1..4");
    ck_assert_uint_eq(app_workload_axis_len(w, 0), 4);
    ck_assert_str_eq(app_workload_axis_value(w, 0, 3), "4");
    app_workload_destroy(w);
    /* inclusive of the end when a value lands on it, despite 0.1's rounding */
    w = swept("dma.load = 0.1 .. 0.3 step 0.1");
    ck_assert_uint_eq(app_workload_axis_len(w, 0), 3);
    ck_assert_str_eq(app_workload_axis_value(w, 0, 0), "0.1");
    ck_assert_str_eq(app_workload_axis_value(w, 0, 1), "0.2");
    ck_assert_str_eq(app_workload_axis_value(w, 0, 2), "0.3");
    app_workload_destroy(w);
    /* units on bounds and step, values written in the parameter's unit */
    w = swept("link.delay_ps=1us..2us step 250ns");
    ck_assert_uint_eq(app_workload_axis_len(w, 0), 5);
    ck_assert_str_eq(app_workload_axis_value(w, 0, 1), "1250000");
    ck_assert_str_eq(app_workload_axis_value(w, 0, 4), "2000000");
    app_workload_destroy(w);
    w = swept("pcie.mps_bytes=128..4KiB *2");
    ck_assert_uint_eq(app_workload_axis_len(w, 0), 6);
    ck_assert_str_eq(app_workload_axis_value(w, 0, 5), "4096");
    app_workload_destroy(w);
    w = swept("dma.load=0.25..1 * 2");
    ck_assert_uint_eq(app_workload_axis_len(w, 0), 3);
    ck_assert_str_eq(app_workload_axis_value(w, 0, 0), "0.25");
    app_workload_destroy(w);
    w = swept("pcie.lanes=4..4");
    ck_assert_uint_eq(app_workload_axis_len(w, 0), 1);
    app_workload_destroy(w);

    sweep_fails("dma.outstanding=1..8 step 0",
                "--sweep: sweep axis 'dma.outstanding': range '1..8 step 0' needs a step "
                "greater than 0");
    sweep_fails("dma.outstanding=1..8 step -1",
                "--sweep: sweep axis 'dma.outstanding': range '1..8 step -1' needs a step "
                "greater than 0");
    sweep_fails("dma.outstanding=1..8 *1",
                "--sweep: sweep axis 'dma.outstanding': range '1..8 *1' needs a factor greater "
                "than 1");
    sweep_fails("dma.outstanding=1..8 *x",
                "--sweep: sweep axis 'dma.outstanding': range '1..8 *x' has a factor that is "
                "not a plain number");
    sweep_fails("dma.outstanding=8..1",
                "--sweep: sweep axis 'dma.outstanding': range '8..1' is empty (its start is "
                "above its end)");
    sweep_fails("dma.load=0..1 *2",
                "--sweep: sweep axis 'dma.load': range '0..1 *2' is geometric and must start "
                "above 0");
    sweep_fails("link.delay_ps=0..1s step 1ps",
                "--sweep: sweep axis 'link.delay_ps': range '0..1s step 1ps' gives more than "
                "100000 values");
    sweep_fails("dma.outstanding=1..",
                "--sweep: sweep axis 'dma.outstanding': range '1..' is not A..B, A..B step S or "
                "A..B *F (e.g. 64..1500 step 64, 1..64 *2)");
    sweep_fails("dma.outstanding=1..8 step",
                "--sweep: sweep axis 'dma.outstanding': range '1..8 step' is not A..B, A..B "
                "step S or A..B *F (e.g. 64..1500 step 64, 1..64 *2)");
    sweep_fails("dma.outstanding=1..8 step 2 *2",
                "--sweep: sweep axis 'dma.outstanding': range '1..8 step 2 *2' is not A..B, "
                "A..B step S or A..B *F (e.g. 64..1500 step 64, 1..64 *2)");
    sweep_fails("dma.outstanding=1..lots",
                "--sweep: parameter 'dma.outstanding': 'lots' is not a number");
    /* every generated value is checked */
    sweep_fails("pcie.lanes=8..64 *2", "--sweep: parameter 'pcie.lanes' = 64 is out of range "
                                       "[1, 32]");
    sweep_fails("dma.outstanding=1..2 step 0.5",
                "--sweep: parameter 'dma.outstanding': '1.5' is not a whole number");
}
END_TEST

START_TEST(test_lists)
{
    app_workload *w = swept("pcie.mps_bytes= 128 ,256,  4KiB ");
    ck_assert_uint_eq(app_workload_axis_len(w, 0), 3);
    ck_assert_str_eq(app_workload_axis_value(w, 0, 0), "128");
    ck_assert_str_eq(app_workload_axis_value(w, 0, 2), "4KiB");
    ck_assert_str_eq(app_workload_axis_where(w, 0), "--sweep");
    sim_params *q = applied(w, 2);
    ck_assert_uint_eq(sim_params_uint(q, "pcie.mps_bytes"), 4096);
    sim_params_destroy(q);
    app_workload_destroy(w);
    /* a name with dots in its values is not a range unless the parameter is numeric */
    w = swept("run.name=a..b, c");
    ck_assert_str_eq(app_workload_axis_value(w, 0, 0), "a..b");
    app_workload_destroy(w);

    sweep_fails("pcie.mps_bytes=128,,256",
                "--sweep: sweep axis 'pcie.mps_bytes': empty value in list '128,,256'");
    sweep_fails("pcie.mps_bytes=128, 256,",
                "--sweep: sweep axis 'pcie.mps_bytes': empty value in list '128, 256,'");
    sweep_fails("pcie.mps_bytes=128, 9999",
                "--sweep: parameter 'pcie.mps_bytes' = 9999 is out of range [128, 4096] bytes");
    sweep_fails("run.kernel=native, fast",
                "--sweep: parameter 'run.kernel': 'fast' is not one of systemc, native");
    sweep_fails("run.sede=1, 2",
                "--sweep: unknown parameter 'run.sede' (did you mean 'run.seed'?)");
}
END_TEST

START_TEST(test_empty_axis)
{
    load_fails("empty_axis.ini", "4: sweep axis 'pcie.mps_bytes' has no values");
    sweep_fails("run.seed=", "--sweep: sweep axis 'run.seed' has no values");
    sweep_fails("run.seed=  ", "--sweep: sweep axis 'run.seed' has no values");
}
END_TEST

START_TEST(test_points_order)
{
    app_workload *w = load_ok("points.ini");
    ck_assert_uint_eq(app_workload_axes(w), 2);
    ck_assert_uint_eq(app_workload_points(w), 6);
    /* the last axis varies fastest */
    static const struct {
        uint64_t lanes;
        const char *kernel;
    } want[] = {{1, "systemc"}, {1, "native"}, {2, "systemc"},
                {2, "native"},  {4, "systemc"}, {4, "native"}};
    for (size_t i = 0; i < 6; i++) {
        sim_params *q = applied(w, i);
        ck_assert_uint_eq(sim_params_uint(q, "pcie.lanes"), want[i].lanes);
        ck_assert_str_eq(sim_params_enum(q, "run.kernel"), want[i].kernel);
        ck_assert_uint_eq(sim_params_uint(q, "pcie.mps_bytes"), 256);
        sim_params_destroy(q);
    }
    app_workload_destroy(w);
}
END_TEST

START_TEST(test_set_overrides)
{
    app_workload *w = load_ok("points.ini");
    ck_assert_int_eq(app_workload_override_set(w, reg, "pcie.lanes=8", &e), 0);
    /* fixing a swept parameter removes its axis */
    ck_assert_uint_eq(app_workload_axes(w), 1);
    ck_assert_str_eq(app_workload_axis_name(w, 0), "run.kernel");
    ck_assert_uint_eq(app_workload_points(w), 2);
    ck_assert_int_eq(app_workload_override_set(w, reg, " pcie.mps_bytes = 1KiB ", &e), 0);
    ck_assert_str_eq(value_of(w, "pcie.mps_bytes"), "1KiB");
    const app_setting *last = app_workload_setting(w, app_workload_settings(w) - 1);
    ck_assert_str_eq(last->name, "pcie.mps_bytes");
    ck_assert_str_eq(last->where, "--set");
    sim_params *q = applied(w, 1);
    ck_assert_uint_eq(sim_params_uint(q, "pcie.lanes"), 8);
    ck_assert_uint_eq(sim_params_uint(q, "pcie.mps_bytes"), 1024);
    ck_assert_str_eq(sim_params_enum(q, "run.kernel"), "native");
    sim_params_destroy(q);
    /* a string may be set to nothing */
    ck_assert_int_eq(app_workload_override_set(w, reg, "run.name=", &e), 0);

    ck_assert_int_eq(app_workload_override_set(w, reg, "x", &e), -1);
    ck_assert_str_eq(e.msg, "--set: expected name=value, got 'x'");
    ck_assert_int_eq(app_workload_override_set(w, reg, "=5", &e), -1);
    ck_assert_str_eq(e.msg, "--set: expected name=value, got '=5'");
    ck_assert_int_eq(app_workload_override_set(w, reg, "run.sede=3", &e), -1);
    ck_assert_str_eq(e.msg, "--set: unknown parameter 'run.sede' (did you mean 'run.seed'?)");
    ck_assert_int_eq(app_workload_override_set(w, reg, "pcie.lanes=64", &e), -1);
    ck_assert_str_eq(e.msg, "--set: parameter 'pcie.lanes' = 64 is out of range [1, 32]");
    ck_assert_int_eq(app_workload_override_set(w, reg, "pcie.lanes=", &e), -1);
    ck_assert_str_eq(e.msg, "--set: parameter 'pcie.lanes': '' is not a number");
    /* refused overrides change nothing */
    ck_assert_str_eq(value_of(w, "pcie.lanes"), "8");
    app_workload_destroy(w);
}
END_TEST

/* exclude leaves out the points where all conditions of a rule hold, the others keep
 * the product's order; conditions may read fixed values, and overrides re-apply it. */
START_TEST(test_exclude)
{
    app_workload *w = load_ok("exclude.ini");
    ck_assert_uint_eq(app_workload_points(w), 5);
    static const struct {
        uint64_t lanes;
        const char *kernel;
    } want[] = {{1, "systemc"}, {2, "systemc"}, {2, "native"}, {4, "systemc"}, {4, "native"}};
    for (size_t i = 0; i < 5; i++) {
        sim_params *q = applied(w, i);
        ck_assert_uint_eq(sim_params_uint(q, "pcie.lanes"), want[i].lanes);
        ck_assert_str_eq(sim_params_enum(q, "run.kernel"), want[i].kernel);
        sim_params_destroy(q);
    }
    /* The second rule now holds for 4 lanes (written "512" or "0.5KiB"). */
    ck_assert_int_eq(app_workload_override_set(w, reg, "pcie.mps_bytes=0.5KiB", &e), 0);
    ck_assert_uint_eq(app_workload_points(w), 3);
    /* A fixed kernel: the first rule holds for one lane, so one point is left. */
    ck_assert_int_eq(app_workload_override_set(w, reg, "run.kernel=native", &e), 0);
    ck_assert_uint_eq(app_workload_points(w), 1);
    sim_params *q = applied(w, 0);
    ck_assert_uint_eq(sim_params_uint(q, "pcie.lanes"), 2);
    sim_params_destroy(q);
    /* Leaving nothing is an error naming the rule. */
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "pcie.lanes=1,4", &e), -1);
    ck_assert_msg(strstr(e.msg, "exclude.ini:9: exclude leaves no point"), "%s", e.msg);
    app_workload_destroy(w);
    load_fails("exclude_bad.ini", "3: exclude: unknown parameter 'pcie.lanez' (did you mean "
                                  "'pcie.lanes'?)");
    load_fails("exclude_syntax.ini", "3: exclude: 'pcie.lanes' is not NAME=VALUE or NAME!=VALUE");
}
END_TEST

/* Zipped axes take their values together, as one dimension where the first of them
 * stands; exclude reads them as any axis. */
START_TEST(test_zip)
{
    app_workload *w = load_ok("zip.ini");
    ck_assert_uint_eq(app_workload_axes(w), 3);
    ck_assert_uint_eq(app_workload_points(w), 5);
    static const struct {
        uint64_t lanes, outstanding;
        const char *kernel;
    } want[] = {{1, 8, "systemc"},
                {1, 8, "native"},
                {2, 16, "systemc"},
                {4, 32, "systemc"},
                {4, 32, "native"}};
    for (size_t i = 0; i < 5; i++) {
        sim_params *q = applied(w, i);
        ck_assert_uint_eq(sim_params_uint(q, "pcie.lanes"), want[i].lanes);
        ck_assert_uint_eq(sim_params_uint(q, "dma.outstanding"), want[i].outstanding);
        ck_assert_str_eq(sim_params_enum(q, "run.kernel"), want[i].kernel);
        sim_params_destroy(q);
    }
    ck_assert_int_eq(app_workload_check(w, &e), 0);
    /* One --sweep may leave a zip uneven until the next evens it. */
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "pcie.lanes=1,2", &e), 0);
    ck_assert_int_eq(app_workload_check(w, &e), -1);
    char want_msg[sizeof e.msg];
    snprintf(want_msg, sizeof want_msg,
             "%s:6: zip: the axes it pairs need as many values each: 'pcie.lanes' has 2 "
             "(--sweep), 'dma.outstanding' has 3 (%s:7)",
             fixture("zip.ini"), fixture("zip.ini"));
    ck_assert_str_eq(e.msg, want_msg);
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "dma.outstanding=4,8", &e), 0);
    ck_assert_int_eq(app_workload_check(w, &e), 0);
    ck_assert_uint_eq(app_workload_points(w), 4);
    /* --set takes a parameter out of its zip; --zip pairs others. */
    ck_assert_int_eq(app_workload_override_set(w, reg, "pcie.lanes=8", &e), 0);
    ck_assert_int_eq(app_workload_check(w, &e), 0);
    ck_assert_uint_eq(app_workload_points(w), 4);
    ck_assert_int_eq(app_workload_override_zip(w, reg, "dma.outstanding, run.kernel", &e), 0);
    ck_assert_uint_eq(app_workload_points(w), 2);
    sim_params *q = applied(w, 1);
    ck_assert_uint_eq(sim_params_uint(q, "dma.outstanding"), 8);
    ck_assert_str_eq(sim_params_enum(q, "run.kernel"), "native");
    sim_params_destroy(q);
    ck_assert_int_eq(app_workload_override_zip(w, reg, "dma.outstandin, run.kernel", &e), -1);
    ck_assert_str_eq(e.msg, "--zip: unknown parameter 'dma.outstandin' (did you mean "
                            "'dma.outstanding'?)");
    ck_assert_int_eq(app_workload_override_zip(w, reg, "run.kernel", &e), -1);
    ck_assert_str_eq(e.msg, "--zip: 'run.kernel' pairs nothing: name two swept parameters or "
                            "more, e.g. zip = A, B");
    ck_assert_int_eq(app_workload_override_zip(w, reg, "run.kernel, dma.outstanding, run.kernel",
                                               &e),
                     -1);
    ck_assert_str_eq(e.msg, "--zip: 'run.kernel' is named twice");
    app_workload_destroy(w);

    char rest[sizeof e.msg];
    snprintf(rest, sizeof rest,
             "2: zip: the axes it pairs need as many values each: 'pcie.lanes' has 3 (%s:3), "
             "'dma.outstanding' has 2 (%s:4)",
             fixture("zip_len.ini"), fixture("zip_len.ini"));
    load_fails("zip_len.ini", rest);
    snprintf(rest, sizeof rest, "5: zip: 'run.seed' is not swept: it is set at %s:2",
             fixture("zip_unswept.ini"));
    load_fails("zip_unswept.ini", rest);
}
END_TEST

/* Axes are counted as they come, zips included; a zip that takes a group apart is
 * counted again. */
START_TEST(test_zip_points)
{
    app_workload *w = app_workload_empty();
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "link.delay_ps=1..1000", &e), 0);
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "run.seed=1..1000", &e), 0);
    ck_assert_int_eq(app_workload_override_zip(w, reg, "link.delay_ps,run.seed", &e), 0);
    ck_assert_int_eq(app_workload_override_zip(w, reg, "dma.size_bytes,dma.outstanding", &e), 0);
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "dma.size_bytes=1..1000", &e), 0);
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "dma.outstanding=1..1000", &e), 0);
    ck_assert_uint_eq(app_workload_points(w), 1000000);
    ck_assert_int_eq(app_workload_override_zip(w, reg, "link.delay_ps,dma.size_bytes", &e), -1);
    ck_assert_str_eq(e.msg, "--zip: the sweep would have 1000000000 points, more than the "
                            "1000000 one sweep may have");
    app_workload_destroy(w);
}
END_TEST

START_TEST(test_sweep_overrides)
{
    app_workload *w = load_ok("points.ini");
    /* replaces an axis in place */
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "pcie.lanes=2,4,8,16", &e), 0);
    ck_assert_uint_eq(app_workload_axes(w), 2);
    ck_assert_str_eq(app_workload_axis_name(w, 0), "pcie.lanes");
    ck_assert_uint_eq(app_workload_axis_len(w, 0), 4);
    /* adds one at the end, and wins over a fixed value */
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "pcie.mps_bytes=128..512 *2", &e), 0);
    ck_assert_uint_eq(app_workload_axes(w), 3);
    ck_assert_str_eq(app_workload_axis_name(w, 2), "pcie.mps_bytes");
    ck_assert_ptr_null(value_of(w, "pcie.mps_bytes"));
    ck_assert_uint_eq(app_workload_points(w), 4 * 2 * 3);
    sim_params *q = applied(w, 4 * 2 * 3 - 1);
    ck_assert_uint_eq(sim_params_uint(q, "pcie.lanes"), 16);
    ck_assert_str_eq(sim_params_enum(q, "run.kernel"), "native");
    ck_assert_uint_eq(sim_params_uint(q, "pcie.mps_bytes"), 512);
    sim_params_destroy(q);
    q = applied(w, 1);
    ck_assert_uint_eq(sim_params_uint(q, "pcie.lanes"), 2);
    ck_assert_str_eq(sim_params_enum(q, "run.kernel"), "systemc");
    ck_assert_uint_eq(sim_params_uint(q, "pcie.mps_bytes"), 256);
    sim_params_destroy(q);

    ck_assert_int_eq(app_workload_override_sweep(w, reg, "pcie.lanes", &e), -1);
    ck_assert_str_eq(e.msg, "--sweep: expected name=list, got 'pcie.lanes'");
    ck_assert_int_eq(app_workload_override_sweep(w, reg, " =1,2", &e), -1);
    ck_assert_str_eq(e.msg, "--sweep: expected name=list, got ' =1,2'");
    ck_assert_uint_eq(app_workload_axes(w), 3);
    app_workload_destroy(w);
}
END_TEST

START_TEST(test_too_many_points)
{
    app_workload *w = app_workload_empty();
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "link.delay_ps=1..1000", &e), 0);
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "run.seed=1..1000", &e), 0);
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "dma.size_bytes=1..2000", &e), -1);
    ck_assert_str_eq(e.msg, "--sweep: sweep axis 'dma.size_bytes' (2000 values): the sweep would "
                            "have 2000000000 points, more than the 1000000 one sweep may have");
    ck_assert_uint_eq(app_workload_points(w), 1000000);
    /* Replacing an axis counts the others only. */
    ck_assert_int_eq(app_workload_override_sweep(w, reg, "run.seed=1..1000", &e), 0);
    app_workload_destroy(w);
}
END_TEST

START_TEST(test_plots_kept_raw)
{
    app_workload *w = load_ok("plot.ini");
    ck_assert_uint_eq(app_workload_settings(w), 1);
    ck_assert_uint_eq(app_workload_plots(w), 2);
    ck_assert_str_eq(app_workload_plot_name(w, 0), "latency");
    ck_assert(ends_with(app_workload_plot_where(w, 0), "plot.ini:4"));
    ck_assert_uint_eq(app_workload_plot_keys(w, 0), 3);
    const app_setting *k = app_workload_plot_key(w, 0, 1);
    ck_assert_str_eq(k->name, "y");
    ck_assert_str_eq(k->value, "latency_ns_p50");
    ck_assert(ends_with(k->where, "plot.ini:6"));
    ck_assert_str_eq(app_workload_plot_key(w, 0, 2)->value, "Latency by transfer size");
    ck_assert_str_eq(app_workload_plot_name(w, 1), "throughput");
    ck_assert(ends_with(app_workload_plot_where(w, 1), "plot.ini:9"));
    ck_assert_uint_eq(app_workload_plot_keys(w, 1), 1);
    ck_assert_str_eq(app_workload_plot_key(w, 1, 0)->value, "pcie.mps_bytes");
    app_workload_destroy(w);
}
END_TEST

START_TEST(test_empty_workload)
{
    app_workload *w = app_workload_empty();
    ck_assert_ptr_null(app_workload_path(w));
    ck_assert_str_eq(app_workload_basename(w), "");
    ck_assert_uint_eq(app_workload_points(w), 1);
    ck_assert_uint_eq(app_workload_settings(w), 0);
    ck_assert_uint_eq(app_workload_plots(w), 0);
    ck_assert_int_eq(app_workload_override_set(w, reg, "run.seed=7", &e), 0);
    sim_params *q = applied(w, 0);
    ck_assert_uint_eq(sim_params_uint(q, "run.seed"), 7);
    sim_params_destroy(q);
    app_workload_destroy(w);
}
END_TEST

static Suite *workload_suite(void)
{
    Suite *s = suite_create("workload");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_file_sets_values);
    tcase_add_test(tc, test_crlf_lines);
    tcase_add_test(tc, test_include_relative_later_wins);
    tcase_add_test(tc, test_include_files_and_over);
    tcase_add_test(tc, test_duplicate_key);
    tcase_add_test(tc, test_missing_include);
    tcase_add_test(tc, test_include_loop);
    tcase_add_test(tc, test_unknown_parameter);
    tcase_add_test(tc, test_bad_and_out_of_range_values);
    tcase_add_test(tc, test_long_line);
    tcase_add_test(tc, test_structure_errors);
    tcase_add_test(tc, test_multiline_sweep);
    tcase_add_test(tc, test_plots_kept_raw);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("sweeps");
    /* Generating and checking 13,000 range values takes seconds under the sanitizers on
     * a loaded machine: well past Check's 4-second default. */
    tcase_set_timeout(ts, 120);
    tcase_add_checked_fixture(ts, setup, teardown);
    tcase_add_test(ts, test_range_syntax);
    tcase_add_test(ts, test_range_forms);
    tcase_add_test(ts, test_lists);
    tcase_add_test(ts, test_empty_axis);
    tcase_add_test(ts, test_points_order);
    tcase_add_test(ts, test_set_overrides);
    tcase_add_test(ts, test_exclude);
    tcase_add_test(ts, test_zip);
    tcase_add_test(ts, test_zip_points);
    tcase_add_test(ts, test_sweep_overrides);
    tcase_add_test(ts, test_too_many_points);
    tcase_add_test(ts, test_empty_workload);
    suite_add_tcase(s, ts);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(workload_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
