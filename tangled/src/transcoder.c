/* transcoder.c: tangled from book/14-circuits.nw; edit the book, not this file. */
/* transcoder.c: tangled from book/14-circuits.nw; edit the book, not this file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "adamw.h"
#include "attention.h"
#include "layernorm.h"
#include "matmul.h"
#include "mlp.h"
#include "numbers.h"
#include "support.h"
#include "transcoder.h"

/* transcoder.c: creating a transcoder */
static void set_views(struct transcoder *tc)
{
    size_t FC = (size_t)tc->F * tc->C;
    tc->W_enc = tc->params, tc->b_enc = tc->W_enc + FC;
    tc->W_dec = tc->b_enc + tc->F, tc->b_dec = tc->W_dec + FC;
}

int transcoder_create(struct transcoder *tc, int layer, int C, int F)
{
    memset(tc, 0, sizeof *tc);
    if (layer < 0 || layer >= GPT_MAX_LAYERS || C < 1 || C > GPT_MAX_CHANNELS || F < 1
        || F > TRANSCODER_MAX_FEATURES)
        return -1;
    tc->layer = layer, tc->C = C, tc->F = F;
    tc->num_params = 2 * (size_t)F * C + (size_t)F + (size_t)C;
    if (!(tc->params = calloc(tc->num_params, sizeof *tc->params)))
        return -1;
    set_views(tc);
    return 0;
}

void transcoder_free(struct transcoder *tc)
{
    free(tc->params);
    tc->params = tc->W_enc = tc->b_enc = tc->W_dec = tc->b_dec = NULL;
}

void transcoder_init(struct transcoder *tc, gsl_rng *rng, double sigma)
{
    size_t FC = (size_t)tc->F * tc->C;
    fill_normal(rng, tc->W_enc, FC, 1 / sqrt((double)tc->C));
    fill_normal(rng, tc->W_dec, FC, sigma / sqrt((double)FC));
    memset(tc->b_enc, 0, (size_t)tc->F * sizeof *tc->b_enc);
    memset(tc->b_dec, 0, (size_t)tc->C * sizeof *tc->b_dec);
}
/* transcoder.c: the forward pass */
void transcoder_forward(const struct transcoder *tc, const float *x, int N, float *z,
                        float *a, float *yhat)
{
    size_t NF = (size_t)N * tc->F;
    matmul_forward(z, x, tc->W_enc, tc->b_enc, N, tc->C, tc->F);       /* eq. tc-encode */
    for (size_t i = 0; i < NF; i++)
        a[i] = z[i] > 0 ? z[i] : 0;
    matmul_forward(yhat, a, tc->W_dec, tc->b_dec, N, tc->F, tc->C);    /* eq. tc-decode */
}

