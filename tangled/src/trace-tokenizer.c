/* trace-tokenizer.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-tokenizer.c: includes */
#include "tokenizer.h"

/* trace-tokenizer.c: the part */
void trace_tokenizer(struct trace *t)
{
    /* train a tokenizer on the example's sentence to the example's vocabulary */
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
        /* trace the merges of the example's tokenizer */
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
        /* trace the merges of the example's tokenizer */
        trace_value(t, "TokMergesWanted", "%d", t->ex.model.vocab_size - 256);
        trace_value(t, "TokMergesLearned", "%d", n_merges);
        trace_value(t, "TokLastId", "%d", tokenizer_vocab_size(tok) - 1);
        trace_value(t, "TokFirstCount", "%lld", n_merges ? (long long)merges[0].count : 0LL);
        trace_value(t, "TokStopReason", "%s", 256 + n_merges < t->ex.model.vocab_size
                    ? "every piece is a single token and no pair is left"
                    : "the vocabulary is full");
        /* trace the sentence's tokens */
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
        /* pass the tokenizer and the sentence's ids to the later chapters */
        t->tok = tok;
        tok = NULL;
        if (n > (size_t)t->ex.model.max_seq_len) {
            fprintf(stderr, "longhand trace: the sentence has %zu tokens, more than the "
                    "context of %d\n", n, t->ex.model.max_seq_len);
            t->failed = 1;
        } else if ((t->tokens = malloc((n + 1) * sizeof *t->tokens))) {
            for (size_t i = 0; i < n; i++)
                t->tokens[i] = ids[i];
            t->num_tokens = (int)n;
        } else {
            fprintf(stderr, "longhand trace: out of memory\n");
            t->failed = 1;
        }
    }
    free(ids);
    tokenizer_free(tok);
}
