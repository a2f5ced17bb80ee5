/* matmul.c: tangled from book/02-matmul.nw; edit the book, not this file. */
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "matmul.h"
/* matmul.c: vector intrinsics */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MATMUL_X86_64 1
#endif

/* matmul.c: block sizes */
static int at_least(long n, int unit)
{
    return n < 1 ? unit : (int)n * unit;
}

struct matmul_blocks matmul_blocks_for(long l1, long l2, long l3)
{
    struct matmul_blocks b = { l1, l2, l3, 16, 0, 0, 0 };
    while (4L * (2 * b.kc) * MATMUL_NR <= l1 && b.kc < (1 << 20))
        b.kc *= 2;
    b.mc = at_least(l2 / (16L * b.kc * MATMUL_MR), MATMUL_MR);
    b.nc = at_least(l3 / (32L * b.kc * MATMUL_NR), MATMUL_NR);
    if (b.nc > MATMUL_NC_MAX)
        b.nc = MATMUL_NC_MAX;
    b.nb = at_least(l2 / (128L * b.kc), 16);
    return b;
}
/* matmul.c: block sizes */
static struct matmul_blocks blocks;
static pthread_once_t blocks_once = PTHREAD_ONCE_INIT;

static long cache_size(int name, long otherwise)
{
    long bytes = sysconf(name);
    return bytes > 0 ? bytes : otherwise;
}

static void read_blocks(void)
{
    blocks = matmul_blocks_for(cache_size(_SC_LEVEL1_DCACHE_SIZE, 48L << 10),
                               cache_size(_SC_LEVEL2_CACHE_SIZE, 1L << 20),
                               cache_size(_SC_LEVEL3_CACHE_SIZE, 32L << 20));
}

const struct matmul_blocks *matmul_blocks(void)
{
    pthread_once(&blocks_once, read_blocks);
    return &blocks;
}
/* matmul.c: plain loops */
void gemm_naive(int M, int N, int K, const float *A, const float *B, float *C)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = 0.0f;
            for (int k = 0; k < K; k++)
                s += A[(size_t)i * K + k] * B[(size_t)k * N + j];
            C[(size_t)i * N + j] += s;
        }
}
/* matmul.c: plain loops */
void gemm_reordered(int M, int N, int K, const float *A, const float *B, float *C)
{
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * N;
        for (int k = 0; k < K; k++) {
            const float a = A[(size_t)i * K + k], *b = B + (size_t)k * N;
            #pragma omp simd
            for (int j = 0; j < N; j++)
                c[j] += a * b[j];
        }
    }
}
/* matmul.c: plain loops */
void gemm_blocked(int M, int N, int K, const float *A, const float *B, float *C)
{
    const int NB = matmul_blocks()->nb, KC = matmul_blocks()->kc;
    for (int jc = 0; jc < N; jc += NB) {
        int nc = N - jc < NB ? N - jc : NB;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC;
            for (int i = 0; i < M; i++) {
                float *c = C + (size_t)i * N + jc;
                for (int k = pc; k < pc + kc; k++) {
                    const float a = A[(size_t)i * K + k], *b = B + (size_t)k * N + jc;
                    #pragma omp simd
                    for (int j = 0; j < nc; j++)
                        c[j] += a * b[j];
                }
            }
        }
    }
}
/* matmul.c: packing */
/* packed[k*width + i] = x[i*rs + k*cs] for i < rows, k < kc */
typedef void (*transpose_fn)(const float *x, ptrdiff_t rs, ptrdiff_t cs, int rows,
                             int kc, int width, float *packed);

