#line 642 "book/01-numbers.nw"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#line 974 "book/01-numbers.nw"
#include "trace.h"
#line 932 "book/02-matmul.nw"
#include <omp.h>
#include <stdlib.h>
#include "matmul.h"

#line 978 "book/01-numbers.nw"
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
        
#line 998 "book/01-numbers.nw"
switch (c) {
case 'e': example = optarg; break;
case 'o': dir = optarg; break;
case 'h':
    puts("usage: longhand trace [--example FILE] -o DIR\n\n"
         "Run the worked example described by FILE (default data/worked-example.conf)\n"
         "and write the book's tables as DIR/*.tsv and its quoted numbers as\n"
         "DIR/values.tsv.");
    return 0;
default:
    return usage_error("trace", "unknown option");
}
#line 990 "book/01-numbers.nw"
    }
    if (!dir || optind != argc)
        return usage_error("trace", "want -o DIR and no other arguments");
    
#line 1013 "book/01-numbers.nw"
struct trace t = { .dir = dir };
char err[1024], path[4096];
if (example_read(example, &t.ex, err, sizeof err) != 0) {
    fprintf(stderr, "longhand trace: %s\n", err);
    return 1;
}
snprintf(path, sizeof path, "%s/values.tsv", dir);
if (!(t.values = fopen(path, "w"))) {
    fprintf(stderr, "longhand trace: %s: %s\n", path, strerror(errno));
    return 1;
}
int status = trace_run(&t);
if (ferror(t.values) | fclose(t.values))
    status = -1;
if (status != 0)
    fprintf(stderr, "longhand trace: could not write every file in %s\n", dir);
return status == 0 ? 0 : 1;
#line 994 "book/01-numbers.nw"
}
#line 979 "book/02-matmul.nw"
struct bench_matmul_options {
    int sizes[16], nsizes;     /* --sizes: the ladder's square sizes */
    int rows[8], nrows;        /* --rows: the model's B*T values */
    int threads[8], nthreads;  /* --threads */
    int reps, naive_max, model, latex;
};
#line 995 "book/02-matmul.nw"
static int parse_sizes(const char *s, int *out, int max)
{
    int n = 0;
    char *end;
    do {
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > MATMUL_MAX_DIM || n == max)
            return -1;
        out[n++] = (int)v;
        s = end + 1;
    } while (*end == ',');
    return *end == '\0' ? n : -1;
}
#line 1081 "book/02-matmul.nw"
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
#line 1113 "book/02-matmul.nw"
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
#line 1135 "book/02-matmul.nw"
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
#line 1171 "book/02-matmul.nw"
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
            size_t nn = (size_t)n * n;
            float *A = malloc(nn * sizeof *A), *B = malloc(nn * sizeof *B);
            float *C = calloc(nn, sizeof *C);
            if (!A || !B || !C) {
                fprintf(stderr, "longhand bench matmul: out of memory\n");
                return 1;
            }
            for (size_t i = 0; i < nn; i++) {
                A[i] = 2.0f * (float)rand() / RAND_MAX - 1;
                B[i] = 2.0f * (float)rand() / RAND_MAX - 1;
            }
            
#line 1202 "book/02-matmul.nw"
static double t[NUM_GEMM_VARIANTS + 1][MAX_ROUNDS];
struct matrix a = { A, n, 1 }, b = { B, n, 1 };
for (int round = -1; round < o->reps; round++)
    for (int v = 0; v <= NUM_GEMM_VARIANTS; v++) {
        if (v == 0 && n > o->naive_max) /* gemm_variants[0] is the naive loop */
            continue;
        if (v == NUM_GEMM_VARIANTS && !HAVE_OPENBLAS)
            continue;
        double t0 = omp_get_wtime();
        if (v < NUM_GEMM_VARIANTS)
            gemm_variants[v].run(n, n, n, A, B, C);
        else
            openblas_product(n, n, n, a, b, C);
        if (round >= 0)
            t[v][round] = omp_get_wtime() - t0;
    }
double flops = 2.0 * n * n * n;
double openblas = 0;
if (HAVE_OPENBLAS)
    openblas = flops / median(t[NUM_GEMM_VARIANTS], o->reps) * 1e-9;
