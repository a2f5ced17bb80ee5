/* train.c: tangled from book/11-training.nw; edit the book, not this file. */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "support.h"
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
uint64_t fnv1a(uint64_t h, const void *bytes, size_t n)
{
    const unsigned char *b = bytes;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}
/* train.c: optimiser state */
int train_record_changes(const struct train_record *was, const struct train_record *now,
                         char *msg, size_t len)
{
    int changes = 0;
    size_t used = 0;
    msg[0] = 0;
#define CHANGED(differs, ...)                                                  \
    if ((differs) && used < len) {                                             \
        used += (size_t)snprintf(msg + used, len - used, "%s", changes++ ? "; " : ""); \
        if (used < len)                                                        \
            used += (size_t)snprintf(msg + used, len - used, __VA_ARGS__);     \
    }
    /* name each field of the record that changed */
    CHANGED(was->B != now->B, "--batch was %d, now %d", was->B, now->B)
    CHANGED(was->T != now->T, "--context was %d, now %d", was->T, now->T)
    CHANGED(was->accum != now->accum, "micro-batches a step (--accum times the ranks) "
            "were %d, now %d", was->accum, now->accum)
    CHANGED(was->lr.max_lr != now->lr.max_lr, "--lr was %.9g, now %.9g",
            was->lr.max_lr, now->lr.max_lr)
    CHANGED(was->lr.min_lr != now->lr.min_lr, "--min-lr was %.9g, now %.9g",
            was->lr.min_lr, now->lr.min_lr)
    CHANGED(was->lr.warmup != now->lr.warmup, "--warmup was %d, now %d",
            was->lr.warmup, now->lr.warmup)
    CHANGED(was->lr.steps != now->lr.steps, "--steps was %d, now %d",
            was->lr.steps, now->lr.steps)
    CHANGED(was->seed != now->seed, "--seed was %llu, now %llu",
            (unsigned long long)was->seed, (unsigned long long)now->seed)
    CHANGED(was->data != now->data, "the corpus (--data) was %016llx, now %016llx",
            (unsigned long long)was->data, (unsigned long long)now->data)
    CHANGED(was->tokenizer != now->tokenizer, "the tokenizer was %016llx, now %016llx",
            (unsigned long long)was->tokenizer, (unsigned long long)now->tokenizer)
#undef CHANGED
    return changes;
}
/* train.c: optimiser state */
static void put64(int *w, uint64_t x)
{
    w[0] = (int)(uint32_t)x, w[1] = (int)(uint32_t)(x >> 32);
}
static uint64_t get64(const int *w)
{
    return (uint64_t)(uint32_t)w[1] << 32 | (uint32_t)w[0];
}
static int float_bits(float x)
{
    int w;
    memcpy(&w, &x, sizeof w);
    return w;
}
static float bits_float(int w)
{
    float x;
    memcpy(&x, &w, sizeof x);
    return x;
}
/* train.c: optimiser state */
/* The header of the state of opt, of params and of the run rec. */
static void state_header(int *h, const struct adamw *opt, const float *params,
                         const struct train_record *rec)
{
    memset(h, 0, STATE_HEADER_INTS * sizeof *h);
    h[0] = STATE_MAGIC, h[1] = STATE_VERSION, h[2] = opt->t;
    h[3] = (int)(opt->n & 0x7fffffff), h[4] = (int)(opt->n >> 31);
    put64(h + 5, fnv1a(FNV1A_START, params, opt->n * sizeof *params));
    h[7] = rec->B, h[8] = rec->T, h[9] = rec->accum;
    h[10] = rec->lr.warmup, h[11] = rec->lr.steps;
    h[12] = float_bits(rec->lr.max_lr), h[13] = float_bits(rec->lr.min_lr);
    put64(h + 14, rec->seed), put64(h + 16, rec->data), put64(h + 18, rec->tokenizer);
}
/* train.c: optimiser state */
void adamw_write(const struct adamw *opt, const float *params,
                 const struct train_record *rec, FILE *f)
{
    int header[STATE_HEADER_INTS];
    state_header(header, opt, params, rec);
    if (fwrite(header, sizeof header, 1, f) == 1
        && fwrite(opt->m, sizeof(float), opt->n, f) == opt->n)
        fwrite(opt->v, sizeof(float), opt->n, f);
}