void transcoder_decoder_norms(const struct transcoder *tc, float *norms)
{
    int C = tc->C, F = tc->F;
    for (int f = 0; f < F; f++) {
        double s = 0;
        for (int c = 0; c < C; c++)
            s += (double)tc->W_dec[(size_t)c * F + f] * tc->W_dec[(size_t)c * F + f];
        norms[f] = (float)sqrt(s);
    }
}
/* transcoder.c: the loss */
void transcoder_loss(const struct transcoder *tc, const float *a, const float *yhat,
                     const float *y, const float *norms, int N, struct transcoder_loss *l)
{
    int C = tc->C, F = tc->F;
    double e = 0, s = 0;
    for (size_t i = 0; i < (size_t)N * C; i++)
        e += ((double)yhat[i] - y[i]) * ((double)yhat[i] - y[i]);
    for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++)
            s += (double)a[(size_t)n * F + f] * norms[f];
    l->E = e / (N * l->sigma * l->sigma);
    l->S = s / (N * l->sigma);
    l->loss = l->E + l->lambda * l->S;
}
/* transcoder.c: the backward pass */
void transcoder_backward(const struct transcoder *tc, float *grads, const float *x,
                         const float *z, const float *a, const float *yhat,
                         const float *y, int N, const struct transcoder_loss *l,
                         float *work)
{
    int C = tc->C, F = tc->F;
    size_t FC = (size_t)F * C, NF = (size_t)N * F;
    float *g = work, *da = g + (size_t)N * C, *norms = da + NF;
    float *dW_enc = grads, *db_enc = dW_enc + FC, *dW_dec = db_enc + F, *db_dec = dW_dec + FC;
    double kappa = l->lambda / (N * l->sigma);
    transcoder_decoder_norms(tc, norms);
    /* form g, the loss's gradient at the output */
    for (size_t i = 0; i < (size_t)N * C; i++)       /* eq. tc-dyhat */
        g[i] = (float)(2 * ((double)yhat[i] - y[i]) / (N * l->sigma * l->sigma));
    memset(da, 0, NF * sizeof *da);
    matmul_backward(da, dW_dec, db_dec, g, a, tc->W_dec, N, F, C);
    /* add the penalty's share to the decoder's gradient */
    for (int f = 0; f < F; f++) {                    /* eq. tc-dwdec, second term */
        double fired = 0;
        for (int n = 0; n < N; n++)
            fired += a[(size_t)n * F + f];
        if (norms[f] > 0)
            for (int c = 0; c < C; c++)
                dW_dec[(size_t)c * F + f] += (float)(kappa * fired * tc->W_dec[(size_t)c * F + f]
                                                     / norms[f]);
    }
    /* form the gradient at z from the one at a */
    for (int n = 0; n < N; n++)                      /* eq. tc-da */
        for (int f = 0; f < F; f++) {
            size_t i = (size_t)n * F + f;
            da[i] = z[i] > 0 ? da[i] + (float)(kappa * norms[f]) : 0;
        }
    /* accumulate the encoder's gradient */
    struct matrix Dzt = { da, 1, F }, X = { x, C, 1 };      /* eq. tc-dwenc */
    gemm_strided(F, C, N, Dzt, X, dW_enc, C, MATMUL_KERNEL_BEST, 1);
    for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++)
            db_enc[f] += da[(size_t)n * F + f];
}
/* transcoder.c: files */
int transcoder_save(const struct transcoder *tcs, int n, const char *path, char *err,
                    size_t errlen)
{
    if (n < 1 || n > GPT_MAX_LAYERS)
        return snprintf(err, errlen, "cannot save %d transcoders", n), -1;
    for (int k = 1; k < n; k++)
        if (tcs[k].C != tcs[0].C || tcs[k].F != tcs[0].F || tcs[k].layer <= tcs[k - 1].layer)
            return snprintf(err, errlen, "transcoders of different sizes or out of order"), -1;
    size_t P = tcs[0].num_params, head_bytes = (TRANSCODER_HEADER_INTS + (size_t)n) * 4;
    int32_t *head = calloc(TRANSCODER_HEADER_INTS + (size_t)n, 4);
    float *body = malloc((size_t)n * P * sizeof *body);
    int status = -1;
    if (!head || !body)
        snprintf(err, errlen, "out of memory");
    else {
        head[0] = TRANSCODER_MAGIC, head[1] = TRANSCODER_VERSION, head[2] = n;
        head[3] = tcs[0].C, head[4] = tcs[0].F;
        for (int k = 0; k < n; k++) {
            head[TRANSCODER_HEADER_INTS + k] = tcs[k].layer;
            memcpy(body + (size_t)k * P, tcs[k].params, P * sizeof *body);
        }
        status = write_file_atomically(path, head, head_bytes, body, (size_t)n * P * sizeof *body,
                                       err, errlen);
    }
    free(head), free(body);
    return status;
}
/* transcoder.c: files */
void transcoder_free_all(struct transcoder *tcs, int n)
{
    for (int k = 0; tcs && k < n; k++)
        transcoder_free(&tcs[k]);
    free(tcs);
}

