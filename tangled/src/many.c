/* many.c: tangled from book/16-many.nw; edit the book, not this file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "many.h"
#include "numbers.h"
#include "support.h"
#ifdef LONGHAND_MPI
#include <mpi.h>
#endif

/* many.c: what every build has */
int many_place(const struct many *w)
{
    return w->ranks - 1 - w->rank;
}
/* many.c: what every build has */
double many_ring_seconds(double bytes, int N, double alpha, double beta)
{
    return 2.0 * (N - 1) * alpha + 2.0 * (N - 1) / N * bytes * beta;
}
double many_chain_seconds(double bytes, int N, double P, double alpha, double beta)
{
    return N == 1 ? 0 : 2.0 * (N + P - 2) * (alpha + bytes / P * beta);
}
/* many.c: llm.c's bf16 checkpoints */
uint16_t bf16_from_float(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)      /* NaN: keep the sign, make it quiet */
        return (uint16_t)((u >> 16) | 0x0040u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}
float float_from_bf16(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}
/* many.c: llm.c's bf16 checkpoints */
int llmc_bf16_save(const struct gpt *m, const char *path, char *err, size_t errlen)
{
    const struct gpt_config *c = &m->config;
    int header[CHECKPOINT_HEADER_INTS] = {
        CHECKPOINT_MAGIC, LLMC_BF16_VERSION, c->max_seq_len, c->vocab_size,
        c->num_layers, c->num_heads, c->channels, c->padded_vocab_size,
    };
    uint16_t *b = malloc((m->num_params ? m->num_params : 1) * sizeof *b);
    if (!b)
        return snprintf(err, errlen, "%s: out of memory", path), -1;
    for (size_t i = 0; i < m->num_params; i++)
        b[i] = bf16_from_float(m->params[i]);
    int status = write_file_atomically(path, header, sizeof header, b,
                                       m->num_params * sizeof *b, err, errlen);
    free(b);
    return status;
}
/* many.c: llm.c's bf16 checkpoints */
int llmc_load(struct gpt *m, const char *path, char *err, size_t errlen)
{
    int header[CHECKPOINT_HEADER_INTS];
    struct stat st;
    const char *why = NULL;
    FILE *f = fopen(path, "rb");
    memset(m, 0, sizeof *m);
    if (!f)
        return snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
    if (fstat(fileno(f), &st) != 0 || fread(header, sizeof header, 1, f) != 1)
        why = "too short to hold a checkpoint header";
    else if (header[0] == CHECKPOINT_MAGIC && header[1] == CHECKPOINT_VERSION) {
        fclose(f);
        return gpt_load(m, path, err, errlen);
    } else if (header[0] != CHECKPOINT_MAGIC || header[1] != LLMC_BF16_VERSION)
        why = "not an llm.c checkpoint of version 3 or 5";
    /* check the bf16 checkpoint's sizes, then read and widen its parameters */
    struct gpt_config cfg = { .max_seq_len = header[2], .vocab_size = header[3],
                              .num_layers = header[4], .num_heads = header[5],
                              .channels = header[6], .padded_vocab_size = header[7] };
    size_t sizes[NUM_PARAM_TENSORS], n = 0;
    if (!why && !(why = gpt_config_error(&cfg))) {
        param_sizes(&cfg, sizes);
        n = layout_total(sizes, NUM_PARAM_TENSORS);
        if (n == 0 || (unsigned long long)st.st_size
                      != sizeof header + (unsigned long long)n * sizeof(uint16_t))
            why = "its size does not match the sizes in its header";
    }
    if (!why && gpt_create(m, &cfg) != 0)
        why = "out of memory";
    /* read the bf16 parameters in blocks, widening each */
    enum { BLOCK = 4096 };
    uint16_t block[BLOCK];
    for (size_t at = 0; !why && at < n; at += BLOCK) {
        size_t len = n - at < BLOCK ? n - at : BLOCK;
        if (fread(block, sizeof *block, len, f) != len)
            why = "cannot read the parameters";
        for (size_t i = 0; !why && i < len; i++)
            m->params[at + i] = float_from_bf16(block[i]);
    }
    fclose(f);
    if (why) {
        gpt_free(m);
        snprintf(err, errlen, "%s: %s", path, why);
    }
    return why ? -1 : 0;
}
#ifdef LONGHAND_MPI
/* many.c: the shards */
static void shard_of(size_t n, int rank, int ranks, size_t *lo, size_t *hi)
{
    *lo = (size_t)((unsigned long long)n * rank / ranks);
    *hi = (size_t)((unsigned long long)n * (rank + 1) / ranks);
}
/* many.c: the ranks over MPI */
static int mpi_failed(int code, const char *call, const struct many *w,
                      char *err, size_t errlen)
{
    char why[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (code == MPI_SUCCESS)
        return 0;
    MPI_Error_string(code, why, &len);
    snprintf(err, errlen, "rank %d of %d: %s failed: %s (did another rank die?)",
             w->rank, w->ranks, call, why);
    return -1;
}
#define MPI_CHECK(call) \
    do { if (mpi_failed((call), #call, w, err, errlen)) return -1; } while (0)
/* many.c: the ranks over MPI */
int many_start(struct many *w, int zero, char *err, size_t errlen)
{
    int provided;
    *w = (struct many){ .ranks = 1, .zero = zero };
    MPI_CHECK(MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided));
    MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &w->rank));
    MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &w->ranks));
    return 0;
}
/* many.c: the ranks over MPI */
void many_stop(struct many *w)
{
    free(w->counts);
    free(w->displs);
    free(w->chunk);
    w->counts = w->displs = NULL, w->chunk = NULL;
    MPI_Finalize();
}
void many_abort(const struct many *w, int status)
{
    (void)w;
    MPI_Abort(MPI_COMM_WORLD, status);
    exit(status);
}
/* many.c: the ranks over MPI */
int many_share(const struct many *w, double *x, int count, char *err, size_t errlen)
{
    MPI_CHECK(MPI_Bcast(x, count, MPI_DOUBLE, 0, MPI_COMM_WORLD));
    return 0;
}
/* many.c: the chain */
int many_fold(struct many *w, float *sum, float *g, size_t n, int first,
              double mean_loss, double *loss, char *err, size_t errlen)
{
    int N = w->ranks, r = w->rank;
    int from = r == N - 1 ? (first ? -1 : 0) : r + 1;   /* who sends us the sum */
    int to = r == 0 ? (first ? -1 : N - 1) : r - 1;     /* whom we send it to */
    if (N == 1)
        to = from = -1;
    /* add the round's losses on rank 0, in the order of the places */
    enum { MAX_RANKS = 1024 };
    double losses[MAX_RANKS];
    if (N > MAX_RANKS)
        return snprintf(err, errlen, "more than %d ranks", MAX_RANKS), -1;
    MPI_CHECK(MPI_Gather(&mean_loss, 1, MPI_DOUBLE, losses, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD));
    if (r == 0)
        for (int p = 0; p < N; p++)
            *loss += losses[N - 1 - p];
    if (r == 0) {
        /* on rank 0: send the running sum, receive the chain's, add our gradient */
        size_t chunks = (n + MANY_CHUNK - 1) / MANY_CHUNK;
        MPI_Request *sent = calloc(chunks ? chunks : 1, sizeof *sent);
        if (!sent)
            return snprintf(err, errlen, "out of memory"), -1;
        for (size_t c = 0; c < chunks; c++) {
            size_t at = c * MANY_CHUNK;
            int len = (int)(n - at < MANY_CHUNK ? n - at : MANY_CHUNK);
            sent[c] = MPI_REQUEST_NULL;
            if (to >= 0 && mpi_failed(MPI_Isend(sum + at, len, MPI_FLOAT, to, 1, MPI_COMM_WORLD,
                                                &sent[c]), "MPI_Isend", w, err, errlen))
                return free(sent), -1;
        }
        int status = 0;
        /* receive each chunk of the chain and add rank 0's gradient into sum */
        for (size_t c = 0; c < chunks && status == 0; c++) {
            size_t at = c * MANY_CHUNK;
            int len = (int)(n - at < MANY_CHUNK ? n - at : MANY_CHUNK);
            if (from >= 0)
                status = mpi_failed(MPI_Recv(w->chunk, len, MPI_FLOAT, from, 1, MPI_COMM_WORLD,
                                             MPI_STATUS_IGNORE), "MPI_Recv", w, err, errlen);
            if (status == 0)
                status = mpi_failed(MPI_Wait(&sent[c], MPI_STATUS_IGNORE), "MPI_Wait", w,
                                    err, errlen);
            const float *a = from >= 0 ? w->chunk : sum + at;   /* N = 1: the sum so far */
            if (status == 0 && (from >= 0 || !first)) {
                #pragma omp parallel for schedule(static)
                for (int i = 0; i < len; i++)
                    sum[at + i] = a[i] + g[at + i];
            } else if (status == 0)
                memcpy(sum + at, g + at, (size_t)len * sizeof *g);
        }
        free(sent);
        return status;
    } else {
        /* on the other ranks: receive, add our gradient, pass it on */
        for (size_t at = 0; at < n; at += MANY_CHUNK) {
            int len = (int)(n - at < MANY_CHUNK ? n - at : MANY_CHUNK);
            if (from >= 0) {
                MPI_CHECK(MPI_Recv(w->chunk, len, MPI_FLOAT, from, 1, MPI_COMM_WORLD,
                                   MPI_STATUS_IGNORE));
                #pragma omp parallel for schedule(static)
                for (int i = 0; i < len; i++)
                    g[at + i] = w->chunk[i] + g[at + i];
            }
            MPI_CHECK(MPI_Send(g + at, len, MPI_FLOAT, to, 1, MPI_COMM_WORLD));
        }
    }
    return 0;
}
/* many.c: the update over MPI */
static int broadcast_floats(const struct many *w, float *x, size_t n, char *err,
                            size_t errlen)
{
    for (size_t at = 0; at < n; at += MANY_CHUNK)
        MPI_CHECK(MPI_Bcast(x + at, (int)(n - at < MANY_CHUNK ? n - at : MANY_CHUNK),
                            MPI_FLOAT, 0, MPI_COMM_WORLD));
    return 0;
}
/* many.c: the update over MPI */
int many_prepare(struct many *w, struct adamw *opt, float *params, size_t n,
                 char *err, size_t errlen)
{
    if (n > INT_MAX)
        return snprintf(err, errlen, "%zu parameters: more than MPI's counts hold", n), -1;
    w->counts = malloc(w->ranks * sizeof *w->counts);
    w->displs = malloc(w->ranks * sizeof *w->displs);
    w->chunk = malloc(MANY_CHUNK * sizeof *w->chunk);
    if (!w->counts || !w->displs || !w->chunk)
        return snprintf(err, errlen, "out of memory"), -1;
    /* give every rank rank 0's parameters and optimiser state */
    for (int r = 0; r < w->ranks; r++) {
        size_t lo, hi;
        shard_of(n, r, w->ranks, &lo, &hi);
        w->counts[r] = (int)(hi - lo), w->displs[r] = (int)lo;
    }
    shard_of(n, w->rank, w->ranks, &w->lo, &w->hi);
    if (!w->zero)
        w->lo = 0, w->hi = n;
    MPI_CHECK(MPI_Bcast(&opt->t, 1, MPI_INT, 0, MPI_COMM_WORLD));
    if (broadcast_floats(w, params, n, err, errlen) != 0
        || broadcast_floats(w, opt->m, n, err, errlen) != 0
        || broadcast_floats(w, opt->v, n, err, errlen) != 0)
        return -1;
    /* under ZeRO, keep only this rank's shard of m and v */
    if (w->zero) {
        size_t len = w->hi - w->lo;
        memmove(opt->m, opt->m + w->lo, len * sizeof(float));
        memmove(opt->v, opt->v + w->lo, len * sizeof(float));
        float *m = realloc(opt->m, (len ? len : 1) * sizeof(float));
        float *v = realloc(opt->v, (len ? len : 1) * sizeof(float));
        opt->m = m ? m : opt->m, opt->v = v ? v : opt->v;
        opt->n = len;
    }
    return 0;
}
/* many.c: the update over MPI */
int many_update(const struct many *w, struct adamw *opt, float *params, float *grads,
                size_t n, char *err, size_t errlen)
{
    if (!w->zero) {
        if (broadcast_floats(w, grads, n, err, errlen) != 0)
            return -1;
        adamw_update(opt, params, grads);
        return 0;
    }
    MPI_CHECK(MPI_Scatterv(grads, w->counts, w->displs, MPI_FLOAT,
                           w->rank == 0 ? MPI_IN_PLACE : grads + w->lo,
                           w->counts[w->rank], MPI_FLOAT, 0, MPI_COMM_WORLD));
    adamw_update(opt, params + w->lo, grads + w->lo);
    MPI_CHECK(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_FLOAT, params, w->counts, w->displs,
                             MPI_FLOAT, MPI_COMM_WORLD));
    return 0;
}
/* many.c: the update over MPI */
int many_gather_state(const struct many *w, const struct adamw *opt, struct adamw *whole,
                      size_t n, char *err, size_t errlen)
{
    *whole = *opt;
    if (!w->zero)
        return 0;
    whole->n = n, whole->m = whole->v = NULL;
    if (w->rank == 0 && adamw_create(whole, n, opt->h) != 0)
        return snprintf(err, errlen, "out of memory"), -1;
    whole->t = opt->t;
    MPI_CHECK(MPI_Gatherv(opt->m, w->counts[w->rank], MPI_FLOAT, whole->m, w->counts,
                          w->displs, MPI_FLOAT, 0, MPI_COMM_WORLD));
    MPI_CHECK(MPI_Gatherv(opt->v, w->counts[w->rank], MPI_FLOAT, whole->v, w->counts,
                          w->displs, MPI_FLOAT, 0, MPI_COMM_WORLD));
    return 0;
}
#else
/* many.c: one rank alone */
int many_start(struct many *w, int zero, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    *w = (struct many){ .rank = 0, .ranks = 1, .zero = zero };
    return 0;
}
void many_stop(struct many *w) { (void)w; }
void many_abort(const struct many *w, int status) { (void)w; exit(status); }
/* many.c: one rank alone */
static int no_mpi(char *err, size_t errlen)
{
    snprintf(err, errlen, "this longhand was built without MPI (make build/longhand-mpi)");
    return -1;
}
int many_fold(struct many *w, float *sum, float *g, size_t n, int first,
              double mean_loss, double *loss, char *err, size_t errlen)
{
    (void)w, (void)sum, (void)g, (void)n, (void)first, (void)mean_loss, (void)loss;
    return no_mpi(err, errlen);
}
int many_share(const struct many *w, double *x, int count, char *err, size_t errlen)
{
    (void)w, (void)x, (void)count;
    return no_mpi(err, errlen);
}
/* many.c: one rank alone */
int many_prepare(struct many *w, struct adamw *opt, float *params, size_t n,
                 char *err, size_t errlen)
{
    (void)err, (void)errlen, (void)opt, (void)params;
    w->lo = 0, w->hi = n;
    return 0;
}
int many_update(const struct many *w, struct adamw *opt, float *params, float *grads,
                size_t n, char *err, size_t errlen)
{
    (void)w, (void)opt, (void)params, (void)grads, (void)n;
    return no_mpi(err, errlen);
}
int many_gather_state(const struct many *w, const struct adamw *opt, struct adamw *whole,
                      size_t n, char *err, size_t errlen)
{
    (void)w, (void)n, (void)err, (void)errlen;
    *whole = *opt;
    return 0;
}
#endif
