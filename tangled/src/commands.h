/* commands.h: tangled from book/90-program.nw; edit the book, not this file. */
#ifndef LONGHAND_COMMANDS_H
#define LONGHAND_COMMANDS_H
#include "cli.h"
/* commands.h: limits of the options */
enum { MAX_BATCH = 1 << 16, MAX_STEPS = 1 << 30 };  /* rows of a batch; steps of a run */
/* commands.h: the commands */
int cmd_trace(int argc, char **argv);     /* the worked example's tables */
/* commands.h: the commands */
int cmd_tokenizer(int argc, char **argv); /* train, encode, decode, bench */
/* commands.h: the commands */
int cmd_init(int argc, char **argv);      /* a new model's checkpoint */
/* commands.h: the commands */
int cmd_step(int argc, char **argv);      /* one training step, every result */
/* commands.h: the commands */
int cmd_train(int argc, char **argv);     /* train, checkpoint, resume */
/* commands.h: the commands */
int cmd_baseline(int argc, char **argv);  /* counting baselines, and a model */
/* commands.h: the commands */
int cmd_sample(int argc, char **argv);    /* generate from a prompt */
/* commands.h: the commands */
int cmd_inspect(int argc, char **argv);   /* lens, heads, dla, patch, attention, ... */
/* commands.h: the commands */
int cmd_convert(int argc, char **argv);   /* checkpoint formats */
/* commands.h: the commands */
int cmd_transcoder(int argc, char **argv); /* train, eval, features */
/* commands.h: the commands */
int cmd_attribute(int argc, char **argv);  /* an attribution graph */
/* commands.h: the commands */
int cmd_bench(int argc, char **argv);     /* time parts of the program */
#endif
