/* gpt.c: tangled from book/08-model.nw; edit the book, not this file. */
/* gpt.c: includes */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "attention.h"
#include "embedding.h"
#include "gpt.h"
#include "layernorm.h"
#include "llama.h"
#include "matmul.h"
#include "mlp.h"
#include "support.h"

/* gpt.c: checking a configuration */
const char *gpt_config_error(const struct gpt_config *c)
{
    if (c->max_seq_len < 1 || c->max_seq_len > GPT_MAX_CONTEXT)
        return "the context must be from 1 to 65536";
    if (c->vocab_size < 1 || c->padded_vocab_size < c->vocab_size
        || c->padded_vocab_size > GPT_MAX_VOCAB)
        return "the vocabulary must be from 1 to the padded vocabulary, at most 2^24";
    if (c->num_layers < 1 || c->num_layers > GPT_MAX_LAYERS || c->num_heads < 1
        || c->num_heads > GPT_MAX_LAYERS || c->channels < 1
        || c->channels > GPT_MAX_CHANNELS)
        return "layers, heads and channels must be from 1 to 1024, 1024 and 65536";
    if (c->channels % c->num_heads != 0)
        return "the number of heads must divide the channels";
    if (matmul_check_sizes(1, 4L * c->channels, c->channels) != 0
        || matmul_check_sizes(1, c->vocab_size, c->channels) != 0)
        return "the weights exceed the matrix products' limits (V at most 2^20, "
               "4C x C and V x C below 2^31)";
    /* check the sizes of the other architecture, or their absence */
    if (c->arch == ARCH_LLAMA) {
        const char *why = gqa_shape_error(c->channels, c->num_heads, c->num_kv_heads);
        if (why)
            return why;
        if (c->hidden_dim < 1 || matmul_check_sizes(1, c->hidden_dim, c->channels) != 0)
            return "the hidden size must be from 1 to 2^20, and F x C below 2^31";
        if (c->untied_head != 0 && c->untied_head != 1)
            return "the head is tied (0) or untied (1)";
    } else if (c->arch != ARCH_GPT2)
        return "the architecture must be GPT-2's or the Llama block's";
    else if (c->num_kv_heads != 0 || c->hidden_dim != 0 || c->untied_head != 0)
        return "GPT-2's block has no key-value heads, hidden size or untied head";
    return NULL;
}

