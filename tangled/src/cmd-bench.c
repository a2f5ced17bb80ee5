/* cmd-bench.c: tangled from book/93-bench.nw; edit the book, not this file. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "support.h"
/* cmd-bench.c: includes */
#include "adamw.h"
#include "gpt.h"
#include "matmul.h"
#include "numbers.h"
#include "sample.h"
/* cmd-bench.c: includes */
#include "attention.h"
/* cmd-bench.c: includes */
#include <sys/resource.h>

/* bench: benchmarks */
enum { BENCH_MAX_THREADS = 256 }; /* more is a typo on any machine this runs on */
enum { BENCH_MAX_LIST = 16 };  /* values in a list option */
struct bench_matmul_options {
    int sizes[BENCH_MAX_LIST], nsizes;     /* --sizes: the ladder's square sizes */
    int rows[BENCH_MAX_LIST], nrows;       /* --rows: the model's B*T values */
    int threads[BENCH_MAX_LIST], nthreads; /* --threads */
    int reps, naive_max, model, latex;
    gsl_rng *rng;              /* draws the operands, whose values do not change the time */
};
/* bench: time samples of several calls */
#define MIN_SAMPLE_SECONDS 0.02
enum { WARM_UP_ROUNDS = 2 }; /* rounds -2 and -1, untimed */

/* How many calls of `seconds` each make a sample of at least MIN_SAMPLE_SECONDS. */
static int calls_per_sample(double seconds)
{
    return seconds >= MIN_SAMPLE_SECONDS ? 1 : (int)ceil(MIN_SAMPLE_SECONDS / seconds);
}

/* Ends a sample of *calls calls begun at t0.  The last warm-up round (-1, one
   call) sets *calls for the timed rounds; they store their time per call. */
static void record_sample(double t0, int round, int *calls, double *times)
{
    double per_call = (omp_get_wtime() - t0) / *calls;
    if (round == -1)
        *calls = calls_per_sample(per_call);
    else if (round >= 0)
        times[round] = per_call;
}
/* bench: the OpenBLAS comparison */
#ifdef LONGHAND_OPENBLAS
#include <cblas.h>
#include <strings.h>
static void openblas_product(int M, int N, int K, struct matrix A, struct matrix B,
                             float *C)
{
    enum CBLAS_TRANSPOSE ta = A.cs == 1 ? CblasNoTrans : CblasTrans;
    enum CBLAS_TRANSPOSE tb = B.cs == 1 ? CblasNoTrans : CblasTrans;
    int lda = (int)(A.cs == 1 ? A.rs : A.cs), ldb = (int)(B.cs == 1 ? B.rs : B.cs);
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, A.p, lda, B.p, ldb, 1.0f, C, N);
}
#else
static void openblas_product(int M, int N, int K, struct matrix A, struct matrix B,
                             float *C)
{
    (void)M, (void)N, (void)K, (void)A, (void)B, (void)C;
}
#endif
/* bench: the OpenBLAS comparison */
static int compare_openblas; /* OpenBLAS is linked and runs kernels as wide as ours */
#ifdef LONGHAND_OPENBLAS
char *openblas_get_corename(void);
/* 2 for OpenBLAS's AVX-512 cores, 1 for its AVX2 ones, 0 for the rest. */
static int openblas_core_width(const char *core)
{
    static const char *const avx512[] = { "SkylakeX", "Cooperlake", "SapphireRapids" };
    static const char *const avx2[] = { "Haswell", "Zen" };
    for (int i = 0; i < 3; i++)
        if (strcasecmp(core, avx512[i]) == 0)
            return 2;
    for (int i = 0; i < 2; i++)
        if (strcasecmp(core, avx2[i]) == 0)
            return 1;
    return 0;
}
#endif
/* bench: the OpenBLAS comparison */
/* 1 if OpenBLAS is linked and its kernels are as wide as this CPU allows;
   else 0, saying why on stderr when it is linked. */
