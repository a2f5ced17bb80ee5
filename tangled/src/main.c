#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
/* main.c: includes */
#include <sys/stat.h>
#include "trace.h"
/* main.c: includes */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include "matmul.h"
/* main.c: includes */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "tokenizer.h"
/* main.c: includes */
#include "attention.h"
/* main.c: includes */
#include "gpt.h"
/* main.c: includes */
#include "adamw.h"
/* main.c: includes */
#include <signal.h>
#include <unistd.h>
#include "train.h"
/* main.c: includes */
#include "cmd-baseline.h"
/* main.c: includes */
#include <sys/resource.h>
/* main.c: includes */
#include "sample.h"

/* main.c: commands */
static int cmd_trace(int argc, char **argv)
{
    static const struct option options[] = {
        { "example", required_argument, 0, 'e' },
        { "output", required_argument, 0, 'o' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *example = "data/worked-example.conf", *dir = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "e:o:h", options, NULL)) != -1) {
        /* handle one option of trace */
        switch (c) {
        case 'e': example = optarg; break;
        case 'o': dir = optarg; break;
        case 'h':
            puts("usage: longhand trace [--example FILE] -o DIR\n\n"
                 "Run the worked example described by FILE (default data/worked-example.conf)\n"
                 "and write the book's tables as DIR/*.tsv and its quoted numbers as\n"
                 "DIR/values.tsv; DIR is made if it does not exist.");
            return 0;
        default:
            return usage_error("trace", "unknown option");
        }
    }
    if (!dir || optind != argc)
        return usage_error("trace", "want -o DIR and no other arguments");
    /* run the trace of example into dir */
    struct trace t = { .dir = dir };
    char err[1024], path[4096];
    if (example_read(example, &t.ex, err, sizeof err) != 0) {
        fprintf(stderr, "longhand trace: %s\n", err);
        return 1;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "longhand trace: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/values.tsv", dir);
    if (!(t.values = fopen(path, "w"))) {
        fprintf(stderr, "longhand trace: %s: %s\n", path, strerror(errno));
        return 1;
    }
    /* run every chapter's part, then close values.tsv, checking both */
    int status = trace_run(&t);
    if (ferror(t.values) | fclose(t.values))
        status = -1;
    if (status != 0)
        fprintf(stderr, "longhand trace: could not write every file in %s\n", dir);
    return status == 0 ? 0 : 1;
}
/* main.c: commands */
/* bench: benchmarks */
enum { BENCH_MAX_THREADS = 256 }; /* more is a typo on any machine this runs on */
struct bench_matmul_options {
    int sizes[16], nsizes;     /* --sizes: the ladder's square sizes */
    int rows[8], nrows;        /* --rows: the model's B*T values */
    int threads[8], nthreads;  /* --threads */
    int reps, naive_max, model, latex;
    gsl_rng *rng;              /* draws the operands, whose values do not change the time */
};
/* bench: parse a comma-separated list of sizes */
/* Parse "N,N,..." of at most max_count values in [1, max_value]; their count, or -1. */
static int parse_sizes(const char *s, int *out, int max_count, long max_value)
{
    int n = 0;
    char *end;
    do {
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > max_value || n == max_count)
            return -1;
        out[n++] = (int)v;
        s = end + 1;
    } while (*end == ',');
    return *end == '\0' ? n : -1;
}
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
/* bench: take the median of the rounds */
static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, int n)
{
    qsort(x, (size_t)n, sizeof *x, compare_doubles);
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}
/* bench: the OpenBLAS comparison */
#ifdef LONGHAND_OPENBLAS
#include <cblas.h>
enum { HAVE_OPENBLAS = 1 };
static void openblas_product(int M, int N, int K, struct matrix A, struct matrix B,
                             float *C)
{
    enum CBLAS_TRANSPOSE ta = A.cs == 1 ? CblasNoTrans : CblasTrans;
    enum CBLAS_TRANSPOSE tb = B.cs == 1 ? CblasNoTrans : CblasTrans;
    int lda = (int)(A.cs == 1 ? A.rs : A.cs), ldb = (int)(B.cs == 1 ? B.rs : B.cs);
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, A.p, lda, B.p, ldb, 1.0f, C, N);
}
#else
enum { HAVE_OPENBLAS = 0 };
static void openblas_product(int M, int N, int K, struct matrix A, struct matrix B,
                             float *C)
{
    (void)M, (void)N, (void)K, (void)A, (void)B, (void)C;
}
#endif
/* bench: print the table's rows */
static void print_row(const struct bench_matmul_options *o, const char *name,
                      int M, int N, int K, int threads, double gflops, double peak,
                      double openblas)
{
    const char *sep = o->latex ? " & " : "\t";
    printf("%s%s%d%s%d%s%d%s%d%s%.1f%s%.0f", name, sep, M, sep, N, sep, K, sep,
           threads, sep, gflops, sep, 100 * gflops / peak);
    if (HAVE_OPENBLAS)
        printf("%s%.2f", sep, gflops / openblas);
    puts(o->latex ? " \\\\" : "");
}
/* bench: print the table's rows */
static void print_header(const struct bench_matmul_options *o)
{
    const char *sep = o->latex ? " & " : "\t";
    if (o->latex)
        printf("\\begin{tabular}{lrrrrrr%s}\n", HAVE_OPENBLAS ? "r" : "");
    printf("variant%s$M$%s$N$%s$K$%sthreads%sGFLOP/s%s\\%% of peak%s", sep, sep, sep,
           sep, sep, sep, HAVE_OPENBLAS ? sep : "");
    puts(HAVE_OPENBLAS ? (o->latex ? "vs OpenBLAS \\\\" : "vs OpenBLAS")
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
                    if (v == NUM_GEMM_VARIANTS && !HAVE_OPENBLAS)
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
            if (HAVE_OPENBLAS)
                openblas = flops / median(times[NUM_GEMM_VARIANTS], o->reps) * 1e-9;
            for (int v = n > o->naive_max ? 1 : 0; v < NUM_GEMM_VARIANTS; v++)
                print_row(o, gemm_variants[v].name, n, n, n, threads,
                          flops / median(times[v], o->reps) * 1e-9, peak, openblas);
            if (HAVE_OPENBLAS)
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
        for (int v = 0; v < (HAVE_OPENBLAS ? 2 : 1) * PRODUCTS; v++) {
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
        double theirs = HAVE_OPENBLAS ? flops / median(times[PRODUCTS + q], o->reps) * 1e-9 : 0;
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
    static const struct option options[] = {
        { "sizes", required_argument, 0, 's' }, { "rows", required_argument, 0, 'r' },
        { "threads", required_argument, 0, 't' }, { "reps", required_argument, 0, 'n' },
        { "naive-max", required_argument, 0, 'x' }, { "model", no_argument, 0, 'm' },
        { "latex", no_argument, 0, 'l' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:r:t:n:x:mlh", options, NULL)) != -1) {
        /* handle one option of bench matmul */
        int bad = 0;
        long value = 0;
        switch (c) {
        case 's': bad = (o.nsizes = parse_sizes(optarg, o.sizes, 16, MATMUL_MAX_DIM)) < 0; break;
        case 'r': bad = (o.nrows = parse_sizes(optarg, o.rows, 8, MATMUL_MAX_DIM)) < 0; break;
        case 't': bad = (o.nthreads = parse_sizes(optarg, o.threads, 8, BENCH_MAX_THREADS)) < 0;
                  break;
        case 'n': bad = parse_long(optarg, 1, MAX_ROUNDS, &value) != 0, o.reps = (int)value; break;
        case 'x': bad = parse_long(optarg, 0, MATMUL_MAX_DIM, &value) != 0;
                  o.naive_max = (int)value; break;
        case 'm': o.model = 1; break;
        case 'l': o.latex = 1; break;
        case 'h':
            /* print the help of bench matmul */
            puts("usage: longhand bench matmul [--sizes N,...] [--threads T,...] [--reps R]\n"
                 "         [--naive-max N] [--model [--rows BT,...]] [--latex]\n\n"
                 "Time the matmul ladder on N x N x N products (default 256,512,1024; the naive\n"
                 "loop only up to --naive-max, default 512), or with --model the forward and\n"
                 "both backward products at GPT-2's shapes for B*T in --rows\n"
                 "(default 512,4096).\n"
                 "Prints variant, M, N, K, threads, GFLOP/s (median of R interleaved rounds,\n"
                 "default 5) and % of the measured FMA peak, as TSV or a LaTeX tabular.");
            return 0;
        default:
            return usage_error("bench matmul", "unknown option");
        }
        if (bad)
            return usage_error("bench matmul", "bad value '%s' for -%c", optarg, c);
    }
    if (optind != argc)
        return usage_error("bench matmul", "unexpected argument '%s'", argv[optind]);
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
    static const struct option options[] = {
        { "lengths", required_argument, 0, 'T' }, { "generate", required_argument, 0, 'g' },
        { "reps", required_argument, 0, 'n' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int lengths[16] = { 256, 512, 1024, 2048 }, nlengths = 4;
    long generate = 0, reps = 5;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "T:g:n:h", options, NULL)) != -1;) {
        /* handle one option of bench attention */
        if (c == 'T') {
            nlengths = parse_sizes(optarg, lengths, 16, BENCH_ATTN_MAX_T);
            if (nlengths < 1)
                return usage_error("bench attention", "--lengths wants sizes from 1 to 8192");
        } else if (c == 'g') {
            if (parse_long(optarg, 1, BENCH_ATTN_MAX_T, &generate) != 0)
                return usage_error("bench attention", "--generate wants a context from 1 to 8192");
        } else if (c == 'n') {
            if (parse_long(optarg, 1, 1000, &reps) != 0)
                return usage_error("bench attention", "--reps wants 1 to 1000");
        } else if (c == 'h') {
            /* print the usage of bench attention */
            puts("usage: longhand bench attention [--lengths T,...] [--reps R]\n"
                 "       longhand bench attention --generate T [--reps R]\n\n"
                 "Time GPT-2 small's attention core (C = 768, 12 heads): the plain\n"
                 "and the lean forward pass for each length, or generation in a context\n"
                 "of T positions, timed at lengths T/16, T/8, ... below T, with and without\n"
                 "the key-value cache.  TSV on stdout.");
            return 0;
        } else
            return usage_error("bench attention", "unknown option");
    }
    if (optind != argc)
        return usage_error("bench attention", "unexpected argument '%s'", argv[optind]);
    return generate ? bench_attention_cache((int)generate, (int)reps)
                    : bench_attention_lean(lengths, nlengths, (int)reps);
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
#define BENCH_TRAIN_USAGE \
    "usage: longhand bench train L,H,C,V,B,T [STEPS]\n\n" \
    "Time STEPS (default 5) training steps of a random model of L layers,\n" \
    "H heads, C channels and vocabulary V on batches of B x T random\n" \
    "tokens; print the sizes, median ms per step, tokens/s and peak\n" \
    "memory in MiB."
/* bench: benchmarks */
static int bench_train_run(long L, long H, long C, long V, long B, long T, int steps);

static int bench_train(int argc, char **argv)
{
    long cfg[6] = { 0 }, steps = 5;  /* L, H, C, V, B, T */
    const long most[6] = { GPT_MAX_LAYERS, GPT_MAX_LAYERS, GPT_MAX_CHANNELS, GPT_MAX_VOCAB,
                           1 << 16, GPT_MAX_CONTEXT };
    char extra;
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        return puts(BENCH_TRAIN_USAGE), 0;
    int bad = argc < 2 || argc > 3
              || sscanf(argv[1], "%ld,%ld,%ld,%ld,%ld,%ld%c", &cfg[0], &cfg[1], &cfg[2],
                        &cfg[3], &cfg[4], &cfg[5], &extra) != 6
              || (argc == 3 && parse_long(argv[2], 1, 1000, &steps) != 0);
    for (int i = 0; i < 6; i++)
        bad = bad || cfg[i] < 1 || cfg[i] > most[i];
    if (bad)
        return usage_error("bench train", "want L,H,C,V,B,T [STEPS] in a model's limits");
    return bench_train_run(cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], cfg[5], (int)steps);
}
/* bench: benchmarks */
static int bench_train_run(long L, long H, long C, long V, long B, long T, int steps)
{
    /* make a model of the benchmark's sizes, its optimiser and a batch of tokens */
    struct gpt_config cfg = { .max_seq_len = (int)T, .vocab_size = (int)V,
                              .padded_vocab_size = padded_vocab((int)V),
                              .num_layers = (int)L,
                              .num_heads = (int)H, .channels = (int)C };
    struct gpt m;
    struct adamw opt;
    char err[256];
    int *tokens = malloc((size_t)(B * T + 1) * sizeof *tokens);
    if (!tokens || gpt_create(&m, &cfg) != 0 || gpt_init(&m, 1) != 0
        || adamw_create(&opt, m.num_params, adamw_defaults()) != 0) {
        fprintf(stderr, "longhand bench train: not a valid model, or out of memory\n");
        return 1;
    }
    for (long i = 0; i <= B * T; i++)
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
        gpt_backward(&m, tokens, tokens + 1);
        adamw_update(&opt, m.params, m.grads);
        if (s >= 0)
            t[s] = omp_get_wtime() - t0;
    }
    /* print the sizes, the median time per step and the peak memory */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("$L,H,C$\t$V$\t$B\\times T$\tms per step\ttokens/s\tpeak MiB\n");
    printf("%ld, %ld, %ld\t%ld\t%ld x %ld\t%.1f\t%.0f\t%.0f\n", L, H, C, V, B, T,
           1e3 * median(t, steps), (double)(B * T) / median(t, steps),
           ru.ru_maxrss / 1024.0);
    adamw_free(&opt);
    gpt_free(&m);
    free(tokens);
    return 0;
}
/* bench: benchmarks */
static int bench_sample_at(struct gpt *m, struct gpt_cache *g, const int *tokens, int t,
                           int reps);

static int bench_sample(int argc, char **argv)
{
    static const struct option options[] = {
        { "context", required_argument, 0, 'T' }, { "reps", required_argument, 0, 'n' },
        { "small", no_argument, 0, 's' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    long context = 512, reps = 5;
    int small = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "T:n:sh", options, NULL)) != -1;) {
        /* handle one option of bench sample */
        if (c == 'T') {
            if (parse_long(optarg, 2, 1024, &context) != 0)
                return usage_error("bench sample", "--context wants 2 to 1024");
        } else if (c == 'n') {
            if (parse_long(optarg, 1, 1000, &reps) != 0)
                return usage_error("bench sample", "--reps wants 1 to 1000");
        } else if (c == 's')
            small = 1;
        else if (c == 'h')
            return puts("usage: longhand bench sample [--context T] [--reps R] [--small]\n\n"
                        "Time generating one token at contexts up to T (default 512) with a\n"
                        "GPT-2 small model (12 layers, 12 heads, 768 channels, V = 50257), with\n"
                        "and without the key-value cache; --small uses a tiny model, to check\n"
                        "the benchmark runs.  TSV on stdout."), 0;
        else
            return usage_error("bench sample", "unknown option");
    }
    if (optind != argc)
        return usage_error("bench sample", "unexpected argument '%s'", argv[optind]);
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
            puts("context $t$\twithout cache (tokens/s)\twith cache (tokens/s)\tspeed-up");
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
    double full[1000], step[1000];
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
    }
    double f = median(full, reps), s = median(step, reps);
    printf("%d\t%.2f\t%.2f\t%.1f\n", t, 1 / f, 1 / s, f / s);
    fflush(stdout);
    return 0;
}

