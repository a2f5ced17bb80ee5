/* sample.c: tangled from book/12-sampling.nw; edit the book, not this file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sample.h"

/* sample.c: checking the options */
const char *sample_options_error(const struct sample_options *o)
{
    if (!(o->temperature >= 0) || !isfinite(o->temperature))
        return "the temperature must be a finite number >= 0 (0 is greedy)";
    if (o->top_k < 0)
        return "top-k must be at least 1 (0 in the options keeps every token)";
    if (!(o->top_p > 0 && o->top_p <= 1))
        return "top-p must be in (0, 1]";
    return NULL;
}

/* sample.c: creating a sampler */
int sampler_create(struct sampler *s, int V, const struct sample_options *o)
{
    memset(s, 0, sizeof *s);
    if (V < 1 || sample_options_error(o))
        return -1;
    s->o = *o, s->V = V;
    s->p = malloc((size_t)V * sizeof *s->p);
    s->kept = malloc((size_t)V * sizeof *s->kept);
    if (!s->p || !s->kept) {
        sampler_free(s);
        return -1;
    }
    return 0;
}

/* sample.c: freeing a sampler */
void sampler_free(struct sampler *s)
{
    free(s->p);
    free(s->kept);
    memset(s, 0, sizeof *s);
}
/* sample.c: the stages */
int sample_argmax(const float *logits, int V)
{
    int best = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > logits[best])
            best = i;
    return best;
}
/* sample.c: the stages */
void sample_softmax(double *p, const float *logits, int V, double temperature)
{
    double m = logits[sample_argmax(logits, V)], sum = 0;
    for (int i = 0; i < V; i++)
        sum += p[i] = exp(((double)logits[i] - m) / temperature);
    for (int i = 0; i < V; i++)
        p[i] /= sum;
}
/* sample.c: the stages */
static int by_probability_then_id(const void *a, const void *b)
{
    const struct token_prob *x = a, *y = b;
    int x_nan = isnan(x->p) != 0, y_nan = isnan(y->p) != 0;
    if (x_nan != y_nan)
        return x_nan - y_nan;
    if (!x_nan && x->p != y->p)
        return x->p > y->p ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

void sample_sort(struct token_prob *out, const double *p, int V)
{
    for (int i = 0; i < V; i++)
        out[i] = (struct token_prob){ p[i], i };
    qsort(out, (size_t)V, sizeof *out, by_probability_then_id);
}
/* sample.c: the stages */
int sample_top_p(const struct token_prob *sorted, int n, double top_p)
{
    double total = 0, running = 0;
    for (int r = 0; r < n; r++)
        total += sorted[r].p;
    for (int m = 1; m <= n; m++)
        if ((running += sorted[m - 1].p) >= top_p * total)
            return m;
    return n;
}
/* sample.c: the stages */
int sample_pick(const struct token_prob *cand, int n, double u)
{
    double total = 0, running = 0;
    for (int r = 0; r < n; r++)
        total += cand[r].p;
    int last = cand[0].id;
    for (int r = 0; r < n; r++) {
        if (cand[r].p > 0)
            last = cand[r].id;
        if ((running += cand[r].p) > u * total)
            return cand[r].id;
    }
    return last;
}
/* sample.c: one token */
int sampler_next(struct sampler *s, const float *logits, gsl_rng *rng)
{
    int V = s->V;
    if (s->o.temperature == 0)
        return sample_argmax(logits, V);
    sample_softmax(s->p, logits, V, s->o.temperature);
    int cut_k = s->o.top_k > 0 && s->o.top_k < V, cut_p = s->o.top_p < 1;
    if (cut_k || cut_p) {
        sample_sort(s->kept, s->p, V);
        s->num_kept = cut_k ? s->o.top_k : V;
        if (cut_p)
            s->num_kept = sample_top_p(s->kept, s->num_kept, s->o.top_p);
    } else {
        for (int i = 0; i < V; i++)
            s->kept[i] = (struct token_prob){ s->p[i], i };
        s->num_kept = V;
    }
    return sample_pick(s->kept, s->num_kept, gsl_rng_uniform(rng));
}
/* sample.c: generation */
int sample_generate(struct gpt *m, struct sampler *s, gsl_rng *rng,
                    const struct generation *g, int *out, char *err, size_t errlen)
{
    int maxT = m->config.max_seq_len, n = g->num_prompt, made = 0;
    /* check the prompt's length and the sampler's vocabulary */
    if (n < 1 || n > maxT || g->max_new < 0 || s->V != m->config.vocab_size) {
        snprintf(err, errlen, "want a prompt of 1 to %d tokens and a sampler for %d",
                 maxT, m->config.vocab_size);
        return -1;
    }
    struct gpt_cache *cache = g->use_cache ? gpt_cache_create(m, maxT) : NULL;
    int *text = malloc((size_t)maxT * sizeof *text), status = 0;
    if (!text || (g->use_cache && !cache)) {
        snprintf(err, errlen, "out of memory");
        status = -1;
    } else {
        memcpy(text, g->prompt, (size_t)n * sizeof *text);
        /* generate tokens until one of the stops */
        const float *logits = NULL;
        if (g->use_cache && (status = gpt_prefill(m, cache, text, n, err, errlen)) == 0)
            logits = cache->logits;
        while (status == 0 && made < g->max_new && n < maxT) {
            if (!g->use_cache) {
                status = gpt_forward(m, text, NULL, 1, n, err, errlen);
                logits = m->act[ACT_LOGITS] + (size_t)(n - 1) * m->config.vocab_size;
            }
            if (status != 0)
                break;
            int next = sampler_next(s, logits, rng);
            text[n++] = out[made++] = next;
            if (g->emit)
                g->emit(next, g->arg);
            if (next == g->end_token)
                break;
            if (g->use_cache && n < maxT && made < g->max_new)
                status = gpt_step(m, cache, next);
        }
    }
    gpt_cache_free(cache);
    free(text);
    return status ? -1 : made;
}
