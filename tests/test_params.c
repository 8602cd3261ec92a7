/* The parameter registry: registration, units, ranges, messages, listing. */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/params.h"

/* A small registry shaped like the real one. */
static sim_params *registry(void)
{
    sim_params *p = sim_params_create();
    sim_params_add_uint(p, "pcie.mps_bytes", 256, 128, 4096, "bytes", "Max Payload Size");
    sim_params_add_uint(p, "pcie.lanes", 16, 1, 32, "", "Link width in lanes");
    sim_params_add_enum(p, "run.kernel", "systemc", "systemc|native", "Simulation kernel");
    sim_params_add_string(p, "run.name", "", "Results folder name");
    sim_params_add_double(p, "link.latency_ns", 5.0, 0.0, 1e6, "ns", "Wire latency");
    sim_params_add_uint(p, "link.delay_ps", 1000, 0, UINT64_MAX, "ps", "Extra delay");
    sim_params_add_double(p, "link.rate_gbps", 8.0, 0.001, 1000.0, "Gbps", "Line rate");
    sim_params_add_double(p, "cpu.freq_ghz", 2.0, 0.1, 10.0, "GHz", "Core clock");
    sim_params_add_uint(p, "cpu.freq_hz", 1000000000, 1, UINT64_MAX, "Hz", "Bus clock");
    sim_params_add_int(p, "host.skew_ns", 0, -1000, 1000, "ns", "Clock skew | signed");
    sim_params_add_uint(p, "iommu.iotlb_entries", 64, 1, 65536, "entries", "IOTLB size");
    sim_params_add_bool(p, "iommu.enabled", true, "DMA remapping on");
    sim_params_add_double(p, "nic.load_pct", 50.0, 0.0, 100.0, "%", "Offered load");
    return p;
}

static sim_err e;

/* Sets and expects success, showing the message when it fails. */
static void set_ok(sim_params *p, const char *name, const char *text)
{
    e.msg[0] = '\0';
    int rc = sim_params_set(p, name, text, "t.ini:1", &e);
    ck_assert_msg(rc == 0, "setting %s = '%s' failed: %s", name, text, e.msg);
}

/* Sets and expects failure with a message containing `part`. */
static void set_bad(sim_params *p, const char *name, const char *text, const char *part)
{
    e.msg[0] = '\0';
    ck_assert_msg(sim_params_set(p, name, text, "t.ini:1", &e) == -1, "%s = '%s' was accepted",
                  name, text);
    ck_assert_msg(strstr(e.msg, part), "message '%s' lacks '%s'", e.msg, part);
    ck_assert_msg(!strchr(e.msg, '\n'), "message has more than one line: '%s'", e.msg);
}