int adamw_save(const struct adamw *opt, const float *params, const struct train_record *rec,
               const char *path, char *err, size_t errlen)
{
    struct atomic_file a;
    if (atomic_open(&a, path, 0, err, errlen) != 0)
        return -1;
    adamw_write(opt, params, rec, a.f);
    return atomic_close(&a, err, errlen) == 0 ? atomic_rename(&a, err, errlen) : -1;
}
/* train.c: optimiser state */
int adamw_load(struct adamw *opt, const float *params, struct train_record *rec,
               const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    int header[STATE_HEADER_INTS];
    struct stat st;
    const char *why = NULL;
    char older[256];
    /* check the state against opt and params, then read the moments */
    if (!f)
        why = strerror(errno);
    else if (fstat(fileno(f), &st) != 0 || st.st_size < 2 * (off_t)sizeof(int)
             || fread(header, sizeof(int), 2, f) != 2)
        why = "too short for an optimiser state";
    else if (header[0] != STATE_MAGIC)
        why = "not an optimiser state";
    else if (header[1] != STATE_VERSION) {
        snprintf(older, sizeof older, "an optimiser state of version %d, which this "
                 "program does not read (only version %d, which records the run); "
                 "remove it to start a new optimiser from the checkpoint",
                 header[1], STATE_VERSION);
        why = older;
    } else if (fread(header + 2, sizeof(int), STATE_HEADER_INTS - 2, f)
               != STATE_HEADER_INTS - 2 || header[2] < 0)
        why = "too short for an optimiser state, or its step is negative";
    else if (((size_t)header[3] | (size_t)header[4] << 31) != opt->n
             || (unsigned long long)st.st_size
                != sizeof header + 2ull * opt->n * sizeof(float))
        why = "its size does not match the model's parameters";
    else if (get64(header + 5) != fnv1a(FNV1A_START, params, opt->n * sizeof *params))
        why = "saved with other parameters than the checkpoint beside it";
    else if (fread(opt->m, sizeof(float), opt->n, f) != opt->n
             || fread(opt->v, sizeof(float), opt->n, f) != opt->n)
        why = "cannot read the moments";
    else {
        /* set the step and the record from the header */
        opt->t = header[2];
        *rec = (struct train_record){
            .B = header[7], .T = header[8], .accum = header[9],
            .lr = { .max_lr = bits_float(header[12]), .min_lr = bits_float(header[13]),
                    .warmup = header[10], .steps = header[11] },
            .seed = get64(header + 14), .data = get64(header + 16),
            .tokenizer = get64(header + 18) };
    }
    if (f)
        fclose(f);
    if (why)
        snprintf(err, errlen, "%s: %s", path, why);
    return why ? -1 : 0;
}
/* train.c: optimiser state */
struct train_record train_record_of(const struct train_options *o)
{
    return (struct train_record){ .B = o->B, .T = o->T, .accum = train_micro_batches(o),
                                  .lr = o->lr,
                                  .seed = o->seed, .data = o->data_fingerprint,
                                  .tokenizer = o->tokenizer_fingerprint };
}
/* train.c: saving the pair */
void (*train_save_hook)(enum save_stage stage);

static void save_stage_done(enum save_stage stage)
{
    if (train_save_hook)
        train_save_hook(stage);
}