int transcoder_load(const char *path, struct transcoder **tcs, int *n, char *err,
                    size_t errlen)
{
    size_t len = 0;
    unsigned char *file = read_file(path, &len);
    int32_t h[TRANSCODER_HEADER_INTS];
    *tcs = NULL, *n = 0;
    if (!file)
        return snprintf(err, errlen, "cannot read %s", path), -1;
    /* check the transcoder file's header and size */
    const char *why = NULL;
    if (len < sizeof h)
        why = "too short for the header";
    else {
        memcpy(h, file, sizeof h);
        if (h[0] != TRANSCODER_MAGIC)
            why = "not a transcoder file (bad magic number)";
        else if (h[1] != TRANSCODER_VERSION)
            why = "an unknown version";
        else if (h[2] < 1 || h[2] > GPT_MAX_LAYERS || h[3] < 1 || h[3] > GPT_MAX_CHANNELS
                 || h[4] < 1 || h[4] > TRANSCODER_MAX_FEATURES || h[5] || h[6] || h[7])
            why = "a count out of range";
        else {
            uint64_t P = 2 * (uint64_t)h[4] * (uint64_t)h[3] + (uint64_t)h[4] + (uint64_t)h[3];
            uint64_t want = 4 * (TRANSCODER_HEADER_INTS + (uint64_t)h[2] + (uint64_t)h[2] * P);
            if ((uint64_t)len != want)
                why = "the wrong size for its counts";
        }
    }
    if (why) {
        snprintf(err, errlen, "%s: %s", path, why);
        return free(file), -1;
    }
    /* check the blocks and read every transcoder */
    int count = h[2], C = h[3], F = h[4];
    int32_t *layers = malloc((size_t)count * sizeof *layers);
    struct transcoder *t = calloc((size_t)count, sizeof *t);
    int ok = layers && t;
    if (ok)
        memcpy(layers, file + sizeof h, (size_t)count * sizeof *layers);
    for (int k = 0; ok && k < count; k++)
        if (layers[k] < 0 || layers[k] >= GPT_MAX_LAYERS || (k && layers[k] <= layers[k - 1]))
            ok = 0, why = "blocks out of range or out of order";
    const unsigned char *p = file + sizeof h + (size_t)count * sizeof *layers;
    for (int k = 0; ok && k < count; k++) {
        if (transcoder_create(&t[k], layers[k], C, F) != 0) {
            ok = 0, why = "out of memory";
            break;
        }
        memcpy(t[k].params, p + (size_t)k * t[k].num_params * 4, t[k].num_params * 4);
        for (size_t i = 0; i < t[k].num_params; i++)
            if (!isfinite(t[k].params[i]))
                ok = 0, why = "a parameter that is not finite";
    }
    free(layers), free(file);
    if (!ok) {
        transcoder_free_all(t, count);
        return snprintf(err, errlen, "%s: %s", path, why ? why : "out of memory"), -1;
    }
    *tcs = t, *n = count;
    return 0;
}
/* transcoder.c: the model's slices */
/* Layer l's slice of activation tensor a, each layer n floats. */
static float *act_at(const struct gpt *m, int a, int l, size_t n)
{
    return m->act[a] + (size_t)l * n;
}