START_TEST(test_defaults)
{
    sim_params *p = registry();
    ck_assert_uint_eq(sim_params_count(p), 13);
    ck_assert_uint_eq(sim_params_uint(p, "pcie.mps_bytes"), 256);
    ck_assert_int_eq(sim_params_int(p, "host.skew_ns"), 0);
    ck_assert(sim_params_double(p, "link.latency_ns") == 5.0);
    ck_assert(sim_params_bool(p, "iommu.enabled"));
    ck_assert_str_eq(sim_params_enum(p, "run.kernel"), "systemc");
    ck_assert_int_eq(sim_params_enum_index(p, "run.kernel"), 0);
    ck_assert_str_eq(sim_params_string(p, "run.name"), "");
    ck_assert(sim_params_exists(p, "pcie.lanes"));
    ck_assert(!sim_params_exists(p, "pcie"));
    ck_assert_int_eq(sim_params_type(p, "cpu.freq_ghz"), SIM_PARAM_DOUBLE);
    ck_assert_int_eq(sim_params_type(p, "run.name"), SIM_PARAM_STRING);
    ck_assert_str_eq(sim_params_unit(p, "pcie.mps_bytes"), "bytes");
    ck_assert_str_eq(sim_params_unit(p, "pcie.lanes"), "");
    /* name order, whatever the registration order */
    ck_assert_str_eq(sim_params_name_at(p, 0), "cpu.freq_ghz");
    for (size_t i = 1; i < sim_params_count(p); i++)
        ck_assert_int_lt(strcmp(sim_params_name_at(p, i - 1), sim_params_name_at(p, i)), 0);
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_time_units)
{
    sim_params *p = registry();
    set_ok(p, "link.delay_ps", "250ns");
    ck_assert_uint_eq(sim_params_uint(p, "link.delay_ps"), 250000);
    set_ok(p, "link.delay_ps", "250 ns");
    ck_assert_uint_eq(sim_params_uint(p, "link.delay_ps"), 250000);
    set_ok(p, "link.delay_ps", "1.5ns");
    ck_assert_uint_eq(sim_params_uint(p, "link.delay_ps"), 1500);
    set_ok(p, "link.delay_ps", "2s");
    ck_assert_uint_eq(sim_params_uint(p, "link.delay_ps"), 2000000000000u);
    set_ok(p, "host.skew_ns", "1us");
    ck_assert_int_eq(sim_params_int(p, "host.skew_ns"), 1000);
    set_ok(p, "host.skew_ns", "-0.5us");
    ck_assert_int_eq(sim_params_int(p, "host.skew_ns"), -500);
    set_ok(p, "link.latency_ns", "250ps");
    ck_assert(sim_params_double(p, "link.latency_ns") == 0.25);
    set_ok(p, "link.latency_ns", "0.001ms");
    ck_assert(sim_params_double(p, "link.latency_ns") == 1000.0);
    set_ok(p, "link.latency_ns", "1e3");
    ck_assert(sim_params_double(p, "link.latency_ns") == 1000.0);
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_size_rate_frequency)
{
    sim_params *p = registry();
    set_ok(p, "pcie.mps_bytes", "4KiB");
    ck_assert_uint_eq(sim_params_uint(p, "pcie.mps_bytes"), 4096);
    set_ok(p, "pcie.mps_bytes", "1KB");
    ck_assert_uint_eq(sim_params_uint(p, "pcie.mps_bytes"), 1000);
    set_ok(p, "pcie.mps_bytes", "512 B");
    ck_assert_uint_eq(sim_params_uint(p, "pcie.mps_bytes"), 512);
    set_ok(p, "pcie.mps_bytes", "0.5KiB");
    ck_assert_uint_eq(sim_params_uint(p, "pcie.mps_bytes"), 512);
    set_ok(p, "pcie.mps_bytes", "0x200");
    ck_assert_uint_eq(sim_params_uint(p, "pcie.mps_bytes"), 512);
    set_ok(p, "pcie.mps_bytes", "0X80");
    ck_assert_uint_eq(sim_params_uint(p, "pcie.mps_bytes"), 128);
    set_ok(p, "link.rate_gbps", "10Gbps");
    ck_assert(sim_params_double(p, "link.rate_gbps") == 10.0);
    set_ok(p, "link.rate_gbps", "100Mbps");
    ck_assert(sim_params_double(p, "link.rate_gbps") == 0.1);
    set_ok(p, "link.rate_gbps", "1 Tbps");
    ck_assert(sim_params_double(p, "link.rate_gbps") == 1000.0);
    set_ok(p, "cpu.freq_ghz", "2GHz");
    ck_assert(sim_params_double(p, "cpu.freq_ghz") == 2.0);
    set_ok(p, "cpu.freq_ghz", "2500MHz");
    ck_assert(sim_params_double(p, "cpu.freq_ghz") == 2.5);
    set_ok(p, "cpu.freq_hz", "2GHz");
    ck_assert_uint_eq(sim_params_uint(p, "cpu.freq_hz"), 2000000000u);
    set_ok(p, "cpu.freq_hz", "100 KHz");
    ck_assert_uint_eq(sim_params_uint(p, "cpu.freq_hz"), 100000);
    /* integers beyond a double's precision stay exact */
    set_ok(p, "link.delay_ps", "18446744073709551615");
    ck_assert_uint_eq(sim_params_uint(p, "link.delay_ps"), UINT64_MAX);
    set_ok(p, "link.delay_ps", "0xFFFFFFFFFFFFFFFF");
    ck_assert_uint_eq(sim_params_uint(p, "link.delay_ps"), UINT64_MAX);
    set_ok(p, "link.delay_ps", "9007199254740993");
    ck_assert_uint_eq(sim_params_uint(p, "link.delay_ps"), 9007199254740993u);
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_fractions_refused)
{
    sim_params *p = registry();
    set_bad(p, "pcie.lanes", "1.5", "parameter 'pcie.lanes': '1.5' is not a whole number");
    set_bad(p, "link.delay_ps", "1.5ps", "'1.5ps' is not a whole number of ps");
    set_bad(p, "host.skew_ns", "1ps", "'1ps' is not a whole number of ns");
    set_bad(p, "pcie.mps_bytes", "200.5", "not a whole number of bytes");
    /* Large values keep their fractions visible: no relative slack hides .4 */
    set_bad(p, "link.delay_ps", "12345678901.4", "not a whole number of ps");
    set_ok(p, "link.delay_ps", "0.1us");
    ck_assert_uint_eq(sim_params_uint(p, "link.delay_ps"), 100000);
    ck_assert_uint_eq(sim_params_uint(p, "pcie.lanes"), 16); /* unchanged */
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_label_units)
{
    sim_params *p = registry();
    set_ok(p, "iommu.iotlb_entries", "128 entries");
    ck_assert_uint_eq(sim_params_uint(p, "iommu.iotlb_entries"), 128);
    set_ok(p, "iommu.iotlb_entries", "256entries");
    ck_assert_uint_eq(sim_params_uint(p, "iommu.iotlb_entries"), 256);
    set_ok(p, "iommu.iotlb_entries", "512");
    ck_assert_uint_eq(sim_params_uint(p, "iommu.iotlb_entries"), 512);
    set_bad(p, "iommu.iotlb_entries", "64 KiB", "'64 KiB' is not a number of entries");
    set_bad(p, "iommu.iotlb_entries", "64 entry", "is not a number of entries");
    set_ok(p, "nic.load_pct", "75%");
    ck_assert(sim_params_double(p, "nic.load_pct") == 75.0);
    set_ok(p, "nic.load_pct", "12.5 %");
    ck_assert(sim_params_double(p, "nic.load_pct") == 12.5);
    set_bad(p, "pcie.lanes", "8 lanes", "'8 lanes' is not a number");
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_out_of_range)
{
    sim_params *p = registry();
    ck_assert_int_eq(sim_params_set(p, "pcie.lanes", "40", "a.ini:3", &e), -1);
    ck_assert_str_eq(e.msg, "a.ini:3: parameter 'pcie.lanes' = 40 is out of range [1, 32]");
    set_bad(p, "pcie.lanes", "0", "parameter 'pcie.lanes' = 0 is out of range [1, 32]");
    set_ok(p, "pcie.lanes", "32");
    set_ok(p, "pcie.lanes", "1");
    set_bad(p, "pcie.lanes", "-1", "= -1 is out of range [1, 32]");
    set_bad(p, "pcie.mps_bytes", "8KiB", "'pcie.mps_bytes' = 8192 is out of range [128, 4096] bytes");
    set_bad(p, "pcie.mps_bytes", "64", "= 64 is out of range [128, 4096] bytes");
    set_bad(p, "host.skew_ns", "-2us", "= -2000 is out of range [-1000, 1000] ns");
    set_bad(p, "link.latency_ns", "-0.5", "= -0.5 is out of range [0, 1000000] ns");
    set_bad(p, "link.latency_ns", "2ms", "= 2000000 is out of range [0, 1000000] ns");
    set_bad(p, "nic.load_pct", "100.5", "= 100.5 is out of range [0, 100] %");
    /* overflow is out of range, not a wrapped value */
    set_bad(p, "link.delay_ps", "18446744073709551616", "is out of range [0, 18446744073709551615] ps");
    set_bad(p, "link.delay_ps", "0x10000000000000000", "is out of range");
    set_bad(p, "link.delay_ps", "20000000s", "is out of range");
    set_bad(p, "host.skew_ns", "-9223372036854775809", "is out of range");
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_bad_numbers)
{
    sim_params *p = registry();
    ck_assert_int_eq(sim_params_set(p, "pcie.mps_bytes", "300x", "w.ini:7", &e), -1);
    ck_assert_str_eq(e.msg, "w.ini:7: parameter 'pcie.mps_bytes': '300x' is not a number of bytes");
    static const char *const bad[] = {"", " ", "abc", "nan", "inf", "-inf", "infinity", "1e",
                                      "--5", "0x", "0x10 B", "0xg", "1,5", "5 5", "1..2", ".", "+",
                                      "0x1p3", "12 bytes extra"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        set_bad(p, "pcie.mps_bytes", bad[i], "is not a number of bytes");
    set_bad(p, "link.latency_ns", "nan", "'nan' is not a number of ns");
    set_bad(p, "link.latency_ns", "5MHz", "'5MHz' is not a number of ns (MHz is a frequency unit)");
    set_bad(p, "pcie.lanes", "four", "parameter 'pcie.lanes': 'four' is not a number");
    /* the where part is left out when there is none */
    ck_assert_int_eq(sim_params_set(p, "pcie.lanes", "x", "", &e), -1);
    ck_assert_str_eq(e.msg, "parameter 'pcie.lanes': 'x' is not a number");
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_enum_bool_string)
{
    sim_params *p = registry();
    set_ok(p, "run.kernel", "native");
    ck_assert_str_eq(sim_params_enum(p, "run.kernel"), "native");
    ck_assert_int_eq(sim_params_enum_index(p, "run.kernel"), 1);
    ck_assert_int_eq(sim_params_set(p, "run.kernel", "fast", "--set", &e), -1);
    ck_assert_str_eq(e.msg, "--set: parameter 'run.kernel': 'fast' is not one of systemc, native");
    set_bad(p, "run.kernel", "Native", "is not one of systemc, native");
    ck_assert_str_eq(sim_params_enum(p, "run.kernel"), "native");

    static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "Yes"};
    static const char *const no[] = {"false", "no", "off", "0", "OFF"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        set_ok(p, "iommu.enabled", "false");
        set_ok(p, "iommu.enabled", yes[i]);
        ck_assert(sim_params_bool(p, "iommu.enabled"));
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        set_ok(p, "iommu.enabled", "true");
        set_ok(p, "iommu.enabled", no[i]);
        ck_assert(!sim_params_bool(p, "iommu.enabled"));
    }
    set_bad(p, "iommu.enabled", "maybe",
            "parameter 'iommu.enabled': 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)");
    set_bad(p, "iommu.enabled", "2", "is not a boolean");

    set_ok(p, "run.name", "mps sweep, take 2");
    ck_assert_str_eq(sim_params_string(p, "run.name"), "mps sweep, take 2");
    set_ok(p, "run.name", "");
    ck_assert_str_eq(sim_params_string(p, "run.name"), "");
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_unknown_and_suggest)
{
    sim_params *p = registry();
    ck_assert_str_eq(sim_params_suggest(p, "pcie.mps_byte"), "pcie.mps_bytes");
    ck_assert_str_eq(sim_params_suggest(p, "pcie.msp_bytes"), "pcie.mps_bytes");
    ck_assert_str_eq(sim_params_suggest(p, "pcie.lane"), "pcie.lanes");
    ck_assert_str_eq(sim_params_suggest(p, "run.kernal"), "run.kernel");
    /* the right key under the wrong section */
    ck_assert_str_eq(sim_params_suggest(p, "link.mps_bytes"), "pcie.mps_bytes");
    ck_assert_str_eq(sim_params_suggest(p, "mps_bytes"), "pcie.mps_bytes");
    ck_assert_ptr_null(sim_params_suggest(p, "zzz.qqq"));
    ck_assert_ptr_null(sim_params_suggest(p, "pcie.x"));

    ck_assert_int_eq(sim_params_set(p, "pcie.mps_byte", "256", "dma.ini:12", &e), -1);
    ck_assert_str_eq(e.msg, "dma.ini:12: unknown parameter 'pcie.mps_byte' (did you mean "
                            "'pcie.mps_bytes'?)");
    ck_assert_int_eq(sim_params_check(p, "zzz.qqq", "1", "--set", &e), -1);
    ck_assert_str_eq(e.msg, "--set: unknown parameter 'zzz.qqq'");
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_check_does_not_store)
{
    sim_params *p = registry();
    ck_assert_int_eq(sim_params_check(p, "pcie.lanes", "8", "x", &e), 0);
    ck_assert_uint_eq(sim_params_uint(p, "pcie.lanes"), 16);
    ck_assert_int_eq(sim_params_check(p, "pcie.lanes", "33", "x", &e), -1);
    ck_assert_str_eq(e.msg, "x: parameter 'pcie.lanes' = 33 is out of range [1, 32]");
    ck_assert_int_eq(sim_params_check(p, "run.name", "anything", "x", &e), 0);
    ck_assert_str_eq(sim_params_string(p, "run.name"), "");
    /* a failed set leaves the old value */
    set_ok(p, "pcie.lanes", "4");
    set_bad(p, "pcie.lanes", "64", "out of range");
    ck_assert_uint_eq(sim_params_uint(p, "pcie.lanes"), 4);
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_parse_number)
{
    sim_params *p = registry();
    double d = 0;
    ck_assert_int_eq(sim_params_parse_number(p, "link.delay_ps", "1us", "x", &d, &e), 0);
    ck_assert(d == 1e6);
    /* no range check, no whole-number check: ranges are checked value by value */
    ck_assert_int_eq(sim_params_parse_number(p, "pcie.lanes", "100", "x", &d, &e), 0);
    ck_assert(d == 100.0);
    ck_assert_int_eq(sim_params_parse_number(p, "pcie.lanes", "2.5", "x", &d, &e), 0);
    ck_assert(d == 2.5);
    ck_assert_int_eq(sim_params_parse_number(p, "pcie.mps_bytes", "1 KiB", "x", &d, &e), 0);
    ck_assert(d == 1024.0);
    ck_assert_int_eq(sim_params_parse_number(p, "pcie.mps_bytes", "lots", "r.ini:2", &d, &e), -1);
    ck_assert_str_eq(e.msg, "r.ini:2: parameter 'pcie.mps_bytes': 'lots' is not a number of bytes");
    ck_assert_int_eq(sim_params_parse_number(p, "run.kernel", "1", "x", &d, &e), -1);
    ck_assert_str_eq(e.msg, "x: parameter 'run.kernel' is of type enum, not a number");
    ck_assert_int_eq(sim_params_parse_number(p, "pcie.lane", "1", "x", &d, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "unknown parameter 'pcie.lane'"));
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_format)
{
    sim_params *p = registry();
    char buf[64];
    set_ok(p, "pcie.mps_bytes", "4KiB");
    sim_params_format(p, "pcie.mps_bytes", buf, sizeof buf);
    ck_assert_str_eq(buf, "4096");
    set_ok(p, "link.latency_ns", "250ps");
    sim_params_format(p, "link.latency_ns", buf, sizeof buf);
    ck_assert_str_eq(buf, "0.25");
    set_ok(p, "link.latency_ns", "1000");
    sim_params_format(p, "link.latency_ns", buf, sizeof buf);
    ck_assert_str_eq(buf, "1000");
    set_ok(p, "link.rate_gbps", "100Mbps");
    sim_params_format(p, "link.rate_gbps", buf, sizeof buf);
    ck_assert_str_eq(buf, "0.1");
    set_ok(p, "link.latency_ns", "0.30000000000000004");
    sim_params_format(p, "link.latency_ns", buf, sizeof buf);
    ck_assert_str_eq(buf, "0.3");
    set_ok(p, "link.latency_ns", "123456.789");
    sim_params_format(p, "link.latency_ns", buf, sizeof buf);
    ck_assert_str_eq(buf, "123456.789");
    set_ok(p, "host.skew_ns", "-1us");
    sim_params_format(p, "host.skew_ns", buf, sizeof buf);
    ck_assert_str_eq(buf, "-1000");
    set_ok(p, "link.delay_ps", "18446744073709551615");
    sim_params_format(p, "link.delay_ps", buf, sizeof buf);
    ck_assert_str_eq(buf, "18446744073709551615");
    sim_params_format(p, "iommu.enabled", buf, sizeof buf);
    ck_assert_str_eq(buf, "true");
    set_ok(p, "iommu.enabled", "no");
    sim_params_format(p, "iommu.enabled", buf, sizeof buf);
    ck_assert_str_eq(buf, "false");
    set_ok(p, "run.kernel", "native");
    sim_params_format(p, "run.kernel", buf, sizeof buf);
    ck_assert_str_eq(buf, "native");
    set_ok(p, "run.name", "dma");
    sim_params_format(p, "run.name", buf, sizeof buf);
    ck_assert_str_eq(buf, "dma");
    /* formatted text reads back as the same value */
    set_ok(p, "link.latency_ns", "0.1ns");
    sim_params_format(p, "link.latency_ns", buf, sizeof buf);
    set_ok(p, "link.latency_ns", buf);
    ck_assert(sim_params_double(p, "link.latency_ns") == 0.1);
    /* a short buffer is cut, never overrun */
    char tiny[3];
    sim_params_format(p, "link.delay_ps", tiny, sizeof tiny);
    ck_assert_str_eq(tiny, "18");
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_clone_independent)
{
    sim_params *p = registry();
    set_ok(p, "pcie.lanes", "8");
    sim_params *c = sim_params_clone(p);
    ck_assert_uint_eq(sim_params_count(c), sim_params_count(p));
    ck_assert_uint_eq(sim_params_uint(c, "pcie.lanes"), 8);
    set_ok(c, "pcie.lanes", "2");
    set_ok(c, "run.name", "copy");
    set_ok(c, "run.kernel", "native");
    ck_assert_uint_eq(sim_params_uint(p, "pcie.lanes"), 8);
    ck_assert_str_eq(sim_params_string(p, "run.name"), "");
    ck_assert_str_eq(sim_params_enum(p, "run.kernel"), "systemc");
    sim_params_destroy(p);
    /* the copy owns everything it holds */
    ck_assert_str_eq(sim_params_string(c, "run.name"), "copy");
    ck_assert_str_eq(sim_params_name_at(c, 0), "cpu.freq_ghz");
    set_bad(c, "pcie.lanes", "99", "[1, 32]");
    sim_params_destroy(c);
}
END_TEST

