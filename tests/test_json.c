/* results.json: JSON strings (escapes, bytes that are not UTF-8), numbers as written,
 * and the typed rows beside results.csv. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/json.h"
#include "app/results.h"
#include "sim/files.h"

/* What `write` puts into a FILE, as a string (static: one at a time). */
static const char *written(void (*write)(FILE *, const char *), const char *arg)
{
    static char buf[1024];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ck_assert_ptr_nonnull(f);
    write(f, arg);
    fclose(f);
    return buf;
}

START_TEST(test_strings)
{
    ck_assert_str_eq(written(app_json_string, "plain"), "\"plain\"");
    ck_assert_str_eq(written(app_json_string, "a \"q\" \\ b"), "\"a \\\"q\\\" \\\\ b\"");
    ck_assert_str_eq(written(app_json_string, "t\tn\nr\r\x01\x1f"),
                     "\"t\\tn\\nr\\r\\u0001\\u001f\"");
    /* UTF-8 passes; a stray byte, a cut sequence, an overlong form or a surrogate is
     * U+FFFD, one for each byte that starts nothing. */
    ck_assert_str_eq(written(app_json_string, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
                     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    ck_assert_str_eq(written(app_json_string, "a\377b"), "\"a\357\277\275b\"");
    ck_assert_str_eq(written(app_json_string, "\xc3"), "\"\xef\xbf\xbd\"");
    ck_assert_str_eq(written(app_json_string, "\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    ck_assert_str_eq(written(app_json_string, "\xed\xa0\x80"),
                     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}
END_TEST

START_TEST(test_numbers)
{
    static const char *const yes[] = {"0",     "-0",    "12",     "0.5",
                                      "-3.25", "1e+06", "2.5E-7", "18446744073709551615"};
    static const char *const no[] = {"",    "-",   "01",  ".5",   "1.", "+1", "1e",
                                     "1e+", "nan", "inf", "0x10", " 1", "1 ", "64KiB"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        ck_assert_msg(app_json_is_number(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        ck_assert_msg(!app_json_is_number(no[i]), "%s", no[i]);
    ck_assert_str_eq(written(app_json_value, "1e+06"), "1e+06");
    ck_assert_str_eq(written(app_json_value, "nan"), "null");
    ck_assert_str_eq(written(app_json_value, "-nan"), "null");
    ck_assert_str_eq(written(app_json_value, "inf"), "null");
    ck_assert_str_eq(written(app_json_value, ".5"), "0.5");
    ck_assert_str_eq(written(app_json_value, "native"), "\"native\"");
    ck_assert_str_eq(written(app_json_value, " 1"), "\" 1\"");
}
END_TEST

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void write_point(const char *dir, const app_manifest *m, size_t i, size_t n,
                        const char *const *names, const double *values)
{
    char pdir[512];
    app_point_dir(dir, i, app_manifest_points(m), pdir, sizeof pdir);
    sim_err e = {{0}};
    ck_assert_int_eq(sim_mkdirs(pdir, &e), 0);
    sim_point_result r = {
        .metrics = n, .metric_names = (char **)names, .metric_values = (double *)values};
    ck_assert_int_eq(app_result_write(pdir, m, i, n ? &r : NULL, n ? NULL : "crashed\t\"x\"", &e),
                     0);
}

/* Columns are typed as a whole: numbers, booleans, strings (a value that is no number
 * makes the column strings). A failed point has an error and no metrics; one never run
 * says so; nan is null; a metric a point did not report is left out. */
START_TEST(test_results_json)
{
    char tmpl[] = "/tmp/iovsim-test-json.XXXXXX";
    char *dir = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(dir);
    const char *axes[] = {"dma.size_bytes", "iommu.enabled", "run.name"};
    app_manifest *m = app_manifest_create("/w/x.ini", 3, axes, 4);
    static const char *const vals[4][3] = {{"64", "true", "a"},
                                           {"4096", "false", "2"},
                                           {"18446744073709551615", "true", "b"},
                                           {"1e+06", "false", "c"}};
    for (size_t i = 0; i < 4; i++)
        for (size_t a = 0; a < 3; a++)
            app_manifest_set(m, i, a, vals[i][a]);
    const char *names[] = {"gbps", "p50_ns"};
    write_point(dir, m, 0, 2, names, (double[]){1.5, NAN});
    write_point(dir, m, 1, 0, NULL, NULL);
    write_point(dir, m, 3, 1, names + 1, (double[]){250e6});
    sim_err e = {{0}};
    ck_assert_int_eq(app_results_write_csv(dir, m, &e), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/results.json", dir);
    ck_assert_str_eq(
        read_text(path),
        "{\"format\": \"iovsim results 1\",\n"
        " \"workload\": \"/w/x.ini\",\n"
        " \"parameters\": [\"dma.size_bytes\", \"iommu.enabled\", \"run.name\"],\n"
        " \"metrics\": [\"gbps\", \"p50_ns\"],\n"
        " \"points\": [\n"
        "  {\"point\": 0, \"parameters\": {\"dma.size_bytes\": 64, \"iommu.enabled\": true, "
        "\"run.name\": \"a\"}, \"status\": \"ok\", \"metrics\": {\"gbps\": 1.5, \"p50_ns\": "
        "null}, \"error\": null},\n"
        "  {\"point\": 1, \"parameters\": {\"dma.size_bytes\": 4096, \"iommu.enabled\": false, "
        "\"run.name\": \"2\"}, \"status\": \"error\", \"metrics\": {}, \"error\": \"crashed "
        "\\\"x\\\"\"},\n"
        "  {\"point\": 2, \"parameters\": {\"dma.size_bytes\": 18446744073709551615, "
        "\"iommu.enabled\": true, \"run.name\": \"b\"}, \"status\": \"error\", \"metrics\": {}, "
        "\"error\": \"not run\"},\n"
        "  {\"point\": 3, \"parameters\": {\"dma.size_bytes\": 1e+06, \"iommu.enabled\": false, "
        "\"run.name\": \"c\"}, \"status\": \"ok\", \"metrics\": {\"p50_ns\": 250000000}, "
        "\"error\": null}\n"
        " ]\n"
        "}\n");
    app_manifest_destroy(m);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_results_json);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
