/* tokenizer.c: tangled from book/03-tokenizer.nw; edit the book, not this file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <json-c/json.h>
#include "tokenizer.h"

/* tokenizer.c: limits and fields */
enum { TOKENS_MAX = TOKENIZER_MAX_VOCAB, TOKEN_BYTES_MAX = 1024 };
struct pretokenizer { pcre2_code *pattern; pcre2_match_data *match; };
struct pair_map { uint64_t *keys; int32_t *values; size_t cap, n; int log2_cap; };

struct tokenizer {
    int n_tokens, n_merges;      /* V, and the merges that made V - 256 tokens */
    struct bpe_merge *merges;    /* [n_merges] in rank order */
    int32_t byte_token[256];     /* the token of each single byte */
    size_t *token_offset;        /* [V + 1] into bytes */
    unsigned char *bytes;        /* every token's bytes, one after another */
    struct pair_map ranks;       /* (left, right) -> rank */
    struct pretokenizer pre;
    struct cached_piece *cache;  /* [CACHE_SLOTS]: recent short pieces' ids */
};
/* tokenizer.c: limits and fields */
int tokenizer_vocab_size(const struct tokenizer *tok) { return tok->n_tokens; }

const struct bpe_merge *tokenizer_merges(const struct tokenizer *tok, int *n)
{
    *n = tok->n_merges;
    return tok->merges;
}
/* tokenizer.c: limits and fields */
enum { CACHE_SLOTS = 1 << 14, CACHE_PIECE_MAX = 16 };
struct cached_piece {
    uint64_t hash;                     /* of the piece; 0 = empty */
    uint8_t len, n_ids;
    unsigned char bytes[CACHE_PIECE_MAX];
    int32_t ids[CACHE_PIECE_MAX];
};
/* tokenizer.c: hash tables */
#define EMPTY_KEY UINT64_MAX
static uint64_t pair_key(int32_t a, int32_t b)
{
    return (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
}

static size_t pair_slot(const struct pair_map *m, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15u) >> (64 - m->log2_cap));
    while (m->keys[i] != EMPTY_KEY && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}
/* tokenizer.c: hash tables */

static int32_t pair_get(const struct pair_map *m, int32_t a, int32_t b)
{
    if (m->cap == 0)
        return -1;
    size_t i = pair_slot(m, pair_key(a, b));
    return m->keys[i] == EMPTY_KEY ? -1 : m->values[i];
}
/* tokenizer.c: hash tables */
static int pair_grow(struct pair_map *m)
{
    struct pair_map g = { .cap = m->cap ? 2 * m->cap : 1024, .n = m->n,
                          .log2_cap = m->cap ? m->log2_cap + 1 : 10 };
    g.keys = malloc(g.cap * sizeof *g.keys);
    g.values = malloc(g.cap * sizeof *g.values);
    if (!g.keys || !g.values) {
        free(g.keys), free(g.values);
        return -1;
    }
    memset(g.keys, 0xff, g.cap * sizeof *g.keys);
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i] != EMPTY_KEY) {
            size_t j = pair_slot(&g, m->keys[i]);
            g.keys[j] = m->keys[i], g.values[j] = m->values[i];
        }
    free(m->keys), free(m->values);
    *m = g;
    return 0;
}
/* tokenizer.c: hash tables */
static int pair_put(struct pair_map *m, int32_t a, int32_t b, int32_t value)
{
    if (2 * (m->n + 1) > m->cap && pair_grow(m) != 0)
        return -1;
    size_t i = pair_slot(m, pair_key(a, b));
    m->n += m->keys[i] == EMPTY_KEY;
    m->keys[i] = pair_key(a, b), m->values[i] = value;
    return 0;
}
/* tokenizer.c: hash tables */
struct string_map {
    uint64_t *hashes;             /* [cap], 0 = empty */
    int32_t *slot_entry;          /* [cap] */
    size_t cap, n, pool_len, pool_cap, entries_cap;
    size_t *offset;               /* [n] into pool */
    uint32_t *length;             /* [n] */
    unsigned char *pool;
};
/* tokenizer.c: hash tables */

static uint64_t hash_bytes(const unsigned char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    return (h ^ h >> 29) | 1;
}
/* tokenizer.c: hash tables */
static size_t string_slot(const struct string_map *m, const unsigned char *s,
                          size_t n, uint64_t h)
{
    size_t i = (size_t)(h >> 7) & (m->cap - 1);
    for (; m->hashes[i] != 0; i = (i + 1) & (m->cap - 1)) {
        int32_t e = m->slot_entry[i];
        if (m->hashes[i] == h && m->length[e] == n
            && memcmp(m->pool + m->offset[e], s, n) == 0)
            break;
    }
    return i;
}
/* tokenizer.c: hash tables */