static void transpose_portable(const float *x, ptrdiff_t rs, ptrdiff_t cs, int rows,
                               int kc, int width, float *packed)
{
    for (int k = 0; k < kc; k++)
        for (int i = 0; i < rows; i++)
            packed[k * width + i] = x[i * rs + k * cs];
}
/* matmul.c: packing */
static void pack_panels(struct matrix X, int i0, int m, int p0, int kc, int width,
                        transpose_fn transpose, float *packed)
{
    for (int ir = 0; ir < m; ir += width, packed += (size_t)width * kc) {
        int rows = m - ir < width ? m - ir : width;
        const float *x = X.p + (i0 + ir) * X.rs + p0 * X.cs;
        if (rows < width)
            memset(packed, 0, sizeof(float) * width * kc);
        if (X.rs == 1) /* each column of the panel is contiguous: copy it */
            for (int k = 0; k < kc; k++)
                memcpy(packed + k * width, x + k * X.cs, sizeof(float) * rows);
        else
            transpose(x, X.rs, X.cs, rows, kc, width, packed);
    }
}
/* matmul.c: packing */
static void pack_a(struct matrix A, int i0, int mc, int p0, int kc,
                   transpose_fn transpose, float *packed)
{
    pack_panels(A, i0, mc, p0, kc, MATMUL_MR, transpose, packed);
}

static void pack_b(struct matrix B, int p0, int kc, int j0, int nc,
                   transpose_fn transpose, float *packed)
{
    struct matrix Bt = { B.p, B.cs, B.rs };
    pack_panels(Bt, j0, nc, p0, kc, MATMUL_NR, transpose, packed);
}
/* matmul.c: packing */
static size_t round_up(size_t n, size_t multiple)
{
    return (n + multiple - 1) / multiple * multiple;
}
/* matmul.c: packing */
struct packing_cache {
    float *p;        /* aligned to 64 bytes */
    size_t floats;   /* its capacity */
};
static _Thread_local struct packing_cache packed_a_cache, packed_b_cache;

static float *packing_buffer(struct packing_cache *cache, size_t floats)
{
    if (cache->floats < floats) {
        free(cache->p);
        size_t bytes = (floats * sizeof(float) + 63) / 64 * 64; /* aligned_alloc's rule */
        if (!(cache->p = aligned_alloc(64, bytes))) {
            fputs("longhand: out of memory for the matrix multiply's buffers\n", stderr);
            abort();
        }
        cache->floats = floats;
    }
    return cache->p;
}
/* matmul.c: micro-kernels */
typedef void (*kernel_fn)(int kc, const float *a, const float *b, float *c,
                          ptrdiff_t ldc);