/* Where each value was set is kept (and copied), for messages about conflicts. */
START_TEST(test_where_and_origins)
{
    sim_params *p = registry();
    ck_assert_ptr_null(sim_params_where(p, "pcie.lanes"));
    set_ok(p, "pcie.lanes", "8");
    ck_assert_str_eq(sim_params_where(p, "pcie.lanes"), "t.ini:1");
    ck_assert_int_eq(sim_params_set(p, "pcie.lanes", "4", "--set", &e), 0);
    ck_assert_str_eq(sim_params_where(p, "pcie.lanes"), "--set");
    ck_assert_int_eq(sim_params_set(p, "run.name", "x", "dc.ini:7", &e), 0);
    /* a refused value leaves the origin of the one it did not replace */
    ck_assert_int_eq(sim_params_set(p, "pcie.lanes", "99", "--sweep", &e), -1);
    ck_assert_str_eq(sim_params_where(p, "pcie.lanes"), "--set");
    sim_params *c = sim_params_clone(p);
    sim_params_destroy(p);
    ck_assert_str_eq(sim_params_where(c, "pcie.lanes"), "--set");

    /* every parameter a message names, once, in the order named, with value and origin */
    sim_err_set(&e, "pcie.lanes = 4 and pcie.mps_bytes = 256 conflict (see pcie.lanes; "
                    "run.name, not pcie.lane or cpu.freq).");
    sim_params_add_origins(c, &e);
    ck_assert_str_eq(e.msg, "pcie.lanes = 4 and pcie.mps_bytes = 256 conflict (see pcie.lanes; "
                            "run.name, not pcie.lane or cpu.freq).\n"
                            "  pcie.lanes = 4 set at --set\n"
                            "  pcie.mps_bytes = 256 bytes by default\n"
                            "  run.name = x set at dc.ini:7");
    sim_params_destroy(c);
}
END_TEST

