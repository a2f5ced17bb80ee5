/* command.h -- running build/longhand from a test, as a reader runs it. */
#ifndef LONGHAND_TESTS_COMMAND_H
#define LONGHAND_TESTS_COMMAND_H
#include <stddef.h>

/* Run cmd through the shell; its standard output (truncated to outlen - 1
   bytes) in out.  Returns its exit status, or -1 if it did not exit. */
int run_command(char *out, size_t outlen, const char *cmd);
#endif
