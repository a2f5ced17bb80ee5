/* inspect.c: tangled from book/13-reading.nw; edit the book, not this file. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "adamw.h"
#include "attention.h"
#include "inspect.h"
#include "layernorm.h"
#include "matmul.h"
#include "mlp.h"
#include "train.h"

/* inspect.c: slices of the activations */
/* Layer l's slice of activation tensor a, each layer n floats. */
static float *act_at(const struct gpt *m, int a, int l, size_t n)
{
    return m->act[a] + (size_t)l * n;
}

/* Layer l's slice of parameter tensor p, each layer n floats. */
static const float *param_at(const struct gpt *m, int p, int l, size_t n)
{
    return m->param[p] + (size_t)l * n;
}

float *inspect_stream(const struct gpt *m, int l)
{
    size_t BTC = (size_t)m->B * m->T * m->config.channels;
    return l == 0 ? m->act[ACT_ENCODED] : act_at(m, ACT_RESIDUAL3, l - 1, BTC);
}
/* inspect.c: the forward pass with edits */
/* inspect.c: applying the edits of one site */
static void apply_edits(struct gpt *m, const struct inspect_edit *edits, int n,
                        enum inspect_site site, int l, float *x)
{
    int T = m->T, C = m->config.channels, hs = C / m->config.num_heads;
    for (int k = 0; k < n; k++) {
        const struct inspect_edit *e = &edits[k];
        if (e->site != site || e->layer != l)
            continue;
        int c0 = site == SITE_HEAD ? e->head * hs : 0, width = site == SITE_HEAD ? hs : C;
        for (long bt = 0; bt < (long)m->B * T; bt++)
            if (e->pos < 0 || e->pos == bt % T)
                memcpy(x + bt * C + c0, e->from + bt * C + c0, (size_t)width * sizeof *x);
    }
}

