/* attribute.c: tangled from book/14-circuits.nw; edit the book, not this file. */
/* attribute.c: tangled from book/14-circuits.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attribute.h"

/* attribute.c: the frozen model's backward pieces */
/* dx[C] = the frozen LayerNorm's transpose (rstd r, weight w) applied to dy[C]. */
static void ln_back(double *dx, const double *dy, double r, const float *w, int C)
{
    double mean = 0;
    for (int i = 0; i < C; i++)
        mean += w[i] * dy[i];
    mean /= C;
    for (int j = 0; j < C; j++)
        dx[j] = r * (w[j] * dy[j] - mean);
}

static void attention_back(const struct gpt *m, int l, int T, const double *ga, double *gs,
                           double *u, double *dv, double *dln, double *dh)
{
    int C = m->config.channels, NH = m->config.num_heads, hs = C / NH;
    const float *W_O = m->param[PARAM_ATTPROJW] + (size_t)l * C * C;
    const float *W_V = m->param[PARAM_QKVW] + (size_t)l * 3 * C * C + 2 * (size_t)C * C;
    const float *A = m->act[ACT_ATT] + (size_t)l * NH * T * T;
    const float *w1 = m->param[PARAM_LN1W] + (size_t)l * C;
    const float *r1 = m->act[ACT_LN1_RSTD] + (size_t)l * T;
    /* form u, the gradient at the heads' joined outputs */
    for (int t = 0; t < T; t++)
        for (int i = 0; i < C; i++) {
            double s = 0;
            for (int o = 0; o < C; o++)
                s += W_O[(size_t)o * C + i] * ga[(size_t)t * C + o];
            u[(size_t)t * C + i] = s;
        }
    /* form dv through the frozen weights, and add the values' path to gs */
    memset(dv, 0, (size_t)T * C * sizeof *dv);
    for (int h = 0; h < NH; h++)
        for (int t = 0; t < T; t++)
            for (int s = 0; s <= t; s++) {
                double a = A[((size_t)h * T + t) * T + s];
                for (int i = h * hs; i < (h + 1) * hs; i++)
                    dv[(size_t)s * C + i] += a * u[(size_t)t * C + i];
            }
    for (int s = 0; s < T; s++) {
        for (int i = 0; i < C; i++) {
            double x = 0;
            for (int o = 0; o < C; o++)
                x += W_V[(size_t)o * C + i] * dv[(size_t)s * C + o];
            dln[i] = x;
        }
        ln_back(dh, dln, r1[s], w1, C);
        for (int i = 0; i < C; i++)
            gs[(size_t)s * C + i] += ga[(size_t)s * C + i] + dh[i];
    }
}
/* attribute.c: the real pass and its constants */
struct attr_pass {
    int L, T, C, F;
    float *z, *a;          /* [L x T x F] */
    double *err;           /* [L x T x C]: epsilon, real minus transcoder */
    double *c_attn;        /* [L x C]: eq. attr-sum's attention constant */
};

static void free_pass(struct attr_pass *p)
{
    free(p->z), free(p->a), free(p->err), free(p->c_attn);
}