/* The entry of s[0..n), or -1. */
static int32_t string_find(const struct string_map *m, const unsigned char *s, size_t n)
{
    if (m->cap == 0)
        return -1;
    size_t i = string_slot(m, s, n, hash_bytes(s, n));
    return m->hashes[i] ? m->slot_entry[i] : -1;
}
/* tokenizer.c: hash tables */
static int grow(void *pp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *p = realloc(*(void **)pp, c * size);
    if (!p)
        return -1;
    *(void **)pp = p, *cap = c;
    return 0;
}
/* tokenizer.c: hash tables */
static int string_rehash(struct string_map *m)
{
    size_t cap = m->cap ? 2 * m->cap : 1024;
    uint64_t *h = calloc(cap, sizeof *h);
    int32_t *e = malloc(cap * sizeof *e);
    if (!h || !e) {
        free(h), free(e);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->hashes[i]) {
            size_t j = (size_t)(m->hashes[i] >> 7) & (cap - 1);
            while (h[j])
                j = (j + 1) & (cap - 1);
            h[j] = m->hashes[i], e[j] = m->slot_entry[i];
        }
    free(m->hashes), free(m->slot_entry);
    m->hashes = h, m->slot_entry = e, m->cap = cap;
    return 0;
}
/* tokenizer.c: hash tables */
/* The entry of s[0..n), added if new; -1 if out of memory. */
static int32_t string_intern(struct string_map *m, const unsigned char *s, size_t n)
{
    if ((2 * (m->n + 1) > m->cap && string_rehash(m) != 0) || m->n >= INT32_MAX)
        return -1;
    uint64_t h = hash_bytes(s, n);
    size_t i = string_slot(m, s, n, h);
    if (m->hashes[i])
        return m->slot_entry[i];
    size_t ecap = m->entries_cap;
    if (grow(&m->offset, &ecap, m->n + 1, sizeof *m->offset) != 0
        || grow(&m->length, &m->entries_cap, m->n + 1, sizeof *m->length) != 0
        || grow(&m->pool, &m->pool_cap, m->pool_len + n, 1) != 0)
        return -1;
    memcpy(m->pool + m->pool_len, s, n);
    m->offset[m->n] = m->pool_len, m->length[m->n] = (uint32_t)n;
    m->pool_len += n;
    m->hashes[i] = h, m->slot_entry[i] = (int32_t)m->n;
    return (int32_t)m->n++;
}
/* tokenizer.c: hash tables */

static void string_map_free(struct string_map *m)
{
    free(m->hashes), free(m->slot_entry), free(m->offset), free(m->length), free(m->pool);
}
/* tokenizer.c: pretokenization */
static const char gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+"
    "|\\s+(?!\\S)|\\s+";

static int pretokenizer_open(struct pretokenizer *pre)
{
    int code;
    PCRE2_SIZE at;
    pre->pattern = pcre2_compile((PCRE2_SPTR)gpt2_pattern, PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF,
                                 &code, &at, NULL);
    pre->match = pre->pattern ? pcre2_match_data_create(1, NULL) : NULL;
    if (!pre->match)
        return -1;
    pcre2_jit_compile(pre->pattern, PCRE2_JIT_COMPLETE); /* slower without, still right */
    return 0;
}
/* tokenizer.c: pretokenization */

static void pretokenizer_close(struct pretokenizer *pre)
{
    pcre2_match_data_free(pre->match);
    pcre2_code_free(pre->pattern);
}
/* tokenizer.c: pretokenization */
typedef int (*piece_fn)(void *ctx, const unsigned char *piece, size_t len);