/* The listing written to memory, for inspection. */
static char *listing(const sim_params *p, const char *prefix, bool markdown)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    sim_params_list(p, f, prefix, markdown);
    fclose(f);
    return buf;
}

START_TEST(test_list_text)
{
    sim_params *p = registry();
    char *all = listing(p, "", false);
    ck_assert_ptr_nonnull(strstr(all, "pcie.mps_bytes"));
    ck_assert_ptr_nonnull(strstr(all, "256 bytes"));
    ck_assert_ptr_nonnull(strstr(all, "[128, 4096]"));
    ck_assert_ptr_nonnull(strstr(all, "Max Payload Size"));
    ck_assert_ptr_nonnull(strstr(all, "systemc|native"));
    ck_assert_ptr_nonnull(strstr(all, "5 ns"));
    ck_assert_ptr_nonnull(strstr(all, "uint"));
    ck_assert_ptr_nonnull(strstr(all, "NAME"));
    /* one line per parameter plus the header, columns aligned: every doc starts in the
     * same column */
    size_t lines = 0;
    for (const char *s = all; *s; s++)
        lines += *s == '\n';
    ck_assert_uint_eq(lines, sim_params_count(p) + 1);
    const char *a = strstr(all, "Max Payload Size"), *b = strstr(all, "Link width in lanes");
    const char *la = a, *lb = b;
    while (la > all && la[-1] != '\n')
        la--;
    while (lb > all && lb[-1] != '\n')
        lb--;
    ck_assert_int_eq(a - la, b - lb);
    free(all);

    char *some = listing(p, "pcie.", false);
    ck_assert_ptr_nonnull(strstr(some, "pcie.lanes"));
    ck_assert_ptr_null(strstr(some, "run.kernel"));
    free(some);
    /* a word matches anywhere in a name */
    char *inner = listing(p, "freq", false);
    ck_assert_ptr_nonnull(strstr(inner, "cpu.freq_ghz"));
    ck_assert_ptr_nonnull(strstr(inner, "cpu.freq_hz"));
    ck_assert_ptr_null(strstr(inner, "pcie.lanes"));
    free(inner);
    ck_assert_uint_eq(sim_params_matching(p, "freq"), 2);
    ck_assert_uint_eq(sim_params_matching(p, ""), sim_params_count(p));
    ck_assert_uint_eq(sim_params_matching(p, "nosuch"), 0);
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_list_markdown)
{
    sim_params *p = registry();
    char *md = listing(p, "", true);
    ck_assert_ptr_nonnull(strstr(md, "\n## pcie\n"));
    ck_assert_ptr_nonnull(strstr(md, "\n## run\n"));
    ck_assert_ptr_nonnull(strstr(md, "\n| Name | Type | Default | Range | Description |\n"));
    ck_assert_ptr_nonnull(strstr(md, "\n|------|"));
    ck_assert_ptr_nonnull(strstr(md, "| `pcie.mps_bytes` | uint | 256 bytes | [128, 4096] | Max "
                                     "Payload Size |\n"));
    /* '|' would break the table: choices are comma-separated, docs escaped */
    ck_assert_ptr_nonnull(strstr(md, "| systemc, native |"));
    ck_assert_ptr_nonnull(strstr(md, "Clock skew \\| signed"));
    /* one section heading per top-level name, in name order */
    ck_assert(strstr(md, "## cpu") < strstr(md, "## host"));
    ck_assert_ptr_null(strstr(strstr(md, "## pcie") + 1, "## pcie"));
    free(md);
    char *some = listing(p, "run", true);
    ck_assert_ptr_null(strstr(some, "## pcie"));
    ck_assert_ptr_nonnull(strstr(some, "## run"));
    free(some);
    sim_params_destroy(p);
}
END_TEST