static const float *param_at(const struct gpt *m, int p, int l, size_t n)
{
    return m->param[p] + (size_t)l * n;
}
/* transcoder.c: training */
/* transcoder.c: the batch of one step */
static void step_batch(const int32_t *tokens, size_t n_tokens, int s, int B, int T, int *inputs)
{
    size_t rows = (n_tokens - 1) / (size_t)T;   /* whole windows in the text */
    for (int b = 0; b < B; b++) {
        size_t start = (((size_t)s * B + b) % rows) * (size_t)T;
        for (int t = 0; t < T; t++)
            inputs[(size_t)b * T + t] = tokens[start + t];
    }
}
/* transcoder.c: the spread of a layer's outputs */
/* sigma of eq. tc-loss over y [N x C], and the mean row into mean [C]. */
static double output_spread(const float *y, int N, int C, float *mean)
{
    double total = 0;
    for (int c = 0; c < C; c++) {
        double s = 0, ss = 0;
        for (int i = 0; i < N; i++)
            s += y[(size_t)i * C + c], ss += (double)y[(size_t)i * C + c] * y[(size_t)i * C + c];
        mean[c] = (float)(s / N);
        total += ss / N - (s / N) * (s / N);
    }
    return total > 0 ? sqrt(total) : 1;
}

int transcoder_train(struct gpt *m, struct transcoder *tcs, int n, const int32_t *tokens,
                     size_t n_tokens, const struct transcoder_options *o, gsl_rng *rng,
                     char *err, size_t errlen)
{
    int B = o->batch, T = o->context, C = m->config.channels, F = tcs[0].F, status = -1;
    size_t BT = (size_t)B * T;
    if (T < 1 || T > m->config.max_seq_len || n_tokens < (size_t)T + 1)
        return snprintf(err, errlen, "the text has too few tokens for one row of %d", T), -1;
    int *inputs = malloc(BT * sizeof *inputs);
    float *z = malloc(BT * F * sizeof *z), *a = malloc(BT * F * sizeof *a);
    float *yhat = malloc(BT * C * sizeof *yhat), *work = malloc((BT * (C + F) + F) * sizeof *work);
    float *grads = malloc(tcs[0].num_params * sizeof *grads), *norms = malloc(F * sizeof *norms);
    double *sigma = malloc((size_t)n * sizeof *sigma);
    struct adamw *opt = calloc((size_t)n, sizeof *opt);
    struct adamw_hparams hp = adamw_defaults();
    hp.lr = (float)o->lr;
    int ok = inputs && z && a && yhat && work && grads && norms && sigma && opt;
    for (int k = 0; ok && k < n; k++)
        ok = adamw_create(&opt[k], tcs[k].num_params, hp) == 0;
    if (!ok)
        snprintf(err, errlen, "out of memory");
    else {
        /* train every transcoder for o->steps steps */
        for (int s = 0; s < o->steps; s++) {
            step_batch(tokens, n_tokens, s, B, T, inputs);
            if (gpt_forward(m, inputs, NULL, B, T, err, errlen) != 0)
                break;
            int k;
            for (k = 0; k < n; k++) {
                struct transcoder *tc = &tcs[k];
                const float *x = act_at(m, ACT_LN2, tc->layer, BT * C);
                const float *y = act_at(m, ACT_FCPROJ, tc->layer, BT * C);
                if (s == 0) {
                    sigma[k] = output_spread(y, (int)BT, C, yhat);
                    transcoder_init(tc, rng, sigma[k]);
                    memcpy(tc->b_dec, yhat, (size_t)C * sizeof *yhat);
                }
                /* take one step for transcoder k, logging it */
                struct transcoder_loss l = { .lambda = o->lambda, .sigma = sigma[k] };
                transcoder_forward(tc, x, (int)BT, z, a, yhat);
                transcoder_decoder_norms(tc, norms);
                transcoder_loss(tc, a, yhat, y, norms, (int)BT, &l);
                if (!isfinite(l.loss)) {
                    snprintf(err, errlen, "step %d: block %d's loss is not finite", s + 1, tc->layer + 1);
                    break;
                }
                memset(grads, 0, tc->num_params * sizeof *grads);
                transcoder_backward(tc, grads, x, z, a, yhat, y, (int)BT, &l, work);
                adamw_update(&opt[k], tc->params, grads);
                if (o->log && (s % o->log_every == 0 || s == o->steps - 1)) {
                    size_t active = 0;
                    for (size_t i = 0; i < BT * F; i++)
                        active += a[i] > 0;
                    fprintf(o->log, "%d\t%d\t%.6f\t%.6f\t%.3f\n", s + 1, tc->layer + 1, l.loss, l.E,
                            (double)active / BT);
                }
            }
            if (k < n)
                break;
            if (s == o->steps - 1)
                status = 0;
        }
    }
    for (int k = 0; opt && k < n; k++)
        adamw_free(&opt[k]);
    free(inputs), free(z), free(a), free(yhat), free(work), free(grads), free(norms);
    free(sigma), free(opt);
    return status;
}
/* transcoder.c: the replacement model */
static const struct transcoder *transcoder_of(const struct transcoder *tcs, int n, int l)
{
    for (int k = 0; k < n; k++)
        if (tcs[k].layer == l)
            return &tcs[k];
    return NULL;
}

