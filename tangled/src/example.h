/* example.h: tangled from book/92-trace.nw; edit the book, not this file. */
#ifndef LONGHAND_EXAMPLE_H
#define LONGHAND_EXAMPLE_H
#include <stddef.h>
#include "numbers.h"

/* example.h: the worked example */
enum { EXAMPLE_TEXT_MAX = 512 };
struct worked_example {
    char text[EXAMPLE_TEXT_MAX]; /* the sentence */
    unsigned long seed;          /* seeds every random draw */
    struct gpt_config model;     /* the tiny model's sizes */
};
/* Read PATH into ex; on failure return -1 with a message "PATH:LINE: why" in err. */
int example_read(const char *path, struct worked_example *ex, char *err, size_t errlen);
#endif
