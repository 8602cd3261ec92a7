/* The timeline writer (sim/timeline.h), event by event: ends rounded to whole ns (never
 * the duration on its own), a slice under 1 ns kept at 0 ns, an in-flight track's
 * overlapping slices on lanes sorted after it, version-2 flows in the order Perfetto
 * reads the slices, sort indexes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/timeline.h"

/* A timeline into a folder of its own (static: one at a time). */
static char tl_dir[64], tl_path[128];
static sim_timeline *opened(uint64_t from_ps, uint64_t to_ps, uint32_t every)
{
    strcpy(tl_dir, "/tmp/iovsim-test-timeline.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tl_dir));
    snprintf(tl_path, sizeof tl_path, "%s/tl.json", tl_dir);
    sim_err e = {{0}};
    sim_timeline *tl = sim_timeline_open(tl_path, from_ps, to_ps, every, &e);
    ck_assert_ptr_nonnull(tl);
    return tl;
}

/* The file `tl` wrote once closed; the file and its folder removed. */
static const char *closed(sim_timeline *tl)
{
    static char buf[8192];
    sim_err e = {{0}};
    ck_assert_int_eq(sim_timeline_close(tl, &e), 0);
    FILE *f = fopen(tl_path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    remove(tl_path);
    rmdir(tl_dir);
    return buf;
}

#define M_GROUP(pid, name)                                                                   \
    "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" #pid ",\"args\":{\"name\":\"" name   \
    "\"}},\n{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":" #pid                      \
    ",\"args\":{\"sort_index\":" #pid "}},\n"
#define M_TRACK(pid, tid, name)                                                              \
    "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" #pid ",\"tid\":" #tid                 \
    ",\"args\":{\"name\":\"" name "\"}},\n"
#define M_ORDER(pid, tid, at)                                                                \
    "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":" #pid ",\"tid\":" #tid           \
    ",\"args\":{\"sort_index\":" #at "}},\n"

START_TEST(test_events)
{
    sim_timeline *tl = opened(0, 1000000000, 1);
    unsigned link = sim_timeline_track(tl, "pcie", "up");
    unsigned q = sim_timeline_track_inflight(tl, "nic", "q rx");
    unsigned stage = sim_timeline_track(tl, "stages", "core 0");
    ck_assert_uint_eq(sim_timeline_track(tl, "nic", "q rx"), q);
    /* Back to back in ps, back to back in ns: [87, 90) then [90, 94), where rounding ts
     * and dur apart would make [87, 91) overlap [90, 94). */
    sim_timeline_slice(tl, link, "MWr", 86611, 3870, 0);
    sim_timeline_slice(tl, link, "MWr", 90481, 3870, 0);
    /* 0.3 ns: both ends round to 1 ns, the slice is kept at 0 ns. */
    sim_timeline_slice(tl, link, "tiny", 1100, 300, 0);
    sim_timeline_instant(tl, link, "exit", 2500);
    /* Packet 5: a stage, then (booked first) a DMA that starts in the same ns but is
     * shorter, then a later one; packet 7 has a single slice, so no flow. */
    sim_timeline_slice(tl, q, "data write", 1000400, 500000, 5);
    sim_timeline_slice(tl, stage, "guest-tx", 1000000, 2000000, 5);
    sim_timeline_slice(tl, q, "data write", 1200000, 100000, 0); /* overlaps: lane 2 */
    sim_timeline_slice(tl, q, "data write", 1250000, 100000, 0); /* overlaps both: lane 3 */
    sim_timeline_slice(tl, q, "data write", 1500400, 100000, 0); /* lane 1 again */
    sim_timeline_slice(tl, stage, "host-rx", 3000000, 1000, 5);
    sim_timeline_slice(tl, stage, "guest-tx", 4000000, 1000, 7);
    ck_assert_str_eq(
        closed(tl),
        "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
        M_GROUP(1, "pcie") M_TRACK(1, 1, "up")
        M_GROUP(2, "nic") M_TRACK(2, 2, "q rx")
        M_GROUP(3, "stages") M_TRACK(3, 3, "core 0")
        "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"name\":\"MWr\",\"ts\":0.087,\"dur\":0.003},\n"
        "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"name\":\"MWr\",\"ts\":0.090,\"dur\":0.004},\n"
        "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"name\":\"tiny\",\"ts\":0.001,\"dur\":0.000},\n"
        "{\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":1,\"name\":\"exit\",\"ts\":0.003},\n"
        M_TRACK(2, 4, "q rx #2") M_TRACK(2, 5, "q rx #3")
        M_ORDER(1, 1, 1) M_ORDER(2, 2, 2) M_ORDER(2, 4, 3) M_ORDER(2, 5, 4) M_ORDER(3, 3, 5)
        "{\"ph\":\"X\",\"pid\":3,\"tid\":3,\"name\":\"guest-tx\",\"ts\":1.000,\"dur\":2.000,"
        "\"bind_id\":5,\"flow_out\":true},\n"
        "{\"ph\":\"X\",\"pid\":2,\"tid\":2,\"name\":\"data write\",\"ts\":1.000,\"dur\":0.500,"
        "\"bind_id\":5,\"flow_in\":true,\"flow_out\":true},\n"
        "{\"ph\":\"X\",\"pid\":2,\"tid\":4,\"name\":\"data write\",\"ts\":1.200,\"dur\":0.100},\n"
        "{\"ph\":\"X\",\"pid\":2,\"tid\":5,\"name\":\"data write\",\"ts\":1.250,\"dur\":0.100},\n"
        "{\"ph\":\"X\",\"pid\":2,\"tid\":2,\"name\":\"data write\",\"ts\":1.500,\"dur\":0.100},\n"
        "{\"ph\":\"X\",\"pid\":3,\"tid\":3,\"name\":\"host-rx\",\"ts\":3.000,\"dur\":0.001,"
        "\"bind_id\":5,\"flow_in\":true},\n"
        "{\"ph\":\"X\",\"pid\":3,\"tid\":3,\"name\":\"guest-tx\",\"ts\":4.000,\"dur\":0.001}\n"
        "]}");
}
END_TEST

/* One packet in `every` is followed; what lies outside the window is left out. */
START_TEST(test_every_and_window)
{
    sim_timeline *tl = opened(1000000, 2000000, 2);
    unsigned t = sim_timeline_track(tl, "stages", "core 0");
    sim_timeline_slice(tl, t, "a", 0, 999999, 2);      /* ends before the window */
    sim_timeline_slice(tl, t, "a", 1000000, 1000, 3);  /* not followed */
    sim_timeline_slice(tl, t, "b", 1100000, 1000, 3);
    sim_timeline_slice(tl, t, "a", 1200000, 1000, 4);  /* followed */
    sim_timeline_slice(tl, t, "b", 1300000, 1000, 4);
    sim_timeline_slice(tl, t, "a", 2000000, 1000, 6);  /* starts at the window's end */
    ck_assert_str_eq(
        closed(tl),
        "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
        M_GROUP(1, "stages") M_TRACK(1, 1, "core 0")
        "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"name\":\"a\",\"ts\":1.000,\"dur\":0.001},\n"
        "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"name\":\"b\",\"ts\":1.100,\"dur\":0.001},\n"
        M_ORDER(1, 1, 1)
        "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"name\":\"a\",\"ts\":1.200,\"dur\":0.001,"
        "\"bind_id\":4,\"flow_out\":true},\n"
        "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"name\":\"b\",\"ts\":1.300,\"dur\":0.001,"
        "\"bind_id\":4,\"flow_in\":true}\n"
        "]}");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timeline");
    TCase *tc = tcase_create("timeline");
    tcase_add_test(tc, test_events);
    tcase_add_test(tc, test_every_and_window);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