int inspect_forward(struct gpt *m, const int *inputs, int B, int T,
                    const struct inspect_edit *edits, int n, char *err, size_t errlen)
{
    const struct gpt_config *c = &m->config;
    int L = c->num_layers, first = L + 1;
    if (gpt_forward(m, inputs, NULL, B, T, err, errlen) != 0)
        return -1;
    /* check each edit's site, and find the first layer edited */
    for (int k = 0; k < n; k++) {
        const struct inspect_edit *e = &edits[k];
        int top = e->site == SITE_STREAM ? L : L - 1;
        if (e->layer < 0 || e->layer > top || e->pos >= T
            || (e->site == SITE_HEAD && (e->head < 0 || e->head >= c->num_heads))) {
            snprintf(err, errlen, "edit %d names no site of this model", k);
            return -1;
        }
        if (e->layer < first)
            first = e->layer;
    }
    for (int l = first; l < L; l++) {
        /* run block l again, editing its input and its heads' outputs */
        size_t BT = (size_t)B * T, C = (size_t)c->channels, NH = (size_t)c->num_heads;
        float *h_in = inspect_stream(m, l);
        apply_edits(m, edits, n, SITE_STREAM, l, h_in);
        float *ln1 = act_at(m, ACT_LN1, l, BT * C), *qkv = act_at(m, ACT_QKV, l, 3 * BT * C);
        float *atty = act_at(m, ACT_ATTY, l, BT * C), *proj = act_at(m, ACT_ATTPROJ, l, BT * C);
        float *r2 = act_at(m, ACT_RESIDUAL2, l, BT * C), *ln2 = act_at(m, ACT_LN2, l, BT * C);
        float *fcproj = act_at(m, ACT_FCPROJ, l, BT * C), *h_out = act_at(m, ACT_RESIDUAL3, l, BT * C);
        layernorm_forward(ln1, act_at(m, ACT_LN1_MEAN, l, BT), act_at(m, ACT_LN1_RSTD, l, BT), h_in,
                          param_at(m, PARAM_LN1W, l, C), param_at(m, PARAM_LN1B, l, C), B, T, (int)C);
        matmul_forward(qkv, ln1, param_at(m, PARAM_QKVW, l, 3 * C * C),
                       param_at(m, PARAM_QKVB, l, 3 * C), (int)BT, (int)C, 3 * (int)C);
        attention_forward(atty, m->act[ACT_PREATT], act_at(m, ACT_ATT, l, BT * NH * T), qkv, B, T,
                          (int)C, (int)NH);
        apply_edits(m, edits, n, SITE_HEAD, l, atty);
        matmul_forward(proj, atty, param_at(m, PARAM_ATTPROJW, l, C * C),
                       param_at(m, PARAM_ATTPROJB, l, C), (int)BT, (int)C, (int)C);
        for (size_t i = 0; i < BT * C; i++)
            r2[i] = h_in[i] + proj[i];
        /* run the MLP branch of block l again */
        layernorm_forward(ln2, act_at(m, ACT_LN2_MEAN, l, BT), act_at(m, ACT_LN2_RSTD, l, BT), r2,
                          param_at(m, PARAM_LN2W, l, C), param_at(m, PARAM_LN2B, l, C), B, T, (int)C);
        mlp_forward(fcproj, act_at(m, ACT_FCH, l, 4 * BT * C), act_at(m, ACT_FCH_GELU, l, 4 * BT * C),
                    ln2, param_at(m, PARAM_FCW, l, 4 * C * C), param_at(m, PARAM_FCB, l, 4 * C),
                    param_at(m, PARAM_FCPROJW, l, 4 * C * C), param_at(m, PARAM_FCPROJB, l, C),
                    (int)BT, (int)C);
        for (size_t i = 0; i < BT * C; i++)
            h_out[i] = r2[i] + fcproj[i];
    }
    if (first <= L) {
        apply_edits(m, edits, n, SITE_STREAM, L, inspect_stream(m, L));
        /* apply the final LayerNorm and score every token again */
        layernorm_forward(m->act[ACT_LNF], m->act[ACT_LNF_MEAN], m->act[ACT_LNF_RSTD],
                          inspect_stream(m, L), m->param[PARAM_LNFW], m->param[PARAM_LNFB], B, T,
                          c->channels);
        matmul_forward(m->act[ACT_LOGITS], m->act[ACT_LNF], m->param[PARAM_WTE], NULL, B * T,
                       c->channels, c->vocab_size);
    }
    return 0;
}
/* inspect.c: the logit lens */
void inspect_lens(const struct gpt *m, int l, float *logits, float *work)
{
    int B = m->B, T = m->T, C = m->config.channels;
    size_t BT = (size_t)B * T;
    layernorm_forward(work, work + BT * C, work + BT * C + BT, inspect_stream(m, l),
                      m->param[PARAM_LNFW], m->param[PARAM_LNFB], B, T, C);
    matmul_forward(logits, work, m->param[PARAM_WTE], NULL, B * T, C, m->config.vocab_size);
}
/* inspect.c: head scores */
void inspect_repeated_tokens(gsl_rng *rng, int V, int n, int B, int *inputs, int *targets)
{
    for (int b = 0; b < B; b++) {
        int *row = inputs + (size_t)b * 2 * n;
        for (int i = 0; i < n; i++)
            row[i] = row[n + i] = (int)gsl_rng_uniform_int(rng, (unsigned long)V);
        for (int t = 0; targets && t < 2 * n; t++)
            targets[(size_t)b * 2 * n + t] = row[(t + 1) % n];
    }
}
/* inspect.c: head scores */
void inspect_head_scores(const struct gpt *m, int n, double *scores)
{
    int B = m->B, T = m->T, L = m->config.num_layers, H = m->config.num_heads;
    for (int l = 0; l < L; l++)
        for (int h = 0; h < H; h++) {
            double prev = 0, dup = 0, ind = 0;
            for (int b = 0; b < B; b++) {
                const float *P = m->act[ACT_ATT] + (((size_t)l * B + b) * H + h) * T * T;
                for (int t = 1; t < T; t++)
                    prev += P[(size_t)t * T + t - 1];
                for (int t = n; t < T; t++)
                    dup += P[(size_t)t * T + t - n], ind += P[(size_t)t * T + t - n + 1];
            }
            double *s = scores + ((size_t)l * H + h) * NUM_SCORES;
            s[SCORE_PREVIOUS] = prev / ((double)B * (T - 1));
            s[SCORE_DUPLICATE] = dup / ((double)B * (T - n));
            s[SCORE_INDUCTION] = ind / ((double)B * (T - n));
        }
}
/* inspect.c: the components */
int inspect_num_components(const struct gpt_config *c)
{
    return 2 + c->num_layers * (c->num_heads + 2);
}

