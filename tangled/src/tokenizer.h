/* tokenizer.h: tangled from book/03-tokenizer.nw; edit the book, not this file. */
#ifndef LONGHAND_TOKENIZER_H
#define LONGHAND_TOKENIZER_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* tokenizer.h: the tokenizer and its merges */
struct bpe_merge {
    int32_t left, right; /* the pair merged */
    int32_t token;       /* the new token's id */
    int64_t count;       /* n(left, right) when trained; 0 if loaded */
};
struct tokenizer;
/* V: token ids are 0 .. V-1. */
int tokenizer_vocab_size(const struct tokenizer *tok);
/* The merges in rank order; their number in *n. */
const struct bpe_merge *tokenizer_merges(const struct tokenizer *tok, int *n);
/* Release everything tok holds. */
void tokenizer_free(struct tokenizer *tok);
/* tokenizer.h: training */
enum { TOKENIZER_MAX_VOCAB = 1 << 20 };  /* the most tokens a tokenizer may have */
/* BPE on texts[0..n_texts) to at most vocab_size tokens; NULL with err on failure. */
struct tokenizer *tokenizer_train(const unsigned char *const *texts, const size_t *lens,
                                  size_t n_texts, int vocab_size, FILE *progress,
                                  char *err, size_t errlen);
/* tokenizer.h: encoding and decoding */
/* The ids of text[0..len) into ids (room for len); their number in *n_ids;
   -1 on failure. */
int tokenizer_encode(struct tokenizer *tok, const unsigned char *text, size_t len,
                     int32_t *ids, size_t *n_ids);
/* tokenizer.h: encoding and decoding */
/* Empty the encoder's cache, as if tok had just been made. */
void tokenizer_forget_cache(struct tokenizer *tok);
/* tokenizer.h: encoding and decoding */
/* The bytes of token id, their number in *len; NULL if id is not a token. */
const unsigned char *tokenizer_token(const struct tokenizer *tok, int32_t id, size_t *len);
/* The bytes of ids[0..n) into out (room for cap), their number in *len;
   -1 on an unknown id or if out is too small. */
int tokenizer_decode(const struct tokenizer *tok, const int32_t *ids, size_t n,
                     unsigned char *out, size_t cap, size_t *len);
/* tokenizer.h: files */
/* Write a trained tokenizer's merges to f; -1 if it is not one of ours or on error. */
int tokenizer_save(const struct tokenizer *tok, FILE *f);
/* A longhand tokenizer file, or a directory with GPT-2's encoder.json and
   vocab.bpe; NULL with a message in err on failure. */
struct tokenizer *tokenizer_load(const char *path, char *err, size_t errlen);
#endif