int transcoder_replace_forward(struct gpt *m, const int *inputs, int B, int T,
                               const struct transcoder *tcs, int n, float *work,
                               char *err, size_t errlen)
{
    const struct gpt_config *c = &m->config;
    int L = c->num_layers, first = L;
    if (gpt_forward(m, inputs, NULL, B, T, err, errlen) != 0)
        return -1;
    for (int k = 0; k < n; k++) {
        if (tcs[k].layer >= L || tcs[k].C != c->channels)
            return snprintf(err, errlen, "transcoder %d does not fit this model", k), -1;
        if (tcs[k].layer < first)
            first = tcs[k].layer;
    }
    for (int l = first; l < L; l++) {
        /* run block l again, with its transcoder if it has one */
        size_t BT = (size_t)B * T, C = (size_t)c->channels, NH = (size_t)c->num_heads;
        const float *h_in = l == 0 ? m->act[ACT_ENCODED] : act_at(m, ACT_RESIDUAL3, l - 1, BT * C);
        float *ln1 = act_at(m, ACT_LN1, l, BT * C), *qkv = act_at(m, ACT_QKV, l, 3 * BT * C);
        float *atty = act_at(m, ACT_ATTY, l, BT * C), *proj = act_at(m, ACT_ATTPROJ, l, BT * C);
        float *r2 = act_at(m, ACT_RESIDUAL2, l, BT * C), *ln2 = act_at(m, ACT_LN2, l, BT * C);
        float *fcproj = act_at(m, ACT_FCPROJ, l, BT * C), *h_out = act_at(m, ACT_RESIDUAL3, l, BT * C);
        const struct transcoder *tc = transcoder_of(tcs, n, l);
        layernorm_forward(ln1, act_at(m, ACT_LN1_MEAN, l, BT), act_at(m, ACT_LN1_RSTD, l, BT), h_in,
                          param_at(m, PARAM_LN1W, l, C), param_at(m, PARAM_LN1B, l, C), B, T, (int)C);
        matmul_forward(qkv, ln1, param_at(m, PARAM_QKVW, l, 3 * C * C),
                       param_at(m, PARAM_QKVB, l, 3 * C), (int)BT, (int)C, 3 * (int)C);
        attention_forward(atty, m->act[ACT_PREATT], act_at(m, ACT_ATT, l, BT * NH * T), qkv, B, T,
                          (int)C, (int)NH);
        matmul_forward(proj, atty, param_at(m, PARAM_ATTPROJW, l, C * C),
                       param_at(m, PARAM_ATTPROJB, l, C), (int)BT, (int)C, (int)C);
        for (size_t i = 0; i < BT * C; i++)
            r2[i] = h_in[i] + proj[i];
        layernorm_forward(ln2, act_at(m, ACT_LN2_MEAN, l, BT), act_at(m, ACT_LN2_RSTD, l, BT), r2,
                          param_at(m, PARAM_LN2W, l, C), param_at(m, PARAM_LN2B, l, C), B, T, (int)C);
        if (tc)
            transcoder_forward(tc, ln2, (int)BT, work, work + BT * tc->F, fcproj);
        else
            mlp_forward(fcproj, act_at(m, ACT_FCH, l, 4 * BT * C), act_at(m, ACT_FCH_GELU, l, 4 * BT * C),
                        ln2, param_at(m, PARAM_FCW, l, 4 * C * C), param_at(m, PARAM_FCB, l, 4 * C),
                        param_at(m, PARAM_FCPROJW, l, 4 * C * C), param_at(m, PARAM_FCPROJB, l, C),
                        (int)BT, (int)C);
        for (size_t i = 0; i < BT * C; i++)
            h_out[i] = r2[i] + fcproj[i];
    }
    if (first < L) {
        layernorm_forward(m->act[ACT_LNF], m->act[ACT_LNF_MEAN], m->act[ACT_LNF_RSTD],
                          act_at(m, ACT_RESIDUAL3, L - 1, (size_t)B * T * c->channels),
                          m->param[PARAM_LNFW], m->param[PARAM_LNFB], B, T, c->channels);
        matmul_forward(m->act[ACT_LOGITS], m->act[ACT_LNF], m->param[PARAM_WTE], NULL, B * T,
                       c->channels, c->vocab_size);
    }
    return 0;
}
/* transcoder.c: evaluation */
static int argmax(const float *z, int V)
{
    int best = 0;
    for (int i = 1; i < V; i++)
        if (z[i] > z[best])
            best = i;
    return best;
}