static int pretokenize(const struct pretokenizer *pre, const unsigned char *text,
                       size_t len, piece_fn fn, void *ctx)
{
    size_t start = 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(pre->match);
    while (start < len) {
        int rc = pcre2_match(pre->pattern, text, len, start, 0, pre->match, NULL);
        size_t s = rc > 0 ? ov[0] : len, e = rc > 0 ? ov[1] : len;
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
            return -1;
        if (s > start && fn(ctx, text + start, s - start) != 0)
            return -1;
        if (e > s && fn(ctx, text + s, e - s) != 0)
            return -1;
        start = e;
    }
    return 0;
}
/* tokenizer.c: building a tokenizer from its merges */
static int spell_merges(struct tokenizer *tok, char *err, size_t errlen)
{
    size_t V = (size_t)tok->n_tokens, total = 256;
    tok->token_offset = malloc((V + 1) * sizeof *tok->token_offset);
    for (int m = 0; tok->token_offset && m < tok->n_merges; m++) {
        /* check that merge m joins earlier tokens into a short enough one */
        const struct bpe_merge *mg = &tok->merges[m];
        if (mg->left < 0 || mg->right < 0 || mg->left >= 256 + m || mg->right >= 256 + m) {
            snprintf(err, errlen, "merge %d uses a token that does not exist yet", m + 1);
            return -1;
        }
        size_t len_of[2];
        for (int k = 0; k < 2; k++) {
            int32_t t = k ? mg->right : mg->left;
            len_of[k] = t < 256 ? 1 : tok->token_offset[t + 1] - tok->token_offset[t];
        }
        if (len_of[0] + len_of[1] > TOKEN_BYTES_MAX) {
            snprintf(err, errlen, "merge %d makes a token longer than %d bytes", m + 1,
                     TOKEN_BYTES_MAX);
            return -1;
        }
        tok->token_offset[256 + m] = total;          /* offsets already: the 256 bytes come first */
        tok->token_offset[256 + m + 1] = total + len_of[0] + len_of[1];
        total += len_of[0] + len_of[1];
    }
    tok->bytes = tok->token_offset ? malloc(total) : NULL;
    if (!tok->bytes) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* make each byte value the token of the same number */
    for (int b = 0; b < 256; b++) {
        tok->byte_token[b] = b;
        tok->bytes[b] = (unsigned char)b;
        tok->token_offset[b] = (size_t)b;
    }
    tok->token_offset[256] = 256;
    /* append each merged token's bytes to the pool */
    for (int m = 0; m < tok->n_merges; m++) {
        const struct bpe_merge *mg = &tok->merges[m];
        unsigned char *out = tok->bytes + tok->token_offset[256 + m];
        size_t ll = tok->token_offset[mg->left + 1] - tok->token_offset[mg->left];
        size_t lr = tok->token_offset[mg->right + 1] - tok->token_offset[mg->right];
        memcpy(out, tok->bytes + tok->token_offset[mg->left], ll);
        memcpy(out + ll, tok->bytes + tok->token_offset[mg->right], lr);
    }
    return 0;
}
/* tokenizer.c: building a tokenizer from its merges */
static int tokenizer_index(struct tokenizer *tok, char *err, size_t errlen)
{
    for (int m = 0; m < tok->n_merges; m++) {
        const struct bpe_merge *mg = &tok->merges[m];
        if (pair_get(&tok->ranks, mg->left, mg->right) < 0
            && pair_put(&tok->ranks, mg->left, mg->right, m) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    if (pretokenizer_open(&tok->pre) != 0) {
        snprintf(err, errlen, "cannot compile the pretokenizer's pattern");
        return -1;
    }
    tok->cache = calloc(CACHE_SLOTS, sizeof *tok->cache);   /* none: encode uncached */
    return 0;
}
/* tokenizer.c: building a tokenizer from its merges */
void tokenizer_free(struct tokenizer *tok)
{
    if (!tok)
        return;
    free(tok->merges), free(tok->token_offset), free(tok->bytes), free(tok->cache);
    free(tok->ranks.keys), free(tok->ranks.values);
    pretokenizer_close(&tok->pre);
    free(tok);
}
/* tokenizer.c: training */
struct pair_record {
    int32_t a, b;                /* the pair */
    int32_t touched;             /* the token made by the last merge that grew it */
    int64_t count;               /* n(a, b) */
    int32_t *words;              /* where it occurs (perhaps no longer) */
    size_t n_words, words_cap;
};
struct heap_entry { int64_t count; int32_t a, b; };
/* tokenizer.c: training */
struct trainer {
    struct pretokenizer pre;
    struct string_map words;     /* the distinct pieces */
    int64_t *freq;               /* [words.n]: f_w */
    size_t freq_cap;
    int32_t *sym;                /* every word's current spelling, word w at */
    int32_t *word_len;           /*   sym[words.offset[w] ..] with word_len[w] ids */
    struct pair_map pairs;       /* (a, b) -> record */
    struct pair_record *rec;
    size_t n_records, records_cap;
    struct heap_entry *heap;
    size_t heap_n, heap_cap;
    int32_t *grown;              /* records grown by the current merge */
    size_t n_grown, grown_cap;
};
/* tokenizer.c: training */
/* trainer: count the distinct words */
static int count_word(void *ctx, const unsigned char *piece, size_t len)
{
    struct trainer *tr = ctx;
    size_t before = tr->words.n;
    int32_t w = string_intern(&tr->words, piece, len);
    if (w < 0 || grow(&tr->freq, &tr->freq_cap, tr->words.n, sizeof *tr->freq) != 0)
        return -1;
    if (tr->words.n > before)
        tr->freq[w] = 0;
    tr->freq[w]++;
    return 0;
}
/* trainer: keep the pair records */
static int32_t pair_record(struct trainer *tr, int32_t a, int32_t b)
{
    int32_t r = pair_get(&tr->pairs, a, b);
    if (r >= 0)
        return r;
    size_t n = tr->n_records;
    if (n >= INT32_MAX || grow(&tr->rec, &tr->records_cap, n + 1, sizeof *tr->rec) != 0
        || pair_put(&tr->pairs, a, b, (int32_t)n) != 0)
        return -1;
    tr->rec[n] = (struct pair_record){ .a = a, .b = b, .touched = -1 };
    return (int32_t)tr->n_records++;
}
/* trainer: keep the pair records */
static int32_t pair_add(struct trainer *tr, int32_t a, int32_t b, int64_t df, int32_t w)
{
    int32_t r = pair_record(tr, a, b);
    if (r < 0)
        return -1;
    struct pair_record *p = &tr->rec[r];
    p->count += df;
    if (w >= 0 && (p->n_words == 0 || p->words[p->n_words - 1] != w)) {
        if (grow(&p->words, &p->words_cap, p->n_words + 1, sizeof *p->words) != 0)
            return -1;
        p->words[p->n_words++] = w;
    }
    return r;
}
/* trainer: the heap */
static int heap_before(const struct heap_entry *x, const struct heap_entry *y)
{
    if (x->count != y->count)
        return x->count > y->count;
    return x->a != y->a ? x->a < y->a : x->b < y->b;
}

static int heap_push(struct trainer *tr, int64_t count, int32_t a, int32_t b)
{
    if (grow(&tr->heap, &tr->heap_cap, tr->heap_n + 1, sizeof *tr->heap) != 0)
        return -1;
    size_t i = tr->heap_n++;
    struct heap_entry e = { count, a, b };
    while (i > 0 && heap_before(&e, &tr->heap[(i - 1) / 2])) {
        tr->heap[i] = tr->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    tr->heap[i] = e;
    return 0;
}
/* trainer: the heap */
static struct heap_entry heap_pop(struct trainer *tr)
{
    struct heap_entry top = tr->heap[0], e = tr->heap[--tr->heap_n];
    size_t i = 0, n = tr->heap_n;
    for (size_t c = 1; c < n; c = 2 * i + 1) {
        if (c + 1 < n && heap_before(&tr->heap[c + 1], &tr->heap[c]))
            c++;
        if (!heap_before(&tr->heap[c], &e))
            break;
        tr->heap[i] = tr->heap[c];
        i = c;
    }
    if (n > 0)
        tr->heap[i] = e;
    return top;
}
/* trainer: the heap */
static int32_t best_pair(struct trainer *tr, const size_t *token_len)
{
    while (tr->heap_n > 0) {
        struct heap_entry e = heap_pop(tr);
        int32_t r = pair_get(&tr->pairs, e.a, e.b);
        int64_t now = tr->rec[r].count;
        if (now <= 0 || token_len[e.a] + token_len[e.b] > TOKEN_BYTES_MAX)
            continue;
        if (now == e.count)
            return r;
        if (heap_push(tr, now, e.a, e.b) != 0)
            return -2;
    }
    return -1;
}
/* trainer: merge one pair everywhere */
static int word_has_pair(const int32_t *sym, int32_t len, int32_t a, int32_t b)
{
    for (int32_t i = 0; i + 1 < len; i++)
        if (sym[i] == a && sym[i + 1] == b)
            return 1;
    return 0;
}

/* Replace each a b in sym[0..len), left to right, by c; return the new length. */
static size_t respell(int32_t *sym, size_t len, int32_t a, int32_t b, int32_t c)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++)
        if (i + 1 < len && sym[i] == a && sym[i + 1] == b)
            sym[j++] = c, i++;
        else
            sym[j++] = sym[i];
    return j;
}
/* trainer: merge one pair everywhere */
static int merge_everywhere(struct trainer *tr, int32_t r, int32_t c)
{
    int32_t a = tr->rec[r].a, b = tr->rec[r].b;
    tr->n_grown = 0;
    for (size_t k = 0; k < tr->rec[r].n_words; k++) {
        int32_t w = tr->rec[r].words[k];
        int32_t *sym = tr->sym + tr->words.offset[w];
        if (!word_has_pair(sym, tr->word_len[w], a, b))
            continue;
        /* take out the word's pairs, respell it, put back its new pairs */
        int64_t f = tr->freq[w];
        for (int32_t i = 0; i + 1 < tr->word_len[w]; i++)
            tr->rec[pair_get(&tr->pairs, sym[i], sym[i + 1])].count -= f;
        tr->word_len[w] = (int32_t)respell(sym, (size_t)tr->word_len[w], a, b, c);
        for (int32_t i = 0; i + 1 < tr->word_len[w]; i++) {
            int has_c = sym[i] == c || sym[i + 1] == c;
            int32_t q = pair_add(tr, sym[i], sym[i + 1], f, has_c ? w : -1);
            if (q < 0)
                return -1;
            if (has_c && tr->rec[q].touched != c) {
                tr->rec[q].touched = c;
                if (grow(&tr->grown, &tr->grown_cap, tr->n_grown + 1, sizeof *tr->grown) != 0)
                    return -1;
                tr->grown[tr->n_grown++] = q;
            }
        }
    }
    free(tr->rec[r].words);
    tr->rec[r].words = NULL, tr->rec[r].n_words = tr->rec[r].words_cap = 0;
    for (size_t k = 0; k < tr->n_grown; k++) {
        const struct pair_record *p = &tr->rec[tr->grown[k]];
        if (heap_push(tr, p->count, p->a, p->b) != 0)
            return -1;
    }
    return 0;
}
/* trainer: release everything */
static void trainer_free(struct trainer *tr)
{
    pretokenizer_close(&tr->pre);
    string_map_free(&tr->words);
    for (size_t r = 0; r < tr->n_records; r++)
        free(tr->rec[r].words);
    free(tr->rec), free(tr->pairs.keys), free(tr->pairs.values);
    free(tr->freq), free(tr->sym), free(tr->word_len), free(tr->heap), free(tr->grown);
}

struct tokenizer *tokenizer_train(const unsigned char *const *texts, const size_t *lens,
                                  size_t n_texts, int vocab_size, FILE *progress,
                                  char *err, size_t errlen)
{
    /* check the vocabulary size and set up the trainer */
    if (vocab_size < 256 || vocab_size > TOKENS_MAX) {
        snprintf(err, errlen, "the vocabulary size must be from 256 to %d", TOKENS_MAX);
        return NULL;
    }
    struct trainer tr = { 0 };
    struct tokenizer *tok = calloc(1, sizeof *tok);
    int status = tok && pretokenizer_open(&tr.pre) == 0 ? 0 : -1;
    if (status == 0)
        tok->merges = malloc((size_t)(vocab_size - 256 + 1) * sizeof *tok->merges);
    if (status == 0 && !tok->merges)
        status = -1;
    /* count the words of every text */
    for (size_t i = 0; status == 0 && i < n_texts; i++)
        if (pretokenize(&tr.pre, texts[i], lens[i], count_word, &tr) != 0)
            status = -1;
    if (progress && status == 0)
        fprintf(progress, "tokenizer train: %zu distinct words\n", tr.words.n);
    /* spell every word as bytes and count its pairs */
    size_t nw = tr.words.n, sym_cap = 0, len_cap = 0;
    if (status == 0 && (grow(&tr.sym, &sym_cap, tr.words.pool_len + 1, sizeof *tr.sym) != 0
                        || grow(&tr.word_len, &len_cap, nw + 1, sizeof *tr.word_len) != 0))
        status = -1;
    for (size_t w = 0; status == 0 && w < nw; w++) {
        const unsigned char *s = tr.words.pool + tr.words.offset[w];
        int32_t *sym = tr.sym + tr.words.offset[w];
        tr.word_len[w] = (int32_t)tr.words.length[w];
        for (int32_t i = 0; i < tr.word_len[w]; i++)
            sym[i] = s[i];
        for (int32_t i = 0; status == 0 && i + 1 < tr.word_len[w]; i++)
            if (pair_add(&tr, sym[i], sym[i + 1], tr.freq[w], (int32_t)w) < 0)
                status = -1;
    }
    /* merge the best pair until the vocabulary is full or no pair is left */
    /* give each byte a length of one and push every pair on the heap */
    size_t *token_len = status == 0 ? malloc((size_t)vocab_size * sizeof *token_len) : NULL;
    if (!token_len)
        status = -1;
    for (int b = 0; status == 0 && b < 256; b++)
        token_len[b] = 1;
    for (size_t r = 0; status == 0 && r < tr.n_records; r++)
        if (heap_push(&tr, tr.rec[r].count, tr.rec[r].a, tr.rec[r].b) != 0)
            status = -1;
    int n_merges = 0;
    while (status == 0 && 256 + n_merges < vocab_size) {
        int32_t r = best_pair(&tr, token_len), c = 256 + n_merges;
        if (r < 0) {
            status = r == -1 ? 0 : -1;
            break;
        }
        struct pair_record *p = &tr.rec[r];
        tok->merges[n_merges++] = (struct bpe_merge){ p->a, p->b, c, p->count };
        token_len[c] = token_len[p->a] + token_len[p->b];
        status = merge_everywhere(&tr, r, c);
        /* report progress every few hundred merges */
        if (progress && (n_merges % 256 == 0 || 256 + n_merges == vocab_size)) {
            fprintf(progress, "\rtokenizer train: %d of %d merges", n_merges, vocab_size - 256);
            fflush(progress);
        }
    }
    /* hand the merges to the new tokenizer */
    if (progress && status == 0)
        fprintf(progress, "\n");
    free(token_len);
    trainer_free(&tr);
    if (status == 0) {
        tok->n_merges = n_merges, tok->n_tokens = 256 + n_merges;
        if (spell_merges(tok, err, errlen) == 0 && tokenizer_index(tok, err, errlen) == 0)
            return tok;
    } else
        snprintf(err, errlen, "out of memory");
    tokenizer_free(tok);
    return NULL;
}
/* tokenizer.c: encoding and decoding */
/* tokenizer.c: encode a long piece with a heap of pair ranks */
enum { LONG_PIECE = 256 };
/* tokenizer.c: a min-heap of 64-bit keys */
static void heap_push_min(uint64_t *h, size_t *n, uint64_t x)
{
    size_t i = (*n)++;
    for (; i > 0 && h[(i - 1) / 2] > x; i = (i - 1) / 2)
        h[i] = h[(i - 1) / 2];
    h[i] = x;
}
/* tokenizer.c: a min-heap of 64-bit keys */

static uint64_t heap_pop_min(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], x = h[--*n];
    size_t i = 0;
    for (size_t c = 1; c < *n; c = 2 * i + 1) {
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= x)
            break;
        h[i] = h[c], i = c;
    }
    if (*n > 0)
        h[i] = x;
    return top;
}
/* tokenizer.c: a min-heap of 64-bit keys */
/* Push the rank of the pair at positions i, j, if it is a merge. */
static void push_pair_rank(const struct tokenizer *tok, const int32_t *ids, size_t i,
                           size_t j, uint64_t *heap, size_t *hn)
{
    int32_t r = pair_get(&tok->ranks, ids[i], ids[j]);
    if (r >= 0)
        heap_push_min(heap, hn, (uint64_t)r << 32 | i);
}

