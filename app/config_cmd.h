/* iovsim config FILE [--set ...] [--sweep ...] [--point N]: a workload's effective
 * parameters and their origins (app/config.h), without running anything. */
#ifndef APP_CONFIG_CMD_H
#define APP_CONFIG_CMD_H

extern const char config_cmd_help_text[];

/* argv[0] is "config". Returns the exit status: 0, or 2 for bad usage or workload. */
int config_cmd_main(int argc, char **argv);

#endif