/* gpt.c: activation sizes */
static void act_sizes(const struct gpt_config *cfg, int B, int T, size_t s[NUM_ACT_TENSORS])
{
    size_t L = (size_t)cfg->num_layers, C = (size_t)cfg->channels;
    size_t V = (size_t)cfg->vocab_size;
    size_t BT = (size_t)B * T, NH = (size_t)cfg->num_heads;
    const size_t sizes[NUM_ACT_TENSORS] = {
        BT * C, L * BT * C, L * BT, L * BT, L * BT * 3 * C, L * BT * C,
        BT * NH * T, L * BT * NH * T, L * BT * C, L * BT * C, L * BT * C, L * BT,
        L * BT, L * BT * 4 * C, L * BT * 4 * C, L * BT * C, L * BT * C, BT * C, BT, BT,
        BT * V, BT * V, BT,
    };
    memcpy(s, sizes, sizeof sizes);
    if (cfg->arch == ARCH_LLAMA)
        llama_act_sizes(cfg, B, T, s);  /* the Llama block's: llama.c */
}
/* gpt.c: creating and freeing */
static int batch_fits(const struct gpt_config *c, int B, int T)
{
    long BT = (long)B * T, C = c->channels;
    return matmul_check_sizes(BT, 4 * C, C) == 0
           && (c->arch != ARCH_LLAMA || matmul_check_sizes(BT, c->hidden_dim, C) == 0)
           && matmul_check_sizes(BT, c->vocab_size, C) == 0
           && (double)BT * c->num_layers * c->num_heads * T <= 68719476736.0;
}
/* gpt.c: creating and freeing */
int gpt_create(struct gpt *m, const struct gpt_config *cfg)
{
    memset(m, 0, sizeof *m);
    if (gpt_config_error(cfg))
        return -1;
    m->config = *cfg;
    param_sizes(cfg, m->param_size);
    m->num_params = layout_total(m->param_size, NUM_PARAM_TENSORS);
    m->params = m->num_params ? calloc(m->num_params, sizeof(float)) : NULL;
    m->grads = m->num_params ? calloc(m->num_params, sizeof(float)) : NULL;
    if (!m->params || !m->grads) {
        gpt_free(m);
        return -1;
    }
    layout_views(m->params, m->param_size, NUM_PARAM_TENSORS, m->param);
    layout_views(m->grads, m->param_size, NUM_PARAM_TENSORS, m->grad);
    return 0;
}
/* gpt.c: creating and freeing */
void gpt_free(struct gpt *m)
{
    free(m->params);
    free(m->grads);
    free(m->acts);
    free(m->grad_acts);
    free(m->inputs);
    free(m->targets);
    memset(m, 0, sizeof *m);
}
/* gpt.c: creating and freeing */
int gpt_init(struct gpt *m, unsigned long seed)
{
    gsl_rng *rng = rng_create(seed);
    if (!rng)
        return -1;
    param_init(m->params, &m->config, rng);
    gsl_rng_free(rng);
    return 0;
}
/* gpt.c: creating and freeing */
static int ensure_activations(struct gpt *m, int B, int T)
{
    if (m->acts && m->B == B && m->T == T)
        return 0;
    size_t sizes[NUM_ACT_TENSORS], grad_sizes[NUM_ACT_TENSORS];
    act_sizes(&m->config, B, T, sizes);
    size_t total = layout_total(sizes, NUM_ACT_TENSORS);
    /* size the gradients of only the activations that have one */
    static const int no_gradient[] = { ACT_LN1_MEAN, ACT_LN1_RSTD, ACT_LN2_MEAN, ACT_LN2_RSTD,
                                       ACT_LNF_MEAN, ACT_LNF_RSTD, ACT_PROBS, ACT_LOSSES,
                                       ACT_ATTPROJ, ACT_FCPROJ };
    memcpy(grad_sizes, sizes, sizeof sizes);
    for (size_t i = 0; i < sizeof no_gradient / sizeof no_gradient[0]; i++)
        grad_sizes[no_gradient[i]] = 0;
    size_t grads = layout_total(grad_sizes, NUM_ACT_TENSORS);
    /* allocate the buffers and the ids, or free them all and fail */
    size_t BT = (size_t)B * T;
    free(m->acts), free(m->grad_acts), free(m->inputs), free(m->targets);
    m->acts = total ? malloc(total * sizeof(float)) : NULL;
    m->grad_acts = grads ? malloc(grads * sizeof(float)) : NULL;
    m->inputs = malloc(BT * sizeof *m->inputs);
    m->targets = malloc(BT * sizeof *m->targets);
    if (!m->acts || !m->grad_acts || !m->inputs || !m->targets) {
        free(m->acts), free(m->grad_acts), free(m->inputs), free(m->targets);
        m->acts = m->grad_acts = NULL;
        m->inputs = m->targets = NULL;
        return -1;
    }
    layout_views(m->acts, sizes, NUM_ACT_TENSORS, m->act);
    layout_views(m->grad_acts, grad_sizes, NUM_ACT_TENSORS, m->grad_act);
    m->B = B, m->T = T, m->num_acts = total, m->num_grad_acts = grads;
    return 0;
}
/* gpt.c: the slices of one layer */
struct layer_params {
    float *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb,
          *ln2w, *ln2b, *fcw, *fcb, *fcprojw, *fcprojb;
};
struct layer_acts {
    float *ln1, *ln1_mean, *ln1_rstd, *qkv, *atty, *preatt, *att, *attproj,
          *residual2, *ln2, *ln2_mean, *ln2_rstd, *fch, *fch_gelu, *fcproj, *residual3;
};