/* ---- tables ---- */

typedef struct table_cfg {
    uint32_t mps_bytes;
    uint64_t latency_ps;   /* a double in ns lands in ps */
    double latency_ns;     /* ... or in its own unit */
    uint64_t delay_ps;     /* a uint in us lands in ps */
    double rate_gbps;
    uint16_t kernel;       /* an enum's index */
    bool enabled;
    const char *name;
    int32_t skew_ns;
    uint64_t llc_bytes;
} table_cfg;

static const sim_param_def table[] = {
    {"pcie.mps_bytes", SIM_PARAM_UINT, "256", "128..4096", "bytes", "Max Payload Size",
     SIM_AT(table_cfg, mps_bytes)},
    {"link.latency_ns", SIM_PARAM_DOUBLE, "5.5", "0..1e6", "ns", "Wire latency",
     SIM_AT(table_cfg, latency_ps)},
    {"link.latency2_ns", SIM_PARAM_DOUBLE, "0.25us", "0..", "ns", "The same in ns",
     SIM_AT(table_cfg, latency_ns)},
    {"link.delay_us", SIM_PARAM_UINT, "3", "..1000000", "us", "Extra delay",
     SIM_AT(table_cfg, delay_ps)},
    {"link.rate_gbps", SIM_PARAM_DOUBLE, "8", "0.001..1Tbps", "Gbps", "Line rate",
     SIM_AT(table_cfg, rate_gbps)},
    {"run.kernel", SIM_PARAM_ENUM, "native", "systemc|native", "", "Simulation kernel",
     SIM_AT(table_cfg, kernel)},
    {"iommu.enabled", SIM_PARAM_BOOL, "true", NULL, "", "DMA remapping on",
     SIM_AT(table_cfg, enabled)},
    {"run.name", SIM_PARAM_STRING, "", NULL, "", "Results folder name", SIM_AT(table_cfg, name)},
    {"host.skew_ns", SIM_PARAM_INT, "-3", "-1000..1000", "", "Clock skew",
     SIM_AT(table_cfg, skew_ns)},
    {"mem.llc_bytes", SIM_PARAM_UINT, "25MiB", "0..16GiB", "bytes", "LLC size",
     SIM_AT(table_cfg, llc_bytes)},
    {"run.seed", SIM_PARAM_UINT, "1", NULL, "", "Read by name", SIM_NOWHERE},
};