static void kernel_portable(int kc, const float *a, const float *b, float *c,
                            ptrdiff_t ldc)
{
    float acc[MATMUL_MR][MATMUL_NR] = { { 0 } };
    for (int k = 0; k < kc; k++, a += MATMUL_MR, b += MATMUL_NR)
        for (int i = 0; i < MATMUL_MR; i++)
            #pragma omp simd
            for (int j = 0; j < MATMUL_NR; j++)
                acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    for (int i = 0; i < MATMUL_MR; i++)
        for (int j = 0; j < MATMUL_NR; j++)
            c[i * ldc + j] += acc[i][j];
}
/* matmul.c: micro-kernels */
#ifdef MATMUL_X86_64
__attribute__((target("avx512f")))
static void kernel_avx512(int kc, const float *a, const float *b, float *c,
                          ptrdiff_t ldc)
{
    __m512 acc[MATMUL_MR][2];
    /* zero the accumulators and prefetch the tile of c */
    #pragma GCC unroll 16
    for (int i = 0; i < MATMUL_MR; i++) {
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
    }
    for (int k = 0; k < kc; k++, a += MATMUL_MR, b += MATMUL_NR) {
        /* multiply-add one column of a by one row of b into acc */
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        #pragma GCC unroll 16
        for (int i = 0; i < MATMUL_MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    /* add the accumulators to the tile of c */
    #pragma GCC unroll 16
    for (int i = 0; i < MATMUL_MR; i++) {
        float *ci = c + i * ldc;
        _mm512_storeu_ps(ci, _mm512_add_ps(_mm512_loadu_ps(ci), acc[i][0]));
        _mm512_storeu_ps(ci + 16, _mm512_add_ps(_mm512_loadu_ps(ci + 16), acc[i][1]));
    }
}
#endif
/* matmul.c: micro-kernels */
#ifdef MATMUL_X86_64
enum { AVX2_ROWS = 6 };

__attribute__((target("avx2,fma"), always_inline))
static inline void strip_avx2(int kc, const float *a, const float *b, float *c,
                              ptrdiff_t ldc, int rows)
{
    __m256 acc[AVX2_ROWS][2];
    #pragma GCC unroll 6
    for (int i = 0; i < rows; i++)
        acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (int k = 0; k < kc; k++, a += MATMUL_MR, b += MATMUL_NR) {
        /* multiply-add the strip's rows of a by 16 columns of b into acc */
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        #pragma GCC unroll 6
        for (int i = 0; i < rows; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    /* add the strip's accumulators to c */
    #pragma GCC unroll 6
    for (int i = 0; i < rows; i++) {
        float *ci = c + i * ldc;
        _mm256_storeu_ps(ci, _mm256_add_ps(_mm256_loadu_ps(ci), acc[i][0]));
        _mm256_storeu_ps(ci + 8, _mm256_add_ps(_mm256_loadu_ps(ci + 8), acc[i][1]));
    }
}
/* matmul.c: micro-kernels */
__attribute__((target("avx2,fma")))
static void kernel_avx2(int kc, const float *a, const float *b, float *c,
                        ptrdiff_t ldc)
{
    for (int j = 0; j < MATMUL_NR; j += 16) {
        strip_avx2(kc, a, b + j, c + j, ldc, AVX2_ROWS);
        strip_avx2(kc, a + AVX2_ROWS, b + j, c + AVX2_ROWS * ldc + j, ldc, AVX2_ROWS);
        strip_avx2(kc, a + 2 * AVX2_ROWS, b + j, c + 2 * AVX2_ROWS * ldc + j, ldc,
                   MATMUL_MR - 2 * AVX2_ROWS);
    }
}
#endif
/* matmul.c: the vector transposition */
#ifdef MATMUL_X86_64
__attribute__((target("avx512f"), always_inline))
static inline void transpose16_avx512(const __m512 r[16], __m512 col[16])
{
    __m512 t[16], u[16];
    #pragma GCC unroll 8
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);     /* r_i[4L], r_i+1[4L], ... */
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]); /* r_i[4L+2], r_i+1[4L+2], ... */
    }
    #pragma GCC unroll 4
    for (int g = 0; g < 16; g += 4) { /* u[g+j], lane L: rows g..g+3 of column 4L+j */
        u[g] = _mm512_shuffle_ps(t[g], t[g + 2], 0x44);
        u[g + 1] = _mm512_shuffle_ps(t[g], t[g + 2], 0xEE);
        u[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0x44);
        u[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
    }
    /* gather lane L of u[j], u[4+j], u[8+j], u[12+j] as col[4L+j] */
    #pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        __m512 even01 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88); /* lanes 0, 2 */
        __m512 odd01 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xDD);  /* lanes 1, 3 */
        __m512 even23 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88);
        __m512 odd23 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xDD);
        col[j] = _mm512_shuffle_f32x4(even01, even23, 0x88);
        col[4 + j] = _mm512_shuffle_f32x4(odd01, odd23, 0x88);
        col[8 + j] = _mm512_shuffle_f32x4(even01, even23, 0xDD);
        col[12 + j] = _mm512_shuffle_f32x4(odd01, odd23, 0xDD);
    }
}
#endif
/* matmul.c: the vector transposition */
#ifdef MATMUL_X86_64
__attribute__((target("avx512f")))
static void transpose_avx512(const float *x, ptrdiff_t rs, ptrdiff_t cs, int rows,
                             int kc, int width, float *packed)
{
    if (cs != 1) {
        transpose_portable(x, rs, cs, rows, kc, width, packed);
        return;
    }
    for (int i0 = 0; i0 < width; i0 += 16) {
        __mmask16 lanes = (__mmask16)((1u << (width - i0 < 16 ? width - i0 : 16)) - 1);
        for (int k0 = 0; k0 < kc; k0 += 16) {
            /* transpose the block of rows i0 and columns k0 into the panel */
            int n = kc - k0 < 16 ? kc - k0 : 16;
            __m512 r[16], col[16];
            /* load rows i0 to i0+15 at k0, zeros past the panel's last */
            __mmask16 present = (__mmask16)((1u << n) - 1);
            #pragma GCC unroll 16
            for (int i = 0; i < 16; i++)
                r[i] = i0 + i < rows ? _mm512_maskz_loadu_ps(present, x + (i0 + i) * rs + k0)
                                     : _mm512_setzero_ps();
            transpose16_avx512(r, col);
            /* store columns k0 to k0+n-1 of the block, lanes of each */
            #pragma GCC unroll 16
            for (int k = 0; k < n; k++)
                _mm512_mask_storeu_ps(packed + (k0 + k) * width + i0, lanes, col[k]);
        }
    }
}
#endif
/* matmul.c: choosing the code */
int matmul_have_avx2(void)
{
#ifdef MATMUL_X86_64
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int matmul_have_avx512(void)
{
#ifdef MATMUL_X86_64
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}
/* matmul.c: choosing the code */
struct packed_code {
    kernel_fn kernel;
    transpose_fn transpose;
};

static struct packed_code choose_code(enum matmul_kernel which)
{
#ifdef MATMUL_X86_64
    int best = which == MATMUL_KERNEL_BEST;
    if ((best || which == MATMUL_KERNEL_AVX512) && matmul_have_avx512())
        return (struct packed_code){ kernel_avx512, transpose_avx512 };
    if ((best || which == MATMUL_KERNEL_AVX2) && matmul_have_avx2())
        return (struct packed_code){ kernel_avx2, transpose_portable };
#endif
    (void)which;
    return (struct packed_code){ kernel_portable, transpose_portable };
}
/* matmul.c: the packed driver */
static void gemm_serial(int M, int N, int K, struct matrix A, struct matrix B,
                        float *C, ptrdiff_t ldc, struct packed_code code)
{
    kernel_fn run = code.kernel;
    const int KC = matmul_blocks()->kc, MC = matmul_blocks()->mc, NC = matmul_blocks()->nc;
    /* get packing buffers for the largest blocks, panels padded */
    size_t kc_max = (size_t)(K < KC ? K : KC);
    size_t mc_max = (size_t)(M < MC ? M : MC);
    size_t nc_max = (size_t)(N < NC ? N : NC);
    float *packed_a = packing_buffer(&packed_a_cache, round_up(mc_max, MATMUL_MR) * kc_max);
    float *packed_b = packing_buffer(&packed_b_cache, kc_max * round_up(nc_max, MATMUL_NR));
    for (int jc = 0; jc < N; jc += NC) {
        int nc = N - jc < NC ? N - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC;
            pack_b(B, pc, kc, jc, nc, code.transpose, packed_b);
            for (int ic = 0; ic < M; ic += MC) {
                int mc = M - ic < MC ? M - ic : MC;
                pack_a(A, ic, mc, pc, kc, code.transpose, packed_a);
                /* run the kernel on every tile of the packed blocks */
                for (int jr = 0; jr < nc; jr += MATMUL_NR)
                    for (int ir = 0; ir < mc; ir += MATMUL_MR) {
                        int mr = mc - ir < MATMUL_MR ? mc - ir : MATMUL_MR;
                        int nr = nc - jr < MATMUL_NR ? nc - jr : MATMUL_NR;
                        const float *a = packed_a + (size_t)ir * kc, *b = packed_b + (size_t)jr * kc;
                        float *c = C + (ic + ir) * ldc + jc + jr;
                        if (mr == MATMUL_MR && nr == MATMUL_NR)
                            run(kc, a, b, c, ldc);
                        else
                            /* run the kernel on a scratch tile and add its valid part to c */
                            {
                                float tile[MATMUL_MR * MATMUL_NR] = { 0 };
                                run(kc, a, b, tile, MATMUL_NR);
                                for (int i = 0; i < mr; i++)
                                    for (int j = 0; j < nr; j++)
                                        c[i * ldc + j] += tile[i * MATMUL_NR + j];
                            }
                    }
            }
        }
    }
}
/* matmul.c: the packed driver */
void gemm_strided(int M, int N, int K, struct matrix A, struct matrix B,
                  float *C, ptrdiff_t ldc, enum matmul_kernel kernel, int threaded)
{
    if (M <= 0 || N <= 0 || K <= 0)
        return;
    struct packed_code code = choose_code(kernel);
    int by_columns = N >= M, step = by_columns ? MATMUL_NR : MATMUL_MR;
    int length = by_columns ? N : M, panels = (length + step - 1) / step;
    int threads = threaded ? omp_get_max_threads() : 1;
    if (threads > panels)
        threads = panels;
    #pragma omp parallel num_threads(threads)
    {
        /* run gemm_serial on this thread's band of C */
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        int lo = (int)((long)panels * t / T) * step;
        int hi = (int)((long)panels * (t + 1) / T) * step;
        if (hi > length)
            hi = length;
        if (by_columns) {
            struct matrix b = { B.p + lo * B.cs, B.rs, B.cs };
            gemm_serial(M, hi - lo, K, A, b, C + lo, ldc, code);
        } else {
            struct matrix a = { A.p + lo * A.rs, A.rs, A.cs };
            gemm_serial(hi - lo, N, K, a, B, C + lo * ldc, ldc, code);
        }
    }
}
/* matmul.c: the ladder's packed variants */
static void gemm_row_major(int M, int N, int K, const float *A, const float *B,
                           float *C, enum matmul_kernel kernel, int threaded)
{
    struct matrix a = { A, K, 1 }, b = { B, N, 1 };
    gemm_strided(M, N, K, a, b, C, N, kernel, threaded);
}
void gemm_packed(int M, int N, int K, const float *A, const float *B, float *C)
{
    gemm_row_major(M, N, K, A, B, C, MATMUL_KERNEL_PORTABLE, 0);
}
void gemm_simd(int M, int N, int K, const float *A, const float *B, float *C)
{
    gemm_row_major(M, N, K, A, B, C, MATMUL_KERNEL_BEST, 0);
}
void gemm_threaded(int M, int N, int K, const float *A, const float *B, float *C)
{
    gemm_row_major(M, N, K, A, B, C, MATMUL_KERNEL_BEST, 1);
}
/* matmul.c: the ladder's packed variants */
const struct gemm_variant gemm_variants[NUM_GEMM_VARIANTS] = {
    { "naive", gemm_naive },   { "reordered", gemm_reordered },
    { "blocked", gemm_blocked }, { "packed", gemm_packed },
    { "simd", gemm_simd },     { "threaded", gemm_threaded },
};
/* matmul.c: the model's products */
void matmul_forward(float *out, const float *inp, const float *weight,
                    const float *bias, int BT, int C, int OC)
{
    #pragma omp parallel for schedule(static)
    for (int r = 0; r < BT; r++)
        for (int o = 0; o < OC; o++)
            out[(size_t)r * OC + o] = bias ? bias[o] : 0.0f;
    struct matrix X = { inp, C, 1 }, Wt = { weight, 1, C };
    gemm_strided(BT, OC, C, X, Wt, out, OC, MATMUL_KERNEL_BEST, 1);
}
/* matmul.c: the model's products */
void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int BT, int C, int OC)
{
    struct matrix G = { dout, OC, 1 }, Gt = { dout, 1, OC };
    struct matrix W = { weight, C, 1 }, X = { inp, C, 1 };
    gemm_strided(BT, C, OC, G, W, dinp, C, MATMUL_KERNEL_BEST, 1);
    gemm_strided(OC, C, BT, Gt, X, dweight, C, MATMUL_KERNEL_BEST, 1);
    if (dbias)
        /* add the column sums of dout to dbias */
        {
            enum { COLUMNS_PER_TASK = 64 };
            #pragma omp parallel for schedule(static)
            for (int o0 = 0; o0 < OC; o0 += COLUMNS_PER_TASK) {
                int n = OC - o0 < COLUMNS_PER_TASK ? OC - o0 : COLUMNS_PER_TASK;
                for (int r = 0; r < BT; r++)
                    for (int o = o0; o < o0 + n; o++)
                        dbias[o] += dout[(size_t)r * OC + o];
            }
        }
}
/* matmul.c: the product of one row */
size_t matmul_row_floats(int C, int OC)
{
    return round_up((size_t)OC, MATMUL_NR) * (size_t)C;
}

