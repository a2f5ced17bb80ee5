/* trace-sample.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-sample.c: includes */
#include "sample.h"

/* trace-sample.c: the part */
static void write_sampled_token_cell(FILE *f, const struct tokenizer *tok, int id)
{
    size_t len;
    if (tokenizer_token(tok, id, &len))
        write_token_cell(f, tok, id);
    else
        fprintf(f, "`<|%d|>`", id);
}
/* trace-sample.c: the part */
void trace_sample(struct trace *t)
{
    struct gpt *m = t->model;
    const struct sample_options o = { .temperature = 0.1, .top_k = 8, .top_p = 0.5 };
    enum { SHOWN = 10, NEW = 8 };
    if (!m || !t->tokens) {
        t->failed = 1;
        return;
    }
    /* choose the prefix, leaving room in the context for the continuation */
    int V = m->config.vocab_size, maxT = m->config.max_seq_len;
    int new_tokens = maxT > NEW ? NEW : maxT - 1;
    int n = t->num_tokens < maxT - new_tokens ? t->num_tokens : maxT - new_tokens;
    /* make the part's own cache, and a sampler for its scratch arrays */
    struct gpt_cache *g = gpt_cache_create(m, m->config.max_seq_len);
    struct sampler s;
    if (!g || sampler_create(&s, V, &o) != 0) {
        gpt_cache_free(g);
        t->failed = 1;
        return;
    }
    /* run the prefix through the cache and trace each stage */
    for (int i = 0; i < n; i++)
        gpt_step(m, g, t->tokens[i]);
    double *p1 = malloc((size_t)V * sizeof *p1);
    if (!p1) {
        t->failed = 1;
        sampler_free(&s), gpt_cache_free(g);
        return;
    }
    sample_softmax(p1, g->logits, V, 1.0);
    sample_softmax(s.p, g->logits, V, o.temperature);
    sample_sort(s.kept, s.p, V);
    int kept_k = o.top_k < V ? o.top_k : V, kept_p = sample_top_p(s.kept, kept_k, o.top_p);
    double mass_p = 0;
    for (int r = 0; r < kept_p; r++)
        mass_p += s.kept[r].p;
    /* write the stages of the most probable tokens */
    FILE *f = trace_table(t, "sample-stages");
    double shown_raw = 0, shown_temp = 0;
    if (f) {
        fprintf(f, "rank\ttoken\tid\t$z$\t$p$\t$p_\\tau$\ttop-$k$\ttop-$p$\t$q$\n");
        for (int r = 0; r < SHOWN && r < V; r++) {
            int id = s.kept[r].id;
            double pt = s.kept[r].p;
            fprintf(f, "%d\t", r + 1);
            write_sampled_token_cell(f, t->tok, id);
            fprintf(f, "\t%d\t%.4f\t%.5f\t%.4f\t%.4f\t%.4f\t%.4f\n", id, g->logits[id], p1[id],
                    pt, r < kept_k ? pt : 0.0, r < kept_p ? pt : 0.0,
                    r < kept_p ? pt / mass_p : 0.0);
            shown_raw += p1[id], shown_temp += pt;
        }
    }
    trace_close(t, f);
    /* write the stages of the most probable tokens */
    trace_value(t, "SamplePrefix", "%d", n);
    trace_value(t, "SampleTemperature", "%g", o.temperature);
    trace_value(t, "SampleTopK", "%d", o.top_k);
    trace_value(t, "SampleTopP", "%g", o.top_p);
    trace_value(t, "SampleKeptP", "%d", kept_p);
    trace_value(t, "SampleShown", "%d", SHOWN);
    trace_value(t, "SampleShownMassRaw", "%.4f", shown_raw);
    trace_value(t, "SampleShownMassTemp", "%.4f", shown_temp);
    free(p1);
    /* trace the entropy at several temperatures */
    static const double taus[] = { 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 100 };
    double *p = malloc((size_t)V * sizeof *p);
    FILE *fe = p ? trace_table(t, "sample-entropy") : NULL;
    if (fe) {
        fprintf(fe, "$\\tau$\t$H(\\tau)$\t$\\max_i p_\\tau(i)$\n");
        for (size_t j = 0; j < sizeof taus / sizeof taus[0]; j++) {
            sample_softmax(p, g->logits, V, taus[j]);
            double H = 0, pmax = 0;
            for (int i = 0; i < V; i++) {
                H -= p[i] > 0 ? p[i] * log(p[i]) : 0;
                pmax = fmax(pmax, p[i]);
            }
            fprintf(fe, "%g\t%.4f\t%.4f\n", taus[j], H, pmax);
        }
    }
    trace_close(t, fe);
    free(p);
    /* trace a greedy and a sampled continuation */
    int greedy[NEW], sampled[NEW];
    const struct sample_options greedy_o = { .temperature = 0, .top_p = 1 };
    struct sampler gs;
    gsl_rng *rng = rng_create(t->ex.seed);
    if (rng && sampler_create(&gs, V, &greedy_o) == 0) {
        for (int pass = 0; pass < 2; pass++) {
            gpt_cache_rewind(g, n - 1);
            gpt_step(m, g, t->tokens[n - 1]);
            for (int i = 0; i < new_tokens; i++) {
                int next = sampler_next(pass ? &s : &gs, g->logits, rng);
                (pass ? sampled : greedy)[i] = next;
                if (i + 1 < new_tokens)
                    gpt_step(m, g, next);
            }
        }
        sampler_free(&gs);
        /* write the two continuations */
        FILE *ft = trace_table(t, "sample-text");
        if (ft) {
            fprintf(ft, "step\tgreedy\tid\tsampled\tid\n");
            for (int i = 0; i < new_tokens; i++) {
                fprintf(ft, "%d\t", i + 1);
                write_sampled_token_cell(ft, t->tok, greedy[i]);
                fprintf(ft, "\t%d\t", greedy[i]);
                write_sampled_token_cell(ft, t->tok, sampled[i]);
                fprintf(ft, "\t%d\n", sampled[i]);
            }
        }
        trace_close(t, ft);
        trace_value(t, "SampleSeed", "%lu", t->ex.seed);
        trace_value(t, "SampleNew", "%d", new_tokens);
    } else
        t->failed = 1;
    gsl_rng_free(rng);
    sampler_free(&s);
    gpt_cache_free(g);
}
