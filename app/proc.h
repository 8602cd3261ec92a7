/* Worker processes the command line forks: a sweep's points, the dry build that lists
 * the metrics plots name, gnuplot. A worker must not outlive this process, so a killed
 * sweep leaves no process writing into its folder. */
#ifndef APP_PROC_H
#define APP_PROC_H

#include <sys/types.h>

/* fork() after flushing stdio (else a buffered line would be written twice). The child
 * (0 returned) has default handlers for SIGINT, SIGTERM and SIGHUP and, on Linux, dies
 * with this process. -1 with errno when fork fails. */
pid_t app_proc_fork(void);

/* waitpid(pid, status, 0), again when a signal interrupts it. */
pid_t app_proc_wait(pid_t pid, int *status);

#endif
