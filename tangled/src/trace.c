#line 814 "book/01-numbers.nw"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
#line 873 "book/01-numbers.nw"
#include <float.h>
#include <math.h>
#include <gsl/gsl_fit.h>
#include "numbers.h"
#line 1957 "book/03-tokenizer.nw"
#include "tokenizer.h"

#line 836 "book/01-numbers.nw"
FILE *trace_table(struct trace *t, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.tsv", t->dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "longhand trace: %s: %s\n", path, strerror(errno));
        t->failed = 1;
    }
    return f;
}

void trace_close(struct trace *t, FILE *f)
{
    if (f && (ferror(f) | fclose(f)))
        t->failed = 1;
}

void trace_value(struct trace *t, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(t->values, "%s\t", name);
    vfprintf(t->values, fmt, ap);
    fputc('\n', t->values);
    va_end(ap);
}
#line 887 "book/01-numbers.nw"
static void trace_example(struct trace *t)
{
    const struct worked_example *ex = &t->ex;
    trace_value(t, "ExampleText", "%s", ex->text);
    trace_value(t, "ExampleSeed", "%lu", ex->seed);
    trace_value(t, "ExampleLayers", "%d", ex->model.num_layers);
    trace_value(t, "ExampleHeads", "%d", ex->model.num_heads);
    trace_value(t, "ExampleChannels", "%d", ex->model.channels);
    trace_value(t, "ExampleContext", "%d", ex->model.max_seq_len);
    trace_value(t, "ExampleVocab", "%d", ex->model.vocab_size);
    trace_value(t, "UnitRoundoff", "%.3g", FLT_EPSILON / 2);
}
#line 908 "book/01-numbers.nw"
enum { SUM_ROWS = 16, SUM_LOG2_MIN = 4, SUM_LOG2_MAX = 20 };