static const struct command benchmarks[] = {
    /* bench: benchmark table */
    { "matmul", bench_matmul, "GFLOP/s of the matmul ladder or the model's products" },
    /* bench: benchmark table */
    { "attention", bench_attention, "plain vs lean attention, and generation with the cache" },
    /* bench: benchmark table */
    { "train", bench_train, "time training steps of a model of given sizes" },
    /* bench: benchmark table */
    { "sample", bench_sample, "generation tokens/s with and without the key-value cache" },
};
enum { NUM_BENCHMARKS = sizeof benchmarks / sizeof benchmarks[0] };

static int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        /* list the benchmarks, on standard error if none was named */
        FILE *out = argc < 2 ? stderr : stdout;
        fputs("usage: longhand bench NAME [OPTIONS]\n\nbenchmarks:\n", out);
        for (int i = 0; i < NUM_BENCHMARKS; i++)
            fprintf(out, "  %-10s %s\n", benchmarks[i].name, benchmarks[i].summary);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < NUM_BENCHMARKS; i++)
        if (strcmp(argv[1], benchmarks[i].name) == 0)
            return benchmarks[i].run(argc - 1, argv + 1);
    return usage_error("bench", "unknown benchmark '%s'", argv[1]);
}
/* main.c: commands */
/* tokenizer command: read a whole stream */
/* All of f, in a buffer with one spare byte; NULL if out of memory or on error. */
static unsigned char *read_stream(FILE *f, size_t *len)
{
    size_t cap = 1 << 16;
    unsigned char *buf = malloc(cap), *p;
    *len = 0;
    while (buf) {
        *len += fread(buf + *len, 1, cap - *len - 1, f);
        if (*len < cap - 1)
            break;
        if (!(p = realloc(buf, cap *= 2)))
            free(buf);
        buf = p;
    }
    if (buf && ferror(f))
        free(buf), buf = NULL;
    return buf;
}
/* tokenizer command: train */
static int train_corpus(char **files, int n_files, int vocab_size, const char *out);