int train_save(const struct gpt *m, const struct adamw *opt, const struct train_record *rec,
               const char *path, char *err, size_t errlen)
{
    char state[4096 + 8];
    struct atomic_file ck, st;
    snprintf(state, sizeof state, "%s.state", path);
    /* write the checkpoint's and the state's temporaries, or remove them */
    if (atomic_open(&ck, path, 1, err, errlen) != 0)
        return -1;
    save_stage_done(SAVE_CHECKPOINT_OPENED);
    gpt_write(m, ck.f);
    if (atomic_close(&ck, err, errlen) != 0)
        return -1;
    save_stage_done(SAVE_CHECKPOINT_WRITTEN);
    if (atomic_open(&st, state, 1, err, errlen) != 0)
        return unlink(ck.tmp), -1;
    save_stage_done(SAVE_STATE_OPENED);
    adamw_write(opt, m->params, rec, st.f);
    if (atomic_close(&st, err, errlen) != 0)
        return unlink(ck.tmp), -1;
    save_stage_done(SAVE_STATE_WRITTEN);
    if (atomic_rename(&ck, err, errlen) != 0)
        return -1;
    save_stage_done(SAVE_CHECKPOINT_RENAMED);
    if (atomic_rename(&st, err, errlen) != 0)
        return -1;
    save_stage_done(SAVE_STATE_RENAMED);
    return 0;
}
/* train.c: saving the pair */
/* The parameters' fingerprint a complete state at path records; 0, or -1. */
static int state_fingerprint(const char *path, uint64_t *fp)
{
    int h[STATE_HEADER_INTS], ok = 0;
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (f && fstat(fileno(f), &st) == 0 && fread(h, sizeof h, 1, f) == 1
        && h[0] == STATE_MAGIC && h[1] == STATE_VERSION && h[3] >= 0 && h[4] >= 0
        && (unsigned long long)st.st_size
           == sizeof h + 2ull * ((uint64_t)h[3] | (uint64_t)h[4] << 31) * sizeof(float))
        ok = 1, *fp = get64(h + 5);
    if (f)
        fclose(f);
    return ok ? 0 : -1;
}
/* train.c: saving the pair */
/* The fingerprint of the parameters of the checkpoint at path; 0, or -1. */
static int checkpoint_fingerprint(const char *path, uint64_t *fp)
{
    FILE *f = fopen(path, "rb");
    unsigned char buf[1 << 16];
    size_t got;
    if (!f || fseek(f, CHECKPOINT_HEADER_INTS * (long)sizeof(int), SEEK_SET) != 0) {
        if (f)
            fclose(f);
        return -1;
    }
    *fp = FNV1A_START;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        *fp = fnv1a(*fp, buf, got);
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : 0;
}
/* train.c: saving the pair */
int train_recover(const char *path, char *err, size_t errlen)
{
    char state[4096 + 8], state_new[4096 + 16], ck_new[4096 + 8];
    snprintf(state, sizeof state, "%s.state", path);
    snprintf(state_new, sizeof state_new, "%s.state.new", path);
    snprintf(ck_new, sizeof ck_new, "%s.new", path);
    uint64_t ck, fp;
    int finished = 0;
    if (access(state_new, F_OK) == 0 && checkpoint_fingerprint(path, &ck) == 0
        && !(state_fingerprint(state, &fp) == 0 && fp == ck)
        && state_fingerprint(state_new, &fp) == 0 && fp == ck) {
        if (rename(state_new, state) != 0 || sync_directory_of(state) != 0)
            return snprintf(err, errlen, "%s: %s", state, strerror(errno)), -1;
        finished = 1;
    }
    unlink(state_new);
    unlink(ck_new);
    return finished;
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
/* The checkpoint and its optimiser state, with the record of the run o. */
static int save_training(const struct gpt *m, const struct adamw *opt,
                         const struct train_options *o, char *err, size_t errlen)
{
    struct train_record rec = train_record_of(o);
    return o->out ? train_save(m, opt, &rec, o->out, err, errlen) : 0;
}
/* train.c: reporting and saving */
static int save_run(const struct gpt *m, const struct adamw *opt,
                    const struct train_options *o, char *err, size_t errlen)
{
    struct adamw whole;
    if (!o->many || o->many->ranks == 1)
        return save_training(m, opt, o, err, errlen);
    if (many_gather_state(o->many, opt, &whole, m->num_params, err, errlen) != 0)
        return -1;
    int status = o->many->rank == 0 ? save_training(m, &whole, o, err, errlen) : 0;
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
