/* baseline.h: tangled from book/11-training.nw; edit the book, not this file. */
#ifndef LONGHAND_BASELINE_H
#define LONGHAND_BASELINE_H
#include <stddef.h>
#include <stdint.h>

/* baseline.h: the counts */
struct baseline {
    int V;                 /* vocabulary size */
    long n;                /* training tokens */
    double D;              /* the discount, eq. discount */
    long *count;           /* [V] c(v) */
    long *context;         /* [V] c(a .), pairs that begin with a */
    long *successors;      /* [V] N1+(a .), distinct tokens seen after a */
    uint64_t *pair;        /* [n_pairs] a V + b, ascending */
    long *pair_count;      /* [n_pairs] c(a b) */
    long n_pairs;
};
/* Count the unigrams and bigrams of tokens[n], ids in [0, V), and set D.
   Returns 0, or -1 with a reason in err (nothing allocated). */
int baseline_fit(struct baseline *b, const int32_t *tokens, long n, int V,
                 char *err, size_t errlen);
void baseline_free(struct baseline *b);
/* baseline.h: the counts */
enum { BASELINE_MAX_VOCAB = 1 << 24 };
/* baseline.h: the models */
/* c(a b): how often b followed a in the training text. */
long baseline_pair_count(const struct baseline *b, int a, int v);
/* p_1(v), eq. unigram-add-one. */
double unigram_prob(const struct baseline *b, int v);
/* p_D(v | a), eq. bigram-discount. */
double bigram_prob(const struct baseline *b, int a, int v);
/* baseline.h: scoring */
struct baseline_score {
    long tokens;                       /* tokens scored: all but the first */
    double unigram_nats, bigram_nats;  /* summed losses of the two models */
    long unseen_tokens, unseen_pairs;  /* zeros of eq. unigram-mle and bigram-mle */
};
/* Score tokens[n] (n >= 2, ids in [0, V)); 0, or -1 with a reason in err. */
int baseline_score(const struct baseline *b, const int32_t *tokens, long n,
                   struct baseline_score *s, char *err, size_t errlen);
/* Eq. bits-per-byte: nats summed over a text of bytes bytes. */
double bits_per_byte(double nats, size_t bytes);
#endif
