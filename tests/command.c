/* command.c -- running build/longhand from a test. */
#include <check.h>
#include <stdio.h>
#include <sys/wait.h>
#include "command.h"

int run_command(char *out, size_t outlen, const char *cmd)
{
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t got = fread(out, 1, outlen - 1, p);
    out[got] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
