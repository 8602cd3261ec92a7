/* `iovsim trace`: info, cat and import on DMA traces (traces/trace.h). Returns the exit
 * status: 0 done, 2 bad usage or a trace or input the format refuses (the message names
 * the file and the record or line). */
#ifndef APP_TRACE_CMD_H
#define APP_TRACE_CMD_H

extern const char trace_cmd_help_text[];

/* argv[0] is "trace". */
int trace_cmd_main(int argc, char **argv);

#endif
