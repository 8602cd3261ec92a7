/* The text form of a whole trace: what `iovsim trace cat` prints and `iovsim trace
 * import` reads back, byte-identical after the round trip (same header, same records,
 * same compression).
 *
 *   # iovsim DMA trace, format 1
 *   # creator: iovsim 0.1
 *   # flags: 0x00000000
 *   # params: 5123 bytes
 *   #|dma.op = read
 *   #|...
 *   # time_ps ahead_ps op rid pasid domain addr len aux flags
 *   0 0 map 01:00.0 - 1 0x100000000 65536 0x100000000 rw
 *   ...
 *
 * The parameters text is given line by line after "#|"; a backslash, and bytes below
 * 0x20 or from 0x7f, are escaped (\\, \xHH); the byte count says whether the text ends
 * with a newline. Records are trace_rec_format lines (traces/trace.h). When reading, the
 * first line names the format; other lines starting with '#' and empty lines are
 * skipped, so a hand-written trace needs only that line and its records. */
#ifndef TRACES_TRACE_TEXT_H
#define TRACES_TRACE_TEXT_H

#include <stdint.h>
#include <stdio.h>

#include "sim/err.h"
#include "traces/trace.h"

#define TRACE_TEXT_FIRST_LINE "# iovsim DMA trace, format "

/* Prints the header and every record of r to out. -1 with *e set when the trace is bad
 * (the records before the bad one are printed) or out cannot be written. */
int trace_text_write(trace_reader *r, FILE *out, sim_err *e);

/* Reads the text form from in (`name` in messages, "NAME:LINE: ...") into a new trace
 * at out_path; *records gets the count. -1 with *e set on the first bad line (no file
 * is left behind). */
int trace_text_import(FILE *in, const char *name, const char *out_path, uint64_t *records,
                      sim_err *e);

#endif