static size_t encode_long_piece(const struct tokenizer *tok, int32_t *ids, size_t n)
{
    /* link the piece's tokens and push the rank of every adjacent pair */
    size_t *next = malloc(n * sizeof *next), *prev = malloc(n * sizeof *prev), hn = 0;
    uint64_t *heap = malloc(3 * n * sizeof *heap);
    if (!next || !prev || !heap || n >= UINT32_MAX) {
        free(next), free(prev), free(heap);
        return SIZE_MAX;
    }
    for (size_t i = 0; i < n; i++)
        next[i] = i + 1, prev[i] = i - 1;          /* prev[0] wraps to SIZE_MAX */
    for (size_t i = 0; i + 1 < n; i++)
        push_pair_rank(tok, ids, i, i + 1, heap, &hn);
    /* pop the best pair and merge it until the heap is empty */
    while (hn > 0) {
        uint64_t top = heap_pop_min(heap, &hn);
        int32_t r = (int32_t)(top >> 32);
        size_t i = (size_t)(top & 0xffffffffu), j = next[i];
        if (ids[i] < 0 || j >= n || pair_get(&tok->ranks, ids[i], ids[j]) != r)
            continue;                                  /* stale */
        ids[i] = tok->merges[r].token, ids[j] = -1;
        next[i] = next[j];
        if (next[j] < n)
            prev[next[j]] = i;
        if (prev[i] < n)
            push_pair_rank(tok, ids, prev[i], i, heap, &hn);
        if (next[i] < n)
            push_pair_rank(tok, ids, i, next[i], heap, &hn);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i = next[i])
        ids[k++] = ids[i];
    free(next), free(prev), free(heap);
    return k;
}