/* Layer l's slice of each per-layer tensor of a parameter-shaped buffer. */
static struct layer_params layer_params(float *const p[NUM_PARAM_TENSORS],
                                        const struct gpt_config *c, int l)
{
    size_t C = (size_t)c->channels;
    return (struct layer_params){
        .ln1w = p[PARAM_LN1W] + l * C,           .ln1b = p[PARAM_LN1B] + l * C,
        .qkvw = p[PARAM_QKVW] + l * 3 * C * C,   .qkvb = p[PARAM_QKVB] + l * 3 * C,
        .attprojw = p[PARAM_ATTPROJW] + l * C * C, .attprojb = p[PARAM_ATTPROJB] + l * C,
        .ln2w = p[PARAM_LN2W] + l * C,           .ln2b = p[PARAM_LN2B] + l * C,
        .fcw = p[PARAM_FCW] + l * 4 * C * C,     .fcb = p[PARAM_FCB] + l * 4 * C,
        .fcprojw = p[PARAM_FCPROJW] + l * C * 4 * C, .fcprojb = p[PARAM_FCPROJB] + l * C,
    };
}
/* gpt.c: the slices of one layer */
/* Layer l's slice of each per-layer tensor of an activation-shaped buffer. */
static struct layer_acts layer_acts(float *const a[NUM_ACT_TENSORS],
                                    const struct gpt_config *c, int B, int T, int l)
{
    size_t BT = (size_t)B * T, C = (size_t)c->channels, NH = (size_t)c->num_heads;
    size_t btc = l * BT * C, bt = l * BT, tt = l * BT * NH * T, ff = l * BT * 4 * C;
    return (struct layer_acts){
        a[ACT_LN1] + btc, a[ACT_LN1_MEAN] + bt, a[ACT_LN1_RSTD] + bt,
        a[ACT_QKV] + 3 * btc, a[ACT_ATTY] + btc, a[ACT_PREATT], a[ACT_ATT] + tt,
        a[ACT_ATTPROJ] + btc, a[ACT_RESIDUAL2] + btc, a[ACT_LN2] + btc,
        a[ACT_LN2_MEAN] + bt, a[ACT_LN2_RSTD] + bt, a[ACT_FCH] + ff,
        a[ACT_FCH_GELU] + ff, a[ACT_FCPROJ] + btc, a[ACT_RESIDUAL3] + btc,
    };
}