struct inspect_component inspect_component_at(const struct gpt_config *c, int i)
{
    int per = c->num_heads + 2, last = inspect_num_components(c) - 1;
    if (i == 0 || i == last)
        return (struct inspect_component){ i == 0 ? COMP_EMBED : COMP_LNF_BIAS, -1, -1 };
    int l = (i - 1) / per, k = (i - 1) % per;
    if (k < c->num_heads)
        return (struct inspect_component){ COMP_HEAD, l, k };
    return (struct inspect_component){ k == c->num_heads ? COMP_ATTN_BIAS : COMP_MLP, l, -1 };
}

const char *inspect_kind_name(enum inspect_kind k)
{
    static const char *const names[] = { "embed", "head", "attn-bias", "mlp", "lnf-bias" };
    return names[k];
}
/* inspect.c: direct logit attribution */
/* inspect.c: one component's vector */
/* x[C] = component k of the stream at position bt, from the fp32 activations. */
static void component_vector(const struct gpt *m, struct inspect_component k, size_t bt,
                             double *x)
{
    int C = m->config.channels, hs = C / m->config.num_heads;
    size_t BTC = (size_t)m->B * m->T * C;
    const float *src = NULL;
    switch (k.kind) {
    case COMP_EMBED: src = m->act[ACT_ENCODED] + bt * C; break;
    case COMP_MLP: src = act_at(m, ACT_FCPROJ, k.layer, BTC) + bt * C; break;
    case COMP_ATTN_BIAS: src = param_at(m, PARAM_ATTPROJB, k.layer, (size_t)C); break;
    case COMP_HEAD: case COMP_LNF_BIAS: break;
    }
    for (int o = 0; o < C; o++)
        x[o] = src ? src[o] : 0.0;
    if (k.kind == COMP_HEAD) {
        const float *W = param_at(m, PARAM_ATTPROJW, k.layer, (size_t)C * C);
        const float *y = act_at(m, ACT_ATTY, k.layer, BTC) + bt * C;
        for (int o = 0; o < C; o++)
            for (int i = k.head * hs; i < (k.head + 1) * hs; i++)
                x[o] += (double)W[(size_t)o * C + i] * y[i];
    }
}
/* inspect.c: the bound on the attribution's sum */
/* eq. dla-bound at position bt for z[token] - z[versus] (versus < 0: z[token]). */
static double dla_bound(const struct gpt *m, size_t bt, int token, int versus)
{
    const struct gpt_config *c = &m->config;
    int C = c->channels, L = c->num_layers;
    double u = FLT_EPSILON / 2, r = m->act[ACT_LNF_RSTD][bt], bound = 0;
    double *delta = calloc((size_t)C, sizeof *delta), dbar = 0, xbar = 0;
    if (!delta)
        return INFINITY;
    /* accumulate the stream's rounding delta */
    size_t BTC = (size_t)m->B * m->T * C;
    for (int l = 0; l < L; l++) {
        const float *r2 = act_at(m, ACT_RESIDUAL2, l, BTC) + bt * C;
        const float *h = act_at(m, ACT_RESIDUAL3, l, BTC) + bt * C;
        const float *y = act_at(m, ACT_ATTY, l, BTC) + bt * C;
        const float *W = param_at(m, PARAM_ATTPROJW, l, (size_t)C * C);
        const float *bo = param_at(m, PARAM_ATTPROJB, l, (size_t)C);
        for (int i = 0; i < C; i++) {
            double prod = fabs(bo[i]);
            for (int k = 0; k < C; k++)
                prod += fabs((double)W[(size_t)i * C + k] * y[k]);
            delta[i] += u * (fabs(r2[i]) + fabs(h[i])) + (C + 1) * u * prod;
        }
    }
    const float *x = inspect_stream(m, L) + bt * C, *w = m->param[PARAM_LNFW];
    const float *b = m->param[PARAM_LNFB];
    double mu = m->act[ACT_LNF_MEAN][bt];
    for (int i = 0; i < C; i++)
        dbar += delta[i] / C, xbar += fabs((double)x[i]) / C;
    for (int j = 0; j < 2; j++) {
        int tok = j == 0 ? token : versus;
        const float *e = tok >= 0 ? m->param[PARAM_WTE] + (size_t)tok * C : NULL;
        for (int i = 0; e && i < C; i++) {
            double a = fabs(x[i] - mu) * r * fabs(w[i]) + fabs(b[i]) + r * fabs(w[i]) * xbar;
            bound += r * fabs((double)e[i] * w[i]) * (delta[i] + dbar)
                     + (C + 5) * u * fabs((double)e[i]) * a;
        }
    }
    free(delta);
    return 2 * bound;
}

