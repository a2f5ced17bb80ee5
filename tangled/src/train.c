#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "train.h"

/* train.c: the schedule */
float lr_at(const struct lr_schedule *sched, int s)
{
    if (s < sched->warmup)
        return sched->max_lr * (float)(s + 1) / (float)sched->warmup;
    if (sched->steps - 1 <= sched->warmup)
        return sched->max_lr;
    double r = (double)(s - sched->warmup) / (double)(sched->steps - 1 - sched->warmup);
    double coeff = 0.5 * (1.0 + cos(3.14159265358979323846 * r));
    return (float)(sched->min_lr + coeff * (sched->max_lr - sched->min_lr));
}
/* train.c: scaling a buffer */
/* g[i] *= s for i < n. */
static void scale_floats(float *g, size_t n, float s)
{
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        g[i] *= s;
}
/* train.c: scaling a buffer */
/* sum = g if first, else sum += g, for i < n: one step of eq. fold. */
static void fold_floats(float *sum, const float *g, size_t n, int first)
{
    if (first) {
        memcpy(sum, g, n * sizeof *g);
        return;
    }
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        sum[i] += g[i];
}
/* train.c: clipping */
enum { NORM_BLOCK = 1 << 16, NORM_GROUP = 256 };

double global_norm(const float *g, size_t n)
{
    double total = 0, partial[NORM_GROUP];
    for (size_t first = 0; first < n; first += (size_t)NORM_BLOCK * NORM_GROUP) {
        #pragma omp parallel for schedule(static)
        for (int b = 0; b < NORM_GROUP; b++) {
            size_t start = first + (size_t)b * NORM_BLOCK, end = start + NORM_BLOCK;
            double s = 0;
            for (size_t i = start; i < end && i < n; i++)
                s += (double)g[i] * g[i];
            partial[b] = s;
        }
        for (int b = 0; b < NORM_GROUP; b++)
            total += partial[b];
    }
    return sqrt(total);
}
/* train.c: clipping */
double clip_global_norm(float *g, size_t n, double max_norm)
{
    double norm = global_norm(g, n);
    if (max_norm > 0 && norm > max_norm)
        scale_floats(g, n, (float)(max_norm / norm));
    return norm;
}
/* train.c: optimiser state */
/* FNV-1a, 64 bits, over the bytes of x[n]. */
static uint64_t fingerprint(const float *x, size_t n)
{
    const unsigned char *b = (const unsigned char *)x;
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n * sizeof *x; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}
/* train.c: optimiser state */
int adamw_save(const struct adamw *opt, const float *params, const char *path,
               char *err, size_t errlen)
{
    size_t n = opt->n, bytes = 2 * n * sizeof(float);
    uint64_t fp = fingerprint(params, n);
    int header[STATE_HEADER_INTS] = { STATE_MAGIC, STATE_VERSION, opt->t,
                                      (int)(n & 0x7fffffff), (int)(n >> 31),
                                      (int)(uint32_t)fp, (int)(uint32_t)(fp >> 32) };
    float *mv = malloc(bytes ? bytes : 1);
    if (!mv) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(mv, opt->m, n * sizeof(float));
    memcpy(mv + n, opt->v, n * sizeof(float));
    int status = write_file_atomically(path, header, sizeof header, mv, bytes, err, errlen);
    free(mv);
    return status;
}
/* train.c: optimiser state */
int adamw_load(struct adamw *opt, const float *params, const char *path,
               char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    int header[STATE_HEADER_INTS];
    struct stat st;
    const char *why = NULL;
    /* check the state against opt and params, then read the moments */
    if (!f)
        why = strerror(errno);
    else if (fstat(fileno(f), &st) != 0 || fread(header, sizeof header, 1, f) != 1)
        why = "too short for an optimiser state";
    else if (header[0] != STATE_MAGIC || header[1] != STATE_VERSION || header[2] < 0)
        why = "not an optimiser state of this version";
    else if (((size_t)header[3] | (size_t)header[4] << 31) != opt->n
             || (unsigned long long)st.st_size
                != sizeof header + 2ull * opt->n * sizeof(float))
        why = "its size does not match the model's parameters";
    else if (((uint64_t)(uint32_t)header[6] << 32 | (uint32_t)header[5])
             != fingerprint(params, opt->n))
        why = "saved with other parameters than the checkpoint beside it";
    else if (fread(opt->m, sizeof(float), opt->n, f) != opt->n
             || fread(opt->v, sizeof(float), opt->n, f) != opt->n)
        why = "cannot read the moments";
    else
        opt->t = header[2];
    if (f)
        fclose(f);
    if (why)
        snprintf(err, errlen, "%s: %s", path, why);
    return why ? -1 : 0;
}
/* train.c: batches */
/* The BT+1 tokens of micro-batch k of split[n]: inputs, and targets from +1. */
static const int *batch_at(const int *split, long n, int B, int T, long k)
{
    long per = (long)B * T, batches = (n - 1) / per;
    return split + per * (k % batches);
}
/* train.c: batches */
/* The mean loss over the first val_batches batches of the validation split,
   which holds at least one; NaN with a reason in err on failure. */