static size_t encode_piece(const struct tokenizer *tok, const unsigned char *p, size_t n,
                           int32_t *ids)
{
    for (size_t i = 0; i < n; i++)
        ids[i] = tok->byte_token[p[i]];
    size_t done = n > LONG_PIECE ? encode_long_piece(tok, ids, n) : SIZE_MAX;
    if (done != SIZE_MAX)
        return done;
    /* merge the pair of smallest rank until no pair is a merge */
    for (;;) {
        int32_t best = -1;
        for (size_t i = 0; i + 1 < n; i++) {
            int32_t r = pair_get(&tok->ranks, ids[i], ids[i + 1]);
            if (r >= 0 && (best < 0 || r < best))
                best = r;
        }
        if (best < 0)
            return n;
        const struct bpe_merge *m = &tok->merges[best];
        n = respell(ids, n, m->left, m->right, m->token);
    }
}
/* tokenizer.c: encoding and decoding */
static size_t encode_cached(struct tokenizer *tok, const unsigned char *p, size_t n,
                            int32_t *ids)
{
    if (n > CACHE_PIECE_MAX || !tok->cache)
        return encode_piece(tok, p, n, ids);
    uint64_t h = hash_bytes(p, n);                  /* bit 0 is always 1 */
    struct cached_piece *c = &tok->cache[(h >> 7) & (CACHE_SLOTS - 1)];
    if (c->hash == h && c->len == n && memcmp(c->bytes, p, n) == 0) {
        memcpy(ids, c->ids, c->n_ids * sizeof *ids);
        return c->n_ids;
    }
    size_t k = encode_piece(tok, p, n, ids);
    c->hash = h, c->len = (uint8_t)n, c->n_ids = (uint8_t)k;
    memcpy(c->bytes, p, n), memcpy(c->ids, ids, k * sizeof *ids);
    return k;
}
/* tokenizer.c: encoding and decoding */
void tokenizer_forget_cache(struct tokenizer *tok)
{
    if (tok->cache)
        memset(tok->cache, 0, CACHE_SLOTS * sizeof *tok->cache);
}
/* tokenizer.c: encoding and decoding */
struct encoding { struct tokenizer *tok; int32_t *ids; size_t n; };

