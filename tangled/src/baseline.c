/* baseline.c: tangled from book/11-training.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "baseline.h"

/* baseline.c: helpers of counting */
static int compare_keys(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}
/* baseline.c: fitting */
int baseline_fit(struct baseline *b, const int32_t *tokens, long n, int V,
                 char *err, size_t errlen)
{
    *b = (struct baseline){ .V = V, .n = n };
    /* refuse an empty text, a vocabulary out of range and ids outside it */
    if (n < 1 || V < 1 || V > BASELINE_MAX_VOCAB) {
        snprintf(err, errlen, n < 1 ? "no training tokens"
                 : "the vocabulary must have 1 to %d tokens", BASELINE_MAX_VOCAB);
        return -1;
    }
    for (long i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= V) {
            snprintf(err, errlen, "token %ld is %d, outside the vocabulary of %d", i,
                     (int)tokens[i], V);
            return -1;
        }
    b->count = calloc((size_t)V, sizeof *b->count);
    b->context = calloc((size_t)V, sizeof *b->context);
    b->successors = calloc((size_t)V, sizeof *b->successors);
    b->pair = malloc((size_t)(n > 1 ? n - 1 : 1) * sizeof *b->pair);
    b->pair_count = malloc((size_t)(n > 1 ? n - 1 : 1) * sizeof *b->pair_count);
    if (!b->count || !b->context || !b->successors || !b->pair || !b->pair_count) {
        baseline_free(b);
        return snprintf(err, errlen, "out of memory for the counts"), -1;
    }
    /* count the tokens, and sort the pairs' keys */
    for (long i = 0; i < n; i++)
        b->count[tokens[i]]++;
    for (long i = 0; i + 1 < n; i++)
        b->pair[i] = (uint64_t)tokens[i] * (uint64_t)V + (uint64_t)tokens[i + 1];
    if (n > 1)
        qsort(b->pair, (size_t)(n - 1), sizeof *b->pair, compare_keys);
    /* merge equal keys into counted pairs, tallying contexts and successors */
    for (long i = 0; i + 1 < n;) {
        long j = i;
        while (j + 1 < n && b->pair[j] == b->pair[i])
            j++;
        int a = (int)(b->pair[i] / (uint64_t)V);
        b->pair[b->n_pairs] = b->pair[i];
        b->pair_count[b->n_pairs++] = j - i;
        b->context[a] += j - i;
        b->successors[a]++;
        i = j;
    }
    /* set the discount from the pairs seen once and twice */
    long n1 = 0, n2 = 0;
    for (long k = 0; k < b->n_pairs; k++) {
        n1 += b->pair_count[k] == 1;
        n2 += b->pair_count[k] == 2;
    }
    b->D = n1 > 0 ? (double)n1 / (double)(n1 + 2 * n2) : 0.5;
    return 0;
}
/* baseline.c: fitting */
void baseline_free(struct baseline *b)
{
    free(b->count);
    free(b->context);
    free(b->successors);
    free(b->pair);
    free(b->pair_count);
    *b = (struct baseline){ 0 };
}
/* baseline.c: the models */
long baseline_pair_count(const struct baseline *b, int a, int v)
{
    uint64_t key = (uint64_t)a * (uint64_t)b->V + (uint64_t)v;
    long lo = 0, hi = b->n_pairs;  /* the key, if present, is in [lo, hi) */
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (b->pair[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->n_pairs && b->pair[lo] == key ? b->pair_count[lo] : 0;
}
/* baseline.c: the models */
double unigram_prob(const struct baseline *b, int v)
{
    return (double)(b->count[v] + 1) / (double)(b->n + b->V);
}

double bigram_prob(const struct baseline *b, int a, int v)
{
    double c_a = (double)b->context[a];
    if (c_a == 0)
        return unigram_prob(b, v);
    long c_ab = baseline_pair_count(b, a, v);
    double seen = c_ab > 0 ? ((double)c_ab - b->D) / c_a : 0;
    return seen + b->D * (double)b->successors[a] / c_a * unigram_prob(b, v);
}
/* baseline.c: scoring */
int baseline_score(const struct baseline *b, const int32_t *tokens, long n,
                   struct baseline_score *s, char *err, size_t errlen)
{
    *s = (struct baseline_score){ .tokens = n - 1 };
    if (n < 2)
        return snprintf(err, errlen, "want at least two tokens to score"), -1;
    for (long i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= b->V)
            return snprintf(err, errlen, "token %ld is %d, outside the vocabulary of %d",
                            i, (int)tokens[i], b->V), -1;
    for (long i = 1; i < n; i++) {
        int a = tokens[i - 1], v = tokens[i];
        s->unigram_nats -= log(unigram_prob(b, v));
        s->bigram_nats -= log(bigram_prob(b, a, v));
        s->unseen_tokens += b->count[v] == 0;
        s->unseen_pairs += baseline_pair_count(b, a, v) == 0;
    }
    return 0;
}

double bits_per_byte(double nats, size_t bytes)
{
    return nats / log(2.0) / (double)bytes;
}
