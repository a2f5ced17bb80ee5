/* attribute.h: tangled from book/14-circuits.nw; edit the book, not this file. */
/* attribute.h: tangled from book/14-circuits.nw; edit the book, not this file. */
#ifndef LONGHAND_ATTRIBUTE_H
#define LONGHAND_ATTRIBUTE_H
#include <stddef.h>
#include "gpt.h"
#include "transcoder.h"

/* attribute.h: the graph */
enum attr_kind { ATTR_EMBED, ATTR_FEATURE, ATTR_ERROR, ATTR_LOGIT };
struct attr_node {
    enum attr_kind kind;
    int layer;            /* the block (from 0) of a feature or error node; -1 embed; L logit */
    int pos, feature;     /* position; feature index, or token of a logit; -1 otherwise */
    double activation;    /* a_f; 1 for embed and error nodes; a logit's probability */
    double input, bias;   /* features and logits: eq. attr-sum's left side and beta */
    double influence;
};
struct attr_edge {
    int source, target;   /* node indices, source < target */
    double weight;        /* w of eq. attr-sum */
};
struct attr_graph {
    int n_nodes, n_edges, max_edges;
    struct attr_node *nodes;
    struct attr_edge *edges;
};
/* The unpruned attribution graph of tokens[0..T) for m with transcoders
   tcs[0..L) (one per block, in order): the logit nodes are token target at
   the last position if target >= 0, else the most probable next tokens
   there, at most max_logits, until they cover a probability of coverage.
   0, or -1 with a reason in err. */
int attribute_graph(struct gpt *m, const struct transcoder *tcs, int n_tcs, const int *tokens,
                    int T, int target, int max_logits, double coverage,
                    struct attr_graph *g, char *err, size_t errlen);
void attr_graph_free(struct attr_graph *g);
/* attribute.h: the graph */
/* The replacement and completeness scores of an unpruned graph. */
void attribute_scores(const struct attr_graph *g, double *replacement, double *completeness);
#endif