static void trace_sums(struct trace *t)
{
    size_t nmax = (size_t)1 << SUM_LOG2_MAX;
    float *x = malloc(SUM_ROWS * nmax * sizeof *x), sums[SUM_ROWS];
    gsl_rng *rng = rng_create(t->ex.seed);
    FILE *f = trace_table(t, "numbers-sum-error");
    if (x && rng && f) {
        fprintf(f, "$n$\tsequential\tpairwise\tbound~\\eqref{eq:sum-sequential}"
                   "\tbound~\\eqref{eq:sum-pairwise}\n");
        double logn[SUM_LOG2_MAX], logerr[SUM_LOG2_MAX];
        size_t nfit = 0;
        for (int log2n = SUM_LOG2_MIN; log2n <= SUM_LOG2_MAX; log2n += 2) {
            
#line 940 "book/01-numbers.nw"
size_t n = (size_t)1 << log2n;
fill_uniform(rng, x, SUM_ROWS * n);
double err[2] = { 0, 0 };
summation_fn methods[2] = { sum_sequential, sum_pairwise };
for (int m = 0; m < 2; m++) {
    sum_rows(methods[m], x, SUM_ROWS, n, sums);
    for (int r = 0; r < SUM_ROWS; r++) {
        double exact = 0;
        for (size_t i = 0; i < n; i++)
            exact += x[r * n + i];
        err[m] += fabs(sums[r] - exact) / exact / SUM_ROWS;
    }
}
double u = FLT_EPSILON / 2, b = 8;
fprintf(f, "%zu\t%.2e\t%.2e\t%.2e\t%.2e\n", n, err[0], err[1],
        (double)(n - 1) * u, (b - 1 + ceil(log2((double)n / b))) * u);
logn[nfit] = log((double)n);
logerr[nfit++] = log(err[0]);
if (log2n == SUM_LOG2_MAX) {
    double digits = log10(16777216.0);
    trace_value(t, "SumDigitsSequential", "%.1f", fmin(digits, -log10(err[0])));
    trace_value(t, "SumDigitsPairwise", "%.1f", fmin(digits, -log10(err[1])));
}
#line 923 "book/01-numbers.nw"
        }
        
#line 968 "book/01-numbers.nw"
double c0, c1, cov00, cov01, cov11, sumsq;
gsl_fit_linear(logn, 1, logerr, 1, nfit, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
trace_value(t, "SumSequentialSlope", "%.2f", c1);
#line 925 "book/01-numbers.nw"
        
#line 974 "book/01-numbers.nw"
size_t nones = (size_t)1 << 25;
float *ones = malloc(nones * sizeof *ones);
if (ones) {
    for (size_t i = 0; i < nones; i++)
        ones[i] = 1.0f;
    trace_value(t, "OnesSequential", "%.0f", sum_sequential(ones, nones));
    trace_value(t, "OnesPairwise", "%.0f", sum_pairwise(ones, nones));
    trace_value(t, "OnesExact", "%zu", nones);
    free(ones);
} else
    t->failed = 1;
#line 926 "book/01-numbers.nw"
        trace_value(t, "SumRows", "%d", SUM_ROWS);
        trace_value(t, "SumLargestN", "%zu", nmax);
    } else
        t->failed = 1;
    trace_close(t, f);
    gsl_rng_free(rng);
    free(x);
}
#line 989 "book/01-numbers.nw"
static void trace_layout(struct trace *t)
{
    size_t sizes[NUM_PARAM_TENSORS], offset = 0;
    param_sizes(&t->ex.model, sizes);
    FILE *f = trace_table(t, "numbers-layout");
    if (!f)
        return;
    fprintf(f, "tensor\tfloats\toffset\n");
    for (int i = 0; i < NUM_PARAM_TENSORS; i++) {
        fprintf(f, "`%s`\t%zu\t%zu\n", param_tensor_names[i], sizes[i], offset);
        offset += sizes[i];
    }
    trace_close(t, f);
    size_t total = layout_total(sizes, NUM_PARAM_TENSORS);
    trace_value(t, "ParamCount", "%zu", total);
    trace_value(t, "ParamShareWte", "%.0f", 100.0 * (double)sizes[0] / (double)total);
}
#line 1023 "book/01-numbers.nw"
enum { INIT_ROWS = 4, INIT_COLS = 6 };

static void trace_init(struct trace *t)
{
    const struct gpt_config *m = &t->ex.model;
    size_t sizes[NUM_PARAM_TENSORS];
    param_sizes(m, sizes);
    t->params = calloc(layout_total(sizes, NUM_PARAM_TENSORS), sizeof *t->params);
    gsl_rng *rng = rng_create(t->ex.seed);
    FILE *f = trace_table(t, "numbers-init");
    if (t->params && rng && f) {
        layout_views(t->params, sizes, NUM_PARAM_TENSORS, t->param);
        param_init(t->params, m, rng);
        float *wte = t->param[0];
        size_t n = sizes[0];
        
#line 1048 "book/01-numbers.nw"
int cols = m->channels < INIT_COLS ? m->channels : INIT_COLS;
fprintf(f, "row");
for (int c = 0; c < cols; c++)
    fprintf(f, "\t$c=%d$", c);
fputc('\n', f);
for (int r = 0; r < INIT_ROWS; r++) {
    fprintf(f, "%d", r);
    for (int c = 0; c < cols; c++)
        fprintf(f, "\t%.5f", wte[(size_t)r * m->channels + c]);
    fputc('\n', f);
}
#line 1039 "book/01-numbers.nw"
        
#line 1062 "book/01-numbers.nw"
double ss = 0;
for (size_t i = 0; i < n; i++)
    ss += (double)wte[i] * wte[i];
trace_value(t, "InitSampleStd", "%.5f", sqrt(ss / (double)n));
#line 1040 "book/01-numbers.nw"
    } else
        t->failed = 1;
    trace_close(t, f);
    gsl_rng_free(rng);
}
#line 1992 "book/03-tokenizer.nw"
static void write_token_cell(FILE *f, const struct tokenizer *tok, int32_t id)
{
    size_t n = 0;
    const unsigned char *s = tokenizer_token(tok, id, &n);
    fputc('`', f);
    for (size_t i = 0; s && i < n; i++)
        if (s[i] == ' ')
            fputc('_', f);
        else if (s[i] > ' ' && s[i] < 0x7f && !strchr("_\\`", s[i]))
            fputc(s[i], f);
        else
            fprintf(f, "\\x%02x", s[i]);
    fputc('`', f);
}

#line 1967 "book/03-tokenizer.nw"
static void trace_tokenizer(struct trace *t)
{
    const unsigned char *text = (const unsigned char *)t->ex.text;
    size_t len = strlen(t->ex.text), n = 0;
    char err[256];
    struct tokenizer *tok = tokenizer_train(&text, &len, 1, t->ex.model.vocab_size, NULL,
                                            err, sizeof err);
    int32_t *ids = malloc((len + 1) * sizeof *ids);
    if (!tok || !ids || tokenizer_encode(tok, text, len, ids, &n) != 0) {
        fprintf(stderr, "longhand trace: tokenizer: %s\n", tok ? "cannot encode" : err);
        t->failed = 1;
    } else {
        
#line 2009 "book/03-tokenizer.nw"
int n_merges;
const struct bpe_merge *merges = tokenizer_merges(tok, &n_merges);
FILE *f = trace_table(t, "tokenizer-merges");
if (f) {
    fprintf(f, "rank $m$\tnew id\tleft id\tright id\tleft\tright\tnew token\tcount\n");
    for (int m = 0; m < n_merges; m++) {
        const struct bpe_merge *mg = &merges[m];
        fprintf(f, "%d\t%d\t%d\t%d\t", m, mg->token, mg->left, mg->right);
        write_token_cell(f, tok, mg->left), fputc('\t', f);
        write_token_cell(f, tok, mg->right), fputc('\t', f);
        write_token_cell(f, tok, mg->token);
        fprintf(f, "\t%lld\n", (long long)mg->count);
    }
}
trace_close(t, f);
#line 2027 "book/03-tokenizer.nw"
trace_value(t, "TokMergesWanted", "%d", t->ex.model.vocab_size - 256);
trace_value(t, "TokMergesLearned", "%d", n_merges);
trace_value(t, "TokLastId", "%d", tokenizer_vocab_size(tok) - 1);
trace_value(t, "TokFirstCount", "%lld", n_merges ? (long long)merges[0].count : 0LL);
trace_value(t, "TokStopReason", "%s", 256 + n_merges < t->ex.model.vocab_size
            ? "every piece is a single token and no pair is left"
            : "the vocabulary is full");
#line 1980 "book/03-tokenizer.nw"
        
#line 2037 "book/03-tokenizer.nw"
f = trace_table(t, "tokenizer-sentence");
if (f) {
    fprintf(f, "position\ttoken\tid\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%zu\t", i);
        write_token_cell(f, tok, ids[i]);
        fprintf(f, "\t%d\n", ids[i]);
    }
}
trace_close(t, f);
char list[EXAMPLE_TEXT_MAX * 8] = "";
for (size_t i = 0, at = 0; i < n && at + 16 < sizeof list; i++)
    at += (size_t)snprintf(list + at, sizeof list - at, i ? " %d" : "%d", ids[i]);
trace_value(t, "TokSentenceIds", "%s", list);
trace_value(t, "TokSentenceBytes", "%zu", len);
trace_value(t, "TokSentenceTokens", "%zu", n);
#line 1981 "book/03-tokenizer.nw"
    }
    free(ids);
    tokenizer_free(tok);
}

#line 824 "book/01-numbers.nw"
int trace_run(struct trace *t)
{
    
#line 880 "book/01-numbers.nw"
trace_example(t);
trace_sums(t);
trace_layout(t);
trace_init(t);
#line 1961 "book/03-tokenizer.nw"
trace_tokenizer(t);
#line 827 "book/01-numbers.nw"
    
#line 1016 "book/01-numbers.nw"
free(t->params);
#line 828 "book/01-numbers.nw"
    return t->failed ? -1 : 0;
}
