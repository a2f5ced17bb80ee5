/* command.h -- what several suites need: running a longhand command in this
   process, as the program runs it, and files to feed it. */
#ifndef LONGHAND_TESTS_COMMAND_H
#define LONGHAND_TESTS_COMMAND_H
#include <stddef.h>

/* Where a command runs and what it reads and writes; every field may be 0. */
struct longhand_io {
    const char *dir;       /* the working directory (default: the current one) */
    const char *in;        /* the file on standard input (default /dev/null) */
    const char *out_path;  /* send standard output to this file, not to out */
    char *out, *err;       /* standard output and error, truncated to fit */
    size_t outlen, errlen;
};

/* Run `longhand WORDS` in-process: the words of fmt's expansion, split at
   spaces ('single quotes' keep spaces in a word).  Returns the exit status. */
int longhand_io(const struct longhand_io *io, const char *fmt, ...);
/* The same in the current directory: stdout in out, stderr in err (each may be NULL). */
int longhand(char *out, size_t outlen, char *err, size_t errlen, const char *fmt, ...);

/* Run cmd through the shell; its standard output (truncated to outlen - 1
   bytes) in out.  Returns its exit status, or -1 if it did not exit. */
int run_command(char *out, size_t outlen, const char *cmd);

/* Write contents[len] to a fresh temporary file; return its path (caller
   frees and unlinks). */
char *write_temp(const void *contents, size_t len);
#endif
