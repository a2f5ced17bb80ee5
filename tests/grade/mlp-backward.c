/* mlp-backward.c -- the hidden tests of Exercise 9.4: mlp_backward
   (book/06-mlp.nw), composed from matmul_backward and gelu_backward, against
   the numerical gradient of a float64 MLP. */
#include <math.h>
#include <string.h>
#include "mlp.h"
#include "numbers.h"
#include "numdiff.h"
#include "grade.h"

static double gelu_tanh64(double x)
{
    return 0.5 * x * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}

/* L = sum dy * MLP(x) in float64; variables [x | fcw | fcb | projw | projb]. */
struct mlp_loss { int BT, C; const double *dy; };

static double mlp_loss(const double *v, void *params)
{
    const struct mlp_loss *p = params;
    int BT = p->BT, C = p->C, H = 4 * C;
    const double *x = v, *fcw = x + BT * C, *fcb = fcw + H * C, *projw = fcb + H,
                 *projb = projw + C * H;
    double L = 0, *a = malloc((size_t)H * sizeof *a);
    for (int r = 0; r < BT; r++) {
        for (int i = 0; i < H; i++) {
            double h = fcb[i];
            for (int c = 0; c < C; c++) h += fcw[i * C + c] * x[r * C + c];
            a[i] = gelu_tanh64(h);
        }
        for (int o = 0; o < C; o++) {
            double y = projb[o];
            for (int i = 0; i < H; i++) y += projw[o * H + i] * a[i];
            L += p->dy[r * C + o] * y;
        }
    }
    free(a);
    return L;
}

enum { BT = 3, C = 4, H = 4 * C, NX = BT * C, NV = NX + H * C + H + C * H + C };

/* The book's forward pass, then the reader's backward pass into grad [NV],
   which starts at start. */
static void run(float grad[NV], float v[NV], float dy[NX], float start, unsigned long seed)
{
    float y[NX], h[BT * H], a[BT * H], da[BT * H], dh[BT * H];
    gsl_rng *rng = rng_create(seed);
    fill_normal(rng, v, NV, 0.5);
    fill_normal(rng, dy, NX, 1.0);
    gsl_rng_free(rng);
    float *x = v, *fcw = x + NX, *fcb = fcw + H * C, *projw = fcb + H, *projb = projw + C * H;
    for (int i = 0; i < NV; i++) grad[i] = start;
    ck_assert_int_eq(mlp_forward(y, h, a, x, fcw, fcb, projw, projb, BT, C), 0);
    float *g = grad;
    ck_assert_int_eq(mlp_backward(g, g + NX, g + NX + H * C, g + NX + H * C + H,
                                  g + NX + H * C + H + C * H, da, dh, dy, x, h, a,
                                  fcw, projw, BT, C), 0);
}

static void check_part(const float *grad, const double *num, size_t off, size_t n,
                       const char *name)
{
    double err = relative_max_error(grad + off, num + off, n, 1e-3);
    ck_assert_msg(err <= 1e-4, "%s is not the gradient (relative error %g)", name, err);
}

START_TEST(gradients_match_numerical_gradient)
{
    float v[NV], dy[NX], grad[NV];
    run(grad, v, dy, 0.0f, 91);
    double *v64 = grade_to_double(v, NV), *dy64 = grade_to_double(dy, NX), num[NV], abserr[NV];
    struct mlp_loss loss = { BT, C, dy64 };
    numerical_gradient(mlp_loss, v64, NV, &loss, 1e-3, num, abserr);
    check_part(grad, num, 0, NX, "dx");
    check_part(grad, num, NX, H * C, "dfcw");
    check_part(grad, num, NX + H * C, H, "dfcb");
    check_part(grad, num, NX + H * C + H, C * H, "dprojw");
    check_part(grad, num, NX + H * C + H + C * H, C, "dprojb");
    free(v64); free(dy64);
}
END_TEST

START_TEST(gradients_accumulate)
{
    float v[NV], dy[NX], fresh[NV], added[NV];
    run(fresh, v, dy, 0.0f, 92);
    run(added, v, dy, 1.0f, 92);
    for (int i = 0; i < NV; i++)
        ck_assert_double_le(fabs(added[i] - (1.0 + fresh[i])), 1e-5 * (1 + fabs(fresh[i])));
}
END_TEST

START_TEST(sizes_below_one_are_rejected)
{
    float z[64] = { 0 };
    ck_assert_int_eq(mlp_backward(z, z, z, z, z, z, z, z, z, z, z, z, z, -1, 4), -1);
    ck_assert_int_eq(mlp_backward(z, z, z, z, z, z, z, z, z, z, z, z, z, 1, 0), -1);
}
END_TEST

Suite *grade_suite(void)
{
    Suite *s = suite_create("mlp_backward");
    grade_add(s, "dx and the four parameter gradients are the numerical gradient",
              gradients_match_numerical_gradient);
    grade_add(s, "every gradient accumulates (+=), not overwrites", gradients_accumulate);
    grade_add(s, "sizes below one return -1", sizes_below_one_are_rejected);
    return s;
}