static int run_pass(struct gpt *m, const struct transcoder *tcs, const int *tokens, int T,
                    struct attr_pass *p, char *err, size_t errlen)
{
    int L = m->config.num_layers, C = m->config.channels, F = tcs[0].F;
    size_t TF = (size_t)T * F, TC = (size_t)T * C;
    *p = (struct attr_pass){ L, T, C, F, malloc(L * TF * sizeof(float)),
                             malloc(L * TF * sizeof(float)), malloc(L * TC * sizeof(double)),
                             malloc((size_t)L * C * sizeof(double)) };
    float *yhat = malloc(TC * sizeof *yhat);
    if (!p->z || !p->a || !p->err || !p->c_attn || !yhat)
        return free(yhat), snprintf(err, errlen, "out of memory"), -1;
    if (gpt_forward(m, tokens, NULL, 1, T, err, errlen) != 0)
        return free(yhat), -1;
    for (int l = 0; l < L; l++) {
        const float *x = m->act[ACT_LN2] + l * TC, *y = m->act[ACT_FCPROJ] + l * TC;
        transcoder_forward(&tcs[l], x, T, p->z + l * TF, p->a + l * TF, yhat);
        for (size_t i = 0; i < TC; i++)
            p->err[l * TC + i] = (double)y[i] - yhat[i];
        /* form block l's attention constant */
        const float *W_V = m->param[PARAM_QKVW] + (size_t)l * 3 * C * C + 2 * (size_t)C * C;
        const float *b_V = m->param[PARAM_QKVB] + (size_t)l * 3 * C + 2 * C;
        const float *b_1 = m->param[PARAM_LN1B] + (size_t)l * C;
        const float *W_O = m->param[PARAM_ATTPROJW] + (size_t)l * C * C;
        const float *b_O = m->param[PARAM_ATTPROJB] + (size_t)l * C;
        double *c = p->c_attn + (size_t)l * C;
        for (int o = 0; o < C; o++) {
            double s = b_O[o];
            for (int i = 0; i < C; i++) {
                double v = b_V[i];
                for (int j = 0; j < C; j++)
                    v += (double)W_V[(size_t)i * C + j] * b_1[j];
                s += W_O[(size_t)o * C + i] * v;
            }
            c[o] = s;
        }
    }
    free(yhat);
    return 0;
}
/* attribute.c: the nodes */
static int add_node(struct attr_graph *g, struct attr_node n)
{
    g->nodes[g->n_nodes] = n;
    return g->n_nodes++;
}

/* Sorted ids of the most probable tokens of probs[V] until coverage or max. */
static int pick_logits(const float *logits, int V, int max_logits, double coverage, int *ids,
                       double *probs)
{
    double zmax = logits[0], sum = 0, covered = 0;
    int n = 0;
    for (int i = 1; i < V; i++)
        zmax = fmax(zmax, logits[i]);
    for (int i = 0; i < V; i++)
        sum += exp(logits[i] - zmax);
    while (n < max_logits && n < V && covered < coverage) {
        int best = -1;
        for (int i = 0; i < V; i++) {
            int taken = 0;
            for (int k = 0; k < n; k++)
                taken |= ids[k] == i;
            if (!taken && (best < 0 || logits[i] > logits[best]))
                best = i;
        }
        ids[n] = best, probs[n] = exp(logits[best] - zmax) / sum;
        covered += probs[n++];
    }
    return n;
}
/* attribute.c: one target's edges */
/* attribute.c: the edges of one block's sources */
static int add_edge(struct attr_graph *g, int source, int target, double weight)
{
    if (weight == 0)
        return 0;
    if (g->n_edges == g->max_edges) {
        int more = g->max_edges ? 2 * g->max_edges : 1024;
        struct attr_edge *e = realloc(g->edges, (size_t)more * sizeof *e);
        if (!e)
            return -1;
        g->edges = e, g->max_edges = more;
    }
    g->edges[g->n_edges++] = (struct attr_edge){ source, target, weight };
    return 0;
}

static int block_edges(const struct transcoder *tcs, const struct attr_pass *p, const int *node_of,
                       struct attr_graph *g, int target, int j, const double *gv)
{
    int T = p->T, C = p->C, F = p->F;
    const struct transcoder *tc = &tcs[j];
    for (int t = 0; t < T; t++) {
        const double *gt = gv + (size_t)t * C;
        double err_w = 0;
        for (int f = 0; f < F; f++) {
            int s = node_of[((size_t)j * T + t) * (F + 1) + f];
            if (s < 0)
                continue;
            double dot = 0;
            for (int c = 0; c < C; c++)
                dot += tc->W_dec[(size_t)c * F + f] * gt[c];
            if (add_edge(g, s, target, g->nodes[s].activation * dot) != 0)
                return -1;
        }
        for (int c = 0; c < C; c++) {
            err_w += p->err[((size_t)j * T + t) * C + c] * gt[c];
            g->nodes[target].bias += (tc->b_dec[c] + p->c_attn[(size_t)j * C + c]) * gt[c];
        }
        if (add_edge(g, node_of[((size_t)j * T + t) * (F + 1) + F], target, err_w) != 0)
            return -1;
    }
    return 0;
}