static int openblas_is_fair(void)
{
#ifdef LONGHAND_OPENBLAS
    const char *core = openblas_get_corename();
    int cpu = matmul_have_avx512() ? 2 : matmul_have_avx2() ? 1 : 0;
    if (openblas_core_width(core) >= cpu)
        return 1;
    fprintf(stderr, "longhand bench matmul: OpenBLAS runs its %s kernels, narrower than "
            "this CPU's %s; no ratios (set OPENBLAS_CORETYPE=%s)\n", core,
            cpu == 2 ? "AVX-512" : "AVX2", cpu == 2 ? "SkylakeX" : "Haswell");
#endif
    return 0;
}
/* bench: print the table's rows */
static void print_row(const struct bench_matmul_options *o, const char *name,
                      int M, int N, int K, int threads, double gflops, double peak,
                      double openblas)
{
    const char *sep = o->latex ? " & " : "\t";
    printf("%s%s%d%s%d%s%d%s%d%s%.1f%s%.0f", name, sep, M, sep, N, sep, K, sep,
           threads, sep, gflops, sep, 100 * gflops / peak);
    if (compare_openblas)
        printf("%s%.2f", sep, gflops / openblas);
    puts(o->latex ? " \\\\" : "");
}
/* bench: print the table's rows */
static void print_header(const struct bench_matmul_options *o)
{
    const char *sep = o->latex ? " & " : "\t";
    if (o->latex)
        printf("\\begin{tabular}{lrrrrrr%s}\n", compare_openblas ? "r" : "");
    printf("variant%s$M$%s$N$%s$K$%sthreads%sGFLOP/s%s\\%% of peak%s", sep, sep, sep,
           sep, sep, sep, compare_openblas ? sep : "");
    puts(compare_openblas ? (o->latex ? "vs OpenBLAS \\\\" : "vs OpenBLAS")
                       : (o->latex ? " \\\\" : ""));
    if (o->latex)
        puts("\\hline");
}

static void print_footer(const struct bench_matmul_options *o)
{
    if (o->latex)
        puts("\\end{tabular}");
}
/* bench: run the ladder */
enum { MAX_ROUNDS = 1000 };
static int bench_ladder(const struct bench_matmul_options *o)
{
    print_header(o);
    for (int ti = 0; ti < o->nthreads; ti++) {
        int threads = o->threads[ti];
        omp_set_num_threads(threads);
        double peak = matmul_peak_gflops(threads);
        for (int si = 0; si < o->nsizes; si++) {
            int n = o->sizes[si];
            /* allocate the three n by n matrices and draw A and B */
            size_t nn = (size_t)n * n;
            float *A = malloc(nn * sizeof *A), *B = malloc(nn * sizeof *B), *C = calloc(nn, sizeof *C);
            if (!A || !B || !C) {
                free(A), free(B), free(C);
                fprintf(stderr, "longhand bench matmul: out of memory\n");
                return 1;
            }
            fill_normal(o->rng, A, nn, 1.0), fill_normal(o->rng, B, nn, 1.0);
            /* time every variant in interleaved rounds */
            static double times[NUM_GEMM_VARIANTS + 1][MAX_ROUNDS];
            int calls[NUM_GEMM_VARIANTS + 1];
            struct matrix a = { A, n, 1 }, b = { B, n, 1 };
            for (int v = 0; v <= NUM_GEMM_VARIANTS; v++)
                calls[v] = 1;
            for (int round = -WARM_UP_ROUNDS; round < o->reps; round++)
                for (int v = 0; v <= NUM_GEMM_VARIANTS; v++) {
                    if (v == 0 && n > o->naive_max) /* gemm_variants[0] is the naive loop */
                        continue;
                    if (v == NUM_GEMM_VARIANTS && !compare_openblas)
                        continue;
                    double t0 = omp_get_wtime();
                    for (int call = 0; call < calls[v]; call++)
                        if (v < NUM_GEMM_VARIANTS)
                            gemm_variants[v].run(n, n, n, A, B, C);
                        else
                            openblas_product(n, n, n, a, b, C);
                    record_sample(t0, round, &calls[v], times[v]);
                }
            /* print every variant's median rate */
            double flops = 2.0 * n * n * n;
            double openblas = 0;
            if (compare_openblas)
                openblas = flops / median(times[NUM_GEMM_VARIANTS], o->reps) * 1e-9;
            for (int v = n > o->naive_max ? 1 : 0; v < NUM_GEMM_VARIANTS; v++)
                print_row(o, gemm_variants[v].name, n, n, n, threads,
                          flops / median(times[v], o->reps) * 1e-9, peak, openblas);
            if (compare_openblas)
                print_row(o, "OpenBLAS", n, n, n, threads, openblas, peak, openblas);
            free(A), free(B), free(C);
        }
    }
    print_footer(o);
    return 0;
}
/* bench: run the model's products */
static const int model_shapes[][2] = { /* (C, OC) */
    { 768, 2304 }, { 768, 3072 }, { 3072, 768 }, { 768, 768 }, { 128, 384 },
};
enum { NUM_MODEL_SHAPES = sizeof model_shapes / sizeof model_shapes[0] };
/* bench: run the model's products */
static int bench_model_shape(const struct bench_matmul_options *o, int BT, int C,
                             int OC, int threads, double peak);