void matmul_row_pack(float *packed, const float *weight, int C, int OC)
{
    struct matrix W = { weight, C, 1 };
    transpose_fn transpose = choose_code(MATMUL_KERNEL_BEST).transpose;
    int panels = (OC + MATMUL_NR - 1) / MATMUL_NR;
    #pragma omp parallel for schedule(static)
    for (int j = 0; j < panels; j++) {
        int rows = OC - j * MATMUL_NR < MATMUL_NR ? OC - j * MATMUL_NR : MATMUL_NR;
        pack_panels(W, j * MATMUL_NR, rows, 0, C, MATMUL_NR, transpose,
                    packed + (size_t)j * C * MATMUL_NR);
    }
}
/* matmul.c: the product of one row */
enum { ROW_GROUP = 4 }; /* panels of outputs in flight: 4 x 2 chains of FMAs */
/* tile[g*NR + i] += each k_c block's sum over k of x[k] * w[g*stride + k*NR + i],
   for panels g < np of one group. */
typedef void (*row_fn)(int K, int kc_block, const float *x, const float *w,
                       size_t stride, float *tile, int np);
/* matmul.c: the product of one row */
#ifdef MATMUL_X86_64
__attribute__((target("avx512f"), always_inline))
static inline void row_group_avx512(int K, int kc_block, const float *x, const float *w,
                                    size_t stride, float *tile, int np)
{
    for (int p0 = 0; p0 < K; p0 += kc_block) {
        int kc = K - p0 < kc_block ? K - p0 : kc_block;
        __m512 acc[ROW_GROUP][2];
        const float *wk = w + (size_t)p0 * MATMUL_NR;
        #pragma GCC unroll 4
        for (int g = 0; g < np; g++)
            acc[g][0] = acc[g][1] = _mm512_setzero_ps();
        for (int k = p0; k < p0 + kc; k++, wk += MATMUL_NR) {
            /* multiply-add x[k] by row k of each panel of the group */
            __m512 xk = _mm512_set1_ps(x[k]);
            #pragma GCC unroll 4
            for (int g = 0; g < np; g++) {
                acc[g][0] = _mm512_fmadd_ps(xk, _mm512_load_ps(wk + g * stride), acc[g][0]);
                acc[g][1] = _mm512_fmadd_ps(xk, _mm512_load_ps(wk + g * stride + 16), acc[g][1]);
            }
        }
        /* add the block's accumulators to the group's tile */
        #pragma GCC unroll 4
        for (int g = 0; g < np; g++) {
            float *t = tile + g * MATMUL_NR;
            _mm512_storeu_ps(t, _mm512_add_ps(_mm512_loadu_ps(t), acc[g][0]));
            _mm512_storeu_ps(t + 16, _mm512_add_ps(_mm512_loadu_ps(t + 16), acc[g][1]));
        }
    }
}
#endif
/* matmul.c: the product of one row */
#ifdef MATMUL_X86_64
__attribute__((target("avx512f")))
static void row_avx512(int K, int kc_block, const float *x, const float *w,
                       size_t stride, float *tile, int np)
{
    switch (np) {
    case 4: row_group_avx512(K, kc_block, x, w, stride, tile, 4); break;
    case 3: row_group_avx512(K, kc_block, x, w, stride, tile, 3); break;
    case 2: row_group_avx512(K, kc_block, x, w, stride, tile, 2); break;
    default: row_group_avx512(K, kc_block, x, w, stride, tile, 1); break;
    }
}
#endif
/* matmul.c: the product of one row */
#ifdef MATMUL_X86_64
__attribute__((target("avx2,fma"), always_inline))
static inline void row_pair_avx2(int K, int kc_block, const float *x, const float *w,
                                 size_t stride, float *tile, int np)
{
    for (int p0 = 0; p0 < K; p0 += kc_block) {
        int kc = K - p0 < kc_block ? K - p0 : kc_block;
        __m256 acc[2][4];
        const float *wk = w + (size_t)p0 * MATMUL_NR;
        #pragma GCC unroll 2
        for (int g = 0; g < np; g++)
            for (int v = 0; v < 4; v++)
                acc[g][v] = _mm256_setzero_ps();
        for (int k = p0; k < p0 + kc; k++, wk += MATMUL_NR) {
            __m256 xk = _mm256_broadcast_ss(x + k);
            #pragma GCC unroll 2
            for (int g = 0; g < np; g++)
                #pragma GCC unroll 4
                for (int v = 0; v < 4; v++)
                    acc[g][v] = _mm256_fmadd_ps(xk, _mm256_load_ps(wk + g * stride + 8 * v),
                                                acc[g][v]);
        }
        #pragma GCC unroll 2
        for (int g = 0; g < np; g++)
            for (int v = 0; v < 4; v++) {
                float *t = tile + g * MATMUL_NR + 8 * v;
                _mm256_storeu_ps(t, _mm256_add_ps(_mm256_loadu_ps(t), acc[g][v]));
            }
    }
}