int transcoder_evaluate(struct gpt *m, const struct transcoder *tcs, int n,
                        const int32_t *tokens, size_t n_tokens, int B, int max_batches,
                        struct transcoder_report *r, char *err, size_t errlen)
{
    int T = m->config.max_seq_len, C = m->config.channels, V = m->config.vocab_size;
    int F = tcs[0].F, status = 0;
    size_t BT = (size_t)B * T, rows = n_tokens / (size_t)T;
    if (rows < (size_t)B)
        return snprintf(err, errlen, "the text has fewer than %d rows of %d tokens", B, T), -1;
    int *inputs = malloc(BT * sizeof *inputs), *real = malloc(BT * sizeof *real);
    float *work = malloc(2 * BT * F * sizeof *work), *yhat = malloc(BT * C * sizeof *yhat);
    double *acc = calloc((size_t)(n + 1) * (5 + C), sizeof *acc);
    unsigned char *alive = calloc((size_t)n * F, 1);
    if (!inputs || !real || !work || !yhat || !acc || !alive)
        status = -1, snprintf(err, errlen, "out of memory");
    long batches = 0;
    for (size_t row = 0; status == 0 && row + B <= rows && batches < max_batches; row += B) {
        /* run one batch through the model and its replacements */
        for (size_t i = 0; i < BT; i++)
            inputs[i] = tokens[row * T + i];
        if (gpt_forward(m, inputs, NULL, B, T, err, errlen) != 0) {
            status = -1;
            break;
        }
        for (size_t i = 0; i < BT; i++)
            real[i] = argmax(m->act[ACT_LOGITS] + i * V, V);
        for (int k = 0; k < n; k++) {
            double *s = acc + (size_t)k * (5 + C);
            const float *x = act_at(m, ACT_LN2, tcs[k].layer, BT * C);
            const float *y = act_at(m, ACT_FCPROJ, tcs[k].layer, BT * C);
            transcoder_forward(&tcs[k], x, (int)BT, work, work + BT * F, yhat);
            for (size_t i = 0; i < BT * C; i++) {
                s[0] += ((double)yhat[i] - y[i]) * ((double)yhat[i] - y[i]);
                s[1] += (double)y[i] * y[i], s[5 + i % C] += y[i];
            }
            for (size_t i = 0; i < BT * F; i++)
                if (work[BT * F + i] > 0)
                    s[2]++, alive[(size_t)k * F + i % F] = 1;
        }
        for (int k = 0; k <= n; k++) {
            double *s = acc + (size_t)k * (5 + C);
            if (transcoder_replace_forward(m, inputs, B, T, k < n ? &tcs[k] : tcs, k < n ? 1 : n, work,
                                           err, errlen) != 0) {
                status = -1;
                break;
            }
            for (size_t i = 0; i < BT; i++)
                s[3] += argmax(m->act[ACT_LOGITS] + i * V, V) == real[i];
            s[4] += (double)BT;
        }
        batches++;
    }
    if (status == 0)
        /* fill the reports from the sums */
        {
            r[n] = (struct transcoder_report){ .layer = -1 };
            for (int k = 0; k <= n; k++) {
                double *s = acc + (size_t)k * (5 + C), mean2 = 0;
                long dead = 0;
                for (int c = 0; c < C; c++)
                    mean2 += (s[5 + c] / s[4]) * (s[5 + c] / s[4]);
                if (k < n) {
                    for (int f = 0; f < F; f++)
                        dead += !alive[(size_t)k * F + f];
                    r[k].layer = tcs[k].layer;
                    r[k].fvu = s[0] / (s[1] - s[4] * mean2);
                    r[k].l0 = s[2] / s[4];
                    r[k].dead = (double)dead / F;
                    r[n].fvu += r[k].fvu / n, r[n].l0 += r[k].l0 / n, r[n].dead += r[k].dead / n;
                }
                r[k].agreement = s[3] / s[4];
            }
        }
    free(inputs), free(real), free(work), free(yhat), free(acc), free(alive);
    return status;
}
/* transcoder.c: reading features */
static void keep_if_among_top(struct feature_context *list, int K, float activation,
                              long position)
{
    if (activation <= list[K - 1].activation)
        return;
    int i = K - 1;
    for (; i > 0 && activation > list[i - 1].activation; i--)
        list[i] = list[i - 1];
    list[i] = (struct feature_context){ activation, position };
}

