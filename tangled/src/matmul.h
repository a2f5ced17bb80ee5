/* matmul.h: tangled from book/02-matmul.nw; edit the book, not this file. */
#ifndef LONGHAND_MATMUL_H
#define LONGHAND_MATMUL_H
#include <stddef.h>

/* matmul.h: the ladder */
/* C[M x N] += A[M x K] B[K x N]; all row-major and contiguous. */
typedef void (*gemm_fn)(int M, int N, int K, const float *A, const float *B,
                        float *C);
/* matmul.h: the ladder */
/* Rung 1: one inner product per output, k innermost. */
void gemm_naive(int M, int N, int K, const float *A, const float *B, float *C);
/* matmul.h: the ladder */
/* Rung 2: loop order i, k, j: the inner loop runs along rows of B and C. */
void gemm_reordered(int M, int N, int K, const float *A, const float *B, float *C);
/* matmul.h: the ladder */
/* Rung 3: gemm_reordered on tiles: K in blocks of kc, N of nb (matmul_blocks). */
void gemm_blocked(int M, int N, int K, const float *A, const float *B, float *C);
/* matmul.h: the ladder */
/* A read-only matrix operand: element (i, j) is p[i*rs + j*cs]. */
struct matrix {
    const float *p;
    ptrdiff_t rs, cs;
};
/* matmul.h: the ladder */
enum matmul_kernel {
    MATMUL_KERNEL_PORTABLE, /* plain C, always available */
    MATMUL_KERNEL_AVX2,     /* x86-64 AVX2 and FMA; portable without them */
    MATMUL_KERNEL_AVX512,   /* x86-64 AVX-512; portable without it */
    MATMUL_KERNEL_BEST,     /* the fastest this CPU runs */
};
/* 1 if the AVX2 kernel, or the AVX-512 kernel, runs on this CPU. */
int matmul_have_avx2(void);
int matmul_have_avx512(void);
/* matmul.h: the ladder */
/* C[M x N] (row stride ldc) += A[M x K] B[K x N] for operands of any strides,
   packed, with the given kernel, on omp_get_max_threads() threads if threaded. */
void gemm_strided(int M, int N, int K, struct matrix A, struct matrix B,
                  float *C, ptrdiff_t ldc, enum matmul_kernel kernel, int threaded);
/* matmul.h: the ladder */
/* Rung 4: packed blocks and the portable register-blocked kernel, 1 thread. */
void gemm_packed(int M, int N, int K, const float *A, const float *B, float *C);
/* Rung 5: as gemm_packed with the AVX-512 (else AVX2) kernel if the CPU has one. */
void gemm_simd(int M, int N, int K, const float *A, const float *B, float *C);
/* Rung 6: as gemm_simd on omp_get_max_threads() threads. */
void gemm_threaded(int M, int N, int K, const float *A, const float *B, float *C);
/* matmul.h: the ladder */
struct gemm_variant {
    const char *name; /* as the benchmark prints it */
    gemm_fn run;
};
enum { NUM_GEMM_VARIANTS = 6 };
extern const struct gemm_variant gemm_variants[NUM_GEMM_VARIANTS];
/* matmul.h: the model's products */
/* out[BT x OC] = inp[BT x C] weight[OC x C]^T + bias[OC] (bias may be NULL). */
void matmul_forward(float *out, const float *inp, const float *weight,
                    const float *bias, int BT, int C, int OC);
/* matmul.h: the model's products */
/* dinp[BT x C] += dout[BT x OC] weight[OC x C]; dweight[OC x C] += dout^T inp;
   dbias[OC] += column sums of dout (dbias may be NULL). */
void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int BT, int C, int OC);
/* matmul.h: the model's products */
/* Floats of a weight [OC x C] laid out for matmul_row_forward: ceil(OC/NR)
   panels of C rows of MATMUL_NR outputs. */
size_t matmul_row_floats(int C, int OC);
/* Lay weight [OC x C] out in packed[matmul_row_floats(C, OC)] (64-byte aligned):
   packed[(j*C + k)*NR + i] = weight[(j*NR + i)*C + k], zero past row OC. */
void matmul_row_pack(float *packed, const float *weight, int C, int OC);
/* matmul.h: the model's products */
/* out[OC] = inp[C] weight^T + bias (bias may be NULL), weight laid out by
   matmul_row_pack: the bits of matmul_forward with BT = 1, on any threads. */
void matmul_row_forward(float *out, const float *inp, const float *packed,
                        const float *bias, int C, int OC, enum matmul_kernel kernel);
/* matmul.h: sizes and checks */
enum {
    MATMUL_MR = 14,        /* rows of the register tile */
    MATMUL_NR = 32,        /* columns of the register tile: two 16-float vectors */
    MATMUL_NC_MAX = 8192,  /* the most columns of a packed B block */
};
struct matmul_blocks {
    long l1, l2, l3;       /* the cache sizes, bytes, the blocks were derived from */
    int kc;                /* k block: a KC x NR panel of B stays in L1; a power of two */
    int mc;                /* rows of a packed A block (MC x KC in L2), a multiple of MR */
    int nc;                /* columns of a packed B block (KC x NC in L3) */
    int nb;                /* tile width of gemm_blocked */
};
/* The block sizes of eq. matmul-blocks for caches of l1, l2, l3 bytes. */
struct matmul_blocks matmul_blocks_for(long l1, long l2, long l3);
/* This CPU's, from the cache sizes sysconf reports (48 KiB, 1 MiB and
   32 MiB for any it does not), read once. */
const struct matmul_blocks *matmul_blocks(void);
/* matmul.h: sizes and checks */
enum { MATMUL_MAX_DIM = 1 << 20 };
/* 0 if M, N, K are each in [1, MATMUL_MAX_DIM] and M*K, K*N, M*N < 2^31; else -1. */
int matmul_check_sizes(long M, long N, long K);
/* matmul.h: sizes and checks */
/* The measured FMA rate, GFLOP/s, of `threads` threads running only FMAs
   (AVX-512 where the CPU has it, else AVX2, else scalar fmaf). */
double matmul_peak_gflops(int threads);
#endif