__attribute__((target("avx2,fma")))
static void row_avx2(int K, int kc_block, const float *x, const float *w,
                     size_t stride, float *tile, int np)
{
    for (int g = 0; g < np; g += 2) {
        if (np - g >= 2)
            row_pair_avx2(K, kc_block, x, w + g * stride, stride, tile + g * MATMUL_NR, 2);
        else
            row_pair_avx2(K, kc_block, x, w + g * stride, stride, tile + g * MATMUL_NR, 1);
    }
}
#endif
/* matmul.c: the product of one row */
static void row_portable(int K, int kc_block, const float *x, const float *w,
                         size_t stride, float *tile, int np)
{
    for (int p0 = 0; p0 < K; p0 += kc_block) {
        int kc = K - p0 < kc_block ? K - p0 : kc_block;
        float acc[ROW_GROUP][MATMUL_NR] = { { 0 } };
        for (int k = p0; k < p0 + kc; k++)
            for (int g = 0; g < np; g++) {
                const float *wk = w + g * stride + (size_t)k * MATMUL_NR;
                #pragma omp simd
                for (int i = 0; i < MATMUL_NR; i++)
                    acc[g][i] = fmaf(x[k], wk[i], acc[g][i]);
            }
        for (int g = 0; g < np; g++)
            for (int i = 0; i < MATMUL_NR; i++)
                tile[g * MATMUL_NR + i] += acc[g][i];
    }
}

