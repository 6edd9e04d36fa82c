/* A whole training step of a network, for one floating type T.
 *
 * Included twice by _kernels.c, with T and SUFFIX defined, after _kernels_impl.h and
 * _blas_impl.h, whose loops and products it strings together in the order of the NumPy path
 * (scratchnet/nn/network.py MLP.forward and MLP.backward, training.py Trainer.step, the
 * optimizers' updates): forward, loss gradient, backward and update, each operation the same
 * as there, so the step is bitwise the NumPy path's. See the Net struct in _kernels.c.
 */

#define NAME_(base, suffix) base##_##suffix
#define NAME(base, suffix) NAME_(base, suffix)
#define CALL(base, ...) NAME(base, SUFFIX)(__VA_ARGS__)

/* acts[layer] (count,) <- f(z) for sigmoid or tanh through np.tanh itself (no other tanh is
 * bitwise NumPy's): sigmoid is (tanh(z / 2) + 1) / 2, as activations._sigmoid_forward writes
 * it. Returns -1 if np.tanh failed. */
static int NAME(smooth_forward, SUFFIX)(const Net *net, int layer, Py_ssize_t count, int kind)
{
    T *z = net->acts[layer];
    if (kind == SIGMOID)
        for (Py_ssize_t i = 0; i < count; i++) z[i] = z[i] * (T)0.5;
    if (numpy_tanh(net, layer) < 0) return -1;
    if (kind == SIGMOID)
        for (Py_ssize_t i = 0; i < count; i++) z[i] = (z[i] + (T)1) * (T)0.5;
    return 0;
}

/* Layer i's input to the next product: X for i = 0, else hidden layer i's output, after
 * dropout if it has dropout. */
static const T *NAME(layer_input, SUFFIX)(const Net *net, int i, const T *X)
{
    return i == 0 ? X : net->masks[i] ? net->dropped[i] : net->acts[i];
}

/* a (count,) <- a * mask, or out <- a * mask (np.multiply). */
static void NAME(times_mask, SUFFIX)(const T *a, const T *mask, T *out, Py_ssize_t count)
{
    for (Py_ssize_t j = 0; j < count; j++) out[j] = a[j] * mask[j];
}

/* The running statistics <- momentum running + (1 - momentum) batch (batchnorm.update_running). */
static void NAME(update_running, SUFFIX)(const Net *net)
{
    T *running = net->running, momentum = (T)net->bn_momentum;
    const T *batch = net->moments, rest = (T)(1.0 - net->bn_momentum);
    for (Py_ssize_t j = 0; j < net->n_moments; j++) running[j] = running[j] * momentum;
    for (Py_ssize_t j = 0; j < net->n_moments; j++) running[j] = running[j] + rest * batch[j];
}

/* The training forward pass of X (rows, sizes[0]): acts[i + 1] <- f_i(a_i @ W_i + b_i), the
 * output layer linear; a batch-normalized layer's product normalized before its bias (rows'
 * shares of the statistics, or NULL for equal ones) and the running statistics updated after
 * the pass; with dropout, each hidden layer's mask drawn for the rows' keys (rows,) and its
 * salt (salts, one per hidden layer) and applied into dropped. Returns -1 if np.tanh failed. */
static int NAME(net_forward, SUFFIX)(const Net *net, const T *X, const T *shares,
                                     const uint64_t *keys, const uint64_t *salts)
{
    T *params = net->params;
    for (int i = 1; i < net->n_layers && net->dropout; i++)
        if (net->masks[i])
            CALL(dropout_mask, net->masks[i], keys, net->rows, net->sizes[i], salts[i - 1],
                 net->thresholds[i], (T)net->keep_scales[i]);
    for (int i = 0; i < net->n_layers; i++) {
        Py_ssize_t fan_in = net->sizes[i], k = net->sizes[i + 1];
        const T *a = CALL(layer_input, net, i, X);
        T *z = net->acts[i + 1];
        Operand in = {(void *)a, fan_in, 1}, w = {params + net->weights[i], k, 1}, out = {z, k, 1};
        CALL(matmul, &in, &w, &out, net->rows, fan_in, k);
        int hidden = i < net->n_layers - 1, kind = hidden ? net->kinds[i] : IDENTITY;
        if (hidden && net->zhats[i + 1])
            CALL(batchnorm_forward, z, params + net->scales[i + 1], shares, (T)net->bn_epsilon,
                 net->zhats[i + 1], net->means[i + 1], net->vars[i + 1], net->inv_stds[i + 1],
                 net->rows, k);
        CALL(bias_activation, z, params + net->biases[i], net->rows, k, kind, net->slopes[i]);
        int smooth = kind == SIGMOID || kind == TANH;
        if (smooth && CALL(smooth_forward, net, i + 1, net->rows * k, kind) < 0) return -1;
        if (hidden && net->masks[i + 1])
            CALL(times_mask, z, net->masks[i + 1], net->dropped[i + 1], net->rows * k);
    }
    if (net->normalizes) CALL(update_running, net);
    return 0;
}

