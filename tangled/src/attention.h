/* attention.h: tangled from book/07-attention.nw; edit the book, not this file. */
#ifndef LONGHAND_ATTENTION_H
#define LONGHAND_ATTENTION_H

/* attention.h: checking shapes */
/* NULL if B, T, C, NH describe a valid attention (T <= max_T when max_T > 0),
   else a sentence saying what is wrong. */
const char *attention_shape_error(int B, int T, int C, int NH, int max_T);
/* attention.h: the forward and backward passes */
/* out[B x T x C] = causal multi-head attention of qkv [B x T x 3C] with NH
   heads; preatt and att [B x NH x T x T] receive the masked scaled scores and
   the weights.  Returns 0, or -1 if attention_shape_error(B, T, C, NH, 0). */
int attention_forward(float *out, float *preatt, float *att, const float *qkv,
                      int B, int T, int C, int NH);
/* attention.h: the forward and backward passes */
/* From dout [B x T x C], accumulate dqkv [B x T x 3C]; qkv and att are the
   forward pass's; datt and dpreatt [B x NH x T x T] are scratch, overwritten.
   Returns 0, or -1 if attention_shape_error(B, T, C, NH, 0). */
int attention_backward(float *dqkv, float *datt, float *dpreatt, const float *dout,
                       const float *qkv, const float *att, int B, int T, int C, int NH);
/* attention.h: the lean forward pass */
/* The output of attention_forward without storing scores or weights: online
   softmax over blocks of ATTENTION_KEY_BLOCK keys.  Returns 0 or -1 as it. */
int attention_forward_lean(float *out, const float *qkv, int B, int T, int C, int NH);
/* attention.h: the key-value cache */
struct kv_cache {
    int max_T, C, NH;   /* the context, channels and heads it serves */
    int len;            /* positions cached so far */
    float *qkv;         /* [max_T x 3C]: each position's projected row */
    float *att;         /* [max_T]: scratch, the new position's weights */
    float *preatt;      /* [max_T]: scratch, the new position's scores */
};
/* A cache for sequences of up to max_T positions; NULL if the shape is bad
   or memory runs out. */
struct kv_cache *kv_cache_create(int max_T, int C, int NH);
void kv_cache_free(struct kv_cache *cache);
/* attention.h: the key-value cache */
/* Append the new position's qkv_t [3C] to the cache and write its attention
   output out [C].  Returns 0, or -1 if the cache is full. */
int attention_step(float *out, const float *qkv_t, struct kv_cache *cache);
#endif