static row_fn choose_row_kernel(enum matmul_kernel which)
{
#ifdef MATMUL_X86_64
    int best = which == MATMUL_KERNEL_BEST;
    if ((best || which == MATMUL_KERNEL_AVX512) && matmul_have_avx512())
        return row_avx512;
    if ((best || which == MATMUL_KERNEL_AVX2) && matmul_have_avx2())
        return row_avx2;
#endif
    (void)which;
    return row_portable;
}
/* matmul.c: the product of one row */
enum { ROW_MIN_THREADED = 1 << 16 }; /* floats of weights: 256 KiB */
void matmul_row_forward(float *out, const float *inp, const float *packed,
                        const float *bias, int C, int OC, enum matmul_kernel kernel)
{
    row_fn run = choose_row_kernel(kernel);
    int panels = (OC + MATMUL_NR - 1) / MATMUL_NR, kc_block = matmul_blocks()->kc;
    int threads = (size_t)C * OC < ROW_MIN_THREADED ? 1 : omp_get_max_threads();
    if (threads > panels)
        threads = panels;
    #pragma omp parallel num_threads(threads)
    {
        /* run the row kernel on this thread's panels, a group at a time */
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        int lo = (int)((long)panels * t / T), hi = (int)((long)panels * (t + 1) / T);
        size_t stride = (size_t)C * MATMUL_NR;
        for (int j = lo; j < hi; j += ROW_GROUP) {
            int np = hi - j < ROW_GROUP ? hi - j : ROW_GROUP, o0 = j * MATMUL_NR;
            int n = OC - o0 < np * MATMUL_NR ? OC - o0 : np * MATMUL_NR;
            float tile[ROW_GROUP * MATMUL_NR] = { 0 };
            for (int i = 0; bias && i < n; i++)
                tile[i] = bias[o0 + i];
            run(C, kc_block, inp, packed + (size_t)j * stride, stride, tile, np);
            memcpy(out + o0, tile, (size_t)n * sizeof(float));
        }
    }
}
/* matmul.c: sizes and checks */
int matmul_check_sizes(long M, long N, long K)
{
    const long max = MATMUL_MAX_DIM, limit = 1L << 31;
    if (M < 1 || N < 1 || K < 1 || M > max || N > max || K > max)
        return -1;
    if (M * K >= limit || K * N >= limit || M * N >= limit)
        return -1;
    return 0;
}
/* matmul.c: the peak rate */
enum { PEAK_CHAINS = 24, PEAK_CHAINS_AVX2 = 12 }; /* 32 and 16 registers */
#ifdef MATMUL_X86_64
__attribute__((target("avx512f")))
static float fma_chains_avx512(long iters)
{
    __m512 x[PEAK_CHAINS], a = _mm512_set1_ps(0.999f), one = _mm512_set1_ps(1.0f);
    for (int c = 0; c < PEAK_CHAINS; c++)
        x[c] = _mm512_set1_ps((float)c);
    for (long n = 0; n < iters; n++)
        #pragma GCC unroll 24
        for (int c = 0; c < PEAK_CHAINS; c++)
            x[c] = _mm512_fmadd_ps(x[c], a, one);
    float s = 0;
    for (int c = 0; c < PEAK_CHAINS; c++)
        s += _mm512_reduce_add_ps(x[c]);
    return s;
}
#endif
/* matmul.c: the peak rate */
#ifdef MATMUL_X86_64
__attribute__((target("avx2,fma")))
static float fma_chains_avx2(long iters)
{
    __m256 x[PEAK_CHAINS_AVX2], a = _mm256_set1_ps(0.999f), one = _mm256_set1_ps(1.0f);
    for (int c = 0; c < PEAK_CHAINS_AVX2; c++)
        x[c] = _mm256_set1_ps((float)c);
    for (long n = 0; n < iters; n++)
        #pragma GCC unroll 12
        for (int c = 0; c < PEAK_CHAINS_AVX2; c++)
            x[c] = _mm256_fmadd_ps(x[c], a, one);
    float lanes[8], s = 0;
    for (int c = 0; c < PEAK_CHAINS_AVX2; c++) {
        _mm256_storeu_ps(lanes, x[c]);
        for (int l = 0; l < 8; l++)
            s += lanes[l];
    }
    return s;
}
#endif
/* matmul.c: the peak rate */
static float fma_chains_portable(long iters)
{
    float x[PEAK_CHAINS], s = 0;
    for (int c = 0; c < PEAK_CHAINS; c++)
        x[c] = (float)c;
    for (long n = 0; n < iters; n++)
        for (int c = 0; c < PEAK_CHAINS; c++)
            x[c] = fmaf(x[c], 0.999f, 1.0f);
    for (int c = 0; c < PEAK_CHAINS; c++)
        s += x[c];
    return s;
}
/* matmul.c: the peak rate */
/* One thread's chains at the widest vectors this CPU has; *fmas gets the
   multiply-adds of one iteration, chains times lanes. */
static float fma_chains_widest(long iters, int *fmas)
{
#ifdef MATMUL_X86_64
    if (matmul_have_avx512())
        return *fmas = PEAK_CHAINS * 16, fma_chains_avx512(iters);
    if (matmul_have_avx2())
        return *fmas = PEAK_CHAINS_AVX2 * 8, fma_chains_avx2(iters);
#endif
    return *fmas = PEAK_CHAINS, fma_chains_portable(iters);
}
/* matmul.c: the peak rate */
double matmul_peak_gflops(int threads)
{
    const long iters = 1L << 22;
    double best = 0;
    int fmas = 1;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = omp_get_wtime();
        /* run the chains on every thread, each into its own slot of sink */
        static volatile float sink[256];
        #pragma omp parallel num_threads(threads)
        {
            int me = omp_get_thread_num() % 256, per_iteration;
            sink[me] = fma_chains_widest(iters, &per_iteration);
            #pragma omp master
            fmas = per_iteration;
        }
        (void)sink[0];
        double t = omp_get_wtime() - t0;
        double flops = 2.0 * fmas * (double)iters * threads;
        best = fmax(best, flops / t * 1e-9);
    }
    return best;
}