/* gpt.c: the residual connection */
/* out[i] = x[i] + y[i]: a residual connection. */
static void add_vectors(float *out, const float *x, const float *y, long n)
{
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++)
        out[i] = x[i] + y[i];
}
/* gpt.c: the loss at one position */
float softmax_cross_entropy(float *probs, const float *z, int target, int V)
{
    float zmax = z[0];
    for (int i = 1; i < V; i++)
        if (z[i] > zmax)
            zmax = z[i];
    for (int i = 0; i < V; i++)
        probs[i] = expf(z[i] - zmax);
    float sum = sum_pairwise(probs, (size_t)V), inv = 1.0f / sum;
    for (int i = 0; i < V; i++)
        probs[i] *= inv;
    return zmax + logf(sum) - z[target];
}
/* gpt.c: the forward pass */
int gpt_forward(struct gpt *m, const int *inputs, const int *targets, int B, int T,
                char *err, size_t errlen)
{
    const struct gpt_config *c = &m->config;
    m->have_targets = 0;  /* until this pass succeeds: no backward pass on stale values */
    /* check the batch shape and every id of inputs and targets */
    if (B < 1 || T < 1 || T > c->max_seq_len) {
        snprintf(err, errlen, "want a batch of at least 1 x 1 and at most %d positions",
                 c->max_seq_len);
        return -1;
    }
    if (!batch_fits(c, B, T)) {
        snprintf(err, errlen, "a batch of %d x %d is too large for this program", B, T);
        return -1;
    }
    for (long i = 0; i < (long)B * T; i++)
        if (inputs[i] < 0 || inputs[i] >= c->vocab_size
            || (targets && (targets[i] < 0 || targets[i] >= c->vocab_size))) {
            snprintf(err, errlen, "token id %d at position %ld is outside the vocabulary of %d",
                     inputs[i] < 0 || inputs[i] >= c->vocab_size ? inputs[i] : targets[i],
                     i, c->vocab_size);
            return -1;
        }
    if (ensure_activations(m, B, T) != 0)
        return snprintf(err, errlen, "out of memory for a batch of %d x %d", B, T), -1;
    memcpy(m->inputs, inputs, (size_t)B * T * sizeof *inputs);
    if (targets)
        memcpy(m->targets, targets, (size_t)B * T * sizeof *targets);
    int C = c->channels, V = c->vocab_size;
    if (c->arch == ARCH_LLAMA)
        llama_logits_forward(m);  /* the Llama block: llama.c */
    else
        /* embed, run the blocks and score every token */
        {
            embedding_forward(m->act[ACT_ENCODED], m->inputs, m->param[PARAM_WTE],
                              m->param[PARAM_WPE], B, T, C, V);
            for (int l = 0; l < c->num_layers; l++) {
                /* run block l */
                long BT = (long)B * T;
                struct layer_params w = layer_params(m->param, c, l);
                struct layer_acts a = layer_acts(m->act, c, B, T, l);
                const float *h_in = l == 0 ? m->act[ACT_ENCODED]
                                            : layer_acts(m->act, c, B, T, l - 1).residual3;
                layernorm_forward(a.ln1, a.ln1_mean, a.ln1_rstd, h_in, w.ln1w, w.ln1b, B, T, C);
                matmul_forward(a.qkv, a.ln1, w.qkvw, w.qkvb, BT, C, 3 * C);
                attention_forward(a.atty, a.preatt, a.att, a.qkv, B, T, C, c->num_heads);
                matmul_forward(a.attproj, a.atty, w.attprojw, w.attprojb, BT, C, C);
                add_vectors(a.residual2, h_in, a.attproj, BT * C);
                layernorm_forward(a.ln2, a.ln2_mean, a.ln2_rstd, a.residual2, w.ln2w, w.ln2b, B, T, C);
                mlp_forward(a.fcproj, a.fch, a.fch_gelu, a.ln2, w.fcw, w.fcb, w.fcprojw, w.fcprojb, BT, C);
                add_vectors(a.residual3, a.residual2, a.fcproj, BT * C);
            }
            /* apply the final LayerNorm and score every token, eq. logits */
            const float *h_last = layer_acts(m->act, c, B, T, c->num_layers - 1).residual3;
            layernorm_forward(m->act[ACT_LNF], m->act[ACT_LNF_MEAN], m->act[ACT_LNF_RSTD], h_last,
                              m->param[PARAM_LNFW], m->param[PARAM_LNFB], B, T, C);
            matmul_forward(m->act[ACT_LOGITS], m->act[ACT_LNF], m->param[PARAM_WTE], NULL, (long)B * T,
                           C, V);
        }
    m->have_targets = targets != NULL;
    if (targets)
        /* compute the losses and their mean, eq. cross-entropy */
        {
            #pragma omp parallel for schedule(static)
            for (long bt = 0; bt < (long)B * T; bt++)
                m->act[ACT_LOSSES][bt] = softmax_cross_entropy(m->act[ACT_PROBS] + bt * V,
                                                               m->act[ACT_LOGITS] + bt * V,
                                                               targets[bt], V);
            m->mean_loss = sum_pairwise(m->act[ACT_LOSSES], (size_t)B * T) / ((float)B * T);
        }
    return 0;
}
/* gpt.c: checkpoints */
void gpt_write(const struct gpt *m, FILE *f)
{
    const struct gpt_config *c = &m->config;
    int header[CHECKPOINT_HEADER_INTS] = {
        CHECKPOINT_MAGIC, CHECKPOINT_VERSION, c->max_seq_len, c->vocab_size,
        c->num_layers, c->num_heads, c->channels, c->padded_vocab_size,
    };
    /* mark header as the other architecture's, if c is */
    if (c->arch == ARCH_LLAMA) {
        header[1] = CHECKPOINT_VERSION_LLAMA;
        header[8] = c->num_kv_heads, header[9] = c->hidden_dim, header[10] = c->untied_head;
    }
    if (fwrite(header, sizeof header, 1, f) == 1)
        fwrite(m->params, sizeof(float), m->num_params, f);
}

