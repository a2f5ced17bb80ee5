/* trace-llama.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <stdio.h>
#include <stdlib.h>
#include "trace.h"
#include "gpt.h"
#include "llama.h"

/* trace-llama.c: the part */
struct block_variant {
    const char *change;      /* what this row adds to the one before */
    int rmsnorm, rotary, no_biases, swiglu, kv_heads, untied;
};

/* The sizes of the walk: llama2.c's smallest model, 15M parameters. */
enum { VAR_C = 288, VAR_L = 6, VAR_H = 6, VAR_T = 256, VAR_V = 32000, VAR_KV = 2 };
/* trace-llama.c: the part */
static double variant_params(const struct block_variant *v, int F)
{
    double C = VAR_C, L = VAR_L, d = VAR_C / VAR_H;
    double norms = (v->rmsnorm ? 1 : 2) * C * (2 * L + 1);
    double attention = L * (2 * C * C + 2 * v->kv_heads * d * C);
    double mlp = L * (v->swiglu ? 3 * C * F : 8 * C * C);
    double biases = v->no_biases ? 0 : L * (3 * C + C + 4 * C + C);
    double tables = VAR_V * C * (v->untied ? 2 : 1) + (v->rotary ? 0 : VAR_T * C);
    return norms + attention + mlp + biases + tables;
}

static double variant_flops(const struct block_variant *v, int F)
{
    double C = VAR_C, L = VAR_L, d = VAR_C / VAR_H, keys = (VAR_T + 1) / 2.0;
    double weights = L * (2 * C * C + 2 * v->kv_heads * d * C
                          + (v->swiglu ? 3 * C * F : 8 * C * C)) + VAR_V * C;
    return 2 * weights + L * 4 * C * keys;
}

static double variant_cache_floats(const struct block_variant *v)
{
    return 2.0 * VAR_L * v->kv_heads * (VAR_C / VAR_H);
}
/* trace-llama.c: the part */
void trace_llama(struct trace *t)
{
    int F = swiglu_hidden(VAR_C, 32);
    const struct block_variant walk[] = {
        { "GPT-2's block",                  0, 0, 0, 0, VAR_H, 0 },
        { "+ RMSNorm",                      1, 0, 0, 0, VAR_H, 0 },
        { "+ rotary positions",             1, 1, 0, 0, VAR_H, 0 },
        { "+ no biases",                    1, 1, 1, 0, VAR_H, 0 },
        { "+ SwiGLU",                       1, 1, 1, 1, VAR_H, 0 },
        { "+ grouped queries",              1, 1, 1, 1, VAR_KV, 0 },
        { "+ untied head",                  1, 1, 1, 1, VAR_KV, 1 },
    };
    enum { ROWS = sizeof walk / sizeof walk[0] };
    /* check the walk's ends against the program's parameter tables */
    const struct gpt_config gpt2 = { .max_seq_len = VAR_T, .vocab_size = VAR_V,
                                     .padded_vocab_size = padded_vocab(VAR_V),
                                     .num_layers = VAR_L, .num_heads = VAR_H,
                                     .channels = VAR_C };
    struct gpt_config llama = gpt2;
    llama.arch = ARCH_LLAMA, llama.padded_vocab_size = VAR_V, llama.num_kv_heads = VAR_KV;
    llama.hidden_dim = F, llama.untied_head = 1;
    size_t sizes[NUM_PARAM_TENSORS];
    param_sizes(&gpt2, sizes);
    double first = (double)layout_total(sizes, NUM_PARAM_TENSORS);
    param_sizes(&llama, sizes);
    double last = (double)layout_total(sizes, NUM_PARAM_TENSORS);
    if (first != variant_params(&walk[0], F) || last != variant_params(&walk[ROWS - 1], F)) {
        fprintf(stderr, "longhand trace: the variants' counts disagree with the tables\n");
        t->failed = 1;
    }
    /* write one row of the walk per change */
    FILE *f = trace_table(t, "llama-variants");
    if (f) {
        fprintf(f, "block\tparams (M)\t$\\Delta$ (M)\tMFLOP/token\t"
                   "cache/pos.\tcache (MiB)\n");
        for (int i = 0; i < ROWS; i++) {
            const struct block_variant *v = &walk[i];
            double p = variant_params(v, F), before = i ? variant_params(&walk[i - 1], F) : p;
            char delta[32] = "";
            if (i > 0)
                snprintf(delta, sizeof delta, "%s%.3f", p >= before ? "+" : "", (p - before) / 1e6);
            fprintf(f, "%s\t%.3f\t%s\t%.2f\t%.0f\t%.3f\n", v->change, p / 1e6, delta,
                    variant_flops(v, F) / 1e6, variant_cache_floats(v),
                    variant_cache_floats(v) * VAR_T * 4 / (1024 * 1024));
        }
        trace_close(t, f);
    }
    /* write the walk's sizes to a values file of its own */
    FILE *values = trace_table(t, "values-llama");
    if (values) {
        fprintf(values, "VarChannels\t%d\nVarLayers\t%d\nVarHeads\t%d\nVarKVHeads\t%d\n",
                VAR_C, VAR_L, VAR_H, VAR_KV);
        fprintf(values, "VarHidden\t%d\nVarContext\t%d\nVarVocab\t%d\nVarGroup\t%d\n",
                F, VAR_T, VAR_V, VAR_H / VAR_KV);
        fprintf(values, "VarParamsGPT\t%.2f\nVarParamsLlama\t%.2f\n",
                variant_params(&walk[0], F) / 1e6, variant_params(&walk[ROWS - 2], F) / 1e6);
        trace_close(t, values);
    }
}
