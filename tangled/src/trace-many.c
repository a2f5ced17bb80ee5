/* trace-many.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include "trace.h"
#include "many.h"
#include "numbers.h"

/* trace-many.c: the part */
void trace_many(struct trace *t)
{
    const double gbps = 10, latency_us = 25;  /* the assumed network */
    const struct gpt_config gpt2 = { .max_seq_len = 1024, .vocab_size = 50257,
                                     .padded_vocab_size = 50304, .num_layers = 12,
                                     .num_heads = 12, .channels = 768 };
    size_t sizes[NUM_PARAM_TENSORS];
    param_sizes(&gpt2, sizes);
    double n = (double)layout_total(sizes, NUM_PARAM_TENSORS), bytes = 4 * n;
    double alpha = latency_us * 1e-6, beta = 8 / (gbps * 1e9);
    double P = ceil(n / MANY_CHUNK);
    /* write the predictions for 2, 4 and 8 ranks */
    FILE *f = trace_table(t, "many-cost");
    if (f)
        fprintf(f, "ranks\tring (ms)\tchain (ms)\tchain / ring\tZeRO saves (MiB)\n");
    for (int N = 2; N <= 8; N *= 2) {
        double ring = many_ring_seconds(bytes, N, alpha, beta);
        double chain = many_chain_seconds(bytes, N, P, alpha, beta);
        double zero = 2.0 * (N - 1) / N * bytes / 1048576;
        if (f)
            fprintf(f, "%d\t%.1f\t%.1f\t%.2f\t%.0f\n", N, 1e3 * ring, 1e3 * chain,
                    chain / ring, zero);
        if (N == 8) {
            trace_value(t, "ManyEightRanks", "%d", N);
            trace_value(t, "ManyEightRing", "%.1f", 1e3 * ring);
            trace_value(t, "ManyEightChain", "%.1f", 1e3 * chain);
            trace_value(t, "ManyEightRatio", "%.2f", chain / ring);
            trace_value(t, "ManyEightZero", "%.0f", zero);
        }
    }
    trace_close(t, f);
    trace_value(t, "ManyParams", "%.0f", n);
    trace_value(t, "ManyGbps", "%g", gbps);
    trace_value(t, "ManyLatency", "%g", latency_us);
    trace_value(t, "ManyChunks", "%.0f", P);
}