/* The loss of the output against y and its gradient, written over the output (as the
 * objectives' unweighted `step`): softmax cross-entropy (y intp class indices, *correct set)
 * or half the squared error (y (rows, k) of type T). Returns the mean loss. */
static double NAME(net_loss, SUFFIX)(const Net *net, const void *y, Py_ssize_t *correct)
{
    Py_ssize_t n = net->rows, k = net->sizes[net->n_layers];
    T *z = net->acts[net->n_layers];
    if (net->loss == SOFTMAX_CROSS_ENTROPY)
        return CALL(softmax_cross_entropy, z, y, z, n, k, net->exp_floor, correct);
    const T *target = y;
    for (Py_ssize_t i = 0; i < n * k; i++) z[i] = z[i] - target[i];
    double loss = (double)CALL(numpy_dot, z, 1, z, 1, n * k) / (double)(2 * n);
    for (Py_ssize_t i = 0; i < n * k; i++) z[i] = z[i] / (T)n;
    return loss;
}

/* Weight layer i's gradient from its input a (rows, sizes[i]) and delta (rows, sizes[i + 1]),
 * plus l2 W (MLP._weight_gradient); for plain SGD, the step taken inside that product. */
static void NAME(weight_gradient, SUFFIX)(const Net *net, int i, const T *a, const T *delta,
                                          double lr, double l2)
{
    Py_ssize_t fan_in = net->sizes[i], k = net->sizes[i + 1], n = net->rows;
    T *w = (T *)net->params + net->weights[i], *g = (T *)net->grads + net->weights[i];
    if (net->optimizer == PLAIN_SGD) {
        double shrink = 1.0 - lr * (net->weight_decay + l2);
        CALL(gemm, CBLAS_TRANS, CBLAS_NO_TRANS, fan_in, k, n, (T)-lr, a, fan_in, delta, k,
             (T)shrink, w, k);
        return;
    }
    Operand at = {(void *)a, 1, fan_in}, d = {(void *)delta, k, 1}, out = {g, k, 1};
    CALL(matmul, &at, &d, &out, fan_in, n, k);
    if (l2 != 0)
        for (Py_ssize_t j = 0; j < fan_in * k; j++) g[j] = g[j] + (T)l2 * w[j];
}

/* The optimizer's step on params[begin:end] (Optimizer.update): SGD with or without
 * (Nesterov) momentum, or Adam with bias-corrected rate lr_t; weights decay by `shrink`. */
static void NAME(net_update_part, SUFFIX)(const Net *net, Py_ssize_t begin, Py_ssize_t end,
                                          double lr, double lr_t, double shrink)
{
    T *p = (T *)net->params + begin, *g = (T *)net->grads + begin;
    T *s1 = net->state1 ? (T *)net->state1 + begin : NULL;
    T *s2 = net->state2 ? (T *)net->state2 + begin : NULL;
    if (net->optimizer == ADAM)
        CALL(adam_update, p, g, s1, s2, end - begin, 1.0 - net->beta_1, 1.0 - net->beta_2,
             net->epsilon, -lr_t, 0.0, shrink);
    else
        CALL(sgd_update, p, g, s1, end - begin, -lr, net->momentum,
             net->optimizer == NESTEROV, 0.0, shrink);
}

/* The factor decoupled weight decay shrinks the weights by at rate lr (Optimizer.update). */
static double NAME(weight_shrink, SUFFIX)(const Net *net, double lr)
{
    return net->weight_decay != 0 ? 1.0 - lr * net->weight_decay : 1.0;
}

/* The backward pass from the loss gradient in the output buffer: every bias (and scale)
 * gradient, and every weight gradient (or, for plain SGD, the weights' step; with
 * net->layerwise, the optimizer's step on each weight matrix as soon as its gradient is
 * written, as Trainer._backward_and_update takes it). `normalizer` is the n of the L2 penalty
 * alpha / n; `shares` as net_forward took them. */
