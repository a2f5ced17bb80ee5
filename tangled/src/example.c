/* example.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "example.h"

/* example.c: checks of a line, a key and the whole file */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static int fail(char *err, size_t errlen, const char *path, int lineno, const char *why)
{
    if (lineno > 0)
        snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
    else
        snprintf(err, errlen, "%s: %s", path, why);
    return -1;
}
/* example.c: checks of a line, a key and the whole file */
enum { KEY_TEXT, KEY_SEED, KEY_LAYERS, KEY_HEADS, KEY_CHANNELS, KEY_CONTEXT,
       KEY_VOCAB, NUM_KEYS };
static const struct { const char *name; long lo, hi; } example_keys[NUM_KEYS] = {
    [KEY_TEXT]     = { "text", 0, 0 },
    [KEY_SEED]     = { "seed", 0, 4294967295L },
    [KEY_LAYERS]   = { "layers", 1, 12 },
    [KEY_HEADS]    = { "heads", 1, 16 },
    [KEY_CHANNELS] = { "channels", 1, 1024 },
    [KEY_CONTEXT]  = { "context", 2, 1024 },
    [KEY_VOCAB]    = { "vocab", 256, 65536 },  /* at least the 256 byte tokens */
};
/* example.c: checks of a line, a key and the whole file */
static int example_set(struct worked_example *ex, const char *key, const char *value,
                       unsigned *seen, char *err, size_t errlen, const char *path,
                       int lineno)
{
    /* find key in the table as k, refusing an unknown or repeated key */
    int k = 0;
    while (k < NUM_KEYS && strcmp(key, example_keys[k].name) != 0)
        k++;
    char why[EXAMPLE_TEXT_MAX + 64];
    if (k == NUM_KEYS) {
        snprintf(why, sizeof why, "unknown key '%s'", key);
        return fail(err, errlen, path, lineno, why);
    }
    if (*seen & (1u << k))
        return fail(err, errlen, path, lineno, "key given twice");
    *seen |= 1u << k;
    if (k == KEY_TEXT) {
        /* store the sentence, refusing an empty or overlong one */
        size_t len = strlen(value);
        if (len == 0 || len >= sizeof ex->text) {
            snprintf(why, sizeof why, "the text must have 1 to %d bytes", EXAMPLE_TEXT_MAX - 1);
            return fail(err, errlen, path, lineno, why);
        }
        memcpy(ex->text, value, len + 1);
        return 0;
    }
    /* parse value as a number within the key's limits into n */
    char *end;
    errno = 0;
    long n = isdigit((unsigned char)*value) ? strtol(value, &end, 10) : -1;
    if (n < 0 || *end != '\0' || errno == ERANGE
        || n < example_keys[k].lo || n > example_keys[k].hi) {
        snprintf(why, sizeof why, "%s must be a whole number from %ld to %ld",
                 key, example_keys[k].lo, example_keys[k].hi);
        return fail(err, errlen, path, lineno, why);
    }
    /* store n in the field of key k */
    switch (k) {
    case KEY_SEED:     ex->seed = (unsigned long)n; break;
    case KEY_LAYERS:   ex->model.num_layers = (int)n; break;
    case KEY_HEADS:    ex->model.num_heads = (int)n; break;
    case KEY_CHANNELS: ex->model.channels = (int)n; break;
    case KEY_CONTEXT:  ex->model.max_seq_len = (int)n; break;
    case KEY_VOCAB:    ex->model.vocab_size = (int)n; break;
    }
    return 0;
}
/* example.c: checks of a line, a key and the whole file */
static int example_check(struct worked_example *ex, unsigned seen, char *err,
                         size_t errlen, const char *path)
{
    char why[128];
    for (int k = 0; k < NUM_KEYS; k++)
        if (!(seen & (1u << k))) {
            snprintf(why, sizeof why, "missing key '%s'", example_keys[k].name);
            return fail(err, errlen, path, 0, why);
        }
    if (ex->model.channels % ex->model.num_heads != 0)
        return fail(err, errlen, path, 0, "heads must divide channels");
    ex->model.padded_vocab_size = padded_vocab(ex->model.vocab_size);
    return 0;
}
/* example.c: read the description */
int example_read(const char *path, struct worked_example *ex, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(err, errlen, path, 0, strerror(errno));
    memset(ex, 0, sizeof *ex);
    unsigned seen = 0;
    char line[EXAMPLE_TEXT_MAX + 64];
    int lineno = 0, status = 0;
    while (status == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        /* check the line is whole, then split it into key and value */
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            status = fail(err, errlen, path, lineno, "line too long");
            break;
        }
        char *key = trim(line);
        if (*key == '\0' || *key == '#')
            continue;
        char *eq = strchr(key, '=');
        if (!eq) {
            status = fail(err, errlen, path, lineno, "expected key = value");
            break;
        }
        *eq = '\0';
        key = trim(key);
        char *value = trim(eq + 1);
        status = example_set(ex, key, value, &seen, err, errlen, path, lineno);
    }
    if (status == 0) /* a read error (a directory, say) is reported as itself */
        status = ferror(f) ? fail(err, errlen, path, 0, strerror(errno))
                           : example_check(ex, seen, err, errlen, path);
    fclose(f);
    return status;
}