START_TEST(test_table)
{
    sim_params *p = sim_params_create();
    sim_params_add_table(p, table, SIM_TABLE_LEN(table));
    ck_assert_uint_eq(sim_params_count(p), SIM_TABLE_LEN(table));
    table_cfg c;
    memset(&c, 0xa5, sizeof c);
    sim_params_load_table(p, table, SIM_TABLE_LEN(table), &c);
    ck_assert_uint_eq(c.mps_bytes, 256);
    ck_assert_uint_eq(c.latency_ps, 5500);
    ck_assert(c.latency_ns == 250.0);
    ck_assert_uint_eq(c.delay_ps, 3000000);
    ck_assert(c.rate_gbps == 8.0);
    ck_assert_uint_eq(c.kernel, 1);
    ck_assert(c.enabled);
    ck_assert_str_eq(c.name, "");
    ck_assert_int_eq(c.skew_ns, -3);
    ck_assert_uint_eq(c.llc_bytes, 25u << 20);
    ck_assert_uint_eq(sim_params_uint(p, "run.seed"), 1);

    /* Ranges written with units and open ends hold as written. */
    set_bad(p, "mem.llc_bytes", "17GiB", "out of range [0, 17179869184] bytes");
    set_bad(p, "link.rate_gbps", "2Tbps", "out of range [0.001, 1000] Gbps");
    set_ok(p, "link.latency2_ns", "1e9");
    set_bad(p, "link.latency2_ns", "-1", "out of range");
    set_ok(p, "link.delay_us", "0");
    set_bad(p, "pcie.mps_bytes", "64", "out of range [128, 4096] bytes");

    set_ok(p, "pcie.mps_bytes", "4KiB");
    set_ok(p, "link.latency_ns", "0.1us");
    set_ok(p, "run.kernel", "systemc");
    set_ok(p, "iommu.enabled", "off");
    set_ok(p, "run.name", "x");
    set_ok(p, "link.delay_us", "2ms");
    sim_params_load_table(p, table, SIM_TABLE_LEN(table), &c);
    ck_assert_uint_eq(c.mps_bytes, 4096);
    ck_assert_uint_eq(c.latency_ps, 100000);
    ck_assert_uint_eq(c.kernel, 0);
    ck_assert(!c.enabled);
    ck_assert_str_eq(c.name, "x");
    ck_assert_uint_eq(c.delay_ps, 2000000000);
    sim_params_destroy(p);
}
END_TEST