static void NAME(net_backward, SUFFIX)(const Net *net, const T *X, const T *shares, double lr,
                                       double lr_t, double normalizer)
{
    int L = net->n_layers;
    Py_ssize_t n = net->rows;
    T *grads = net->grads, *delta = net->acts[L];
    double l2 = net->alpha / normalizer;
    CALL(column_sums, delta, n, net->sizes[L], grads + net->biases[L - 1]);
    for (int i = L - 1; i >= 0; i--) {
        Py_ssize_t fan_in = net->sizes[i], k = net->sizes[i + 1];
        T *previous = net->deltas[i];
        if (i > 0) { /* previous <- delta @ W_i.T, before W_i may change */
            Operand d = {delta, k, 1}, wt = {(T *)net->params + net->weights[i], 1, k};
            Operand out = {previous, fan_in, 1};
            CALL(matmul, &d, &wt, &out, n, k, fan_in);
            if (net->masks[i]) CALL(times_mask, previous, net->masks[i], previous, n * fan_in);
        }
        CALL(weight_gradient, net, i, CALL(layer_input, net, i, X), delta, lr, l2);
        if (net->layerwise && net->optimizer != PLAIN_SGD)
            CALL(net_update_part, net, net->weights[i], net->weights[i] + fan_in * k, lr, lr_t,
                 CALL(weight_shrink, net, lr));
        if (i == 0) break;
        CALL(activation_backward, net->acts[i], previous, grads + net->biases[i - 1], n, fan_in,
             net->kinds[i - 1], net->slopes[i - 1]);
        if (net->zhats[i])
            CALL(batchnorm_backward, previous, net->zhats[i], (T *)net->params + net->scales[i],
                 net->inv_stds[i], shares, (T)(1.0 / (double)n), grads + net->biases[i - 1],
                 grads + net->scales[i], n, fan_in);
        delta = previous;
    }
}

/* The update after the backward pass (Trainer._backward_and_update): the weights (unless
 * the backward pass stepped them: plain SGD, or layerwise), then the biases. */
static void NAME(net_update, SUFFIX)(const Net *net, double lr, double lr_t)
{
    if (net->optimizer != PLAIN_SGD && !net->layerwise)
        CALL(net_update_part, net, 0, net->n_weights, lr, lr_t, CALL(weight_shrink, net, lr));
    CALL(net_update_part, net, net->n_weights, net->n_params, lr, lr_t, 1.0);
}

/* Every full batch of an epoch (Step.epoch): batch b is rows [b * rows, (b + 1) * rows) of X
 * and y (and of the dropout keys), or those rows of `order` gathered into the buffers,
 * stepped at rate lrs[b] (Adam: lr_ts[b]) with the dropout salts of row b of salts
 * (n_batches, n_layers - 1) as Trainer.step steps it; sums[0] and sums[1] gain each batch's
 * loss and metric times its rows, as Trainer.epoch adds them. Returns -1 if np.tanh failed. */
static int NAME(net_epoch, SUFFIX)(const Net *net, const Batches *data, T *X_buffer,
                                   char *y_buffer, uint64_t *key_buffer, double sums[2])
{
    Py_ssize_t n = net->rows, n_0 = net->sizes[0], k = net->sizes[net->n_layers];
    int classes = net->loss == SOFTMAX_CROSS_ENTROPY;
    size_t y_row = classes ? sizeof(Py_ssize_t) : (size_t)k * sizeof(T);
    const T *X = data->X;
    const Py_ssize_t *order = data->order;
    for (Py_ssize_t b = 0; b < data->n_batches; b++) {
        const T *X_batch = X + b * n * n_0;
        const char *y_batch = (const char *)data->y + b * n * y_row;
        const uint64_t *keys = data->keys ? data->keys + b * n : NULL;
        if (order) { /* np.take(data, batch, axis=0, out=buffer): the same rows, copied */
            for (Py_ssize_t r = 0; r < n; r++) {
                Py_ssize_t row = order[b * n + r];
                memcpy(X_buffer + r * n_0, X + row * n_0, (size_t)n_0 * sizeof(T));
                memcpy(y_buffer + r * y_row, (const char *)data->y + row * y_row, y_row);
                if (keys) key_buffer[r] = data->keys[row];
            }
            X_batch = X_buffer;
            y_batch = y_buffer;
            keys = keys ? key_buffer : NULL;
        }
        const uint64_t *salts = data->salts ? data->salts + b * (net->n_layers - 1) : NULL;
        if (CALL(net_forward, net, X_batch, NULL, keys, salts) < 0) return -1;
        Py_ssize_t correct = 0;
        double loss = CALL(net_loss, net, y_batch, &correct);
        CALL(net_backward, net, X_batch, NULL, data->lrs[b], data->lr_ts[b], (double)n);
        CALL(net_update, net, data->lrs[b], data->lr_ts[b]);
        double metric = classes ? (double)correct / (double)n : 2.0 * loss / (double)k;
        sums[0] += loss * (double)n;
        sums[1] += metric * (double)n;
    }
    return 0;
}

#undef CALL
#undef NAME
#undef NAME_