static double validation_loss(struct gpt *m, const struct train_data *d,
                              const struct train_options *o, char *err, size_t errlen)
{
    long batches = (d->n_val - 1) / ((long)o->B * o->T);
    if (batches > o->val_batches)
        batches = o->val_batches;
    double sum = 0;
    for (long k = 0; k < batches; k++) {
        const int *batch = batch_at(d->val, d->n_val, o->B, o->T, k);
        if (gpt_forward(m, batch, batch + 1, o->B, o->T, err, errlen) != 0)
            return NAN;
        sum += m->mean_loss;
    }
    if (isfinite(sum))
        return sum / batches;
    snprintf(err, errlen, "the validation loss is not finite");
    return NAN;
}
/* train.c: reporting and saving */
/* A progress line (one rewritten line on a terminal) and a log row. */
static void report_step(const struct train_options *o, int s, double loss, double val,
                        float lr, double tokens_per_s)
{
    if (o->log)
        fprintf(o->log, "%d\t%.6g\t%.6f\t%.6f\n", s + 1, lr, loss, val);
    if (!o->progress)
        return;
    char val_text[32] = "-";
    if (!isnan(val))
        snprintf(val_text, sizeof val_text, "%.4f", val);
    double eta = (o->steps - s - 1) * (double)o->accum * (o->many ? o->many->ranks : 1)
                 * o->B * o->T / tokens_per_s;
    fprintf(o->progress, "%sstep %d/%d  loss %.4f  val %s  %.0f tok/s  ETA %.0fs%s",
            o->progress_on_terminal ? "\r" : "", s + 1, o->steps, loss,
            val_text, tokens_per_s, eta, o->progress_on_terminal ? "   " : "\n");
    fflush(o->progress);
}
/* train.c: reporting and saving */
/* The checkpoint and its optimiser state. */
static int save_training(const struct gpt *m, const struct adamw *opt, const char *out,
                         char *err, size_t errlen)
{
    char state[4096];
    if (!out)
        return 0;
    snprintf(state, sizeof state, "%s.state", out);
    return gpt_save(m, out, err, errlen) == 0
           && adamw_save(opt, m->params, state, err, errlen) == 0 ? 0 : -1;
}
/* train.c: reporting and saving */
static int save_run(const struct gpt *m, const struct adamw *opt,
                    const struct train_options *o, char *err, size_t errlen)
{
    struct adamw whole;
    if (!o->many || o->many->ranks == 1)
        return save_training(m, opt, o->out, err, errlen);
    if (many_gather_state(o->many, opt, &whole, m->num_params, err, errlen) != 0)
        return -1;
    int status = o->many->rank == 0 ? save_training(m, &whole, o->out, err, errlen) : 0;
    if (whole.m != opt->m)
        adamw_free(&whole);
    return status;
}
/* train.c: the run's micro-batches */
int train_micro_batches(const struct train_options *o)
{
    return o->accum * (o->many ? o->many->ranks : 1);
}
/* train.c: the training loop */
static int train_steps(struct gpt *m, struct adamw *opt, const struct train_data *d,
                       const struct train_options *o, volatile sig_atomic_t *stop,
                       float *sum, char *err, size_t errlen)
{
    double start = omp_get_wtime();
    int first = opt->t;
    /* find this process's place among the run's ranks */
    int rank = o->many ? o->many->rank : 0, ranks = o->many ? o->many->ranks : 1;
    int place = o->many ? many_place(o->many) : 0, K = train_micro_batches(o);
    for (int s = opt->t; s < o->steps; s++) {
        double loss = 0;
        /* accumulate the gradients of the step's micro-batches into loss */
        for (int j = 0; j < o->accum; j++) {
            long k = ((long)s * o->accum + j) * ranks + place;  /* the run's micro-batch */
            const int *batch = batch_at(d->train, d->n_train, o->B, o->T, k);
            gpt_zero_grad(m);
            if (gpt_forward(m, batch, batch + 1, o->B, o->T, err, errlen) != 0)
                return -1;
            gpt_backward(m);
            /* fold micro-batch j's gradient and loss into sum and loss */
            if (ranks > 1) {
                if (many_fold(o->many, sum, m->grads, m->num_params, j == 0, m->mean_loss, &loss,
                              err, errlen) != 0)
                    return -1;
            } else if (sum) {
                fold_floats(sum, m->grads, m->num_params, j == 0);
                loss += m->mean_loss;
            } else
                loss += m->mean_loss;
        }
        /* scale the fold by 1/K into the gradient buffer */
        loss /= K;
        if (sum && rank == 0) {
            float scale = 1.0f / (float)K;
            #pragma omp parallel for schedule(static)
            for (size_t i = 0; i < m->num_params; i++)
                m->grads[i] = sum[i] * scale;
        }
        /* clip the gradient, stopping if it or the loss is not finite */
        double norm = rank == 0 ? clip_global_norm(m->grads, m->num_params, o->grad_clip) : 0;
        int stopping = stop && *stop;
        /* give every rank rank 0's loss, norm and stop request */
        if (ranks > 1) {
            double shared[3] = { loss, norm, stopping };
            if (many_share(o->many, shared, 3, err, errlen) != 0)
                return -1;
            loss = shared[0], norm = shared[1], stopping = shared[2] != 0;
        }
        if (!isfinite(loss) || !isfinite(norm)) {
            snprintf(err, errlen, "step %d: the %s is not finite; stopping, the last "
                     "checkpoint kept", s + 1, isfinite(loss) ? "gradient" : "loss");
            if (rank != 0)
                err[0] = '\0';   /* rank 0 says it for all */
            return -1;
        }
        opt->h.lr = lr_at(&o->lr, s);
        /* update the parameters, on every rank */
        if (ranks == 1)
            adamw_update(opt, m->params, m->grads);
        else if (many_update(o->many, opt, m->params, m->grads, m->num_params, err, errlen) != 0)
            return -1;
        /* validate, report and checkpoint after step s */
        int last = s + 1 == o->steps;
        double val = NAN;
        if (rank == 0 && o->val_every > 0 && o->val_batches > 0 && d->n_val > (long)o->B * o->T
            && ((s + 1) % o->val_every == 0 || last)
            && isnan(val = validation_loss(m, d, o, err, errlen)))
            return -1;
        report_step(o, s, loss, val, opt->h.lr, (double)(s + 1 - first) * K * o->B * o->T
                    / (omp_get_wtime() - start));
        if (o->checkpoint_every > 0 && (s + 1) % o->checkpoint_every == 0 && !last
            && save_run(m, opt, o, err, errlen) != 0)
            return -1;
        if (stopping && !last)
            return save_run(m, opt, o, err, errlen) == 0 ? 1 : -1;
    }
    return save_run(m, opt, o, err, errlen);
}
/* train.c: the training loop */
int train_run(struct gpt *m, struct adamw *opt, const struct train_data *d,
              const struct train_options *o, volatile sig_atomic_t *stop,
              char *err, size_t errlen)
{
    int ranks = o->many ? o->many->ranks : 1, rank = o->many ? o->many->rank : 0;
    float *sum = NULL;
    if ((long)o->accum * ranks > 1 && rank == 0
        && !(sum = malloc(m->num_params * sizeof *sum)))
        return snprintf(err, errlen, "out of memory"), -1;
    int status = train_steps(m, opt, d, o, stop, sum, err, errlen);
    free(sum);
    return status;
}