typedef struct narrow_cfg {
    uint8_t small;
} narrow_cfg;


/* Time rows: an int of a time unit lands in an int64_t in ps like the unsigned and
 * double ones, and a range up to just below 2^63 ps is accepted and loads exactly. */
typedef struct time_cfg {
    int64_t skew_ps;
    uint64_t wait_ps;
    uint64_t hold_ps;
    double hold_s;
    int64_t any_ps;
} time_cfg;

static const sim_param_def time_table[] = {
    {"t.skew_ns", SIM_PARAM_INT, "-3", "-1000us..1000us", "ns", "Signed, in ns",
     SIM_AT(time_cfg, skew_ps)},
    /* 9223372 s = 9.223372e18 ps, the last whole second below 2^63 ps */
    {"t.wait_s", SIM_PARAM_UINT, "1", "0..9223372", "s", "Unsigned, in s",
     SIM_AT(time_cfg, wait_ps)},
    {"t.hold_s", SIM_PARAM_DOUBLE, "0.5", "0..9e6", "s", "Double, in s", SIM_AT(time_cfg, hold_ps)},
    {"t.hold2_s", SIM_PARAM_DOUBLE, "0.5", "0..", "s", "Double, left in s",
     SIM_AT(time_cfg, hold_s)},
    {"t.any_ps", SIM_PARAM_INT, "0", NULL, "ps", "The whole int64_t range", SIM_AT(time_cfg, any_ps)},
};

START_TEST(test_table_times_land_in_ps)
{
    sim_params *p = sim_params_create();
    sim_params_add_table(p, time_table, SIM_TABLE_LEN(time_table));
    time_cfg c;
    memset(&c, 0xa5, sizeof c);
    sim_params_load_table(p, time_table, SIM_TABLE_LEN(time_table), &c);
    ck_assert_int_eq(c.skew_ps, -3000);
    ck_assert_uint_eq(c.wait_ps, 1000000000000u);
    ck_assert_uint_eq(c.hold_ps, 500000000000u);
    ck_assert(c.hold_s == 0.5);
    ck_assert_int_eq(c.any_ps, 0);

    set_ok(p, "t.skew_ns", "-1ms");
    set_ok(p, "t.wait_s", "9223372");
    set_ok(p, "t.hold_s", "9e6");
    set_ok(p, "t.any_ps", "-9223372036854775808");
    sim_params_load_table(p, time_table, SIM_TABLE_LEN(time_table), &c);
    ck_assert_int_eq(c.skew_ps, -1000000000);
    ck_assert_uint_eq(c.wait_ps, UINT64_C(9223372000000000000));
    ck_assert_uint_eq(c.hold_ps, UINT64_C(9000000000000000000));
    ck_assert_int_eq(c.any_ps, INT64_MIN);
    set_bad(p, "t.skew_ns", "1001us", "out of range [-1000000, 1000000] ns");
    sim_params_destroy(p);
}
END_TEST

/* Registers n rows in a child and expects the last refused: the child dies of SIGABRT
 * and its message names the row and contains `why`. */
static void expect_rows_refused(const sim_param_def *rows, size_t nrows, const char *why)
{
    const sim_param_def *row = &rows[nrows - 1];
    int fd[2];
    ck_assert_int_eq(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fd[1], STDERR_FILENO);
        close(fd[0]);
        close(fd[1]);
        sim_params *p = sim_params_create();
        sim_params_add_table(p, rows, nrows);
        _exit(0);
    }
    close(fd[1]);
    char msg[2048];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof msg - 1 && (r = read(fd[0], msg + n, sizeof msg - 1 - n)) > 0)
        n += (size_t)r;
    msg[n] = '\0';
    close(fd[0]);
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "row '%s' was accepted",
                  row->name);
    char named[128];
    snprintf(named, sizeof named, "'%s': ", row->name);
    ck_assert_msg(strstr(msg, named) && strstr(msg, why), "row '%s': message \"%s\" lacks \"%s\"",
                  row->name, msg, why);
}

static void expect_refused(const sim_param_def *row, const char *why)
{
    expect_rows_refused(row, 1, why);
}

typedef struct misfit_cfg {
    uint64_t u64;
    int64_t i64;
    int32_t i32;
    double d;
} misfit_cfg;