static int encode_one_piece(void *ctx, const unsigned char *piece, size_t len)
{
    struct encoding *e = ctx;
    e->n += encode_cached(e->tok, piece, len, e->ids + e->n);
    return 0;
}

int tokenizer_encode(struct tokenizer *tok, const unsigned char *text, size_t len,
                     int32_t *ids, size_t *n_ids)
{
    struct encoding e = { tok, ids, 0 };
    int status = pretokenize(&tok->pre, text, len, encode_one_piece, &e);
    *n_ids = e.n;
    return status;
}
/* tokenizer.c: encoding and decoding */
const unsigned char *tokenizer_token(const struct tokenizer *tok, int32_t id, size_t *len)
{
    if (id < 0 || id >= tok->n_tokens)
        return NULL;
    *len = tok->token_offset[id + 1] - tok->token_offset[id];
    return tok->bytes + tok->token_offset[id];
}
/* tokenizer.c: encoding and decoding */

int tokenizer_decode(const struct tokenizer *tok, const int32_t *ids, size_t n,
                     unsigned char *out, size_t cap, size_t *len)
{
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        const unsigned char *s = tokenizer_token(tok, ids[i], &k);
        if (!s || k > cap - *len)
            return -1;
        memcpy(out + *len, s, k);
        *len += k;
    }
    return 0;
}
/* tokenizer.c: the longhand tokenizer file */
int tokenizer_save(const struct tokenizer *tok, FILE *f)
{
    for (int b = 0; b < 256; b++)
        if (tok->byte_token[b] != b)
            return -1;
    for (int m = 0; m < tok->n_merges; m++)
        if (tok->merges[m].token != 256 + m)
            return -1;
    fprintf(f, "longhand-bpe 1\nmerges %d\n", tok->n_merges);
    for (int m = 0; m < tok->n_merges; m++)
        fprintf(f, "%d %d\n", tok->merges[m].left, tok->merges[m].right);
    return ferror(f) ? -1 : 0;
}
/* tokenizer.c: the longhand tokenizer file */
enum { TOKENIZER_FILE_MAX = 64 << 20 };