static int target_edges(struct gpt *m, const struct transcoder *tcs, const struct attr_pass *p,
                        const int *node_of, int embed0, struct attr_graph *g, int target,
                        double *gbuf)
{
    int T = p->T, C = p->C;
    size_t TC = (size_t)T * C;
    double *gv = gbuf, *next = gv + TC, *u = next + TC, *dv = u + TC;
    double *dln = dv + 2 * TC, *dh = dln + C;   /* [C] each */
    struct attr_node *n = &g->nodes[target];
    int top = n->kind == ATTR_LOGIT ? p->L : n->layer;
    memset(gv, 0, TC * sizeof *gv);
    /* start the pass at the target, with its own constant */
    double *dy = u;
    if (n->kind == ATTR_FEATURE) {
        int l = n->layer, f = n->feature;
        const struct transcoder *tc = &tcs[l];
        const float *b2 = m->param[PARAM_LN2B] + (size_t)l * C;
        n->bias = tc->b_enc[f];
        for (int i = 0; i < C; i++)
            dy[i] = tc->W_enc[(size_t)f * C + i], n->bias += tc->W_enc[(size_t)f * C + i] * b2[i];
        ln_back(next, dy, m->act[ACT_LN2_RSTD][(size_t)l * T + n->pos],
                m->param[PARAM_LN2W] + (size_t)l * C, C);
        memset(gv, 0, TC * sizeof *gv);
        memcpy(gv + (size_t)n->pos * C, next, (size_t)C * sizeof *gv);
        for (int t = 0; t < T; t++)
            for (int i = 0; i < C; i++)
                n->bias += gv[(size_t)t * C + i] * p->c_attn[(size_t)l * C + i];
        memset(next, 0, TC * sizeof *next);
        attention_back(m, l, T, gv, next, dv + TC, dv, dln, dh);
        memcpy(gv, next, TC * sizeof *gv);
    } else {
        const float *wte = m->param[PARAM_WTE] + (size_t)n->feature * C;
        n->bias = 0;
        for (int i = 0; i < C; i++)
            dy[i] = wte[i], n->bias += (double)wte[i] * m->param[PARAM_LNFB][i];
        ln_back(gv + (size_t)(T - 1) * C, dy, m->act[ACT_LNF_RSTD][T - 1], m->param[PARAM_LNFW], C);
    }
    for (int j = top - 1; j >= 0; j--) {
        if (block_edges(tcs, p, node_of, g, target, j, gv) != 0)
            return -1;
        memset(next, 0, TC * sizeof *next);
        attention_back(m, j, T, gv, next, u, dv, dln, dh);
        memcpy(gv, next, TC * sizeof *gv);
    }
    /* add the embeddings' edges */
    for (int t = 0; t < T; t++) {
        double w = 0;
        for (int i = 0; i < C; i++)
            w += m->act[ACT_ENCODED][(size_t)t * C + i] * gv[(size_t)t * C + i];
        if (add_edge(g, embed0 + t, target, w) != 0)
            return -1;
    }
    return 0;
}
/* attribute.c: influence */
static void compute_influence(struct attr_graph *g, const int *first)
{
    double total = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].kind == ATTR_LOGIT)
            total += g->nodes[i].activation;
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i].influence =
            g->nodes[i].kind == ATTR_LOGIT ? g->nodes[i].activation / total : 0;
    for (int t = g->n_nodes - 1; t >= 0; t--) {
        double in = 0;
        for (int e = first[t]; e < first[t + 1]; e++)
            in += fabs(g->edges[e].weight);
        for (int e = first[t]; in > 0 && e < first[t + 1]; e++)
            g->nodes[g->edges[e].source].influence +=
                g->nodes[t].influence * fabs(g->edges[e].weight) / in;
    }
}

void attribute_scores(const struct attr_graph *g, double *replacement, double *completeness)
{
    double embed = 0, sources = 0, weighted = 0, total = 0;
    *replacement = *completeness = 0;
    if (g->n_nodes < 1)
        return;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].kind == ATTR_EMBED || g->nodes[i].kind == ATTR_ERROR) {
            sources += g->nodes[i].influence;
            embed += g->nodes[i].kind == ATTR_EMBED ? g->nodes[i].influence : 0;
        }
    double *in = calloc((size_t)g->n_nodes, sizeof *in);
    double *clean = calloc((size_t)g->n_nodes, sizeof *clean);
    for (int e = 0; in && clean && e < g->n_edges; e++) {
        const struct attr_edge *x = &g->edges[e];
        in[x->target] += fabs(x->weight);
        clean[x->target] += g->nodes[x->source].kind == ATTR_ERROR ? 0 : fabs(x->weight);
    }
    for (int i = 0; in && clean && i < g->n_nodes; i++)
        if (in[i] > 0)
            weighted += g->nodes[i].influence * clean[i] / in[i], total += g->nodes[i].influence;
    *replacement = sources > 0 ? embed / sources : 0;
    *completeness = total > 0 ? weighted / total : 0;
    free(in), free(clean);
}
/* attribute.c: the graph */
void attr_graph_free(struct attr_graph *g)
{
    free(g->nodes), free(g->edges);
    memset(g, 0, sizeof *g);
}

