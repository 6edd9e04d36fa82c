/* The element-wise work of a training step, for one floating type T (float or double).
 *
 * Included twice by _kernels.c, with T, SUFFIX, EXP and LOG defined. Every loop does, element
 * by element, exactly the operations of the NumPy reference in scratchnet/nn/kernels.py, in the
 * same order and in type T (the file is compiled without floating-point contraction), so the
 * two agree bitwise wherever both round the same way: everywhere but exp and log in the loss.
 */

#define NAME_(base, suffix) base##_##suffix
#define NAME(base, suffix) NAME_(base, suffix)

#ifndef SPLITMIX_DEFINED
#define SPLITMIX_DEFINED
/* The finalizer of the splitmix64 generator: a bijection of 64-bit words that spreads every
 * input bit over the output. */
static inline uint64_t splitmix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL
#endif

/* Inverted dropout's mask (n, k): unit c of row r is kept (scale) when 53 bits of
 * splitmix64(keys[r] + salt + (c + 1) * golden) reach `threshold`, else dropped (0). */
static HOT void NAME(dropout_mask, SUFFIX)(T *mask, const uint64_t *keys, Py_ssize_t n,
                                           Py_ssize_t k, uint64_t salt, uint64_t threshold,
                                           T scale)
{
    for (Py_ssize_t r = 0; r < n; r++) {
        T *row = mask + r * k;
        uint64_t base = keys[r] + salt;
        for (Py_ssize_t c = 0; c < k; c++) {
            uint64_t bits = splitmix64(base + (uint64_t)(c + 1) * GOLDEN_GAMMA) >> 11;
            row[c] = bits >= threshold ? scale : (T)0;
        }
    }
}

/* z (n, k) <- f(z + b), b (k,), for the piecewise-linear activations; others get only + b. */
static HOT void NAME(bias_activation, SUFFIX)(T *z, const T *b, Py_ssize_t n, Py_ssize_t k,
                                              int kind, T slope)
{
    for (Py_ssize_t r = 0; r < n; r++) {
        T *row = z + r * k;
        if (kind == RELU) {
            for (Py_ssize_t c = 0; c < k; c++) {
                T v = row[c] + b[c];
                row[c] = v < 0 ? (T)0 : v; /* a NaN stays NaN, as in np.maximum */
            }
        } else if (kind == LEAKY_RELU) {
            for (Py_ssize_t c = 0; c < k; c++) {
                T v = row[c] + b[c];
                row[c] = v * (v < 0 ? slope : (T)1); /* v * 1 is v, NaN included */
            }
        } else {
            for (Py_ssize_t c = 0; c < k; c++) row[c] += b[c];
        }
    }
}

/* d (n, k) <- d * f'(z) written from the output a = f(z); bias_grad (k,) <- column sums of d. */
static HOT void NAME(activation_backward, SUFFIX)(const T *a, T *d, T *bias_grad, Py_ssize_t n,
                                              Py_ssize_t k, int kind, T slope)
{
    for (Py_ssize_t r = 0; r < n; r++) {
        const T *ar = a + r * k;
        T *dr = d + r * k;
        switch (kind) {
        case RELU:
            for (Py_ssize_t c = 0; c < k; c++) dr[c] *= (T)(ar[c] > 0);
            break;
        case LEAKY_RELU:
            for (Py_ssize_t c = 0; c < k; c++) dr[c] *= ar[c] > 0 ? (T)1 : slope;
            break;
        case SIGMOID:
            for (Py_ssize_t c = 0; c < k; c++) {
                T v = dr[c] * ar[c];
                dr[c] = v * ((T)1 - ar[c]);
            }
            break;
        case TANH:
            for (Py_ssize_t c = 0; c < k; c++) dr[c] *= (T)1 - ar[c] * ar[c];
            break;
        default: /* identity */
            break;
        }
        if (r == 0)
            for (Py_ssize_t c = 0; c < k; c++) bias_grad[c] = dr[c];
        else
            for (Py_ssize_t c = 0; c < k; c++) bias_grad[c] += dr[c];
    }
}

/* Mean cross-entropy of softmax(logits) against class indices y; grad <- (softmax - onehot) / n.
 * grad may be logits itself. Returns the loss; *correct counts rows whose argmax is y. */
static double NAME(softmax_cross_entropy, SUFFIX)(const T *logits, const Py_ssize_t *y, T *grad,
                                                  Py_ssize_t n, Py_ssize_t k, T exp_floor,
                                                  Py_ssize_t *correct)
{
    double loss = 0.0;
    Py_ssize_t hits = 0;
    for (Py_ssize_t r = 0; r < n; r++) {
        const T *lr = logits + r * k;
        T *gr = grad + r * k;
        Py_ssize_t best = 0;
        for (Py_ssize_t c = 1; c < k; c++)
            if (lr[c] > lr[best]) best = c;
        hits += best == y[r];
        T top = lr[best], sum = 0, true_shifted = lr[y[r]] - top;
        for (Py_ssize_t c = 0; c < k; c++) {
            T shifted = lr[c] - top;
            gr[c] = EXP(shifted < exp_floor ? exp_floor : shifted);
            sum += gr[c];
        }
        loss += (double)(LOG(sum) - true_shifted);
        for (Py_ssize_t c = 0; c < k; c++) gr[c] /= sum;
        gr[y[r]] -= (T)1;
        for (Py_ssize_t c = 0; c < k; c++) gr[c] /= (T)n;
    }
    *correct = hits;
    return loss / (double)n;
}

/* SGD: g <- -lr g; then p += g, or with momentum v <- mu v + g and p += v (Nesterov:
 * p += g + mu v). */
static HOT void NAME(sgd_update, SUFFIX)(T *p, T *g, T *v, Py_ssize_t size, T neg_lr, T mu,
                                         int nesterov)
{
    if (!v) {
        for (Py_ssize_t i = 0; i < size; i++) p[i] += g[i] * neg_lr;
    } else if (nesterov) {
        for (Py_ssize_t i = 0; i < size; i++) {
            T step = g[i] * neg_lr;
            v[i] = v[i] * mu + step;
            T head = p[i] + step;
            p[i] = head + mu * v[i];
        }
    } else {
        for (Py_ssize_t i = 0; i < size; i++) {
            v[i] = v[i] * mu + g[i] * neg_lr;
            p[i] += v[i];
        }
    }
}

/* Adam: m += (1-b1)(g - m); v += (1-b2)(g^2 - v); p += -lr_t m / (sqrt(v) + eps). */
static HOT void NAME(adam_update, SUFFIX)(T *p, const T *g, T *m, T *v, Py_ssize_t size, T one_b1,
                                      T one_b2, T eps, T neg_lr_t)
{
    for (Py_ssize_t i = 0; i < size; i++) {
        T mi = m[i] + (g[i] - m[i]) * one_b1;
        T vi = v[i] + (g[i] * g[i] - v[i]) * one_b2;
        m[i] = mi;
        v[i] = vi;
        T step = mi / (SQRT(vi) + eps);
        p[i] += step * neg_lr_t;
    }
}

#undef NAME
#undef NAME_
