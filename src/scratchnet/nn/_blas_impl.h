/* NumPy's matrix products, made through NumPy's own BLAS, for one floating type T.
 *
 * Included twice by _kernels.c, with T, SUFFIX and BLAS_INDEX (0 float, 1 double) defined.
 * np.matmul picks, by shape and strides, one of: cblas_?gemm, cblas_?gemv, its dot function
 * (cblas_?dot summed in double) or a plain loop (numpy/_core/src/umath/matmul.c.src). `matmul`
 * below makes the same choice with the same arguments for the operands a training step has
 * (C-contiguous matrices and their transposes), so its products are bitwise NumPy's. So does
 * `column_sums` for np.sum(a, axis=0): rows added in order from 0, or, for one column, NumPy's
 * pairwise summation.
 */

#define NAME_(base, suffix) base##_##suffix
#define NAME(base, suffix) NAME_(base, suffix)

typedef void (*NAME(gemm64_t, SUFFIX))(int, int, int, int64_t, int64_t, int64_t, T, const T *,
                                      int64_t, const T *, int64_t, T, T *, int64_t);
typedef void (*NAME(gemm32_t, SUFFIX))(int, int, int, int32_t, int32_t, int32_t, T, const T *,
                                      int32_t, const T *, int32_t, T, T *, int32_t);
typedef void (*NAME(gemv64_t, SUFFIX))(int, int, int64_t, int64_t, T, const T *, int64_t,
                                      const T *, int64_t, T, T *, int64_t);
typedef void (*NAME(gemv32_t, SUFFIX))(int, int, int32_t, int32_t, T, const T *, int32_t,
                                      const T *, int32_t, T, T *, int32_t);
typedef T (*NAME(dot64_t, SUFFIX))(int64_t, const T *, int64_t, const T *, int64_t);
typedef T (*NAME(dot32_t, SUFFIX))(int32_t, const T *, int32_t, const T *, int32_t);

/* The BLAS function `kind` (gemm, gemv, dot) of type T, called with the integer width of the
 * library (the caller keeps sizes below 2^31 for a 32-bit one). */
