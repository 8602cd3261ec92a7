/* Capturing the NIC's wire (trace.pcap = FILE): every frame the port sends to the link
 * partner and every frame it receives from it (and with trace.pcap_veb every frame its
 * embedded switch turns around between functions), as a pcap file (libpcap's format, link
 * type Ethernet, nanosecond timestamps) that tcpdump, Wireshark and any libpcap
 * program read.
 *
 * Timing: a frame is stamped when its last bit leaves the port (sent) or arrives at it
 * (received), the point a capture at the port would see it, in simulated time from 0.
 * The model books frames ahead of its clock, so the recorder keeps them (the first
 * trace.pcap_frames booked; those booked after are counted, not kept, and may include
 * a few stamped earlier than the last kept) and writes them in time order when the
 * point ends, ties in the order they were booked: the file is the same on both
 * kernels.
 *
 * Content: the model's frames carry addresses, VLAN, length and flow, not bytes. Each
 * is written as the headers those imply: Ethernet (the frame's MACs; an 802.1Q tag
 * with its VLAN), IPv4 (10.x.y.z from the low three bytes of each MAC, a valid header
 * checksum) and UDP (source port 50000 + flow mod 10000, destination 5001 for data and
 * requests, the reverse for the partner's responses), then zero payload up to the
 * frame's length (its host-side bytes, without FCS, as captures show it) and at most
 * PCAP_RECORD_SNAP_BYTES captured. A frame too short for the headers is written as far
 * as it goes.
 *
 * Like trace.record it works for any workload with a NIC without the workload knowing:
 * the model layer starts a recorder before it builds a point's system and passes its
 * observer into the build (systems/nic_setup.c attaches it to the NIC). FILE is a file
 * name in the point's folder, written whole when the point ends. */
#ifndef TRACES_PCAP_RECORD_H
#define TRACES_PCAP_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "models/nic/nic.h"
#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

#define PCAP_RECORD_SNAP_BYTES 128u

typedef struct pcap_recorder pcap_recorder;

/* Registers trace.pcap, trace.pcap_frames and trace.pcap_veb. */
void pcap_record_register_params(sim_params *p);
/* trace.pcap is a plain file name (the point's folder is where it goes); -1 with *e set
 * otherwise, before anything runs. */
int pcap_record_check(const sim_params *p, sim_err *e);
/* A recorder for this run into *out, NULL when trace.pcap is empty. */
int pcap_recorder_start(const sim_ctx *ctx, pcap_recorder **out, sim_err *e);
/* The observer (ctx: the recorder), a nic_wire_tap_fn. */
void pcap_recorder_on_wire(void *ctx, nic_tap_point at, const nic_pkt *p, uint64_t t_ps);
/* Sorts and writes the frames and moves the file into place. A failure is reported on
 * stderr and leaves no file; so does a system that never ran (a dry build). NULL is a
 * no-op. */
void pcap_recorder_finish(pcap_recorder *r);

#endif
