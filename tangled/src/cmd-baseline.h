#ifndef LONGHAND_CMD_BASELINE_H
#define LONGHAND_CMD_BASELINE_H
/* longhand baseline: unigram and bigram baselines, and a model, on one text. */
int cmd_baseline(int argc, char **argv);
#endif
