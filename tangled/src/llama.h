/* llama.h: tangled from book/15-llama.nw; edit the book, not this file. */
#ifndef LONGHAND_LLAMA_H
#define LONGHAND_LLAMA_H
#include <stddef.h>

/* llama.h: RMSNorm */
#define RMSNORM_EPS 1e-5f /* llama2.c's epsilon */
/* out[BT x C] = RMSNorm(inp) * weight[C], eq. rms-forward; saves s in
   rstd[BT].  Returns 0, or -1 if BT or C < 1. */
int rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight,
                    long BT, int C);
/* From dout [BT x C], accumulate dinp [BT x C] by eq. rms-vjp and dweight
   [C]; inp, weight, rstd are the forward pass's.  0, or -1 if BT or C < 1. */
int rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                     const float *weight, const float *rstd, long BT, int C);
/* llama.h: rotary positions */
#define ROPE_THETA 10000.0f /* the base of the frequencies, eq. rope */
/* Rotate in place, by eq. rope, the n_heads heads of hs floats (hs even) of
   rows x + (b*T + t)*stride, position pos0 + t, for b < B, t < T. */
void rope_forward(float *x, int B, int T, int n_heads, int hs, long stride, int pos0);
/* The backward pass, eq. rope-backward: rotate dx in place by the opposite
   angles.  The same arguments as rope_forward. */
void rope_backward(float *dx, int B, int T, int n_heads, int hs, long stride, int pos0);
/* llama.h: SwiGLU */
/* out[i] = silu(u[i]) * v[i], eq. swiglu, for i < n. */
void swiglu_forward(float *out, const float *u, const float *v, long n);
/* Accumulate du[i] and dv[i] from dout[i] by eq. swiglu-backward. */
void swiglu_backward(float *du, float *dv, const float *dout, const float *u,
                     const float *v, long n);
/* The hidden size F of eq. swiglu-hidden for C channels, a multiple of
   multiple_of. */
int swiglu_hidden(int C, int multiple_of);
/* llama.h: grouped-query attention */
/* NULL if C channels, NH query heads and NKV key-value heads make a valid
   grouped-query attention with rotary positions, else why not. */
const char *gqa_shape_error(int C, int NH, int NKV);
/* out[B x T x C] = eq. gqa on qkv [B x T x (C + 2*NKV*hs)], hs = C/NH, whose
   q and k rows are already rotated; preatt, att [B x NH x T x T] receive
   the scaled scores and the weights.  Returns 0, or -1 on a bad shape. */
int gqa_attention_forward(float *out, float *preatt, float *att, const float *qkv,
                          int B, int T, int C, int NH, int NKV);
/* From dout [B x T x C], accumulate dqkv [B x T x (C + 2*NKV*hs)], a shared
   head's gradient summed over its group, eq. gqa-backward; datt, dpreatt
   [B x NH x T x T] are scratch.  Returns 0, or -1 on a bad shape. */
int gqa_attention_backward(float *dqkv, float *datt, float *dpreatt, const float *dout,
                           const float *qkv, const float *att, int B, int T, int C,
                           int NH, int NKV);
/* llama.h: grouped-query attention */
struct gqa_cache {
    int max_T, C, NH, NKV;  /* the context, channels and heads it serves */
    int len;                /* positions cached so far */
    float *kv;              /* [max_T x 2*NKV*hs]: each position's k and v */
    float *att, *preatt;    /* [NH x max_T]: scratch, each head's weights, scores */
};
/* A cache for up to max_T positions; NULL if the shape is bad or memory runs out. */
struct gqa_cache *gqa_cache_create(int max_T, int C, int NH, int NKV);
void gqa_cache_free(struct gqa_cache *cache);
/* Append the new position's k and v from qkv_t [C + 2*NKV*hs] (rotated) to
   the cache and write its attention output out [C].  0, or -1 if it is full. */
int gqa_attention_step(float *out, const float *qkv_t, struct gqa_cache *cache);
/* llama.h: the model */
enum { CHECKPOINT_VERSION_LLAMA = 103 };  /* llm.c's header, the Llama block */
/* llama.h: the model */
struct gpt;
struct gpt_config;
struct gpt_cache;
/* s[NUM_ACT_TENSORS] = the sizes of the Llama block's activations, B x T. */
void llama_act_sizes(const struct gpt_config *cfg, int B, int T, size_t *s);
/* llama.h: the model */
/* The Llama block's trunk: from m->inputs [B x T] to the logits, every
   activation kept; for gpt_forward, which has checked the batch. */
void llama_logits_forward(struct gpt *m);
/* llama.h: the model */
/* From the logits' gradient in m->grad_act, accumulate every parameter's
   gradient into m->grads; for gpt_backward. */
void llama_logits_backward(struct gpt *m);
/* llama.h: the model */
/* A gpt_cache for the Llama-block model m: a gqa_cache per layer and the
   one-row buffers; NULL if memory runs out.  max_T is checked by the caller. */
struct gpt_cache *llama_cache_create(const struct gpt *m, int max_T);
/* gpt_step for the Llama block. */
int llama_step(const struct gpt *m, struct gpt_cache *g, int token);
/* Fill the empty cache g with the keys and values of m's last forward
   pass, of one sequence of n positions; for gpt_prefill. */
void llama_cache_fill(const struct gpt *m, struct gpt_cache *g, int n);
/* llama.h: llama2.c's checkpoints */
enum { LLAMA2C_HEADER_INTS = 7 };
/* Create m (the Llama block) from the llama2.c version-0 checkpoint at path.
   Returns 0, or -1 with a reason in err (nothing allocated) if it is not one. */
int llama2c_load(struct gpt *m, const char *path, char *err, size_t errlen);
/* Write the Llama-block model m to path as a llama2.c version-0 checkpoint,
   atomically.  Returns 0, or -1 with a reason in err. */
int llama2c_save(const struct gpt *m, const char *path, char *err, size_t errlen);
#endif