int gpt_save(const struct gpt *m, const char *path, char *err, size_t errlen)
{
    struct atomic_file a;
    if (atomic_open(&a, path, 0, err, errlen) != 0)
        return -1;
    gpt_write(m, a.f);
    return atomic_close(&a, err, errlen) == 0 ? atomic_rename(&a, err, errlen) : -1;
}
/* gpt.c: checkpoints */
/* The first parameter of m that is not finite, named in msg; 1 if there is one. */
static int find_non_finite(const struct gpt *m, char *msg, size_t len)
{
    size_t sizes[NUM_PARAM_TENSORS];
    param_sizes(&m->config, sizes);
    for (int k = 0; k < NUM_PARAM_TENSORS; k++)
        for (size_t i = 0; i < sizes[k]; i++)
            if (!isfinite(m->param[k][i])) {
                snprintf(msg, len, "parameter %zu of %s is %g, not finite (a run that "
                         "diverged?)", i, param_tensors[k].name, m->param[k][i]);
                return 1;
            }
    return 0;
}
/* gpt.c: checkpoints */
int gpt_load(struct gpt *m, const char *path, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int header[CHECKPOINT_HEADER_INTS];
    struct stat st;
    const char *why = NULL;
    /* read and check the header into a configuration cfg */
    struct gpt_config cfg = { 0 };
    if (fstat(fileno(f), &st) != 0 || fread(header, sizeof header, 1, f) != 1)
        why = "too short to hold a checkpoint header";
    else if (header[0] != CHECKPOINT_MAGIC)
        why = "not a checkpoint (bad magic number)";
    else if (header[1] != CHECKPOINT_VERSION && header[1] != CHECKPOINT_VERSION_LLAMA)
        why = "unsupported checkpoint version (only 3, fp32, is read)";
    else {
        cfg = (struct gpt_config){ .max_seq_len = header[2], .vocab_size = header[3],
                                   .num_layers = header[4], .num_heads = header[5],
                                   .channels = header[6], .padded_vocab_size = header[7] };
        /* read the other architecture's sizes from header, if it is of it */
        if (header[1] == CHECKPOINT_VERSION_LLAMA)
            cfg.arch = ARCH_LLAMA, cfg.num_kv_heads = header[8], cfg.hidden_dim = header[9],
            cfg.untied_head = header[10];
        why = gpt_config_error(&cfg);
    }
    /* check the file's size against the parameters cfg needs */
    size_t sizes[NUM_PARAM_TENSORS];
    if (!why) {
        param_sizes(&cfg, sizes);
        size_t n = layout_total(sizes, NUM_PARAM_TENSORS);
        if (n == 0 || (unsigned long long)st.st_size
                      != sizeof header + (unsigned long long)n * sizeof(float))
            why = "its size does not match the sizes in its header";
    }
    /* allocate the model and read its parameters, or free it and say why */
    if (!why && gpt_create(m, &cfg) != 0)
        why = "out of memory";
    if (!why && fread(m->params, sizeof(float), m->num_params, f) != m->num_params)
        why = "cannot read the parameters";
    char not_finite[256];
    if (!why && find_non_finite(m, not_finite, sizeof not_finite))
        why = not_finite;
    fclose(f);
    if (why) {
        gpt_free(m);
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    return 0;
}
/* gpt.c: zeroing the gradients */
void gpt_zero_grad(struct gpt *m)
{
    memset(m->grads, 0, m->num_params * sizeof(float));
}

/* gpt.c: the backward pass */
int gpt_backward(struct gpt *m)
{
    if (!m->acts || !m->have_targets)
        return -1;
    const struct gpt_config *c = &m->config;
    int B = m->B, T = m->T, C = c->channels, V = c->vocab_size;
    long BT = (long)B * T;
    memset(m->grad_acts, 0, m->num_grad_acts * sizeof(float));
    /* start from the loss's gradient, eq. dlogits */
    float *dlogits = m->grad_act[ACT_LOGITS], dloss = 1.0f / (float)BT;
    #pragma omp parallel for schedule(static)
    for (long bt = 0; bt < BT; bt++) {
        const float *p = m->act[ACT_PROBS] + bt * V;
        for (int j = 0; j < V; j++)
            dlogits[bt * V + j] = (p[j] - (j == m->targets[bt] ? 1.0f : 0.0f)) * dloss;
    }
    if (c->arch == ARCH_LLAMA) {
        llama_logits_backward(m);  /* the Llama block: llama.c */
        return 0;
    }
    /* back through the logits and the final LayerNorm */
    matmul_backward(m->grad_act[ACT_LNF], m->grad[PARAM_WTE], NULL, dlogits, m->act[ACT_LNF],
                    m->param[PARAM_WTE], BT, C, V);
    int last = c->num_layers - 1;
    layernorm_backward(layer_acts(m->grad_act, c, B, T, last).residual3, m->grad[PARAM_LNFW],
                       m->grad[PARAM_LNFB], m->grad_act[ACT_LNF],
                       layer_acts(m->act, c, B, T, last).residual3,
                       m->param[PARAM_LNFW], m->act[ACT_LNF_MEAN], m->act[ACT_LNF_RSTD],
                       B, T, C);
    for (int l = c->num_layers - 1; l >= 0; l--) {
        /* run block l backward */
        struct layer_params w = layer_params(m->param, c, l), g = layer_params(m->grad, c, l);
        struct layer_acts a = layer_acts(m->act, c, B, T, l);
        struct layer_acts d = layer_acts(m->grad_act, c, B, T, l);
        const float *h_in = l == 0 ? m->act[ACT_ENCODED]
                                    : layer_acts(m->act, c, B, T, l - 1).residual3;
        float *dh_in = l == 0 ? m->grad_act[ACT_ENCODED]
                              : layer_acts(m->grad_act, c, B, T, l - 1).residual3;
        /* back through the MLP branch into d.residual2 */
        mlp_backward(d.ln2, g.fcw, g.fcb, g.fcprojw, g.fcprojb, d.fch_gelu, d.fch, d.residual3,
                     a.ln2, a.fch, a.fch_gelu, w.fcw, w.fcprojw, BT, C);
        add_vectors(d.residual2, d.residual2, d.residual3, BT * C);
        layernorm_backward(d.residual2, g.ln2w, g.ln2b, d.ln2, a.residual2, w.ln2w, a.ln2_mean,
                           a.ln2_rstd, B, T, C);
        /* back through the attention branch into dh_in */
        matmul_backward(d.atty, g.attprojw, g.attprojb, d.residual2, a.atty, w.attprojw, BT, C, C);
        add_vectors(dh_in, dh_in, d.residual2, BT * C);
        attention_backward(d.qkv, d.att, d.preatt, d.atty, a.qkv, a.att, B, T, C, c->num_heads);
        matmul_backward(d.ln1, g.qkvw, g.qkvb, d.qkv, a.ln1, w.qkvw, BT, C, 3 * C);
        layernorm_backward(dh_in, g.ln1w, g.ln1b, d.ln1, h_in, w.ln1w, a.ln1_mean, a.ln1_rstd,
                           B, T, C);
    }
    embedding_backward(m->grad[PARAM_WTE], m->grad[PARAM_WPE], m->grad_act[ACT_ENCODED],
                       m->inputs, B, T, C);
    return 0;
}
/* gpt.c: later chapters' additions */
static int pack_for_rows(float **packed, const float *weight, int C, int OC);

struct gpt_cache *gpt_cache_create(const struct gpt *m, int max_T)
{
    const struct gpt_config *c = &m->config;
    size_t C = (size_t)c->channels;
    if (max_T < 1 || max_T > c->max_seq_len)
        return NULL;
    if (c->arch == ARCH_LLAMA)
        return llama_cache_create(m, max_T);  /* the Llama block: llama.c */
    struct gpt_cache *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    /* allocate the one-row buffers and each layer's kv_cache */
    *g = (struct gpt_cache){ c->num_layers, max_T, 0,
                             calloc((size_t)c->num_layers, sizeof *g->layer),
                             malloc(C * sizeof(float)), malloc(C * sizeof(float)),
                             malloc(3 * C * sizeof(float)), malloc(C * sizeof(float)),
                             malloc(C * sizeof(float)), malloc(4 * C * sizeof(float)),
                             malloc(4 * C * sizeof(float)),
                             malloc((size_t)c->vocab_size * sizeof(float)), NULL, NULL };
    int ok = g->layer && g->x && g->ln && g->qkv && g->atty && g->branch && g->fch
             && g->fch_gelu && g->logits;
    for (int l = 0; ok && l < c->num_layers; l++)
        ok = (g->layer[l] = kv_cache_create(max_T, c->channels, c->num_heads)) != NULL;
    if (ok)
        /* lay every weight matrix out once for products of one row */
        {
            int L = c->num_layers, C1 = c->channels;
            ok = (g->row_weight = calloc(4 * (size_t)L + 1, sizeof *g->row_weight)) != NULL;
            for (int l = 0; ok && l < L; l++) {
                struct layer_params w = layer_params(m->param, c, l);
                float **pw = g->row_weight + 4 * l;
                ok = pack_for_rows(&pw[0], w.qkvw, C1, 3 * C1)
                     && pack_for_rows(&pw[1], w.attprojw, C1, C1)
                     && pack_for_rows(&pw[2], w.fcw, C1, 4 * C1)
                     && pack_for_rows(&pw[3], w.fcprojw, 4 * C1, C1);
            }
            ok = ok && pack_for_rows(&g->row_weight[4 * L], m->param[PARAM_WTE], C1, c->vocab_size);
        }
    if (!ok) {
        gpt_cache_free(g);
        return NULL;
    }
    return g;
}
/* gpt.c: later chapters' additions */
/* *packed = weight [OC x C] laid out by matmul_row_pack; 0 if memory runs out. */
static int pack_for_rows(float **packed, const float *weight, int C, int OC)
{
    size_t bytes = matmul_row_floats(C, OC) * sizeof(float);
    if (!(*packed = aligned_alloc(64, (bytes + 63) / 64 * 64)))
        return 0;
    matmul_row_pack(*packed, weight, C, OC);
    return 1;
}
/* gpt.c: later chapters' additions */
void gpt_cache_free(struct gpt_cache *g)
{
    if (!g)
        return;
    for (int l = 0; g->layer && l < g->num_layers; l++)
        kv_cache_free(g->layer[l]);
    for (int l = 0; g->gqa && l < g->num_layers; l++)
        gqa_cache_free(g->gqa[l]);
    free(g->gqa);
    free(g->layer), free(g->x), free(g->ln), free(g->qkv), free(g->atty);
    free(g->branch), free(g->fch), free(g->fch_gelu), free(g->logits);
    for (int i = 0; g->row_weight && i <= 4 * g->num_layers; i++)
        free(g->row_weight[i]);
    free(g->row_weight);
    free(g);
}

void gpt_cache_rewind(struct gpt_cache *g, int len)
{
    if (len >= 0 && len <= g->len) {
        g->len = len;
        for (int l = 0; l < g->num_layers; l++)
            *(g->gqa ? &g->gqa[l]->len : &g->layer[l]->len) = len;
    }
}
/* gpt.c: later chapters' additions */
int gpt_step(const struct gpt *m, struct gpt_cache *g, int token)
{
    const struct gpt_config *c = &m->config;
    int C = c->channels, V = c->vocab_size, t = g->len;
    float mean, rstd;
    if (c->arch == ARCH_LLAMA)
        return llama_step(m, g, token);  /* the Llama block: llama.c */
    if (t >= g->max_T
        || embedding_forward(g->x, &token, m->param[PARAM_WTE],
                             m->param[PARAM_WPE] + (size_t)t * C, 1, 1, C, V) != 0)
        return -1;
    for (int l = 0; l < c->num_layers; l++) {
        /* run block l on the one new row */
        struct layer_params w = layer_params(m->param, c, l);
        float *const *pw = g->row_weight + 4 * l; /* qkvw, attprojw, fcw, fcprojw */
        layernorm_forward(g->ln, &mean, &rstd, g->x, w.ln1w, w.ln1b, 1, 1, C);
        matmul_row_forward(g->qkv, g->ln, pw[0], w.qkvb, C, 3 * C, MATMUL_KERNEL_BEST);
        attention_step(g->atty, g->qkv, g->layer[l]);
        matmul_row_forward(g->branch, g->atty, pw[1], w.attprojb, C, C, MATMUL_KERNEL_BEST);
        add_vectors(g->x, g->x, g->branch, C);
        layernorm_forward(g->ln, &mean, &rstd, g->x, w.ln2w, w.ln2b, 1, 1, C);
        matmul_row_forward(g->fch, g->ln, pw[2], w.fcb, C, 4 * C, MATMUL_KERNEL_BEST);
        gelu_forward(g->fch_gelu, g->fch, 4 * (long)C);
        matmul_row_forward(g->branch, g->fch_gelu, pw[3], w.fcprojb, 4 * C, C, MATMUL_KERNEL_BEST);
        add_vectors(g->x, g->x, g->branch, C);
    }
    layernorm_forward(g->ln, &mean, &rstd, g->x, m->param[PARAM_LNFW], m->param[PARAM_LNFB],
                      1, 1, C);
    matmul_row_forward(g->logits, g->ln, g->row_weight[4 * c->num_layers], NULL, C, V,
                       MATMUL_KERNEL_BEST);
    g->len++;
    return 0;
}
/* gpt.c: later chapters' additions */
int gpt_prefill(struct gpt *m, struct gpt_cache *g, const int *tokens, int n,
                char *err, size_t errlen)
{
    const struct gpt_config *c = &m->config;
    size_t C = (size_t)c->channels, V = (size_t)c->vocab_size;
    if (g->len != 0 || n < 1 || n > g->max_T) {
        snprintf(err, errlen, "want an empty cache and 1 to %d tokens", g->max_T);
        return -1;
    }
    if (gpt_forward(m, tokens, NULL, 1, n, err, errlen) != 0)
        return -1;
    for (int l = 0; l < c->num_layers && c->arch == ARCH_GPT2; l++) {
        memcpy(g->layer[l]->qkv, layer_acts(m->act, c, 1, n, l).qkv,
               (size_t)n * 3 * C * sizeof(float));
        g->layer[l]->len = n;
    }
    if (c->arch == ARCH_LLAMA)
        llama_cache_fill(m, g, n);  /* the Llama block: llama.c */
    memcpy(g->logits, m->act[ACT_LOGITS] + (size_t)(n - 1) * V, V * sizeof(float));
    g->len = n;
    return 0;
}