START_TEST(test_table_inconsistent_rows_refused)
{
    static const struct {
        sim_param_def row;
        const char *why;
    } cases[] = {
        {{"x.count", SIM_PARAM_UINT, "5", "10..1", "", "Inverted", SIM_NOWHERE},
         "minimum above its maximum"},
        /* the ends are compared after conversion: 1 us is above 10 ns */
        {{"x.lat_ns", SIM_PARAM_DOUBLE, "5", "1us..10", "ns", "Inverted", SIM_AT(misfit_cfg, d)},
         "minimum above its maximum"},
        {{"x.skew", SIM_PARAM_INT, "0", "3..-3", "", "Inverted", SIM_AT(misfit_cfg, i64)},
         "minimum above its maximum"},
        /* 1e7 s is 1e19 ps: fits a uint64_t, not below 2^63 */
        {{"x.wait_s", SIM_PARAM_UINT, "1", "0..10000000", "s", "Too long",
          SIM_AT(misfit_cfg, u64)},
         "2^63 ps"},
        {{"x.wait_ps", SIM_PARAM_UINT, "1", NULL, "ps", "Open", SIM_AT(misfit_cfg, u64)},
         "2^63 ps"},
        {{"x.hold_s", SIM_PARAM_DOUBLE, "1", "0..1e7", "s", "Too long", SIM_AT(misfit_cfg, u64)},
         "2^63 ps"},
        {{"x.hold_ns", SIM_PARAM_DOUBLE, "1", "0..", "ns", "Open", SIM_AT(misfit_cfg, u64)},
         "2^63 ps"},
        {{"x.hold_us", SIM_PARAM_DOUBLE, "1", "-1..1", "us", "Negative", SIM_AT(misfit_cfg, u64)},
         "negative time"},
        /* an int time lands in ps, which an int32_t field would not hold */
        {{"x.skew_ns", SIM_PARAM_INT, "0", "-10..10", "ns", "Narrow", SIM_AT(misfit_cfg, i32)},
         "int64_t"},
        {{"x.skew_s", SIM_PARAM_INT, "0", "-10000000..0", "s", "Too long",
          SIM_AT(misfit_cfg, i64)},
         "-2^63 ps"},
        {{"x.skew_s", SIM_PARAM_INT, "0", "0..10000000", "s", "Too long", SIM_AT(misfit_cfg, i64)},
         "2^63 ps"},
        {{"x.size_bytes", SIM_PARAM_UINT, "5Gbps", NULL, "bytes", "A rate", SIM_NOWHERE},
         "default does not read"},
        {{"x.flag", SIM_PARAM_UINT, "0", NULL, "", "Wrong field", SIM_AT(misfit_cfg, d)},
         "field cannot hold"},
        {{"x.count", SIM_PARAM_UINT, "1", "0..1000", "", "Does not fit a byte",
          SIM_AT(narrow_cfg, small)},
         "field cannot hold"},
        {{"x.lost", SIM_PARAM_UINT, "1", NULL, "", "No field", .offset = 0}, "no field"},
        {{"x.mode", SIM_PARAM_ENUM, "zzz", "a|b", "", "Default not a choice", SIM_NOWHERE},
         "not one of"},
        {{"x.mode", SIM_PARAM_ENUM, "a", "a||b", "", "Empty choice", SIM_NOWHERE},
         "empty choice"},
        {{"X.Bad", SIM_PARAM_UINT, "1", NULL, "", "Not typeable", SIM_NOWHERE},
         "lower-case dotted"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_refused(&cases[i].row, cases[i].why);
    /* two modules typing the same name */
    static const sim_param_def twice[] = {
        {"x.count", SIM_PARAM_UINT, "1", NULL, "", "First", SIM_NOWHERE},
        {"x.count", SIM_PARAM_UINT, "2", NULL, "", "Second", SIM_NOWHERE},
    };
    expect_rows_refused(twice, 2, "registered twice");
}
END_TEST

START_TEST(test_register_twice_asserts)
{
    sim_params *p = registry();
    sim_params_add_uint(p, "pcie.lanes", 1, 1, 2, "", "again");
}
END_TEST

START_TEST(test_default_out_of_range_asserts)
{
    sim_params *p = sim_params_create();
    sim_params_add_uint(p, "pcie.lanes", 64, 1, 32, "", "too wide");
}
END_TEST

START_TEST(test_wrong_type_getter_asserts)
{
    sim_params *p = registry();
    (void)sim_params_double(p, "pcie.lanes");
}
END_TEST

static Suite *params_suite(void)
{
    Suite *s = suite_create("params");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_time_units);
    tcase_add_test(tc, test_size_rate_frequency);
    tcase_add_test(tc, test_fractions_refused);
    tcase_add_test(tc, test_label_units);
    tcase_add_test(tc, test_out_of_range);
    tcase_add_test(tc, test_bad_numbers);
    tcase_add_test(tc, test_enum_bool_string);
    tcase_add_test(tc, test_unknown_and_suggest);
    tcase_add_test(tc, test_check_does_not_store);
    tcase_add_test(tc, test_parse_number);
    tcase_add_test(tc, test_format);
    tcase_add_test(tc, test_clone_independent);
    tcase_add_test(tc, test_where_and_origins);
    tcase_add_test(tc, test_list_text);
    tcase_add_test(tc, test_list_markdown);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_table_times_land_in_ps);
    tcase_add_test(tc, test_table_inconsistent_rows_refused);
    suite_add_tcase(s, tc);
    /* misuse by a model is an assert, not a message */
    TCase *ta = tcase_create("asserts");
    tcase_add_test_raise_signal(ta, test_register_twice_asserts, SIGABRT);
    tcase_add_test_raise_signal(ta, test_default_out_of_range_asserts, SIGABRT);
    tcase_add_test_raise_signal(ta, test_wrong_type_getter_asserts, SIGABRT);
    suite_add_tcase(s, ta);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(params_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