int transcoder_top_contexts(struct gpt *m, const struct transcoder *tc, const int32_t *tokens,
                            size_t n_tokens, int B, int K, struct feature_context *top,
                            long *fires, char *err, size_t errlen)
{
    int T = m->config.max_seq_len, C = m->config.channels, F = tc->F;
    size_t rows = n_tokens / (size_t)T;
    float *z = malloc((size_t)B * T * F * sizeof *z), *a = malloc((size_t)B * T * F * sizeof *a);
    float *yhat = malloc((size_t)B * T * C * sizeof *yhat);
    int *inputs = malloc((size_t)B * T * sizeof *inputs), status = 0;
    if (!z || !a || !yhat || !inputs)
        status = -1, snprintf(err, errlen, "out of memory");
    for (size_t i = 0; i < (size_t)F * K; i++)
        top[i] = (struct feature_context){ 0, -1 };
    memset(fires, 0, (size_t)F * sizeof *fires);
    for (size_t row = 0; status == 0 && row < rows; row += (size_t)B) {
        int b_rows = rows - row < (size_t)B ? (int)(rows - row) : B;
        size_t BT = (size_t)b_rows * T;
        for (size_t i = 0; i < BT; i++)
            inputs[i] = tokens[row * T + i];
        if (gpt_forward(m, inputs, NULL, b_rows, T, err, errlen) != 0) {
            status = -1;
            break;
        }
        transcoder_forward(tc, act_at(m, ACT_LN2, tc->layer, BT * C), (int)BT, z, a, yhat);
        for (size_t i = 0; i < BT; i++)
            for (int f = 0; f < F; f++)
                if (a[i * F + f] > 0) {
                    fires[f]++;
                    keep_if_among_top(top + (size_t)f * K, K, a[i * F + f], (long)(row * T + i));
                }
    }
    free(z), free(a), free(yhat), free(inputs);
    return status;
}
