/* `iovsim trace`: info, cat and import on DMA traces (traces/trace.h). Returns the exit
 * status: 0 done, 2 bad usage or a trace or input the format refuses (the message names
 * the file and the record or line). */
#ifndef TRACES_TRACE_CLI_H
#define TRACES_TRACE_CLI_H

extern const char trace_cli_help_text[];

/* argv[0] is "trace". */
int trace_cli_main(int argc, char **argv);

#endif