static int bench_model(const struct bench_matmul_options *o)
{
    print_header(o);
    for (int ti = 0; ti < o->nthreads; ti++) {
        omp_set_num_threads(o->threads[ti]);
        double peak = matmul_peak_gflops(o->threads[ti]);
        for (int ri = 0; ri < o->nrows; ri++)
            for (int si = 0; si < NUM_MODEL_SHAPES; si++)
                if (bench_model_shape(o, o->rows[ri], model_shapes[si][0],
                                      model_shapes[si][1], o->threads[ti], peak) != 0)
                    return 1;
    }
    print_footer(o);
    return 0;
}
/* bench: run the model's products */
static int bench_model_shape(const struct bench_matmul_options *o, int BT, int C,
                             int OC, int threads, double peak)
{
    /* put X, W, G and out in one buffer, and draw the operands */
    size_t slot = (size_t)BT * (C > OC ? C : OC) + (size_t)OC * C;
    float *buf = calloc(4 * slot, sizeof *buf);
    if (!buf) {
        fprintf(stderr, "longhand bench matmul: out of memory\n");
        return 1;
    }
    float *X = buf, *W = buf + slot, *G = buf + 2 * slot, *out = buf + 3 * slot;
    fill_normal(o->rng, buf, 3 * slot, 1.0);
    const struct { const char *name; int M, N, K; struct matrix A, B; } p[3] = {
        { "forward", BT, OC, C, { X, C, 1 }, { W, 1, C } },
        { "dinp", BT, C, OC, { G, OC, 1 }, { W, C, 1 } },
        { "dweight", OC, C, BT, { G, 1, OC }, { X, C, 1 } },
    };
    /* time the three products and OpenBLAS's in interleaved rounds */
    enum { PRODUCTS = 3 }; /* times[q] are ours, times[PRODUCTS + q] OpenBLAS's */
    static double times[2 * PRODUCTS][MAX_ROUNDS];
    int calls[2 * PRODUCTS] = { 1, 1, 1, 1, 1, 1 };
    for (int round = -WARM_UP_ROUNDS; round < o->reps; round++)
        for (int v = 0; v < (compare_openblas ? 2 : 1) * PRODUCTS; v++) {
            int q = v % PRODUCTS;
            double t0 = omp_get_wtime();
            for (int call = 0; call < calls[v]; call++)
                if (v < PRODUCTS)
                    gemm_strided(p[q].M, p[q].N, p[q].K, p[q].A, p[q].B, out, p[q].N,
                                 MATMUL_KERNEL_BEST, 1);
                else
                    openblas_product(p[q].M, p[q].N, p[q].K, p[q].A, p[q].B, out);
            record_sample(t0, round, &calls[v], times[v]);
        }
    /* print each product's median rate and its ratio to OpenBLAS's */
    for (int q = 0; q < PRODUCTS; q++) {
        double flops = 2.0 * p[q].M * p[q].N * p[q].K;
        double ours = flops / median(times[q], o->reps) * 1e-9;
        double theirs = compare_openblas ? flops / median(times[PRODUCTS + q], o->reps) * 1e-9 : 0;
        print_row(o, p[q].name, p[q].M, p[q].N, p[q].K, threads, ours, peak, theirs);
    }
    free(buf);
    return 0;
}
/* bench: the matmul benchmark command */
static int bench_matmul(int argc, char **argv)
{
    struct bench_matmul_options o = { .sizes = { 256, 512, 1024 }, .nsizes = 3,
        .rows = { 512, 4096 }, .nrows = 2, .threads = { 1 }, .nthreads = 1,
        .reps = 5, .naive_max = 512 };
    /* the options of bench matmul */
    const struct cli_option options[] = {
        { "sizes", 's', CLI_INTS, 1, MATMUL_MAX_DIM, o.sizes, "N,...", .given = &o.nsizes,
          .max_count = BENCH_MAX_LIST, .help = "the ladder's square sizes" },
        { "rows", 'r', CLI_INTS, 1, MATMUL_MAX_DIM, o.rows, "BT,...", .given = &o.nrows,
          .max_count = BENCH_MAX_LIST, .help = "with --model: the products' B*T" },
        { "threads", 't', CLI_INTS, 1, BENCH_MAX_THREADS, o.threads, "T,...",
          .given = &o.nthreads, .max_count = BENCH_MAX_LIST, .help = "thread counts" },
        { "reps", 'n', CLI_INT, 1, MAX_ROUNDS, &o.reps, "R",
          .help = "interleaved rounds; the median is printed" },
        { "naive-max", 'x', CLI_INT, 0, MATMUL_MAX_DIM, &o.naive_max, "N",
          .help = "run the naive loop only up to this size" },
        { "model", 'm', CLI_FLAG, 0, 0, &o.model, "",
          .help = "the model's three products at GPT-2's shapes" },
        { "latex", 'l', CLI_FLAG, 0, 0, &o.latex, "", .help = "a LaTeX tabular, not TSV" },
        { 0 },
    };
    const struct cli_spec spec = { "bench matmul", "", "Time the matmul ladder on N x N x "
        "N products, or with --model the forward and\nboth backward products at GPT-2's "
        "shapes.  Prints variant, M, N, K, threads,\nGFLOP/s (the median of R interleaved "
        "rounds) and % of the measured FMA peak.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    /* check every product's sizes before allocating */
    for (int i = 0; i < o.nsizes; i++)
        if (matmul_check_sizes(o.sizes[i], o.sizes[i], o.sizes[i]) != 0)
            return usage_error("bench matmul", "size %d too large", o.sizes[i]);
    for (int i = 0; i < o.nrows; i++)
        for (int si = 0; si < NUM_MODEL_SHAPES; si++) /* BT x C, C x OC, BT x OC */
            if (matmul_check_sizes(o.rows[i], model_shapes[si][0], model_shapes[si][1]) != 0)
                return usage_error("bench matmul", "rows %d too large", o.rows[i]);
    /* run the ladder or the model's products, with a generator for the operands */
    if (!(o.rng = rng_create(1))) {
        fputs("longhand bench matmul: out of memory\n", stderr);
        return 1;
    }
    compare_openblas = openblas_is_fair();
    int status = o.model ? bench_model(&o) : bench_ladder(&o);
    gsl_rng_free(o.rng);
    return status;
}
/* bench: benchmarks */
enum { BENCH_ATTN_C = 768, BENCH_ATTN_NH = 12, BENCH_ATTN_MAX_T = 8192 };
static int bench_attention_lean(const int *lengths, int nlengths, int reps);
static int bench_attention_cache(int context, int reps);

/* bench: the attention benchmark command */
static int bench_attention(int argc, char **argv)
{
    int lengths[BENCH_MAX_LIST] = { 256, 512, 1024, 2048 }, nlengths = 4;
    int generate = 0, reps = 5;
    const struct cli_option options[] = {
        { "lengths", 'T', CLI_INTS, 1, BENCH_ATTN_MAX_T, lengths, "T,...",
          .given = &nlengths, .max_count = BENCH_MAX_LIST,
          .help = "plain against lean at these lengths" },
        { "generate", 'g', CLI_INT, 0, BENCH_ATTN_MAX_T, &generate, "T",
          .help = "or generation in a context of T, with and without the cache" },
        { "reps", 'n', CLI_INT, 1, MAX_ROUNDS, &reps, "R",
          .help = "interleaved rounds; the median is printed" },
        { 0 },
    };
    const struct cli_spec spec = { "bench attention", "", "Time GPT-2 small's attention "
        "core (C = 768, 12 heads): the plain and the lean\nforward pass at each length, "
        "or generation in a context of T positions, timed\nat lengths T/16, T/8, ... "
        "below T, with and without the key-value cache.\nTSV on stdout.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    return generate ? bench_attention_cache(generate, reps)
                    : bench_attention_lean(lengths, nlengths, reps);
}
/* bench: benchmarks */
static float *bench_random_qkv(int T)
{
    size_t n = (size_t)T * 3 * BENCH_ATTN_C;
    float *qkv = malloc(n * sizeof *qkv);
    gsl_rng *rng = rng_create(1);
    if (qkv && rng)
        fill_normal(rng, qkv, n, 1.0);
    else { /* without a generator qkv stays unfilled: fail as out of memory */
        free(qkv);
        qkv = NULL;
    }
    gsl_rng_free(rng);
    return qkv;
}
/* bench: benchmarks */
static int bench_attention_lean(const int *lengths, int nlengths, int reps)
{
    puts("$T$\tplain (ms)\tlean (ms)\tlean / plain\tscores and weights (MiB)");
    for (int i = 0; i < nlengths; i++) {
        int T = lengths[i], C = BENCH_ATTN_C, NH = BENCH_ATTN_NH;
        size_t nn = (size_t)NH * T * T;
        float *qkv = bench_random_qkv(T), *out = malloc((size_t)T * C * sizeof *out),
              *preatt = malloc(nn * sizeof *preatt), *att = malloc(nn * sizeof *att);
        double t[2][1000];
        if (!qkv || !out || !preatt || !att) {
            fprintf(stderr, "longhand bench attention: out of memory at T = %d\n", T);
            free(qkv), free(out), free(preatt), free(att);
            return 1;
        }
        /* time the plain and the lean pass in reps interleaved rounds */
        for (int r = 0; r < reps; r++) {
            double t0 = omp_get_wtime();
            attention_forward(out, preatt, att, qkv, 1, T, C, NH);
            double t1 = omp_get_wtime();
            attention_forward_lean(out, qkv, 1, T, C, NH);
            t[0][r] = t1 - t0;
            t[1][r] = omp_get_wtime() - t1;
        }
        /* print the medians at length T and the memory of the saved matrices */
        printf("%d\t%.3f\t%.3f\t%.2f\t%.1f\n", T, 1e3 * median(t[0], reps),
               1e3 * median(t[1], reps), median(t[1], reps) / median(t[0], reps),
               2.0 * nn * sizeof(float) / (1 << 20));
        free(qkv), free(out), free(preatt), free(att);
    }
    return 0;
}
/* bench: benchmarks */
static int bench_attention_cache(int context, int reps)
{
    int C = BENCH_ATTN_C, NH = BENCH_ATTN_NH;
    /* allocate a sequence of context positions, its saved matrices and a cache */
    size_t nn = (size_t)NH * context * context;
    float *qkv = bench_random_qkv(context),
          *out = malloc((size_t)context * C * sizeof *out),
          *preatt = malloc(nn * sizeof *preatt), *att = malloc(nn * sizeof *att);
    struct kv_cache *cache = kv_cache_create(context, C, NH);
    if (!qkv || !out || !preatt || !att || !cache) {
        fprintf(stderr, "longhand bench attention: out of memory\n");
        kv_cache_free(cache);
        free(qkv), free(out), free(preatt), free(att);
        return 1;
    }
    puts("context $t$\tfull pass (ms)\twith cache (ms)\tspeed-up");
    for (int t = context / 16 > 0 ? context / 16 : 1; t < context; t *= 2) {
        double full[1000], step[1000];
        /* time the next token at length t both ways */
        cache->len = 0;
        for (int s = 0; s < t; s++)
            attention_step(out, qkv + (size_t)s * 3 * C, cache);
        for (int r = 0; r < reps; r++) {
            double t0 = omp_get_wtime();
            attention_forward(out, preatt, att, qkv, 1, t + 1, C, NH);
            double t1 = omp_get_wtime();
            attention_step(out, qkv + (size_t)t * 3 * C, cache);
            full[r] = t1 - t0;
            step[r] = omp_get_wtime() - t1;
            cache->len = t;
        }
        printf("%d\t%.4f\t%.4f\t%.1f\n", t, 1e3 * median(full, reps),
               1e3 * median(step, reps), median(full, reps) / median(step, reps));
    }
    kv_cache_free(cache);
    free(qkv), free(out), free(preatt), free(att);
    return 0;
}
/* bench: benchmarks */
#define BENCH_TRAIN_HELP \
    "Time STEPS (default 5) training steps of a random model of L layers,\n" \
    "H heads, C channels and vocabulary V on batches of B x T random\n" \
    "tokens; print the sizes, median ms per step, tokens/s and peak\n" \
    "memory in MiB."
/* bench: benchmarks */
static int bench_train_run(int L, int H, int C, int V, int B, int T, int steps);

static int bench_train(int argc, char **argv)
{
    const struct cli_option options[] = { { 0 } };
    const struct cli_spec spec = { "bench train", "L,H,C,V,B,T [STEPS]", BENCH_TRAIN_HELP,
                                   options, 1, 2 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    int cfg[6], n = parse_long_list(argv[first], 1, GPT_MAX_VOCAB, cfg, 6); /* L,H,C,V,B,T */
    const int most[6] = { GPT_MAX_LAYERS, GPT_MAX_LAYERS, GPT_MAX_CHANNELS, GPT_MAX_VOCAB,
                          MAX_BATCH, GPT_MAX_CONTEXT };
    long steps = 5;
    int bad = n != 6 || (first + 1 < argc && parse_long(argv[first + 1], 1, 1000, &steps));
    for (int i = 0; i < 6 && !bad; i++)
        bad = cfg[i] > most[i];
    if (bad)
        return usage_error("bench train", "want L,H,C,V,B,T within a model's limits, "
                           "and STEPS from 1 to 1000");
    return bench_train_run(cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], cfg[5], (int)steps);
}
/* bench: benchmarks */
static int bench_train_run(int L, int H, int C, int V, int B, int T, int steps)
{
    /* make a model of the benchmark's sizes, its optimiser and a batch of tokens */
    struct gpt_config cfg = { .max_seq_len = (int)T, .vocab_size = (int)V,
                              .padded_vocab_size = padded_vocab((int)V),
                              .num_layers = (int)L,
                              .num_heads = (int)H, .channels = (int)C };
    struct gpt m;
    struct adamw opt;
    char err[256];
    int *tokens = malloc(((size_t)B * T + 1) * sizeof *tokens);
    if (!tokens || gpt_create(&m, &cfg) != 0 || gpt_init(&m, 1) != 0
        || adamw_create(&opt, m.num_params, adamw_defaults()) != 0) {
        fprintf(stderr, "longhand bench train: not a valid model, or out of memory\n");
        return 1;
    }
    for (long i = 0; i <= (long)B * T; i++)
        tokens[i] = (int)((i * 7919) % V);
    double t[1000];
    /* time steps training steps after one to warm up */
    for (int s = -1; s < steps; s++) {
        double t0 = omp_get_wtime();
        if (gpt_forward(&m, tokens, tokens + 1, (int)B, (int)T, err, sizeof err) != 0) {
            fprintf(stderr, "longhand bench train: %s\n", err);
            return 1;
        }
        gpt_zero_grad(&m);
        gpt_backward(&m);
        adamw_update(&opt, m.params, m.grads);
        if (s >= 0)
            t[s] = omp_get_wtime() - t0;
    }
    /* print the sizes, the median time per step and the peak memory */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("$L,H,C$\t$V$\t$B\\times T$\tms per step\ttokens/s\tpeak MiB\n");
    printf("%d, %d, %d\t%d\t%d x %d\t%.1f\t%.0f\t%.0f\n", L, H, C, V, B, T,
           1e3 * median(t, steps), (double)B * T / median(t, steps),
           ru.ru_maxrss / 1024.0);
    adamw_free(&opt);
    gpt_free(&m);
    free(tokens);
    return 0;
}
/* bench: benchmarks */
static int bench_sample_at(struct gpt *m, struct gpt_cache *g, const int *tokens, int t,
                           int reps);
static double read_bandwidth(int threads, int reps);
static double step_bytes(const struct gpt_config *c, int t);

static int bench_sample(int argc, char **argv)
{
    int context = 512, reps = 5, small = 0;
    const struct cli_option options[] = {
        { "context", 'T', CLI_INT, 2, 1024, &context, "T",
          .help = "time contexts up to T" },
        { "reps", 'n', CLI_INT, 1, MAX_ROUNDS, &reps, "R",
          .help = "rounds; the median is printed" },
        { "small", 's', CLI_FLAG, 0, 0, &small, "",
          .help = "a tiny model, to check the benchmark runs" },
        { 0 },
    };
    const struct cli_spec spec = { "bench sample", "", "Time generating one token at "
        "contexts up to T with a GPT-2 small model\n(12 layers, 12 heads, 768 channels, "
        "V = 50257), with and without the\nkey-value cache, and the cached step's bound "
        "from the memory bandwidth.\nTSV on stdout.",
        options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    /* make the benchmark's model and time generation at each context */
    /* choose GPT-2 small's sizes, or a tiny model's with --small */
    struct gpt_config cfg = { .max_seq_len = 1024, .vocab_size = 50257,
                              .padded_vocab_size = padded_vocab(50257), .num_layers = 12,
                              .num_heads = 12, .channels = 768 };
    if (small)
        cfg.num_layers = 2, cfg.num_heads = 2, cfg.channels = 32, cfg.vocab_size = 500,
        cfg.padded_vocab_size = padded_vocab(500);
    struct gpt m;
    struct gpt_cache *g = NULL;
    int *tokens = malloc((size_t)context * sizeof *tokens), status = 1;
    if (tokens && gpt_create(&m, &cfg) == 0) {
        if (gpt_init(&m, 1) == 0 && (g = gpt_cache_create(&m, (int)context)) != NULL) {
            for (long i = 0; i < context; i++)
                tokens[i] = (int)((i * 7919) % cfg.vocab_size);
            /* time generation at each context, doubling up to context */
            puts("context $t$\twithout cache (tokens/s)\twith cache (tokens/s)\tspeed-up"
                 "\tmemory bound (tokens/s)\tof the bound (\\%)");
            status = 0;
            for (int t = (int)context / 8 > 1 ? (int)context / 8 : 2; !status; t *= 2) {
                status = bench_sample_at(&m, g, tokens, t < context ? t : (int)context,
                                         (int)reps) != 0;
                if (t >= context)
                    break;
            }
        }
        gpt_cache_free(g);
        gpt_free(&m);
    }
    if (status)
        fprintf(stderr, "longhand bench sample: out of memory\n");
    free(tokens);
    return status;
}
/* bench: benchmarks */
static int bench_sample_at(struct gpt *m, struct gpt_cache *g, const int *tokens, int t,
                           int reps)
{
    char err[256];
    double full[1000], step[1000], gbs[1000];
    gpt_cache_rewind(g, 0);
    if (gpt_prefill(m, g, tokens, t - 1, err, sizeof err) != 0)
        return -1;
    for (int r = -1; r < reps; r++) {
        /* time a full pass over t tokens, then one cached step to t */
        double t0 = omp_get_wtime();
        if (gpt_forward(m, tokens, NULL, 1, t, err, sizeof err) != 0)
            return -1;
        volatile int sink = sample_argmax(m->act[ACT_LOGITS] + (size_t)(t - 1)
                                          * m->config.vocab_size, m->config.vocab_size);
        double t1 = omp_get_wtime();
        gpt_step(m, g, tokens[t - 1]);
        sink = sample_argmax(g->logits, m->config.vocab_size);
        (void)sink;
        if (r >= 0)
            full[r] = t1 - t0, step[r] = omp_get_wtime() - t1;
        gpt_cache_rewind(g, t - 1);
        if (r >= 0 && (gbs[r] = read_bandwidth(omp_get_max_threads(), 1)) <= 0)
            return -1;
    }
    double f = median(full, reps), s = median(step, reps);
    double bound = median(gbs, reps) * 1e9 / step_bytes(&m->config, t);
    printf("%d\t%.2f\t%.2f\t%.1f\t%.1f\t%.0f\n", t, 1 / f, 1 / s, f / s, bound,
           100 / s / bound);
    fflush(stdout);
    return 0;
}
/* bench: benchmarks */
enum { BANDWIDTH_MIB = 512 };
/* The median over reps rounds of the GB/s at which `threads` threads read a
   buffer of BANDWIDTH_MIB MiB; 0 if memory for it runs out. */
static double read_bandwidth(int threads, int reps)
{
    size_t n = (size_t)BANDWIDTH_MIB << 18; /* floats */
    float *x = aligned_alloc(64, n * sizeof *x);
    double times[MAX_ROUNDS];
    if (!x)
        return 0;
    memset(x, 0, n * sizeof *x);
    for (int r = -1; r < reps; r++) {
        double t0 = omp_get_wtime();
        /* read the buffer on threads threads, each its own share */
        static volatile float sink;
        #pragma omp parallel num_threads(threads)
        {
            int me = omp_get_thread_num(), T = omp_get_num_threads();
            size_t lo = n / 64 * me / T * 64, hi = n / 64 * (me + 1) / T * 64;
            float lanes[64] = { 0 };
            for (size_t i = lo; i < hi; i += 64)
                #pragma omp simd
                for (int j = 0; j < 64; j++)
                    lanes[j] += x[i + j];
            sink = lanes[me % 64];
        }
        (void)sink;
        if (r >= 0)
            times[r] = omp_get_wtime() - t0;
    }
    free(x);
    return (double)n * sizeof *x / median(times, reps) * 1e-9;
}
/* bench: benchmarks */
static int bench_memory(int argc, char **argv)
{
    int reps = 5;
    const struct cli_option options[] = {
        { "reps", 'n', CLI_INT, 1, MAX_ROUNDS, &reps, "R",
          .help = "rounds; the median is printed" },
        { 0 },
    };
    const struct cli_spec spec = { "bench memory", "", "Time reading a buffer of 512 MiB "
        "on 1 to all threads: GB/s, the\nmedian of R rounds.  TSV on stdout.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    puts("threads\tread (GB/s)");
    for (int t = 1; t <= omp_get_max_threads(); t++) {
        double gbs = read_bandwidth(t, reps);
        if (gbs <= 0) {
            fprintf(stderr, "longhand bench memory: out of memory\n");
            return 1;
        }
        printf("%d\t%.1f\n", t, gbs);
    }
    return 0;
}
/* bench: benchmarks */
/* Bytes a cached step at context t reads: eq. step-bytes. */
static double step_bytes(const struct gpt_config *c, int t)
{
    int C = c->channels, L = c->num_layers;
    double floats = (double)matmul_row_floats(C, c->vocab_size) + 2.0 * C;
    floats += (double)L * ((double)matmul_row_floats(C, 3 * C) + matmul_row_floats(C, C)
                           + matmul_row_floats(C, 4 * C) + matmul_row_floats(4 * C, C)
                           + 13.0 * C + 2.0 * t * C);
    return 4 * floats;
}

int cmd_bench(int argc, char **argv)
{
    static const struct command benchmarks[] = {
        /* bench: benchmark table */
        { "matmul", bench_matmul, "GFLOP/s of the matmul ladder or the model's products" },
        /* bench: benchmark table */
        { "attention", bench_attention, "plain vs lean attention, and generation with the cache" },
        /* bench: benchmark table */
        { "train", bench_train, "time training steps of a model of given sizes" },
        /* bench: benchmark table */
        { "sample", bench_sample, "generation tokens/s with and without the key-value cache" },
        /* bench: benchmark table */
        { "memory", bench_memory, "GB/s of reading memory, on 1 to all threads" },
    };
    return cli_dispatch("bench", benchmarks,
                        (int)(sizeof benchmarks / sizeof *benchmarks), argc, argv);
}
