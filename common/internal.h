/* internal.h - what the files of common/ share among themselves and no lab
 * calls. Kept out of unpipc.h so that the header a student reads lists only
 * what a lab may use. A file of common/ that needs one of these includes this
 * header instead of unpipc.h (which it includes in turn). */
#ifndef SHMLAB_INTERNAL_H
#define SHMLAB_INTERNAL_H

#include "unpipc.h"

/* error.c */
void prog_rename(const char *name); /* copy_role: messages now begin "name:" */

/* cleanup.c */
void catch_signals(void);              /* prog_init: the cleanup handler, see cleanup.c */
void at_exit_unlink(const char *path); /* make_temp_file, open_output: remove a file */
void at_exit_kill(pid_t pid);          /* Fork: on a signal, pass it on to this child */

#endif