int attribute_graph(struct gpt *m, const struct transcoder *tcs, int n_tcs, const int *tokens,
                    int T, int target, int max_logits, double coverage,
                    struct attr_graph *g, char *err, size_t errlen)
{
    int L = m->config.num_layers, C = m->config.channels, V = m->config.vocab_size;
    memset(g, 0, sizeof *g);
    if (target >= V)
        return snprintf(err, errlen, "the target %d is not a token of the model", target), -1;
    if (n_tcs != L || max_logits < 1)
        return snprintf(err, errlen, "want one transcoder for each of the %d blocks", L), -1;
    for (int l = 0; l < L; l++)
        if (tcs[l].layer != l || tcs[l].C != C)
            return snprintf(err, errlen, "transcoder %d is not block %d's", l, l + 1), -1;
    struct attr_pass p;
    if (run_pass(m, tcs, tokens, T, &p, err, errlen) != 0)
        return free_pass(&p), -1;
    int F = p.F, status = -1;
    /* make every node */
    size_t most = (size_t)T + (size_t)L * T * (F + 1) + (size_t)max_logits;
    int *node_of = malloc((size_t)L * T * (F + 1) * sizeof *node_of);
    int *ids = malloc(max_logits * sizeof *ids);
    int *first = malloc((most + 1) * sizeof *first);
    double *probs = malloc(max_logits * sizeof *probs);
    double *gbuf = malloc((5 * (size_t)T + 2) * C * sizeof *gbuf);
    g->nodes = malloc(most * sizeof *g->nodes);
    if (!node_of || !ids || !first || !probs || !gbuf || !g->nodes) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int t = 0; t < T; t++)
        add_node(g, (struct attr_node){ ATTR_EMBED, -1, t, -1, 1, 0, 0, 0 });
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++) {
            int *row = node_of + ((size_t)l * T + t) * (F + 1);
            for (int f = 0; f < F; f++) {
                size_t i = ((size_t)l * T + t) * F + f;
                row[f] = p.a[i] > 0 ? add_node(g, (struct attr_node){ ATTR_FEATURE, l, t, f, p.a[i],
                                                                      p.z[i], 0, 0 }) : -1;
            }
            row[F] = add_node(g, (struct attr_node){ ATTR_ERROR, l, t, -1, 1, 0, 0, 0 });
        }
    const float *last = m->act[ACT_LOGITS] + (size_t)(T - 1) * V;
    int n_logits = pick_logits(last, V, max_logits, coverage, ids, probs);
    if (target >= 0) {   /* the target alone, with its probability */
        double zmax = last[0], sum = 0;
        for (int i = 1; i < V; i++)
            zmax = fmax(zmax, last[i]);
        for (int i = 0; i < V; i++)
            sum += exp(last[i] - zmax);
        ids[0] = target, probs[0] = exp(last[target] - zmax) / sum, n_logits = 1;
    }
    for (int k = 0; k < n_logits; k++)
        add_node(g, (struct attr_node){ ATTR_LOGIT, L, T - 1, ids[k], probs[k],
                                        m->act[ACT_LOGITS][(size_t)(T - 1) * V + ids[k]], 0, 0 });
    /* make every target's edges, and the influence */
    for (int i = 0; i < g->n_nodes; i++) {
        first[i] = g->n_edges;
        if ((g->nodes[i].kind == ATTR_FEATURE || g->nodes[i].kind == ATTR_LOGIT)
            && target_edges(m, tcs, &p, node_of, 0, g, i, gbuf) != 0) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
    }
    first[g->n_nodes] = g->n_edges;
    compute_influence(g, first);
    status = 0;
    done:
    free(node_of), free(first), free(gbuf), free(ids), free(probs);
    free_pass(&p);
    if (status)
        attr_graph_free(g);
    return status;
}