int inspect_dla(const struct gpt *m, int b, int t, int token, int versus,
                struct inspect_attribution *a)
{
    const struct gpt_config *c = &m->config;
    int C = c->channels, V = c->vocab_size, N = inspect_num_components(c);
    size_t bt = (size_t)b * m->T + t;
    double *x = malloc(2 * (size_t)C * sizeof *x), *u = x + C;
    if (!x)
        return -1;
    /* form the row difference u and the bias's share */
    const float *w = m->param[PARAM_LNFW], *bias = m->param[PARAM_LNFB];
    const float *ej = m->param[PARAM_WTE] + (size_t)token * C;
    const float *ek = versus >= 0 ? m->param[PARAM_WTE] + (size_t)versus * C : NULL;
    double r = m->act[ACT_LNF_RSTD][bt], bias_share = 0;
    for (int k = 0; k < C; k++) {
        double e = (double)ej[k] - (ek ? (double)ek[k] : 0.0);
        u[k] = (double)w[k] * e;
        bias_share += e * bias[k];
    }
    a->values[N - 1] = bias_share;
    a->sum = a->values[N - 1];
    for (int i = 0; i < N - 1; i++) {
        component_vector(m, inspect_component_at(c, i), bt, x);
        double mu = 0, v = 0;
        for (int k = 0; k < C; k++)
            mu += x[k] / C;
        for (int k = 0; k < C; k++)
            v += u[k] * (x[k] - mu);
        a->values[i] = r * v;
        a->sum += a->values[i];
    }
    const float *z = m->act[ACT_LOGITS] + bt * V;
    a->model = (double)z[token] - (versus >= 0 ? (double)z[versus] : 0.0);
    a->bound = dla_bound(m, bt, token, versus);
    free(x);
    return 0;
}
/* inspect.c: activation patching */
static double logit_difference(const struct gpt *m, const struct inspect_patching *p)
{
    const float *z = m->act[ACT_LOGITS] + (size_t)p->pos * m->config.vocab_size;
    return (double)z[p->token] - (double)z[p->versus];
}

int inspect_patch_prepare(struct gpt *m, struct inspect_patching *p, char *err, size_t errlen)
{
    int L = m->config.num_layers;
    size_t TC = (size_t)p->T * m->config.channels;
    p->stream = malloc((size_t)(L + 1) * TC * sizeof *p->stream);
    p->heads = malloc((size_t)L * TC * sizeof *p->heads);
    if (!p->stream || !p->heads) {
        inspect_patching_free(p);
        return snprintf(err, errlen, "out of memory"), -1;
    }
    if (gpt_forward(m, p->clean, NULL, 1, p->T, err, errlen) != 0)
        return inspect_patching_free(p), -1;
    for (int l = 0; l <= L; l++)
        memcpy(p->stream + l * TC, inspect_stream(m, l), TC * sizeof *p->stream);
    memcpy(p->heads, m->act[ACT_ATTY], (size_t)L * TC * sizeof *p->heads);
    p->d_clean = logit_difference(m, p);
    if (gpt_forward(m, p->corrupt, NULL, 1, p->T, err, errlen) != 0)
        return inspect_patching_free(p), -1;
    p->d_corrupt = logit_difference(m, p);
    return 0;
}
/* inspect.c: activation patching */
int inspect_patch_run(struct gpt *m, const struct inspect_patching *p,
                      const struct inspect_edit *edits, int n, double *rho,
                      char *err, size_t errlen)
{
    if (inspect_forward(m, p->corrupt, 1, p->T, edits, n, err, errlen) != 0)
        return -1;
    *rho = (logit_difference(m, p) - p->d_corrupt) / (p->d_clean - p->d_corrupt);
    return 0;
}

