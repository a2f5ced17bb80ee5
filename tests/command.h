/* command.h -- what several suites need: running build/longhand as a reader
   runs it, and files to feed it. */
#ifndef LONGHAND_TESTS_COMMAND_H
#define LONGHAND_TESTS_COMMAND_H
#include <stddef.h>

/* Run cmd through the shell; its standard output (truncated to outlen - 1
   bytes) in out.  Returns its exit status, or -1 if it did not exit. */
int run_command(char *out, size_t outlen, const char *cmd);

/* Write contents[len] to a fresh temporary file; return its path (caller
   frees and unlinks). */
char *write_temp(const void *contents, size_t len);
#endif
