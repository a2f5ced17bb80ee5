/* sample.h: tangled from book/12-sampling.nw; edit the book, not this file. */
#ifndef LONGHAND_SAMPLE_H
#define LONGHAND_SAMPLE_H
#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "gpt.h"

/* sample.h: options and the sampler */
struct sample_options {
    double temperature;  /* tau: 0 means greedy */
    int top_k;           /* keep the k most probable tokens; 0 keeps all */
    double top_p;        /* keep the smallest prefix of mass >= top_p; 1 keeps all */
};
struct token_prob {
    double p;            /* a probability, or a weight proportional to one */
    int id;
};
/* sample.h: options and the sampler */
struct sampler {
    struct sample_options o;
    int V;
    double *p;                /* [V]: p_tau of the last call */
    struct token_prob *kept;  /* [V]: the candidates, in the order if cut */
    int num_kept;             /* kept[0..num_kept) survived the cuts */
};
/* NULL if o is a valid set of options, else a sentence saying what is wrong. */
const char *sample_options_error(const struct sample_options *o);
/* A sampler for V tokens: 0, or -1 if V < 1, o is invalid or memory runs out. */
int sampler_create(struct sampler *s, int V, const struct sample_options *o);
void sampler_free(struct sampler *s);
/* sample.h: the stages */
/* The id of the largest of logits[V] (the smallest id on ties), eq. greedy. */
int sample_argmax(const float *logits, int V);
/* p[V] = softmax(logits / temperature), eq. sample-softmax; temperature > 0. */
void sample_softmax(double *p, const float *logits, int V, double temperature);
/* out[V] = (p[i], i) sorted by eq. sample-order: decreasing p, then increasing id. */
void sample_sort(struct token_prob *out, const double *p, int V);
/* How many of sorted[0..n) top-p keeps: the smallest m whose mass reaches
   top_p times the mass of all n, eq. top-p. */
int sample_top_p(const struct token_prob *sorted, int n, double top_p);
/* The id where the running sum of cand[0..n).p first exceeds u times their
   total; u in [0, 1). */
int sample_pick(const struct token_prob *cand, int n, double u);
/* The next token for logits[V] by s's options, drawing from rng unless greedy. */
int sampler_next(struct sampler *s, const float *logits, gsl_rng *rng);
/* sample.h: generation */
struct generation {
    const int *prompt;
    int num_prompt;      /* at least 1 */
    int max_new;         /* at most this many new tokens */
    int end_token;       /* stop after generating it; -1 for none */
    int use_cache;       /* 0: a full forward pass over the text per token */
    void (*emit)(int token, void *arg);  /* called as each token is made, or NULL */
    void *arg;
};
/* Generate after g->prompt into out[g->max_new] with s and rng (m's forward
   pass replaces its activations).  Returns the number of tokens generated,
   or -1 with a reason in err. */
int sample_generate(struct gpt *m, struct sampler *s, gsl_rng *rng,
                    const struct generation *g, int *out, char *err, size_t errlen);
#endif