void inspect_patching_free(struct inspect_patching *p)
{
    free(p->stream), free(p->heads);
    p->stream = p->heads = NULL;
}
/* inspect.c: ablation */
static double mean_loss(const struct gpt *m, const int *targets, int B, int T)
{
    int V = m->config.vocab_size;
    double sum = 0;
    for (size_t bt = 0; bt < (size_t)B * T; bt++) {
        const float *z = m->act[ACT_LOGITS] + bt * V;
        double max = z[0], e = 0;
        for (int v = 1; v < V; v++)
            max = fmax(max, z[v]);
        for (int v = 0; v < V; v++)
            e += exp(z[v] - max);
        sum += max + log(e) - z[targets[bt]];
    }
    return sum / ((double)B * T);
}
/* inspect.c: ablation */
int inspect_ablate(struct gpt *m, const int *inputs, const int *targets, int B, int T,
                   const struct inspect_head *heads, int n, enum inspect_ablation kind,
                   double *clean, double *ablated, char *err, size_t errlen)
{
    int C = m->config.channels, hs = C / m->config.num_heads, status = -1;
    size_t BTC = (size_t)B * T * C;
    float *from = calloc((size_t)n * BTC + 1, sizeof *from);
    struct inspect_edit *edits = calloc((size_t)n + 1, sizeof *edits);
    if (!from || !edits)
        snprintf(err, errlen, "out of memory");
    else if (inspect_forward(m, inputs, B, T, NULL, 0, err, errlen) == 0) {
        *clean = mean_loss(m, targets, B, T);
        /* fill each ablated head's values and edit */
        for (int k = 0; k < n; k++) {
            const float *y = m->act[ACT_ATTY] + heads[k].layer * BTC;
            float *f = from + k * BTC;
            for (int i = 0; kind == ABLATE_MEAN && i < hs; i++) {
                double mean = 0;
                for (size_t bt = 0; bt < (size_t)B * T; bt++)
                    mean += y[bt * C + heads[k].head * hs + i];
                for (size_t bt = 0; bt < (size_t)B * T; bt++)
                    f[bt * C + heads[k].head * hs + i] = (float)(mean / ((double)B * T));
            }
            edits[k] = (struct inspect_edit){ SITE_HEAD, heads[k].layer, heads[k].head, -1, f };
        }
        if (inspect_forward(m, inputs, B, T, edits, n, err, errlen) == 0)
            *ablated = mean_loss(m, targets, B, T), status = 0;
    }
    free(from), free(edits);
    return status;
}
/* inspect.c: training an induction model */
/* The token at t of a row x[0..t) being drawn outside the repetitions:
   with probability r the token that followed the latest earlier x[t-1], if
   there is one; else with probability q the token two back plus one; else
   uniform. */
static int draw_token(gsl_rng *rng, int V, const int *x, int t,
                      const struct induction_options *o)
{
    if (t >= 2 && gsl_rng_uniform(rng) < o->copy_rate)
        for (int s = t - 2; s >= 0; s--)
            if (x[s] == x[t - 1])
                return x[s + 1];
    if (t >= 2 && gsl_rng_uniform(rng) < o->skip_rate)
        return (x[t - 2] + 1) % V;
    return (int)gsl_rng_uniform_int(rng, (unsigned long)V);
}

/* Rows of inputs and targets [B x 2n]: after a random prefix of fewer than
   k tokens, a span of a random length k in [kmin, n], repeated to the end
   of the row, each repetition after a gap of 0 to max_gap tokens; prefix,
   span and gaps drawn by draw_token, the targets the row's next tokens. */
static void periodic_rows(gsl_rng *rng, int V, const struct induction_options *o, int B,
                          int *inputs, int *targets)
{
    int n = o->span, T = 2 * n, kmin = o->min_period;
    unsigned long gaps = (unsigned long)o->max_gap + 1;
    for (int b = 0; b < B; b++) {
        int k = kmin + (int)gsl_rng_uniform_int(rng, (unsigned long)(n - kmin + 1));
        int r = (int)gsl_rng_uniform_int(rng, (unsigned long)k), i = 0, gap = 0;
        int *x = inputs + (size_t)b * T, *y = targets + (size_t)b * T;
        for (int t = 0; t <= T; t++) {
            int v;
            if (t < r + k || gap > 0)
                v = draw_token(rng, V, x, t, o), gap -= t >= r + k;
            else if ((v = x[r + i]), ++i == k)
                i = 0, gap = (int)gsl_rng_uniform_int(rng, gaps);
            if (t == r + k - 1)
                gap = (int)gsl_rng_uniform_int(rng, gaps);
            if (t < T)
                x[t] = v;
            if (t > 0)
                y[t - 1] = v;
        }
    }
}
/* inspect.c: training an induction model */
/* inspect.c: holding the MLPs at zero */
/* Zero the MLPs' tensors of a parameter-shaped buffer (views as m->param). */
static void hold_mlps_at_zero(const struct gpt *m, float *const views[NUM_PARAM_TENSORS])
{
    static const int mlp[] = { PARAM_FCW, PARAM_FCB, PARAM_FCPROJW, PARAM_FCPROJB };
    for (int i = 0; i < 4; i++)
        memset(views[mlp[i]], 0, m->param_size[mlp[i]] * sizeof(float));
}
/* inspect.c: one row of the induction log */
enum { LOG_ROWS = 16 };