for (int v = n > o->naive_max ? 1 : 0; v < NUM_GEMM_VARIANTS; v++)
    print_row(o, gemm_variants[v].name, n, n, n, threads,
              flops / median(t[v], o->reps) * 1e-9, peak, openblas);
if (HAVE_OPENBLAS)
    print_row(o, "OpenBLAS", n, n, n, threads, openblas, peak, openblas);
#line 1193 "book/02-matmul.nw"
            free(A), free(B), free(C);
        }
    }
    print_footer(o);
    return 0;
}
#line 1234 "book/02-matmul.nw"
static int bench_model_shape(const struct bench_matmul_options *o, int BT, int C,
                             int OC, int threads, double peak);

static int bench_model(const struct bench_matmul_options *o)
{
    static const int shapes[][2] = { { 768, 2304 }, { 768, 3072 }, { 3072, 768 },
                                     { 768, 768 }, { 128, 384 } };
    print_header(o);
    for (int ti = 0; ti < o->nthreads; ti++) {
        omp_set_num_threads(o->threads[ti]);
        double peak = matmul_peak_gflops(o->threads[ti]);
        for (int ri = 0; ri < o->nrows; ri++)
            for (int si = 0; si < 5; si++)
                if (bench_model_shape(o, o->rows[ri], shapes[si][0], shapes[si][1],
                                      o->threads[ti], peak) != 0)
                    return 1;
    }
    print_footer(o);
    return 0;
}
#line 1261 "book/02-matmul.nw"
static int bench_model_shape(const struct bench_matmul_options *o, int BT, int C,
                             int OC, int threads, double peak)
{
    size_t big = (size_t)BT * (C > OC ? C : OC) + (size_t)OC * C;
    float *buf = calloc(4 * big, sizeof *buf);
    if (!buf) {
        fprintf(stderr, "longhand bench matmul: out of memory\n");
        return 1;
    }
    float *X = buf, *W = buf + big, *G = buf + 2 * big, *out = buf + 3 * big;
    for (size_t i = 0; i < 3 * big; i++)
        buf[i] = 2.0f * (float)rand() / RAND_MAX - 1;
    const struct { const char *name; int M, N, K; struct matrix A, B; } p[3] = {
        { "forward", BT, OC, C, { X, C, 1 }, { W, 1, C } },
        { "dinp", BT, C, OC, { G, OC, 1 }, { W, C, 1 } },
        { "dweight", OC, C, BT, { G, 1, OC }, { X, C, 1 } },
    };
    
#line 1285 "book/02-matmul.nw"
static double t[6][MAX_ROUNDS];
for (int round = -1; round < o->reps; round++)
    for (int v = 0; v < (HAVE_OPENBLAS ? 6 : 3); v++) {
        int q = v % 3;
        double t0 = omp_get_wtime();
        if (v < 3)
            gemm_strided(p[q].M, p[q].N, p[q].K, p[q].A, p[q].B, out, p[q].N,
                         MATMUL_KERNEL_BEST, 1);
        else
            openblas_product(p[q].M, p[q].N, p[q].K, p[q].A, p[q].B, out);
        if (round >= 0)
            t[v][round] = omp_get_wtime() - t0;
    }
for (int v = 0; v < 3; v++) {
    double flops = 2.0 * p[v].M * p[v].N * p[v].K;
    double ours = flops / median(t[v], o->reps) * 1e-9;
    double theirs = HAVE_OPENBLAS ? flops / median(t[v + 3], o->reps) * 1e-9 : 0;
    print_row(o, p[v].name, p[v].M, p[v].N, p[v].K, threads, ours, peak, theirs);
}
#line 1279 "book/02-matmul.nw"
    free(buf);
    return 0;
}
#line 1013 "book/02-matmul.nw"
static int bench_matmul(int argc, char **argv)
{
    struct bench_matmul_options o = { .sizes = { 256, 512, 1024 }, .nsizes = 3,
        .rows = { 512, 4096 }, .nrows = 2, .threads = { 1 }, .nthreads = 1,
        .reps = 5, .naive_max = 512 };
    static const struct option options[] = {
        { "sizes", required_argument, 0, 's' }, { "rows", required_argument, 0, 'r' },
        { "threads", required_argument, 0, 't' },
        { "reps", required_argument, 0, 'n' },
        { "naive-max", required_argument, 0, 'x' }, { "model", no_argument, 0, 'm' },
        { "latex", no_argument, 0, 'l' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:r:t:n:x:mlh", options, NULL)) != -1) {
        
#line 1039 "book/02-matmul.nw"
int bad = 0;
switch (c) {
case 's': bad = (o.nsizes = parse_sizes(optarg, o.sizes, 16)) < 0; break;
case 'r': bad = (o.nrows = parse_sizes(optarg, o.rows, 8)) < 0; break;
case 't': bad = (o.nthreads = parse_sizes(optarg, o.threads, 8)) < 0; break;
case 'n': bad = (o.reps = atoi(optarg)) < 1 || o.reps > 1000; break;
case 'x': bad = (o.naive_max = atoi(optarg)) < 0; break;
case 'm': o.model = 1; break;
case 'l': o.latex = 1; break;
case 'h':
    
#line 1059 "book/02-matmul.nw"
puts("usage: longhand bench matmul [--sizes N,...] [--threads T,...] [--reps R]\n"
     "         [--naive-max N] [--model [--rows BT,...]] [--latex]\n\n"
     "Time the matmul ladder on N x N x N products (default 256,512,1024; the naive\n"
     "loop only up to --naive-max, default 512), or with --model the forward and\n"
     "both backward products at GPT-2's shapes for B*T in --rows\n"
     "(default 512,4096).\n"
     "Prints variant, M, N, K, threads, GFLOP/s (median of R interleaved rounds,\n"
     "default 5) and % of the measured FMA peak, as TSV or a LaTeX tabular.");
#line 1050 "book/02-matmul.nw"
    return 0;
default:
    return usage_error("bench matmul", "unknown option");
}
if (bad)
    return usage_error("bench matmul", "bad value '%s' for -%c", optarg, c);
#line 1030 "book/02-matmul.nw"
    }
    if (optind != argc)
        return usage_error("bench matmul", "unexpected argument '%s'", argv[optind]);
    
#line 1070 "book/02-matmul.nw"
for (int i = 0; i < o.nsizes; i++)
    if (matmul_check_sizes(o.sizes[i], o.sizes[i], o.sizes[i]) != 0)
        return usage_error("bench matmul", "size %d too large", o.sizes[i]);
for (int i = 0; i < o.nrows; i++)
    if (matmul_check_sizes(o.rows[i], 4096, 4096) != 0)
        return usage_error("bench matmul", "rows %d too large", o.rows[i]);
#line 1034 "book/02-matmul.nw"
    return o.model ? bench_model(&o) : bench_ladder(&o);
}

#line 940 "book/02-matmul.nw"
static const struct command benchmarks[] = {
    
#line 966 "book/02-matmul.nw"
{ "matmul", bench_matmul, "GFLOP/s of the matmul ladder or the model's products" },
#line 942 "book/02-matmul.nw"
};
enum { NUM_BENCHMARKS = sizeof benchmarks / sizeof benchmarks[0] };

static int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
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

#line 650 "book/01-numbers.nw"
static const struct command commands[] = {
    
#line 1033 "book/01-numbers.nw"
{ "trace", cmd_trace, "run the worked example, writing the book's tables" },
#line 962 "book/02-matmul.nw"
{ "bench", cmd_bench, "time a part of the program (bench matmul, ...)" },
#line 652 "book/01-numbers.nw"
};
enum { NUM_COMMANDS = sizeof commands / sizeof commands[0] };

#line 675 "book/01-numbers.nw"
static void print_commands(FILE *out)
{
    fputs("usage: longhand COMMAND [OPTIONS]\n\ncommands:\n", out);
    for (int i = 0; i < NUM_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'longhand COMMAND --help' describes one command.\n", out);
}
#line 660 "book/01-numbers.nw"
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