/* The contents of path, NUL-terminated, size in *len; NULL with err. */
static char *read_whole(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *s = NULL;
    /* read the file if it is a regular one of sane size, or say why not */
    if (!f || fstat(fileno(f), &st) != 0)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode) || st.st_size > TOKENIZER_FILE_MAX)
        snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
                 TOKENIZER_FILE_MAX);
    else if (!(s = malloc((size_t)st.st_size + 1)))
        snprintf(err, errlen, "%s: out of memory", path);
    else if ((*len = fread(s, 1, (size_t)st.st_size, f)) != (size_t)st.st_size) {
        snprintf(err, errlen, "%s: read error", path);
        free(s), s = NULL;
    } else
        s[*len] = '\0';
    if (f)
        fclose(f);
    return s;
}
/* tokenizer.c: the longhand tokenizer file */
static int next_number(const char **p, char stop, long *n)
{
    const char *s = *p;
    *n = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9' && digits < 8; s++, digits++)
        *n = *n * 10 + (*s - '0');
    if (digits == 0 || digits > 7 || *s != stop)
        return -1;
    *p = s + 1;
    return 0;
}
/* tokenizer.c: the longhand tokenizer file */
static struct tokenizer *load_longhand(const char *path, char *err, size_t errlen)
{
    size_t size;
    char *text = read_whole(path, &size, err, errlen);
    if (!text)
        return NULL;
    const char *p = text;
    long n_merges = 0;
    int line = 1, ok = strncmp(p, "longhand-bpe 1\n", 15) == 0;
    if (ok)
        p += 15, line = 2, ok = strncmp(p, "merges ", 7) == 0;
    if (ok)
        p += 7, ok = next_number(&p, '\n', &n_merges) == 0;
    ok = ok && n_merges <= TOKENS_MAX - 256 && (size_t)n_merges <= size / 4;
    /* make a tokenizer with room for the merges, noting if memory runs out */
    struct tokenizer *tok = ok ? calloc(1, sizeof *tok) : NULL;
    size_t room = ((size_t)n_merges + 1) * sizeof(struct bpe_merge);
    int out_of_memory = ok && (!tok || !(tok->merges = malloc(room)));
    ok = ok && !out_of_memory;
    /* read the merge lines, noting the first line at fault */
    for (long m = 0; ok && m < n_merges; m++) {
        long a = 0, b = 0;                            /* stored even from a bad line */
        line++;
        ok = next_number(&p, ' ', &a) == 0 && next_number(&p, '\n', &b) == 0;
        tok->merges[m] = (struct bpe_merge){ (int32_t)a, (int32_t)b, (int32_t)(256 + m), 0 };
    }
    if (ok && *p != '\0')
        line++, ok = 0;
    if (ok && (size_t)(p - text) != size)
        ok = 0;                                       /* a NUL byte inside the file */
    /* finish the tokenizer or report where the file went wrong */
    free(text);
    if (!ok) {
        if (out_of_memory)
            snprintf(err, errlen, "%s: out of memory", path);
        else
            snprintf(err, errlen, "%s:%d: not a longhand tokenizer file (want "
                     "'longhand-bpe 1', 'merges M', then M lines of two ids)", path, line);
        tokenizer_free(tok);
        return NULL;
    }
    tok->n_merges = (int)n_merges, tok->n_tokens = 256 + (int)n_merges;
    char why[256];
    if (spell_merges(tok, why, sizeof why) != 0 || tokenizer_index(tok, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        tokenizer_free(tok);
        return NULL;
    }
    return tok;
}
/* tokenizer.c: GPT-2's tokenizer files */
/* GPT-2's table: the code point that stands for each byte. */
static void gpt2_byte_chars(int32_t char_of_byte[256])
{
    int32_t next = 256;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        char_of_byte[b] = printable ? b : next++;
    }
}
/* tokenizer.c: GPT-2's tokenizer files */
/* The bytes that GPT-2's string s[0..n) stands for, into out; their number, or -1. */
static long gpt2_bytes(const int byte_of_char[512], const unsigned char *s, size_t n,
                       unsigned char out[TOKEN_BYTES_MAX])
{
    long k = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t cp = s[i];
        if (s[i] >= 0xC0 && s[i] < 0xE0 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80)
            cp = (s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F), i++;
        else if (s[i] >= 0x80)
            return -1;
        if (cp >= 512 || byte_of_char[cp] < 0 || k >= TOKEN_BYTES_MAX)
            return -1;
        out[k++] = (unsigned char)byte_of_char[cp];
    }
    return k;
}
/* tokenizer.c: GPT-2's tokenizer files */
struct gpt2_loader {
    int byte_of_char[512];
    struct string_map strings;   /* token bytes -> entry */
    int32_t *id_of_entry;        /* [strings.n] */
};
static int read_encoder(struct gpt2_loader *ld, struct tokenizer *tok, const char *dir,
                        char *err, size_t errlen);
static int read_merges(struct gpt2_loader *ld, struct tokenizer *tok, const char *dir,
                       char *err, size_t errlen);
/* tokenizer.c: GPT-2's tokenizer files */
static struct tokenizer *load_gpt2(const char *dir, char *err, size_t errlen)
{
    struct gpt2_loader ld = { .id_of_entry = NULL };
    /* map each code point of GPT-2's table back to its byte */
    int32_t char_of_byte[256];
    gpt2_byte_chars(char_of_byte);
    for (int c = 0; c < 512; c++)
        ld.byte_of_char[c] = -1;
    for (int b = 0; b < 256; b++)
        ld.byte_of_char[char_of_byte[b]] = b;
    struct tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok)
        snprintf(err, errlen, "out of memory");
    int status = tok ? read_encoder(&ld, tok, dir, err, errlen) : -1;
    if (status == 0)
        status = read_merges(&ld, tok, dir, err, errlen);
    if (status == 0)
        status = tokenizer_index(tok, err, errlen);
    string_map_free(&ld.strings);
    free(ld.id_of_entry);
    if (status == 0)
        return tok;
    tokenizer_free(tok);
    return NULL;
}
/* tokenizer.c: GPT-2's tokenizer files */
struct tokenizer *tokenizer_load(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    return S_ISDIR(st.st_mode) ? load_gpt2(path, err, errlen)
                               : load_longhand(path, err, errlen);
}
/* tokenizer.c: GPT-2's tokenizer files */
static int encoder_tokens(struct gpt2_loader *ld, struct tokenizer *tok, json_object *root,
                          const char *path, char *err, size_t errlen);

