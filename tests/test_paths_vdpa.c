/* vhost-vdpa's control path (host/vdpactl.h): a vDPA VM's guest brings its device up
 * through QEMU's emulated virtio common configuration, every access an exit to user
 * space with QEMU's emulation after it, and QEMU starts the device with vhost-vdpa
 * ioctls when the guest sets DRIVER_OK; all of it at set-up, none of it per packet:
 * during traffic a vDPA VM's doorbells are stores to the device's page and its
 * interrupts are posted, so it takes no exit but its timer's and its halts'. */
#include <check.h>
#include <string.h>

#include "host/vdpactl.h"
#include "tests/paths_fixture.h"

/* Warm-up past the set-up, the bring-up's exits included. */
#define SETUP_US 600

START_TEST(test_control_path_at_set_up_only)
{
    ptfx f;
    ptfx_params(&f, "vdpa", "stream_tx");
    ptfx_set(&f, "traffic.vms", "2");
    ptfx_set(&f, "noise.cost_sigma", "0");
    ptfx_set(&f, "hv.irq_delivery", "posted");
    ptfx_build(&f);
    /* One queue pair and the control queue a device: three virtqueues. */
    double acc = ptfx_stat(&f, "vdpa.ctrl_accesses"), ioc = ptfx_stat(&f, "vdpa.vhost_ioctls");
    ck_assert_double_eq(acc, 2.0 * vdpactl_accesses(3));
    ck_assert_double_eq(ioc, 2.0 * vdpactl_ioctls(3));
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.mmio_user"), acc);
    ck_assert_double_eq(ptfx_stat(&f, "cpu.host_cycles"),
                        acc * (double)sim_params_uint(f.r.p, "vdpa.ctrl_access_cycles") +
                            ioc * (double)sim_params_uint(f.r.p, "vdpa.ioctl_cycles"));
    ck_assert_str_eq(vdpactl_access_name(3, 0), "device_status = 0");
    ck_assert_str_eq(vdpactl_access_name(3, vdpactl_accesses(3) - 1), "device_status |= DRIVER_OK");
    ck_assert_str_eq(vdpactl_ioctl_name(3, vdpactl_ioctls(3) - 1), "VHOST_VDPA_SET_STATUS");
    ck_assert_str_eq(vdpactl_ioctl_name(3, vdpactl_ioctls(3)), "?");
    ptfx_run(&f, SETUP_US, 200);
    ck_assert_double_gt(ptfx_stat(&f, "net.sent"), 100);
    ptfx_assert_no_packet_exits(&f);
    ck_assert_double_eq(ptfx_stat(&f, "vdpa.ctrl_accesses"), 0);
    ptfx_free(&f);
}
END_TEST

/* More queue pairs, more virtqueues to set up; a DPDK guest brings its device up from
 * user space (not modelled): no trap is counted for it. */
START_TEST(test_control_path_scales_with_queues)
{
    ptfx f;
    ptfx_params(&f, "vdpa", "stream_tx");
    ptfx_set(&f, "io.queues", "2");
    ptfx_build(&f);
    ck_assert_double_eq(ptfx_stat(&f, "vdpa.ctrl_accesses"), vdpactl_accesses(5));
    ck_assert_double_eq(ptfx_stat(&f, "vdpa.vhost_ioctls"), vdpactl_ioctls(5));
    ck_assert_uint_gt(vdpactl_accesses(5), vdpactl_accesses(3));
    ptfx_free(&f);

    ptfx_params(&f, "vdpa", "stream_tx");
    ptfx_set(&f, "guest.driver", "poll");
    ptfx_build(&f);
    ck_assert_double_eq(ptfx_stat(&f, "vdpa.ctrl_accesses"), 0);
    ptfx_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths-vdpa");
    TCase *tc = tcase_create("control");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_control_path_at_set_up_only);
    tcase_add_test(tc, test_control_path_scales_with_queues);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
