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
#define UNIT_MULTIPLIER 0xd6e8feb86659fd93ULL
#endif

/* Inverted dropout's mask (n, k): row r's word is splitmix64(keys[r] + salt); unit c is kept
 * (scale) when 53 bits of a one-multiply mix of word + (c + 1) * golden reach `threshold`, else
 * dropped (0). */
static HOT void NAME(dropout_mask, SUFFIX)(T *mask, const uint64_t *keys, Py_ssize_t n,
                                           Py_ssize_t k, uint64_t salt, uint64_t threshold,
                                           T scale)
{
    for (Py_ssize_t r = 0; r < n; r++) {
        T *row = mask + r * k;
        uint64_t word = splitmix64(keys[r] + salt);
        for (Py_ssize_t c = 0; c < k; c++) {
            uint64_t x = word + (uint64_t)(c + 1) * GOLDEN_GAMMA;
            x = (x ^ (x >> 32)) * UNIT_MULTIPLIER;
            x ^= x >> 29;
            row[c] = (x >> 11) >= threshold ? scale : (T)0;
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

/* Batch normalization, training mode, for z (n, k): mean and var (k,) are the column means of
 * z and of (z - mean)^2, weighted by the shares p (n,), or plain (p NULL: sums over n);
 * inv_std <- 1 / sqrt(var + eps); zhat <- (z - mean) inv_std; z <- gamma zhat. */
static HOT void NAME(batchnorm_forward, SUFFIX)(T *z, const T *gamma, const T *p, T eps, T *zhat,
                                                T *mean, T *var, T *inv_std, Py_ssize_t n,
                                                Py_ssize_t k)
{
    for (Py_ssize_t r = 0; r < n; r++) {
        const T *zr = z + r * k;
        for (Py_ssize_t c = 0; c < k; c++) {
            T v = p ? zr[c] * p[r] : zr[c];
            mean[c] = r == 0 ? v : mean[c] + v;
        }
    }
    if (!p)
        for (Py_ssize_t c = 0; c < k; c++) mean[c] /= (T)n;
    for (Py_ssize_t r = 0; r < n; r++) {
        const T *zr = z + r * k;
        T *hr = zhat + r * k;
        for (Py_ssize_t c = 0; c < k; c++) {
            hr[c] = zr[c] - mean[c];
            T square = hr[c] * hr[c];
            if (p) square *= p[r];
            var[c] = r == 0 ? square : var[c] + square;
        }
    }
    for (Py_ssize_t c = 0; c < k; c++) {
        if (!p) var[c] /= (T)n;
        inv_std[c] = (T)1 / SQRT(var[c] + eps);
    }
    for (Py_ssize_t r = 0; r < n; r++) {
        T *zr = z + r * k, *hr = zhat + r * k;
        for (Py_ssize_t c = 0; c < k; c++) {
            hr[c] *= inv_std[c];
            zr[c] = hr[c] * gamma[c];
        }
    }
}

/* Batch normalization's backward pass, d (n, k) = dL/dy in, dL/dz out: dgamma (k,) <- column
 * sums of d zhat; d <- (d - share (zhat dgamma + dbeta)) gamma inv_std, share p[r] or
 * `share` (1/n) when p is NULL; dbeta (k,) holds the column sums of dL/dy already. */
static HOT void NAME(batchnorm_backward, SUFFIX)(T *d, const T *zhat, const T *gamma,
                                                 const T *inv_std, const T *p, T share,
                                                 const T *dbeta, T *dgamma, Py_ssize_t n,
                                                 Py_ssize_t k)
{
    for (Py_ssize_t r = 0; r < n; r++) {
        const T *dr = d + r * k, *hr = zhat + r * k;
        for (Py_ssize_t c = 0; c < k; c++) {
            T v = dr[c] * hr[c];
            dgamma[c] = r == 0 ? v : dgamma[c] + v;
        }
    }
    for (Py_ssize_t r = 0; r < n; r++) {
        T *dr = d + r * k;
        const T *hr = zhat + r * k;
        T s = p ? p[r] : share;
        for (Py_ssize_t c = 0; c < k; c++) {
            T correction = hr[c] * dgamma[c];
            correction = correction + dbeta[c];
            correction = correction * s;
            dr[c] = (dr[c] - correction) * (gamma[c] * inv_std[c]);
        }
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

/* sums (k,) <- per column, the sum over rows of ((double)a - (double)b)^2, a and b (n, k): a
 * regressor's squared errors, rows added in order (as NumPy's column sum of a C array). */
static HOT void NAME(squared_error_sums, SUFFIX)(const T *a, const T *b, Py_ssize_t n,
                                                 Py_ssize_t k, double *sums)
{
    for (Py_ssize_t c = 0; c < k; c++) sums[c] = 0.0;
    for (Py_ssize_t r = 0; r < n; r++) {
        const T *ar = a + r * k, *br = b + r * k;
        for (Py_ssize_t c = 0; c < k; c++) {
            double d = (double)ar[c] - (double)br[c];
            sums[c] += d * d;
        }
    }
}

/* The penalties before an update, in place for one element: g += l2 p (the L2 term of the
 * gradient, l2 0: none), then p *= shrink (decoupled weight decay, shrink 1: none). */
#define PENALIZE(g, p, l2, shrink)                   \
    do {                                             \
        if (l2 != 0) (g) = (g) + (l2) * (p);         \
        if (shrink != 1) (p) = (p) * (shrink);       \
    } while (0)

/* SGD after the penalties: g <- -lr g; then p += g, or with momentum v <- mu v + g and p += v
 * (Nesterov: p += g + mu v). */
static HOT void NAME(sgd_update, SUFFIX)(T *p, T *g, T *v, Py_ssize_t size, T neg_lr, T mu,
                                         int nesterov, T l2, T shrink)
{
    for (Py_ssize_t i = 0; i < size; i++) {
        T gi = g[i], pi = p[i];
        PENALIZE(gi, pi, l2, shrink);
        T step = gi * neg_lr;
        if (!v) {
            p[i] = pi + step;
        } else if (nesterov) {
            v[i] = v[i] * mu + step;
            T head = pi + step;
            p[i] = head + mu * v[i];
        } else {
            v[i] = v[i] * mu + step;
            p[i] = pi + v[i];
        }
    }
}

/* Adam after the penalties: m += (1-b1)(g - m); v += (1-b2)(g^2 - v);
 * p += -lr_t m / (sqrt(v) + eps). */
static HOT void NAME(adam_update, SUFFIX)(T *p, const T *g, T *m, T *v, Py_ssize_t size, T one_b1,
                                      T one_b2, T eps, T neg_lr_t, T l2, T shrink)
{
    for (Py_ssize_t i = 0; i < size; i++) {
        T gi = g[i], pi = p[i];
        PENALIZE(gi, pi, l2, shrink);
        T mi = m[i] + (gi - m[i]) * one_b1;
        T vi = v[i] + (gi * gi - v[i]) * one_b2;
        m[i] = mi;
        v[i] = vi;
        T step = mi / (SQRT(vi) + eps);
        p[i] = pi + step * neg_lr_t;
    }
}

#undef PENALIZE
#undef NAME
#undef NAME_