static int read_encoder(struct gpt2_loader *ld, struct tokenizer *tok, const char *dir,
                        char *err, size_t errlen)
{
    char path[4096];
    size_t size;
    snprintf(path, sizeof path, "%s/encoder.json", dir);
    char *text = read_whole(path, &size, err, errlen);
    if (!text)
        return -1;
    json_object *root = json_tokener_parse(text);
    free(text);
    int status = encoder_tokens(ld, tok, root, path, err, errlen);
    json_object_put(root);
    return status;
}
/* tokenizer.c: GPT-2's tokenizer files */
static int encoder_tokens(struct gpt2_loader *ld, struct tokenizer *tok, json_object *root,
                          const char *path, char *err, size_t errlen)
{
    /* check that the encoder is one JSON object of 256 to TOKENS_MAX tokens */
    if (!root || !json_object_is_type(root, json_type_object)
        || json_object_object_length(root) < 256
        || json_object_object_length(root) > TOKENS_MAX) {
        snprintf(err, errlen, "%s: not a JSON object of 256 to %d tokens", path,
                 TOKENS_MAX);
        return -1;
    }
    size_t V = (size_t)json_object_object_length(root);
    ld->id_of_entry = malloc(V * sizeof *ld->id_of_entry);
    int32_t *entry_of_id = malloc(V * sizeof *entry_of_id);
    int status = ld->id_of_entry && entry_of_id ? 0 : -1;
    if (status != 0)
        snprintf(err, errlen, "out of memory");
    for (size_t i = 0; status == 0 && i < V; i++)
        entry_of_id[i] = -1;
    /* enter each token of the encoder, checking its id and bytes */
    struct json_object_iterator it = json_object_iter_begin(root),
                                end = json_object_iter_end(root);
    for (; status == 0 && !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *key = json_object_iter_peek_name(&it);
        json_object *value = json_object_iter_peek_value(&it);
        unsigned char b[TOKEN_BYTES_MAX];
        long n = gpt2_bytes(ld->byte_of_char, (const unsigned char *)key, strlen(key), b);
        int64_t id = json_object_is_type(value, json_type_int)
                     ? json_object_get_int64(value) : -1;
        size_t before = ld->strings.n;
        int32_t e = n > 0 && id >= 0 && (size_t)id < V
                    ? string_intern(&ld->strings, b, (size_t)n) : -1;
        if (e < 0 || ld->strings.n == before || entry_of_id[id] >= 0) {
            snprintf(err, errlen, "%s: bad token \"%.40s\" (unknown characters, "
                     "a repeated token or id, or an id not below %zu)", path, key, V);
            status = -1;
        } else
            entry_of_id[id] = e, ld->id_of_entry[e] = (int32_t)id;
    }
    /* lay the tokens' bytes out in id order */
    tok->n_tokens = (int)V;
    tok->token_offset = status == 0 ? malloc((V + 1) * sizeof *tok->token_offset) : NULL;
    tok->bytes = tok->token_offset ? malloc(ld->strings.pool_len + 1) : NULL;
    if (status == 0 && !tok->bytes)
        snprintf(err, errlen, "out of memory"), status = -1;
    for (size_t t = 0, at = 0; status == 0 && t <= V; t++) {
        tok->token_offset[t] = at;
        if (t < V) {
            int32_t e = entry_of_id[t];
            memcpy(tok->bytes + at, ld->strings.pool + ld->strings.offset[e],
                   ld->strings.length[e]);
            at += ld->strings.length[e];
        }
    }
    /* find the token of each single byte */
    for (int b = 0; status == 0 && b < 256; b++) {
        unsigned char c = (unsigned char)b;
        int32_t e = string_find(&ld->strings, &c, 1);
        if (e < 0)
            snprintf(err, errlen, "%s: byte %d is not a token", path, b), status = -1;
        else
            tok->byte_token[b] = ld->id_of_entry[e];
    }
    free(entry_of_id);
    return status;
}
/* tokenizer.c: GPT-2's tokenizer files */
static int read_merges(struct gpt2_loader *ld, struct tokenizer *tok, const char *dir,
                       char *err, size_t errlen)
{
    char path[4096];
    size_t size;
    snprintf(path, sizeof path, "%s/vocab.bpe", dir);
    char *text = read_whole(path, &size, err, errlen), *line = text;
    if (!text)
        return -1;
    tok->merges = malloc((size_t)tok->n_tokens * sizeof *tok->merges);
    int status = tok->merges ? 0 : -1, lineno = 0;
    /* enter the merges of vocab.bpe line by line, counting the lines */
    if (strncmp(line, "#version", 8) == 0)
        line += strcspn(line, "\n"), line += *line == '\n', lineno++;
    while (status == 0 && *line) {
        char *eol = line + strcspn(line, "\n");
        lineno++;
        /* enter the merge on one line of vocab.bpe */
        char *space = memchr(line, ' ', (size_t)(eol - line));
        unsigned char both[2 * TOKEN_BYTES_MAX];
        long na = space ? gpt2_bytes(ld->byte_of_char, (unsigned char *)line,
                                     (size_t)(space - line), both) : -1;
        long nb = na > 0 ? gpt2_bytes(ld->byte_of_char, (unsigned char *)space + 1,
                                      (size_t)(eol - space - 1), both + na) : -1;
        int32_t ea = na > 0 ? string_find(&ld->strings, both, (size_t)na) : -1;
        int32_t eb = nb > 0 ? string_find(&ld->strings, both + na, (size_t)nb) : -1;
        int32_t ec = ea >= 0 && eb >= 0 ? string_find(&ld->strings, both, (size_t)(na + nb)) : -1;
        if (ec < 0 || tok->n_merges >= tok->n_tokens)
            status = -1;
        else
            tok->merges[tok->n_merges++] = (struct bpe_merge){
                ld->id_of_entry[ea], ld->id_of_entry[eb], ld->id_of_entry[ec], 0 };
        line = eol + (*eol == '\n');
    }
    if (!tok->merges)
        snprintf(err, errlen, "out of memory");
    else if (status != 0)
        snprintf(err, errlen, "%s:%d: want two tokens of encoder.json whose "
                 "concatenation is one too, and at most one merge per token", path, lineno);
    free(text);
    return status;
}