static int tokenizer_train_cmd(int argc, char **argv)
{
    static const struct option options[] = {
        { "vocab-size", required_argument, 0, 'v' },
        { "output", required_argument, 0, 'o' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    long vocab_size = 0;
    const char *out = NULL;
    for (int c; (c = getopt_long(argc, argv, "v:o:h", options, NULL)) != -1;) {
        /* handle one option of tokenizer train */
        if (c == 'v') {
            if (parse_long(optarg, 256, 1 << 20, &vocab_size) != 0)
                return usage_error("tokenizer train", "--vocab-size wants a whole number "
                                   "from 256 to 1048576");
        }
        else if (c == 'o')
            out = optarg;
        else if (c == 'h') {
            /* print the help of tokenizer train */
            puts("usage: longhand tokenizer train --vocab-size N [-o FILE] CORPUS...\n\n"
                 "Learn byte-level BPE merges from the CORPUS files until the vocabulary has\n"
                 "N tokens (256 bytes and N - 256 merges; fewer if no pair is left), and\n"
                 "write the tokenizer to FILE, or to standard output without -o.");
            return 0;
        } else
            return usage_error("tokenizer train", "unknown option");
    }
    if (vocab_size < 256 || vocab_size > 1 << 20 || optind >= argc)
        return usage_error("tokenizer train", "want --vocab-size from 256 to 1048576 "
                           "and at least one corpus file");
    return train_corpus(argv + optind, argc - optind, (int)vocab_size, out);
}
/* tokenizer command: train */
static int train_corpus(char **files, int n_files, int vocab_size, const char *out)
{
    unsigned char **texts = calloc((size_t)n_files, sizeof *texts);
    size_t *lens = calloc((size_t)n_files, sizeof *lens);
    int status = texts && lens ? 0 : 1;
    /* read each corpus file whole */
    for (int i = 0; status == 0 && i < n_files; i++) {
        FILE *f = fopen(files[i], "rb");
        if (!f || !(texts[i] = read_stream(f, &lens[i]))) {
            fprintf(stderr, "longhand tokenizer train: %s: %s\n", files[i],
                    strerror(errno));
            status = 1;
        }
        if (f)
            fclose(f);
    }
    /* train on the texts and write the tokenizer to out */
    char err[512];
    struct tokenizer *tok = NULL;
    if (status == 0 && !(tok = tokenizer_train((const unsigned char *const *)texts, lens,
                                               (size_t)n_files, vocab_size,
                                               isatty(2) ? stderr : NULL, err, sizeof err))) {
        fprintf(stderr, "longhand tokenizer train: %s\n", err);
        status = 1;
    }
    FILE *f = tok ? (out ? fopen(out, "w") : stdout) : NULL;
    int written = f && tokenizer_save(tok, f) == 0 && fflush(f) == 0;
    if (f && f != stdout && fclose(f) != 0)
        written = 0;
    if (tok && !written) {
        fprintf(stderr, "longhand tokenizer train: cannot write %s\n", out ? out : "output");
        status = 1;
    }
    tokenizer_free(tok);
    for (int i = 0; texts && i < n_files; i++)
        free(texts[i]);
    free(texts), free(lens);
    return status;
}
/* tokenizer command: encode */
/* Parse --tokenizer PATH into *tok; 0, or the exit status to return. */
static int tokenizer_option(int argc, char **argv, const char *cmd, const char *help,
                            struct tokenizer **tok)
{
    static const struct option options[] = {
        { "tokenizer", required_argument, 0, 't' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *path = NULL;
    for (int c; (c = getopt_long(argc, argv, "t:h", options, NULL)) != -1;) {
        if (c == 't')
            path = optarg;
        else
            return c == 'h' ? (puts(help), -1) : usage_error(cmd, "unknown option");
    }
    if (!path || optind != argc)
        return usage_error(cmd, "want --tokenizer PATH and no other arguments");
    /* load the tokenizer at path, or say why not */
    char err[512];
    if (!(*tok = tokenizer_load(path, err, sizeof err))) {
        fprintf(stderr, "longhand %s: %s\n", cmd, err);
        return 1;
    }
    return 0;
}
/* tokenizer command: encode */
static int tokenizer_encode_cmd(int argc, char **argv)
{
    struct tokenizer *tok = NULL;
    int status = tokenizer_option(argc, argv, "tokenizer encode", "usage: longhand "
                                  "tokenizer encode --tokenizer PATH < text", &tok);
    if (status != 0)
        return status < 0 ? 0 : status;
    size_t len, n = 0;
    unsigned char *text = read_stream(stdin, &len);
    int32_t *ids = text ? malloc((len + 1) * sizeof *ids) : NULL;
    if (!ids || tokenizer_encode(tok, text, len, ids, &n) != 0) {
        fprintf(stderr, "longhand tokenizer encode: cannot read or encode the input\n");
        status = 1;
    }
    /* print the ids on one line, separated by spaces */
    for (size_t i = 0; status == 0 && i < n; i++)
        printf(i ? " %d" : "%d", ids[i]);
    if (status == 0 && (putchar('\n') == EOF || fflush(stdout) != 0))
        status = 1;
    free(ids), free(text), tokenizer_free(tok);
    return status;
}
/* tokenizer command: decode */
static int tokenizer_decode_cmd(int argc, char **argv)
{
    struct tokenizer *tok = NULL;
    int status = tokenizer_option(argc, argv, "tokenizer decode", "usage: longhand "
                                  "tokenizer decode --tokenizer PATH < ids", &tok);
    if (status != 0)
        return status < 0 ? 0 : status;
    size_t len;
    char *text = (char *)read_stream(stdin, &len), *p = text, *end;
    if (text)
        text[len] = '\0';
    for (status = text ? 0 : 1; status == 0;) {
        /* write the bytes of the next id, or stop at the end */
        p += strspn(p, " \t\r\n");
        if (*p == '\0')
            break;
        errno = 0;
        long id = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : -1;
        size_t k;
        const unsigned char *s = id >= 0 && id <= INT32_MAX && !errno && strchr(" \t\r\n", *end)
                                 ? tokenizer_token(tok, (int32_t)id, &k) : NULL;
        if (!s) {
            int shown = (int)strcspn(p, " \t\r\n");
            fprintf(stderr, "longhand tokenizer decode: '%.*s' is not a token id (0 to %d)\n",
                    shown < 20 ? shown : 20, p, tokenizer_vocab_size(tok) - 1);
            status = 1;
        } else
            fwrite(s, 1, k, stdout), p = end;
    }
    free(text), tokenizer_free(tok);
    return fflush(stdout) == 0 ? status : 1;
}
/* tokenizer command: bench */
struct bench_options { const char *corpus, *text, *tokenizer; long vocab_size, repeat; };
static int run_bench(const struct bench_options *o);

static int tokenizer_bench_cmd(int argc, char **argv)
{
    static const struct option options[] = {
        { "corpus", required_argument, 0, 'c' }, { "text", required_argument, 0, 'x' },
        { "tokenizer", required_argument, 0, 't' },
        { "vocab-size", required_argument, 0, 'v' },
        { "repeat", required_argument, 0, 'r' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    struct bench_options o = { .vocab_size = 4096, .repeat = 5 };
    for (int c; (c = getopt_long(argc, argv, "c:x:t:v:r:h", options, NULL)) != -1;) {
        /* handle one option of tokenizer bench */
        switch (c) {
        case 'c': o.corpus = optarg; break;
        case 'x': o.text = optarg; break;
        case 't': o.tokenizer = optarg; break;
        case 'v':
            if (parse_long(optarg, 256, 1 << 20, &o.vocab_size) != 0)
                return usage_error("tokenizer bench", "--vocab-size wants 256 to 1048576");
            break;
        case 'r':
            if (parse_long(optarg, 1, 100, &o.repeat) != 0)
                return usage_error("tokenizer bench", "--repeat wants 1 to 100");
            break;
        case 'h':
            /* print the usage of tokenizer bench with its defaults */
            puts("usage: longhand tokenizer bench --corpus FILE --text FILE --tokenizer PATH\n"
                 "                                [--vocab-size N] [--repeat N]\n\n"
                 "Train on FILE to N tokens (default 4096) and encode the text with PATH,\n"
                 "each N times (default 5); print the median time and throughput.");
            return 0;
        default:
            return usage_error("tokenizer bench", "unknown option");
        }
    }
    /* refuse missing files and numbers out of range */
    if (!o.corpus || !o.text || !o.tokenizer || optind != argc || o.repeat < 1
        || o.repeat > 100 || o.vocab_size < 256 || o.vocab_size > 1 << 20)
        return usage_error("tokenizer bench", "want --corpus, --text and --tokenizer");
    return run_bench(&o);
}
/* tokenizer command: bench */
static int run_bench(const struct bench_options *o)
{
    /* read the corpus and the text, and load the tokenizer to encode with */
    size_t n_corpus = 0, n_text = 0, n_ids = 0;
    FILE *fc = fopen(o->corpus, "rb"), *ft = fopen(o->text, "rb");
    unsigned char *corpus = fc ? read_stream(fc, &n_corpus) : NULL;
    unsigned char *text = ft ? read_stream(ft, &n_text) : NULL;
    char err[512] = "cannot read the corpus or the text";
    struct tokenizer *gpt = corpus && text
                            ? tokenizer_load(o->tokenizer, err, sizeof err) : NULL;
    int32_t *ids = malloc((n_text + 1) * sizeof *ids);
    double train_s[100], encode_s[100];
    int status = gpt && ids ? 0 : 1;
    for (int r = 0; status == 0 && r < o->repeat; r++) {
        /* time one training and one encoding */
        const unsigned char *texts[1] = { corpus };
        tokenizer_forget_cache(gpt);                   /* outside both timings */
        double t0 = omp_get_wtime();
        struct tokenizer *tok = tokenizer_train(texts, &n_corpus, 1, (int)o->vocab_size, NULL,
                                                err, sizeof err);
        double t1 = omp_get_wtime();
        int failed = tokenizer_encode(gpt, text, n_text, ids, &n_ids);
        double t2 = omp_get_wtime();
        train_s[r] = t1 - t0, encode_s[r] = t2 - t1;
        if (tok && failed)
            snprintf(err, sizeof err, "cannot encode %s", o->text);
        if (!tok || failed)
            status = 1;
        tokenizer_free(tok);
    }
    /* print the medians, or why the bench failed */
    if (status == 0)
        printf("train  %.3f s  (median of %ld; %zu bytes to %ld tokens)\n"
               "encode %.2f MB/s  (median of %ld; %zu bytes to %zu tokens)\n",
               median(train_s, (int)o->repeat), o->repeat, n_corpus, o->vocab_size,
               n_text / 1e6 / median(encode_s, (int)o->repeat), o->repeat, n_text, n_ids);
    else
        fprintf(stderr, "longhand tokenizer bench: %s\n", err);
    if (fc)
        fclose(fc);
    if (ft)
        fclose(ft);
    free(corpus), free(text), free(ids), tokenizer_free(gpt);
    return status;
}

static int cmd_tokenizer(int argc, char **argv)
{
    static const char usage[] =
        "usage: longhand tokenizer train --vocab-size N [-o FILE] CORPUS...\n"
        "       longhand tokenizer encode --tokenizer PATH   < text > ids\n"
        "       longhand tokenizer decode --tokenizer PATH   < ids > text\n"
        "       longhand tokenizer bench --corpus FILE --text FILE --tokenizer PATH\n"
        "                                [--vocab-size N] [--repeat N]\n\n"
        "PATH is a file written by 'tokenizer train' or a directory holding GPT-2's\n"
        "encoder.json and vocab.bpe.  Ids are printed on one line, separated by spaces.\n";
    /* run the subcommand named by argv[1] */
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    static const struct command subcommands[] = {
        { "train", tokenizer_train_cmd, "" }, { "encode", tokenizer_encode_cmd, "" },
        { "decode", tokenizer_decode_cmd, "" }, { "bench", tokenizer_bench_cmd, "" },
    };
    for (size_t i = 0; argc >= 2 && i < sizeof subcommands / sizeof *subcommands; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    fputs(usage, stderr);
    return 2;
}
/* main.c: commands */
static int cmd_init(int argc, char **argv)
{
    static const struct option options[] = {
        { "layers", required_argument, 0, 'L' }, { "heads", required_argument, 0, 'H' },
        { "channels", required_argument, 0, 'C' }, { "context", required_argument, 0, 'T' },
        { "vocab", required_argument, 0, 'V' }, { "seed", required_argument, 0, 's' },
        { "output", required_argument, 0, 'o' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    long L = 0, H = 0, C = 0, T = 0, V = 0, seed = 0;
    const char *out = NULL;
    for (int c; (c = getopt_long(argc, argv, "L:H:C:T:V:s:o:h", options, NULL)) != -1;) {
        /* handle one option of init */
        long *target = c == 'L' ? &L : c == 'H' ? &H : c == 'C' ? &C : c == 'T' ? &T
                     : c == 'V' ? &V : c == 's' ? &seed : NULL;
        if (target) {
            if (parse_long(optarg, c == 's' ? 0 : 1, c == 's' ? 4294967295L : GPT_MAX_VOCAB,
                           target) != 0)
                return usage_error("init", "bad number '%s'", optarg);
        } else if (c == 'o')
            out = optarg;
        else if (c == 'h')
            return puts("usage: longhand init --layers L --heads H --channels C --context T\n"
                        "                     --vocab V [--seed S] -o FILE\n\n"
                        "Write a GPT-2 model of these sizes, initialised as GPT-2 is from the\n"
                        "seed, as an llm.c checkpoint."), 0;
        else
            return usage_error("init", "unknown option");
    }
    if (!L || !H || !C || !T || !V || !out || optind != argc)
        return usage_error("init", "want --layers, --heads, --channels, --context, "
                           "--vocab and -o FILE");
    /* create, initialise and save the model */
    struct gpt_config cfg = { .max_seq_len = (int)T, .vocab_size = (int)V,
                              .padded_vocab_size = padded_vocab((int)V), .num_layers = (int)L,
                              .num_heads = (int)H, .channels = (int)C };
    struct gpt m;
    char err[512] = "out of memory";
    const char *invalid = gpt_config_error(&cfg);
    if (invalid)
        return usage_error("init", "not a valid model: %s", invalid);
    if (gpt_create(&m, &cfg) != 0) {
        fprintf(stderr, "longhand init: out of memory\n");
        return 1;
    }
    int status = gpt_init(&m, (unsigned long)seed) == 0
                 && gpt_save(&m, out, err, sizeof err) == 0;
    if (!status)
        fprintf(stderr, "longhand init: %s\n", err);
    gpt_free(&m);
    return status ? 0 : 1;
}
/* main.c: commands */
#define STEP_USAGE \
    "usage: longhand step --model FILE --tokens FILE --batch B --context T\n" \
    "                     [--lr X] [--beta1 X] [--beta2 X] [--eps X] [--weight-decay X]\n" \
    "                     [--grads-out FILE] [--model-out FILE]\n\n" \
    "Read the first B*T+1 token ids of FILE (inputs: the first B*T; targets: the\n" \
    "same shifted by one), run one forward pass, one backward pass and one AdamW\n" \
    "update (defaults lr 1e-4, beta1 0.9, beta2 0.999, eps 1e-8, weight decay 0),\n" \
    "print 'loss L', and write the gradients (fp32, parameter order) and the\n" \
    "updated checkpoint."
/* main.c: commands */
struct step_options {
    const char *model, *tokens, *grads_out, *model_out;
    long B, T;
    struct adamw_hparams h;
};

static int run_step(const struct step_options *o);

static int cmd_step(int argc, char **argv)
{
    struct step_options o = { .h = adamw_defaults() };
    /* parse the options of step into o */
    static const struct option options[] = {
        { "model", required_argument, 0, 'm' }, { "tokens", required_argument, 0, 'k' },
        { "batch", required_argument, 0, 'B' }, { "context", required_argument, 0, 'T' },
        { "lr", required_argument, 0, 'l' }, { "beta1", required_argument, 0, '1' },
        { "beta2", required_argument, 0, '2' }, { "eps", required_argument, 0, 'e' },
        { "weight-decay", required_argument, 0, 'w' },
        { "grads-out", required_argument, 0, 'g' }, { "model-out", required_argument, 0, 'o' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *letters = "m:k:B:T:l:1:2:e:w:g:o:h";
    for (int c; (c = getopt_long(argc, argv, letters, options, NULL)) != -1;) {
        /* handle one option of step */
        double x = 0;
        int bad = 0;
        switch (c) {
        case 'm': o.model = optarg; break;
        case 'k': o.tokens = optarg; break;
        case 'g': o.grads_out = optarg; break;
        case 'o': o.model_out = optarg; break;
        case 'B': bad = parse_long(optarg, 1, 1 << 16, &o.B); break;
        case 'T': bad = parse_long(optarg, 1, GPT_MAX_CONTEXT, &o.T); break;
        case 'l': bad = parse_double(optarg, 0, 1e3, &x); o.h.lr = (float)x; break;
        case '1': bad = parse_double(optarg, 0, 0.999999, &x); o.h.beta1 = (float)x; break;
        case '2': bad = parse_double(optarg, 0, 0.999999, &x); o.h.beta2 = (float)x; break;
        case 'e': bad = parse_double(optarg, 1e-30, 1, &x) || x <= 0; o.h.eps = (float)x; break;
        case 'w': bad = parse_double(optarg, 0, 1e3, &x); o.h.weight_decay = (float)x; break;
        case 'h': return puts(STEP_USAGE), 0;
        default: return usage_error("step", "unknown option");
        }
        if (bad)
            return usage_error("step", "value '%s' out of range or not a number", optarg);
    }
    if (!o.model || !o.tokens || !o.B || !o.T || optind != argc)
        return usage_error("step", "want --model, --tokens, --batch and --context");
    return run_step(&o);
}
/* main.c: commands */
/* The first n whitespace-separated ids of path into ids; 0, or -1 with a message. */
static int read_token_ids(const char *path, int *ids, long n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "longhand step: %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* read words into ids until n of them or one that is not an id */
    char word[32] = "";
    long i = 0, id = 0;
    int bad_word = 0;
    while (i < n && fscanf(f, "%31s", word) == 1) {
        bad_word = strlen(word) == sizeof word - 1
                   || parse_long(word, 0, 2147483647L, &id) != 0;
        if (bad_word)
            break;
        ids[i++] = (int)id;
    }
    fclose(f);
    if (i == n)
        return 0;
    if (bad_word)
        fprintf(stderr, "longhand step: %s: want %ld token ids (whole numbers from 0), "
                "found %ld before the bad word '%s'\n", path, n, i, word);
    else
        fprintf(stderr, "longhand step: %s: want %ld token ids (whole numbers from 0), "
                "found %ld before the end\n", path, n, i);
    return -1;
}
/* main.c: commands */
static int run_step(const struct step_options *o)
{
    struct gpt m;
    struct adamw opt = { 0 };
    char err[512];
    long n = o->B * o->T;
    int *ids = malloc((size_t)(n + 1) * sizeof *ids), status = 1;
    if (!ids || gpt_load(&m, o->model, err, sizeof err) != 0) {
        fprintf(stderr, "longhand step: %s\n", ids ? err : "out of memory");
        free(ids);
        return 1;
    }
    if (read_token_ids(o->tokens, ids, n + 1) == 0) {
        /* run one forward, backward and update, and write the results */
        if (gpt_forward(&m, ids, ids + 1, (int)o->B, (int)o->T, err, sizeof err) != 0)
            fprintf(stderr, "longhand step: %s\n", err);
        else if (adamw_create(&opt, m.num_params, o->h) != 0)
            fprintf(stderr, "longhand step: out of memory\n");
        else {
            gpt_zero_grad(&m);
            gpt_backward(&m, ids, ids + 1);
            printf("loss %.9g\n", m.mean_loss);
            adamw_update(&opt, m.params, m.grads);
            status = 0;
            size_t bytes = m.num_params * sizeof(float);
            if (o->grads_out
                && write_file_atomically(o->grads_out, NULL, 0, m.grads, bytes, err, sizeof err))
                status = 1;
            if (status == 0 && o->model_out && gpt_save(&m, o->model_out, err, sizeof err))
                status = 1;
            if (status)
                fprintf(stderr, "longhand step: %s\n", err);
        }
    }
    adamw_free(&opt);
    gpt_free(&m);
    free(ids);
    return status;
}
/* main.c: commands */
static volatile sig_atomic_t train_stop;

static void request_stop(int sig)
{
    (void)sig;
    train_stop = 1;
}

struct train_command {
    const char *data, *tokenizer, *model, *init, *log;
    long seed;
    double val_fraction;
    struct train_options o;
};

static int train_command_run(struct train_command *c);
static int train_read_corpus(const struct train_command *c, int32_t **ids, size_t *n,
                             int *vocab, char *err, size_t errlen);
static int train_make_model(struct train_command *c, struct gpt *m, struct adamw *opt,
                            int vocab, char *err, size_t errlen);
/* main.c: commands */
#define TRAIN_USAGE \
    "usage: longhand train --data FILE --tokenizer PATH\n" \
    "                      (--model FILE | --init-config L,H,C,T)\n" \
    "                      --batch B --context T --steps N [--lr X] [--min-lr X]\n" \
    "                      [--warmup N] [--grad-clip X] [--accum K] [--val-every N]\n" \
    "                      [--val-batches N] [--val-fraction X] [--checkpoint-every N]\n" \
    "                      [--seed S] [--log FILE] -o FILE\n\n" \
    "Train on the text of FILE, tokenised with PATH, holding out its last tenth\n" \
    "(--val-fraction) for validation.  Start from --model FILE, resuming from\n" \
    "FILE.state when it exists, or from a new model of L layers, H heads, C channels\n" \
    "and context T (--seed for its initialisation).  Write the checkpoint and its\n" \
    "optimiser state (FILE.state) to -o FILE every --checkpoint-every steps, at the\n" \
    "end, and on Ctrl-C.  Defaults: lr 3e-4 down to min-lr 0 by a cosine after\n" \
    "--warmup 0 steps, no clipping, accum 1, no validation."
/* main.c: commands */
static int cmd_train(int argc, char **argv)
{
    struct train_command c = {
        .val_fraction = 0.1,
        .o = { .accum = 1, .val_batches = 8, .lr = { .max_lr = 3e-4f, .min_lr = 0 } },
    };
    /* parse the options of train into c */
    static const struct option options[] = {
        { "data", required_argument, 0, 'd' }, { "tokenizer", required_argument, 0, 't' },
        { "model", required_argument, 0, 'm' }, { "init-config", required_argument, 0, 'i' },
        { "batch", required_argument, 0, 'B' }, { "context", required_argument, 0, 'T' },
        { "steps", required_argument, 0, 'n' }, { "lr", required_argument, 0, 'l' },
        { "min-lr", required_argument, 0, 'L' }, { "warmup", required_argument, 0, 'w' },
        { "grad-clip", required_argument, 0, 'c' }, { "accum", required_argument, 0, 'a' },
        { "val-every", required_argument, 0, 'v' },
        { "val-batches", required_argument, 0, 'V' },
        { "val-fraction", required_argument, 0, 'f' },
        { "checkpoint-every", required_argument, 0, 'k' },
        { "seed", required_argument, 0, 's' },
        { "log", required_argument, 0, 'g' }, { "output", required_argument, 0, 'o' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *letters = "d:t:m:i:B:T:n:l:L:w:c:a:v:V:f:k:s:g:o:h";
    for (int letter; (letter = getopt_long(argc, argv, letters, options, NULL)) != -1;) {
        /* handle one option of train */
        long n = 0;
        double x = 0;
        int bad = 0;
        switch (letter) {
        case 'd': c.data = optarg; break;
        case 't': c.tokenizer = optarg; break;
        case 'm': c.model = optarg; break;
        case 'i': c.init = optarg; break;
        case 'g': c.log = optarg; break;
        case 'o': c.o.out = optarg; break;
        /* parse the numeric options of train, each within its range */
        case 'B': bad = parse_long(optarg, 1, 1 << 16, &n); c.o.B = (int)n; break;
        case 'T': bad = parse_long(optarg, 1, GPT_MAX_CONTEXT, &n); c.o.T = (int)n; break;
        case 'n': bad = parse_long(optarg, 1, 1 << 30, &n); c.o.steps = (int)n; break;
        case 'w': bad = parse_long(optarg, 0, 1 << 30, &n); c.o.lr.warmup = (int)n; break;
        case 'a': bad = parse_long(optarg, 1, 1 << 16, &n); c.o.accum = (int)n; break;
        case 'v': bad = parse_long(optarg, 0, 1 << 30, &n); c.o.val_every = (int)n; break;
        case 'V': bad = parse_long(optarg, 1, 1 << 20, &n); c.o.val_batches = (int)n; break;
        case 'k': bad = parse_long(optarg, 0, 1 << 30, &n); c.o.checkpoint_every = (int)n; break;
        case 's': bad = parse_long(optarg, 0, 4294967295L, &c.seed); break;
        case 'l': bad = parse_double(optarg, 0, 10, &x); c.o.lr.max_lr = (float)x; break;
        case 'L': bad = parse_double(optarg, 0, 10, &x); c.o.lr.min_lr = (float)x; break;
        case 'c': bad = parse_double(optarg, 0, 1e30, &c.o.grad_clip); break;
        case 'f': bad = parse_double(optarg, 0, 0.9, &c.val_fraction); break;
        case 'h': return puts(TRAIN_USAGE), 0;
        default: return usage_error("train", "unknown option");
        }
        if (bad)
            return usage_error("train", "value '%s' out of range or not a number", optarg);
    }
    if (!c.data || !c.tokenizer || !c.model == !c.init || !c.o.B || !c.o.T || !c.o.steps
        || !c.o.out || optind != argc)
        return usage_error("train", "want --data, --tokenizer, one of --model and "
                           "--init-config, --batch, --context, --steps and -o FILE");
    c.o.lr.steps = c.o.steps;
    return train_command_run(&c);
}
/* main.c: commands */
static int train_command_run(struct train_command *c)
{
    struct gpt m = { 0 };
    struct adamw opt = { 0 };
    int32_t *ids = NULL;
    int *tokens = NULL, status = 1;
    char err[1024] = "";
    size_t n = 0;
    int vocab = 0;
    /* read the corpus, make the model, and train */
    if (train_read_corpus(c, &ids, &n, &vocab, err, sizeof err) == 0
        && (tokens = malloc((n ? n : 1) * sizeof *tokens))
        && train_make_model(c, &m, &opt, vocab, err, sizeof err) == 0) {
        for (size_t i = 0; i < n; i++)
            tokens[i] = ids[i];
        /* split the tokens and train, reporting the outcome */
        long n_val = (long)((double)n * c->val_fraction), n_train = (long)n - n_val;
        struct train_data d = { tokens, tokens + n_train, n_train, n_val };
        FILE *log = NULL;
        if (n_train < (long)c->o.B * c->o.T + 1)
            snprintf(err, sizeof err, "the training split has %ld tokens, fewer than one "
                     "batch of %d x %d + 1", n_train, c->o.B, c->o.T);
        else if (c->log && !(log = fopen(c->log, opt.t > 0 ? "a" : "w")))
            snprintf(err, sizeof err, "%s: %s", c->log, strerror(errno));
        else {
            /* train with Ctrl-C caught, and say how it ended */
            struct sigaction sa = { .sa_handler = request_stop }, old;
            sigemptyset(&sa.sa_mask);
            sigaction(SIGINT, &sa, &old);
            c->o.progress = stderr;
            c->o.progress_on_terminal = isatty(2);
            c->o.log = log;
            if (log && opt.t == 0)
                fprintf(log, "step\tlr\tloss\tval\n");
            int r = train_run(&m, &opt, &d, &c->o, &train_stop, err, sizeof err);
            sigaction(SIGINT, &old, NULL);
            if (c->o.progress_on_terminal)
                fputc('\n', stderr);
            if (r == 1)
                fprintf(stderr, "longhand train: interrupted after step %d; %s written\n", opt.t,
                        c->o.out);
            status = r == 0 ? 0 : r == 1 ? 130 : 1;
        }
        if (log && fclose(log) != 0 && status == 0)
            status = 1, snprintf(err, sizeof err, "%s: write error", c->log);
    } else if (!err[0])
        snprintf(err, sizeof err, "out of memory");
    if (status == 1 && err[0])
        fprintf(stderr, "longhand train: %s\n", err);
    adamw_free(&opt);
    gpt_free(&m);
    free(ids);
    free(tokens);
    return status;
}
/* main.c: commands */
static int train_read_corpus(const struct train_command *c, int32_t **ids, size_t *n,
                             int *vocab, char *err, size_t errlen)
{
    struct tokenizer *tok = tokenizer_load(c->tokenizer, err, errlen);
    FILE *f = tok ? fopen(c->data, "rb") : NULL;
    if (tok && !f)
        snprintf(err, errlen, "%s: %s", c->data, strerror(errno));
    /* read the whole corpus into text, growing it as it fills */
    unsigned char *text = NULL;
    size_t len = 0, cap = 0;
    int out_of_memory = 0;
    for (size_t got = 1; f && got > 0; len += got) {
        if (len + 65536 > cap) {
            unsigned char *grown = realloc(text, cap = 2 * cap + 65536);
            if (!(out_of_memory = !grown))
                text = grown;
            else
                break;
        }
        got = fread(text + len, 1, cap - len, f);
    }
    if (out_of_memory)
        snprintf(err, errlen, "%s: out of memory", c->data);
    /* tokenise text into *ids */
    int status = -1;
    if (f && text && !ferror(f) && (*ids = malloc((len + 1) * sizeof **ids)))
        status = tokenizer_encode(tok, text, len, *ids, n) == 0 ? 0 : -1;
    if (f && status != 0 && !err[0])
        snprintf(err, errlen, "%s: cannot read or tokenise", c->data);
    if (tok)
        *vocab = tokenizer_vocab_size(tok);
    if (f)
        fclose(f);
    free(text);
    tokenizer_free(tok);
    return status;
}
/* main.c: commands */
static int train_make_model(struct train_command *c, struct gpt *m, struct adamw *opt,
                            int vocab, char *err, size_t errlen)
{
    if (c->init) {
        /* create the model of --init-config */
        long L, H, C, T;
        char extra;
        if (sscanf(c->init, "%ld,%ld,%ld,%ld%c", &L, &H, &C, &T, &extra) != 4
            || L < 1 || L > GPT_MAX_LAYERS || H < 1 || H > GPT_MAX_LAYERS
            || C < 1 || C > GPT_MAX_CHANNELS || T < 1 || T > GPT_MAX_CONTEXT) {
            snprintf(err, errlen, "--init-config wants L,H,C,T, four whole numbers within "
                     "the limits of a model");
            return -1;
        }
        struct gpt_config cfg = { .max_seq_len = (int)T, .vocab_size = vocab,
                                  .padded_vocab_size = padded_vocab(vocab), .num_layers = (int)L,
                                  .num_heads = (int)H, .channels = (int)C };
        const char *invalid = gpt_config_error(&cfg);
        if (invalid || gpt_create(m, &cfg) != 0 || gpt_init(m, (unsigned long)c->seed) != 0) {
            snprintf(err, errlen, "--init-config %s: %s", c->init,
                     invalid ? invalid : "out of memory");
            return -1;
        }
    } else if (gpt_load(m, c->model, err, errlen) != 0)
        return -1;
    if (m->config.vocab_size < vocab) {
        snprintf(err, errlen, "the model's vocabulary (%d) is smaller than the "
                 "tokenizer's (%d)", m->config.vocab_size, vocab);
        return -1;
    }
    if (adamw_create(opt, m->num_params, adamw_defaults()) != 0)
        return snprintf(err, errlen, "out of memory"), -1;
    /* resume from the model's optimiser state, if it has one */
    char state[4096];
    if (snprintf(state, sizeof state, "%s.state", c->model ? c->model : "")
        >= (int)sizeof state)
        return snprintf(err, errlen, "--model: the name is too long"), -1;
    if (c->model && access(state, F_OK) == 0) {
        if (adamw_load(opt, m->params, state, err, errlen) != 0)
            return -1;
        if (opt->t > c->o.steps) {
            snprintf(err, errlen, "%.900s is at step %d, beyond --steps %d", state, opt->t,
                     c->o.steps);
            return -1;
        }
        fprintf(stderr, "longhand train: resuming at step %d\n", opt->t + 1);
    }
    return 0;
}
/* main.c: commands */
#define SAMPLE_USAGE \
    "usage: longhand sample --model FILE --tokenizer PATH --prompt TEXT [--max-new N]\n" \
    "                       [--temperature X] [--top-k K] [--top-p P] [--seed S]\n" \
    "                       [--end ID] [--ids] [--stats]\n\n" \
    "Continue TEXT with up to N (default 64) tokens of the model, each drawn at\n" \
    "temperature X (default 1; 0 is greedy) from the K most probable tokens\n" \
    "(default all), then from the smallest set of them holding P of their\n" \
    "probability (default 1), with a generator seeded with S (default 0).\n" \
    "Stops at the model's context or after token ID.  Writes the text as it is\n" \
    "made, or with --ids the token ids; --stats reports tokens/s on stderr."
/* main.c: commands */
struct sample_command {
    const char *model, *tokenizer, *prompt;
    long max_new, seed, end_token;
    int ids, stats;
    struct sample_options o;
};

static int run_sample(const struct sample_command *o);

static int cmd_sample(int argc, char **argv)
{
    struct sample_command o = { .max_new = 64, .end_token = -1,
                                .o = { .temperature = 1, .top_k = 0, .top_p = 1 } };
    /* parse the options of sample into o */
    static const struct option options[] = {
        { "model", required_argument, 0, 'm' }, { "tokenizer", required_argument, 0, 't' },
        { "prompt", required_argument, 0, 'p' }, { "max-new", required_argument, 0, 'n' },
        { "temperature", required_argument, 0, 'T' }, { "top-k", required_argument, 0, 'k' },
        { "top-p", required_argument, 0, 'P' }, { "seed", required_argument, 0, 's' },
        { "end", required_argument, 0, 'e' }, { "ids", no_argument, 0, 'i' },
        { "stats", no_argument, 0, 'S' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    for (int c; (c = getopt_long(argc, argv, "m:t:p:n:T:k:P:s:e:iSh", options, NULL)) != -1;) {
        /* handle one option of sample */
        long k = 0;
        switch (c) {
        case 'm': o.model = optarg; break;
        case 't': o.tokenizer = optarg; break;
        case 'p': o.prompt = optarg; break;
        case 'i': o.ids = 1; break;
        case 'S': o.stats = 1; break;
        case 'n': if (parse_long(optarg, 0, GPT_MAX_CONTEXT, &o.max_new) != 0)
                      return usage_error("sample", "--max-new wants 0 to %d, not '%s'",
                                         GPT_MAX_CONTEXT, optarg);
                  break;
        case 'T': if (parse_double(optarg, 0, 1e6, &o.o.temperature) != 0)
                      return usage_error("sample", "--temperature wants a number from 0 "
                                         "(greedy) to 1e6, not '%s'", optarg);
                  break;
        /* handle the options of sample that cut, seed and stop */
        case 'k': if (parse_long(optarg, 1, GPT_MAX_VOCAB, &k) != 0)
                      return usage_error("sample", "--top-k wants a whole number >= 1, not '%s'",
                                         optarg);
                  o.o.top_k = (int)k;
                  break;
        case 'P': if (parse_double(optarg, 0, 1, &o.o.top_p) != 0 || o.o.top_p <= 0)
                      return usage_error("sample", "--top-p wants a number in (0, 1], not '%s'",
                                         optarg);
                  break;
        case 's': if (parse_long(optarg, 0, 4294967295L, &o.seed) != 0)
                      return usage_error("sample", "--seed wants 0 to 4294967295, not '%s'",
                                         optarg);
                  break;
        case 'e': if (parse_long(optarg, 0, GPT_MAX_VOCAB - 1, &o.end_token) != 0)
                      return usage_error("sample", "--end wants a token id, not '%s'", optarg);
                  break;
        case 'h': return puts(SAMPLE_USAGE), 0;
        default: return usage_error("sample", "unknown option");
        }
    }
    if (!o.model || !o.tokenizer || !o.prompt || optind != argc)
        return usage_error("sample", "want --model, --tokenizer and --prompt");
    return run_sample(&o);
}
/* main.c: commands */
struct sample_emit { struct tokenizer *tok; int ids, count; };

static void emit_token(int token, void *arg)
{
    struct sample_emit *e = arg;
    size_t len = 0;
    const unsigned char *bytes = e->ids ? NULL : tokenizer_token(e->tok, token, &len);
    if (e->ids)
        printf(e->count ? " %d" : "%d", token);
    else if (bytes)
        fwrite(bytes, 1, len, stdout);
    else
        printf("<|%d|>", token);
    e->count++;
    fflush(stdout);
}
/* main.c: commands */
static int run_sample(const struct sample_command *o)
{
    char err[512];
    struct gpt m;
    struct tokenizer *tok = tokenizer_load(o->tokenizer, err, sizeof err);
    if (!tok || gpt_load(&m, o->model, err, sizeof err) != 0) {
        fprintf(stderr, "longhand sample: %s\n", err);
        tokenizer_free(tok);
        return 1;
    }
    int status = 1;
    if (tokenizer_vocab_size(tok) > m.config.vocab_size)
        fprintf(stderr, "longhand sample: the tokenizer has %d tokens, the model only %d\n",
                tokenizer_vocab_size(tok), m.config.vocab_size);
    else
        /* encode the prompt and generate */
        {
            size_t len = strlen(o->prompt), n = 0;
            int32_t *prompt = malloc((len + 1) * sizeof *prompt);
            int *out = malloc((size_t)(o->max_new + 1) * sizeof *out);
            struct sampler s;
            gsl_rng *rng = rng_create((unsigned long)o->seed);
            if (!prompt || !out || !rng || sampler_create(&s, m.config.vocab_size, &o->o) != 0)
                fprintf(stderr, "longhand sample: out of memory\n");
            else {
                if (tokenizer_encode(tok, (const unsigned char *)o->prompt, len, prompt, &n) != 0
                    || n == 0)
                    fprintf(stderr, "longhand sample: the prompt encodes to no tokens\n");
                else
                    /* generate after the prompt, timing it */
                    {
                        struct sample_emit e = { tok, o->ids, 0 };
                        struct generation g = { prompt, (int)n, (int)o->max_new, (int)o->end_token, 1,
                                                emit_token, &e };
                        double t0 = omp_get_wtime();
                        int made = sample_generate(&m, &s, rng, &g, out, err, sizeof err);
                        double seconds = omp_get_wtime() - t0;
                        putchar('\n');
                        if (made < 0)
                            fprintf(stderr, "longhand sample: %s\n", err);
                        else if (o->stats)
                            fprintf(stderr, "longhand sample: prompt %zu tokens, %d new in %.3f s "
                                    "(%.1f tokens/s)\n", n, made, seconds, made / (seconds > 0 ? seconds : 1));
                        status = made < 0 || fflush(stdout) != 0;
                    }
                sampler_free(&s);
            }
            gsl_rng_free(rng), free(prompt), free(out);
        }
    gpt_free(&m);
    tokenizer_free(tok);
    return status;
}

static const struct command commands[] = {
    /* main.c: command table */
    { "trace", cmd_trace, "run the worked example, writing the book's tables" },
    /* main.c: command table */
    { "bench", cmd_bench, "time a part of the program (bench matmul, ...)" },
    /* main.c: command table */
    { "tokenizer", cmd_tokenizer, "train a BPE tokenizer; encode and decode text" },
    /* main.c: command table */
    { "init", cmd_init, "write a freshly initialised model checkpoint" },
    /* main.c: command table */
    { "step", cmd_step, "one forward, backward and AdamW step, every result written" },
    /* main.c: command table */
    { "train", cmd_train, "train a model on a text corpus, with checkpoints and resume" },
    /* main.c: command table */
    { "baseline", cmd_baseline, "unigram and bigram baselines (and a model) on a validation text" },
    /* main.c: command table */
    { "sample", cmd_sample, "generate text from a model and a prompt" },
};
enum { NUM_COMMANDS = sizeof commands / sizeof commands[0] };

/* main.c: print the list of commands */
static void print_commands(FILE *out)
{
    fputs("usage: longhand COMMAND [OPTIONS]\n\ncommands:\n", out);
    for (int i = 0; i < NUM_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'longhand COMMAND --help' describes one command.\n", out);
}
/* main.c: dispatch on the first argument */
int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        print_commands(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < NUM_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "longhand: unknown command '%s' (try 'longhand help')\n", argv[1]);
    return 2;
}