#define BLAS(kind, ...)                                                          \
    (blas_ilp64 ? ((NAME(kind##64_t, SUFFIX))blas_##kind[BLAS_INDEX])(__VA_ARGS__) \
                : ((NAME(kind##32_t, SUFFIX))blas_##kind[BLAS_INDEX])(__VA_ARGS__))

/* c (m, n) <- alpha op(a) @ op(b) + beta c, row-major: cblas_?gemm. */
static void NAME(gemm, SUFFIX)(int trans_a, int trans_b, Py_ssize_t m, Py_ssize_t n,
                               Py_ssize_t k, T alpha, const T *a, Py_ssize_t lda, const T *b,
                               Py_ssize_t ldb, T beta, T *c, Py_ssize_t ldc)
{
    BLAS(gemm, CBLAS_ROW_MAJOR, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* NumPy's ?dot of n elements at strides s1, s2 (> 0): cblas_?dot summed into a double. */
static T NAME(numpy_dot, SUFFIX)(const T *x, Py_ssize_t s1, const T *y, Py_ssize_t s2,
                                 Py_ssize_t n)
{
    double sum = 0.;
    sum += BLAS(dot, n, x, s1, y, s2);
    return (T)sum;
}

/* NumPy's gemv: out (m,) at stride so <- a (m, n) @ x (n,) at stride sx; a's strides sm, sn. */
static void NAME(numpy_gemv, SUFFIX)(const T *a, Py_ssize_t sm, Py_ssize_t sn, const T *x,
                                     Py_ssize_t sx, T *out, Py_ssize_t so, Py_ssize_t m,
                                     Py_ssize_t n)
{
    if (blasable2d(sm, sn, m, n))
        BLAS(gemv, CBLAS_COL_MAJOR, CBLAS_TRANS, n, m, (T)1, a, sm, x, sx, (T)0, out, so);
    else
        BLAS(gemv, CBLAS_ROW_MAJOR, CBLAS_TRANS, n, m, (T)1, a, sn, x, sx, (T)0, out, so);
}

/* NumPy's loop without BLAS: out = sum over k of a[i, k] b[k, j], from 0, in order. */
static void NAME(plain_matmul, SUFFIX)(const Operand *a, const Operand *b, const Operand *out,
                                       Py_ssize_t m, Py_ssize_t n, Py_ssize_t p)
{
    const T *x = a->data, *y = b->data;
    T *z = out->data;
    for (Py_ssize_t i = 0; i < m; i++)
        for (Py_ssize_t j = 0; j < p; j++) {
            T sum = 0;
            for (Py_ssize_t k = 0; k < n; k++)
                sum += x[i * a->s0 + k * a->s1] * y[k * b->s0 + j * b->s1];
            z[i * out->s0 + j * out->s1] = sum;
        }
}

/* NumPy's gemm for a matrix times a matrix, all three BLAS-able, out not transposed. */
static void NAME(numpy_gemm, SUFFIX)(const Operand *a, const Operand *b, const Operand *out,
                                     Py_ssize_t m, Py_ssize_t n, Py_ssize_t p)
{
    int trans_a = blasable2d(a->s0, a->s1, m, n) ? CBLAS_NO_TRANS : CBLAS_TRANS;
    int trans_b = blasable2d(b->s0, b->s1, n, p) ? CBLAS_NO_TRANS : CBLAS_TRANS;
    Py_ssize_t lda = trans_a == CBLAS_NO_TRANS ? a->s0 : a->s1;
    Py_ssize_t ldb = trans_b == CBLAS_NO_TRANS ? b->s0 : b->s1;
    NAME(gemm, SUFFIX)(trans_a, trans_b, m, p, n, (T)1, a->data, lda, b->data, ldb, (T)0,
                       out->data, out->s0);
}

/* out (m, p) <- a (m, n) @ b (n, p) exactly as np.matmul(a, b, out=out) computes it, for
 * operands that are C-contiguous or transposed C-contiguous (see Operand), a and b distinct. */
static void NAME(matmul, SUFFIX)(const Operand *a, const Operand *b, const Operand *out,
                                 Py_ssize_t m, Py_ssize_t n, Py_ssize_t p)
{
    int a_ok = blasable2d(a->s0, a->s1, m, n) || blasable2d(a->s1, a->s0, n, m);
    int b_ok = blasable2d(b->s0, b->s1, n, p) || blasable2d(b->s1, b->s0, p, n);
    if (m == 0 || n == 0 || p == 0) {
        NAME(plain_matmul, SUFFIX)(a, b, out, m, n, p);
    } else if (m == 1 && p == 1) {
        *(T *)out->data = NAME(numpy_dot, SUFFIX)(a->data, a->s1, b->data, b->s0, n);
    } else if (n == 1 && (p == 1 || m == 1)) {
        NAME(plain_matmul, SUFFIX)(a, b, out, m, n, p);
    } else if (m == 1 && b_ok && blasable2d(a->s1, 1, n, 1)) {
        NAME(numpy_gemv, SUFFIX)(b->data, b->s1, b->s0, a->data, a->s1, out->data, out->s1, p, n);
    } else if (p == 1 && a_ok && blasable2d(b->s0, 1, n, 1)) {
        NAME(numpy_gemv, SUFFIX)(a->data, a->s0, a->s1, b->data, b->s0, out->data, out->s0, m, n);
    } else if (m == 1 || n == 1 || p == 1) {
        NAME(plain_matmul, SUFFIX)(a, b, out, m, n, p);
    } else {
        NAME(numpy_gemm, SUFFIX)(a, b, out, m, n, p);
    }
}

/* NumPy's pairwise sum of n values at stride s (numpy/_core/src/umath/loops_utils.h.src). */
static T NAME(pairwise_sum, SUFFIX)(const T *a, Py_ssize_t n, Py_ssize_t s)
{
    if (n < 8) {
        T sum = -0.0;
        for (Py_ssize_t i = 0; i < n; i++) sum += a[i * s];
        return sum;
    }
    if (n <= 128) {
        T r[8], sum;
        Py_ssize_t i;
        for (int j = 0; j < 8; j++) r[j] = a[j * s];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++) r[j] += a[(i + j) * s];
        sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) sum += a[i * s];
        return sum;
    }
    Py_ssize_t half = n / 2;
    half -= half % 8;
    return NAME(pairwise_sum, SUFFIX)(a, half, s) +
           NAME(pairwise_sum, SUFFIX)(a + half * s, n - half, s);
}

/* out (k,) <- column sums of a (n, k), as np.sum(a, axis=0, out=out): from 0, rows in order;
 * one column is summed pairwise, as a vector. */
static void NAME(column_sums, SUFFIX)(const T *a, Py_ssize_t n, Py_ssize_t k, T *out)
{
    if (k == 1) {
        T sum = 0;
        sum += NAME(pairwise_sum, SUFFIX)(a, n, 1);
        out[0] = sum;
        return;
    }
    for (Py_ssize_t c = 0; c < k; c++) out[c] = 0;
    for (Py_ssize_t r = 0; r < n; r++)
        for (Py_ssize_t c = 0; c < k; c++) out[c] += a[r * k + c];
}

#undef BLAS
#undef NAME
#undef NAME_