static int log_induction_step(struct gpt *m, gsl_rng *rng, int n, int s, double *scores,
                              FILE *log, char *err, size_t errlen)
{
    int T = 2 * n, B = LOG_ROWS, LH = m->config.num_layers * m->config.num_heads, best = 0;
    double first = 0, repeated = 0, prev = 0;
    int *inputs = malloc(2 * (size_t)B * T * sizeof *inputs), *targets = inputs + (size_t)B * T;
    if (!inputs)
        return snprintf(err, errlen, "out of memory"), -1;
    inspect_repeated_tokens(rng, m->config.vocab_size, n, B, inputs, targets);
    if (gpt_forward(m, inputs, targets, B, T, err, errlen) != 0)
        return free(inputs), -1;
    /* average the losses of the two halves */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            double loss = m->act[ACT_LOSSES][(size_t)b * T + t];
            first += t < n - 1 ? loss / ((double)B * (n - 1)) : 0;
            repeated += t >= n ? loss / ((double)B * n) : 0;
        }
    inspect_head_scores(m, n, scores);
    for (int k = 0; k < LH; k++) {
        prev = fmax(prev, scores[k * NUM_SCORES + SCORE_PREVIOUS]);
        if (scores[k * NUM_SCORES + SCORE_INDUCTION] > scores[best * NUM_SCORES + SCORE_INDUCTION])
            best = k;
    }
    fprintf(log, "%d\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t%d\n", s, first, repeated, prev,
            scores[best * NUM_SCORES + SCORE_INDUCTION], best / m->config.num_heads + 1,
            best % m->config.num_heads + 1);
    fflush(log);   /* a long run shows its progress */
    free(inputs);
    return 0;
}

int induction_train(struct gpt *m, const struct induction_options *o, char *err,
                    size_t errlen)
{
    const struct gpt_config *c = &m->config;
    int n = o->span, T = 2 * n, B = o->batch, status = -1;
    int *inputs = malloc(2 * (size_t)B * T * sizeof *inputs);
    double *scores = malloc((size_t)c->num_layers * c->num_heads * NUM_SCORES * sizeof *scores);
    gsl_rng *rng = rng_create(o->seed);
    struct adamw opt = { 0 };
    if (!inputs || !scores || !rng || adamw_create(&opt, m->num_params, adamw_defaults()) != 0)
        snprintf(err, errlen, "out of memory");
    else
        /* train m on repeated spans, logging as it goes */
        {
            struct lr_schedule sched = { (float)o->lr, (float)o->min_lr, o->warmup, o->steps };
            int *targets = inputs + (size_t)B * T;
            if (o->attention_only)
                hold_mlps_at_zero(m, m->param);
            if (o->log)
                fputs("step\tfirst half\trepeated half\tprevious-token\tinduction\tlayer\thead\n", o->log);
            status = 0;
            for (int s = 0; s < o->steps; s++) {
                if (o->log && (s % o->log_every == 0 || s == o->steps - 1)
                    && log_induction_step(m, rng, n, s, scores, o->log, err, errlen) != 0) {
                    status = -1;
                    break;
                }
                periodic_rows(rng, c->vocab_size, o, B, inputs, targets);
                if (gpt_forward(m, inputs, targets, B, T, err, errlen) != 0) {
                    status = -1;
                    break;
                }
                /* take one optimiser step on the batch, or stop if it is not finite */
                gpt_zero_grad(m);
                gpt_backward(m);
                if (o->attention_only)
                    hold_mlps_at_zero(m, m->grad);
                double norm = clip_global_norm(m->grads, m->num_params, o->grad_clip);
                if (!isfinite(norm) || !isfinite(m->mean_loss)) {
                    snprintf(err, errlen, "step %d: the loss or the gradient is not finite", s + 1);
                    status = -1;
                    break;
                }
                opt.h.lr = lr_at(&sched, s);
                adamw_update(&opt, m->params, m->grads);
            }
        }
    adamw_free(&opt), gsl_rng_free(rng), free(scores), free(inputs);
    return status;
}
