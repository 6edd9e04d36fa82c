/* The compiled training step as a Python object: make_step(...) -> Step, holding a Net over
 * the network's arrays (_kernels.c), with run (the whole step), forward and backward (around
 * an objective computed in Python), and epoch (run on every full batch of an epoch). Included
 * once by _kernels.c; scratchnet/nn/onestep.py is the only caller.
 */

typedef struct {
    PyObject_HEAD
    Net net;
    PyObject *arrays; /* the arrays net points into, kept alive */
} StepObject;

#define NET_CALL(net, function, ...) \
    ((net)->type == 'f' ? function##_f(net, __VA_ARGS__) : function##_d(net, __VA_ARGS__))

/* The data pointer of a C-contiguous float array of the net's type with `size` elements (any
 * number of dimensions), or NULL with an exception set. */
static void *array_data(const Net *net, PyObject *obj, Py_ssize_t size, const char *name)
{
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0)
        return NULL;
    void *data = view.buf;
    if (element_type(&view) != net->type || view.len / view.itemsize != size) {
        PyErr_Format(PyExc_ValueError, "%s must hold %zd elements of the network's dtype", name,
                     size);
        data = NULL;
    }
    PyBuffer_Release(&view); /* the array stays alive in StepObject.arrays */
    return data;
}

/* Layer sizes, activation kinds and slopes from tuples; offsets of the weights and biases. */
static int read_layers(Net *net, PyObject *sizes, PyObject *kinds, PyObject *slopes)
{
    Py_ssize_t L = PyTuple_Size(sizes) - 1;
    if (L < 1 || L > MAX_LAYERS || PyTuple_Size(kinds) != L - 1 || PyTuple_Size(slopes) != L - 1) {
        PyErr_SetString(PyExc_ValueError, "make_step: 2 to MAX_LAYERS + 1 sizes, a kind and a "
                                          "slope per hidden layer");
        return 0;
    }
    net->n_layers = (int)L;
    for (Py_ssize_t i = 0; i <= L; i++) {
        net->sizes[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(sizes, i));
        if (i < L - 1) {
            net->kinds[i] = PyLong_AsLong(PyTuple_GET_ITEM(kinds, i));
            net->slopes[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(slopes, i));
        }
    }
    net->slopes[L - 1] = 0.0;
    Py_ssize_t offset = 0;
    for (Py_ssize_t i = 0; i < L; i++) {
        net->weights[i] = offset;
        offset += net->sizes[i] * net->sizes[i + 1];
    }
    net->n_weights = offset;
    for (Py_ssize_t i = 0; i < L; i++) {
        net->biases[i] = offset;
        offset += net->sizes[i + 1];
    }
    net->n_params = offset;
    return !PyErr_Occurred();
}

/* The network's arrays: params, grads, optimizer state (or None), the layers' outputs and
 * the hidden layers' deltas (tuples of (rows, size) arrays). */
static int read_arrays(Net *net, PyObject *const *args)
{
    PyObject *acts = args[4], *deltas = args[5];
    int L = net->n_layers;
    if (!PyTuple_Check(acts) || !PyTuple_Check(deltas) || PyTuple_Size(acts) != L ||
        PyTuple_Size(deltas) != L - 1) {
        PyErr_SetString(PyExc_ValueError, "make_step: L outputs and L - 1 deltas");
        return 0;
    }
    if (!(net->params = array_data(net, args[0], net->n_params, "params")) ||
        !(net->grads = array_data(net, args[1], net->n_params, "grads")))
        return 0;
    void **state[2] = {&net->state1, &net->state2};
    for (int s = 0; s < 2; s++) {
        *state[s] = NULL;
        if (args[2 + s] != Py_None && !(*state[s] = array_data(net, args[2 + s], net->n_params,
                                                               "optimizer state")))
            return 0;
    }
    for (int i = 1; i <= L; i++) {
        Py_ssize_t size = net->rows * net->sizes[i];
        net->act_arrays[i] = PyTuple_GET_ITEM(acts, i - 1);
        if (!(net->acts[i] = array_data(net, net->act_arrays[i], size, "outputs")) ||
            (i < L &&
             !(net->deltas[i] = array_data(net, PyTuple_GET_ITEM(deltas, i - 1), size, "deltas"))))
            return 0;
    }
    return 1;
}

/* The settings: optimizer and loss codes, then momentum, beta_1, beta_2, epsilon,
 * weight_decay, alpha (the L2 penalty), the softmax's exp floor and layerwise (nonzero: update
 * each weight matrix in the backward pass) from a tuple; np.tanh, needed by sigmoid and tanh
 * layers, or None. */
static int read_settings(Net *net, PyObject *const *args)
{
    int smooth = 0;
    for (int i = 0; i < net->n_layers - 1; i++)
        smooth |= net->kinds[i] == SIGMOID || net->kinds[i] == TANH;
    net->tanh = args[12] == Py_None ? NULL : args[12];
    if (smooth && !net->tanh) {
        PyErr_SetString(PyExc_ValueError, "make_step: sigmoid and tanh layers need np.tanh");
        return 0;
    }
    net->optimizer = PyLong_AsLong(args[9]);
    net->loss = PyLong_AsLong(args[10]);
    double *values[8] = {&net->momentum,     &net->beta_1, &net->beta_2,    &net->epsilon,
                         &net->weight_decay, &net->alpha,  &net->exp_floor, &net->layerwise};
    if (!PyTuple_Check(args[11]) || PyTuple_Size(args[11]) != 8) {
        PyErr_SetString(PyExc_ValueError, "make_step: 8 settings");
        return 0;
    }
    for (int i = 0; i < 8; i++) *values[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(args[11], i));
    if (PyErr_Occurred()) return 0;
    if (net->optimizer < PLAIN_SGD || net->optimizer > ADAM || net->loss < 0 || net->loss > 1 ||
        (net->optimizer != PLAIN_SGD && !net->state1) || (net->optimizer == ADAM && !net->state2)) {
        PyErr_SetString(PyExc_ValueError, "make_step: bad optimizer, loss or optimizer state");
        return 0;
    }
    return 1;
}

/* Dropout: None, or (masks, dropped, thresholds, keep_scales), tuples with an entry per hidden
 * layer: its mask and dropped-output arrays (rows, size), or None for a layer without. */
static int read_dropout(Net *net, PyObject *obj)
{
    int L = net->n_layers;
    net->dropout = 0;
    for (int i = 0; i <= MAX_LAYERS; i++) net->masks[i] = net->dropped[i] = NULL;
    if (obj == Py_None) return 1;
    PyObject *parts[4];
    int sized = PyTuple_Check(obj) && PyTuple_Size(obj) == 4;
    for (int j = 0; sized && j < 4; j++) {
        parts[j] = PyTuple_GET_ITEM(obj, j);
        sized = PyTuple_Check(parts[j]) && PyTuple_Size(parts[j]) == L - 1;
    }
    if (!sized) {
        PyErr_SetString(PyExc_ValueError, "make_step: dropout is None or 4 tuples of L - 1");
        return 0;
    }
    for (int i = 1; i < L; i++) {
        PyObject *mask = PyTuple_GET_ITEM(parts[0], i - 1);
        if (mask == Py_None) continue;
        Py_ssize_t size = net->rows * net->sizes[i];
        if (!(net->masks[i] = array_data(net, mask, size, "dropout masks")) ||
            !(net->dropped[i] = array_data(net, PyTuple_GET_ITEM(parts[1], i - 1), size,
                                           "dropped outputs")))
            return 0;
        net->thresholds[i] = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(parts[2], i - 1));
        net->keep_scales[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(parts[3], i - 1));
        net->dropout = 1;
    }
    return !PyErr_Occurred();
}

/* Batch normalization's layout, before the arrays are read: None, or (stats, running, moments,
 * epsilon, momentum) with stats an entry per hidden layer, None or (zhat, mean, var, inv_std).
 * The scales follow the biases in params, layer by layer. */
static int read_norm_layout(Net *net, PyObject *obj)
{
    int L = net->n_layers;
    net->normalizes = 0;
    for (int i = 0; i <= MAX_LAYERS; i++) net->zhats[i] = NULL;
    if (obj == Py_None) return 1;
    PyObject *stats = PyTuple_Check(obj) && PyTuple_Size(obj) == 5 ? PyTuple_GET_ITEM(obj, 0)
                                                                     : NULL;
    if (!stats || !PyTuple_Check(stats) || PyTuple_Size(stats) != L - 1) {
        PyErr_SetString(PyExc_ValueError, "make_step: batch_norm is None or 5 items, the "
                                          "first a tuple of L - 1");
        return 0;
    }
    Py_ssize_t moments = 0;
    for (int i = 1; i < L; i++) {
        if (PyTuple_GET_ITEM(stats, i - 1) == Py_None) continue;
        net->scales[i] = net->n_params;
        net->n_params += net->sizes[i];
        moments += 2 * net->sizes[i];
        net->normalizes = 1;
    }
    net->n_moments = moments;
    net->bn_epsilon = PyFloat_AsDouble(PyTuple_GET_ITEM(obj, 3));
    net->bn_momentum = PyFloat_AsDouble(PyTuple_GET_ITEM(obj, 4));
    return !PyErr_Occurred();
}

/* Batch normalization's arrays (see read_norm_layout), after the layout. */
static int read_norm_arrays(Net *net, PyObject *obj)
{
    if (!net->normalizes) return 1;
    PyObject *stats = PyTuple_GET_ITEM(obj, 0);
    if (!(net->running = array_data(net, PyTuple_GET_ITEM(obj, 1), net->n_moments, "running")) ||
        !(net->moments = array_data(net, PyTuple_GET_ITEM(obj, 2), net->n_moments, "moments")))
        return 0;
    for (int i = 1; i < net->n_layers; i++) {
        PyObject *layer = PyTuple_GET_ITEM(stats, i - 1);
        if (layer == Py_None) continue;
        Py_ssize_t k = net->sizes[i];
        void **vectors[3] = {&net->means[i], &net->vars[i], &net->inv_stds[i]};
        if (!PyTuple_Check(layer) || PyTuple_Size(layer) != 4 ||
            !(net->zhats[i] = array_data(net, PyTuple_GET_ITEM(layer, 0), net->rows * k, "zhat")))
            return 0;
        for (int j = 0; j < 3; j++)
            if (!(*vectors[j] = array_data(net, PyTuple_GET_ITEM(layer, j + 1), k, "statistics")))
                return 0;
    }
    return 1;
}

static PyTypeObject StepType;

PyDoc_STRVAR(make_step_doc,
             "make_step(params, grads, state1, state2, outputs, deltas, sizes, kinds, slopes,\n"
             "          optimizer, loss, settings, tanh, dropout, batch_norm) -> Step\n\n"
             "The compiled training step of a network over its arrays, for batches of\n"
             "outputs[0].shape[0] rows (see scratchnet.nn.onestep).");

static PyObject *make_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!check_args(nargs, 15, "make_step")) return NULL;
    StepObject *step = PyObject_New(StepObject, &StepType);
    if (!step) return NULL;
    step->arrays = PyTuple_New(9);
    for (int i = 0; i < 6 && step->arrays; i++)
        PyTuple_SET_ITEM(step->arrays, i, Py_NewRef(args[i]));
    for (int i = 12; i < 15 && step->arrays; i++)
        PyTuple_SET_ITEM(step->arrays, i - 6, Py_NewRef(args[i]));
    Net *net = &step->net;
    Py_buffer view;
    if (!step->arrays || PyObject_GetBuffer(args[0], &view, PyBUF_FORMAT) < 0) goto fail;
    net->type = element_type(&view);
    PyBuffer_Release(&view);
    PyObject *first = PyTuple_Check(args[4]) && PyTuple_Size(args[4]) > 0
                          ? PyTuple_GET_ITEM(args[4], 0)
                          : NULL;
    if ((net->type != 'f' && net->type != 'd') || !first ||
        PyObject_GetBuffer(first, &view, PyBUF_ND) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "make_step: float32 or float64");
        goto fail;
    }
    net->rows = view.ndim == 2 ? view.shape[0] : 0;
    PyBuffer_Release(&view);
    if (!read_layers(net, args[6], args[7], args[8]) || !read_norm_layout(net, args[14]) ||
        !read_arrays(net, args) || !read_settings(net, args) || !read_dropout(net, args[13]) ||
        !read_norm_arrays(net, args[14]))
        goto fail;
    int t = net->type == 'd';
    if (!blas_gemm[t] || !blas_gemv[t] || !blas_dot[t]) {
        PyErr_SetString(PyExc_RuntimeError, "make_step: NumPy's BLAS is not set (use_blas)");
        goto fail;
    }
    return (PyObject *)step;
fail:
    Py_DECREF(step);
    return NULL;
}

static void step_dealloc(StepObject *step)
{
    Py_XDECREF(step->arrays);
    PyObject_Free(step);
}

/* X's data if it is a C-contiguous (rows, sizes[0]) array of the net's type, else NULL with
 * an exception set. */
static const void *input_data(const Net *net, Arrays *arrays, PyObject *obj)
{
    Py_buffer *X = get_array(arrays, obj, 2, 0, "X");
    if (!X) return NULL;
    if (element_type(X) != net->type || X->shape[0] != net->rows || X->shape[1] != net->sizes[0]) {
        PyErr_SetString(PyExc_ValueError, "X must be (rows, n_inputs) of the network's dtype");
        return NULL;
    }
    return X->buf;
}

/* y's data: class indices (rows,) intp in range, or targets (rows, n_outputs) of the net's type;
 * else NULL with an exception set. */
static const void *target_data(const Net *net, Arrays *arrays, PyObject *obj)
{
    Py_ssize_t k = net->sizes[net->n_layers];
    int classes = net->loss == SOFTMAX_CROSS_ENTROPY;
    Py_buffer *y = get_array(arrays, obj, classes ? 1 : 2, 0, "y");
    if (!y) return NULL;
    if (element_type(y) != (classes ? 'n' : net->type) || y->shape[0] != net->rows ||
        (!classes && y->shape[1] != k)) {
        PyErr_SetString(PyExc_ValueError, "y must be intp class indices (rows,) or targets "
                                          "(rows, n_outputs) of the network's dtype");
        return NULL;
    }
    for (Py_ssize_t r = 0; classes && r < net->rows; r++) {
        Py_ssize_t label = ((const Py_ssize_t *)y->buf)[r];
        if (label < 0 || label >= k) {
            PyErr_Format(PyExc_IndexError, "class index %zd out of range [0, %zd)", label, k);
            return NULL;
        }
    }
    return y->buf;
}

/* A call's dropout keys (count,) and salts (salt_rows, n_layers - 1 hidden layers), uint64,
 * salts of `salt_dims` dimensions: NULL for a network without dropout, which takes None for
 * both. 0 with an exception set if they are not what the network needs. */
static int dropout_inputs(const Net *net, Arrays *arrays, PyObject *const *objs, int salt_dims,
                          Py_ssize_t count, Py_ssize_t salt_rows, const uint64_t *out[2])
{
    out[0] = out[1] = NULL;
    if (!net->dropout) {
        if (objs[0] == Py_None && objs[1] == Py_None) return 1;
        PyErr_SetString(PyExc_ValueError, "keys and salts are None without dropout");
        return 0;
    }
    Py_buffer *keys = get_array(arrays, objs[0], 1, 0, "keys"), *salts;
    if (!keys || !(salts = get_array(arrays, objs[1], salt_dims, 0, "salts"))) return 0;
    if (element_type(keys) != 'u' || element_type(salts) != 'u') {
        PyErr_SetString(PyExc_TypeError, "keys and salts must be uint64 arrays");
        return 0;
    }
    if (!check_size(keys, count, "keys") ||
        !check_size(salts, salt_rows * (net->n_layers - 1), "salts"))
        return 0;
    out[0] = keys->buf, out[1] = salts->buf;
    return 1;
}

PyDoc_STRVAR(step_run_doc,
             "run(X, y, lr, lr_t, keys, salts) -> (loss, n_correct)\n\n"
             "One training step on the batch X (rows, n_0), y: forward, the loss and its\n"
             "gradient, backward, the update at rate lr (Adam: bias-corrected rate lr_t).\n"
             "With dropout, the rows' keys (rows,) and the step's salts (one per hidden layer),\n"
             "uint64; else None. n_correct: rows whose largest output is the class (softmax).");

static PyObject *step_run(StepObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    const Net *net = &self->net;
    if (!check_args(nargs, 6, "run")) return NULL;
    double lr = PyFloat_AsDouble(args[2]), lr_t = PyFloat_AsDouble(args[3]), loss;
    const void *X, *y;
    const uint64_t *dropout[2];
    if (PyErr_Occurred() || !(X = input_data(net, &arrays, args[0])) ||
        !(y = target_data(net, &arrays, args[1])) ||
        !dropout_inputs(net, &arrays, args + 4, 1, net->rows, 1, dropout))
        return finish(&arrays, NULL);
    Py_ssize_t correct = 0;
    PyThreadState *released = net->tanh ? NULL : PyEval_SaveThread(); /* np.tanh needs the GIL */
    int failed = NET_CALL(net, net_forward, X, NULL, dropout[0], dropout[1]) < 0;
    if (!failed) {
        loss = NET_CALL(net, net_loss, y, &correct);
        NET_CALL(net, net_backward, X, NULL, lr, lr_t, (double)net->rows);
        NET_CALL(net, net_update, lr, lr_t);
    }
    if (released) PyEval_RestoreThread(released);
    return finish(&arrays, failed ? NULL : Py_BuildValue("(dn)", loss, correct));
}

/* The rows' shares (rows,) of batch normalization's statistics, or None (NULL): equal ones.
 * 0 with an exception set if obj is neither. */
static int shares_data(const Net *net, Arrays *arrays, PyObject *obj, const void **shares)
{
    *shares = NULL;
    if (obj == Py_None) return 1;
    Py_buffer *view = get_array(arrays, obj, 1, 0, "shares");
    if (!view) return 0;
    if (element_type(view) != net->type || view->shape[0] != net->rows) {
        PyErr_SetString(PyExc_ValueError, "shares must be (rows,) of the network's dtype");
        return 0;
    }
    *shares = view->buf;
    return 1;
}

PyDoc_STRVAR(step_forward_doc,
             "forward(X, shares, keys, salts)\n\n"
             "The training forward pass of X (rows, n_0): the output in outputs[-1]. shares:\n"
             "the rows' shares (rows,) of batch normalization's statistics, or None for equal\n"
             "ones; keys, salts: as run takes them.");

static PyObject *step_forward(StepObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    const Net *net = &self->net;
    const void *X, *shares;
    const uint64_t *dropout[2];
    if (!check_args(nargs, 4, "forward") || !(X = input_data(net, &arrays, args[0])) ||
        !shares_data(net, &arrays, args[1], &shares) ||
        !dropout_inputs(net, &arrays, args + 2, 1, net->rows, 1, dropout))
        return finish(&arrays, NULL);
    PyThreadState *released = net->tanh ? NULL : PyEval_SaveThread(); /* np.tanh needs the GIL */
    int failed = NET_CALL(net, net_forward, X, shares, dropout[0], dropout[1]) < 0;
    if (released) PyEval_RestoreThread(released);
    return finish(&arrays, failed ? NULL : Py_NewRef(Py_None));
}

PyDoc_STRVAR(step_backward_doc,
             "backward(X, shares, lr, lr_t, normalizer)\n\n"
             "After forward(X, shares, ...) and the loss gradient written into outputs[-1]:\n"
             "backward and the update (see run); the L2 penalty is alpha / normalizer.");

static PyObject *step_backward(StepObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    const Net *net = &self->net;
    if (!check_args(nargs, 5, "backward")) return NULL;
    double lr = PyFloat_AsDouble(args[2]), lr_t = PyFloat_AsDouble(args[3]);
    double normalizer = PyFloat_AsDouble(args[4]);
    const void *X, *shares;
    if (PyErr_Occurred() || !(X = input_data(net, &arrays, args[0])) ||
        !shares_data(net, &arrays, args[1], &shares))
        return finish(&arrays, NULL);
    Py_BEGIN_ALLOW_THREADS
    NET_CALL(net, net_backward, X, shares, lr, lr_t, normalizer);
    NET_CALL(net, net_update, lr, lr_t);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_NewRef(Py_None));
}

/* The epoch's data (args: X, y, order, lrs, lr_ts, keys, salts) into `data`: X (N, sizes[0])
 * of the net's type; y as target_data takes it, N rows, class indices in range; order None or
 * (N,) intp indices in [0, N); lrs and lr_ts (n_batches,) float64 with n_batches full batches
 * within N; keys (N,) and salts (n_batches, n_layers - 1) as dropout_inputs takes them.
 * Returns N, or -1 with an exception set. */
static Py_ssize_t epoch_data(const Net *net, Arrays *arrays, PyObject *const *args,
                             Batches *data)
{
    Py_ssize_t k = net->sizes[net->n_layers];
    int classes = net->loss == SOFTMAX_CROSS_ENTROPY;
    Py_buffer *X = get_array(arrays, args[0], 2, 0, "X"), *y, *order = NULL, *lrs, *lr_ts;
    if (!X || !(y = get_array(arrays, args[1], classes ? 1 : 2, 0, "y")) ||
        (args[2] != Py_None && !(order = get_array(arrays, args[2], 1, 0, "order"))) ||
        !(lrs = get_array(arrays, args[3], 1, 0, "lrs")) ||
        !(lr_ts = get_array(arrays, args[4], 1, 0, "lr_ts")))
        return -1;
    Py_ssize_t N = X->shape[0], n_batches = lrs->shape[0];
    int bad = element_type(X) != net->type || X->shape[1] != net->sizes[0] ||
              y->shape[0] != N || element_type(y) != (classes ? 'n' : net->type) ||
              (!classes && y->shape[1] != k) || (order && (element_type(order) != 'n' ||
                                                           order->shape[0] != N)) ||
              element_type(lrs) != 'd' || element_type(lr_ts) != 'd' ||
              lr_ts->shape[0] != n_batches || n_batches * net->rows > N;
    const Py_ssize_t *labels = y->buf, *rows = order ? order->buf : NULL;
    for (Py_ssize_t r = 0; !bad && r < N; r++)
        bad = (classes && (labels[r] < 0 || labels[r] >= k)) ||
              (rows && (rows[r] < 0 || rows[r] >= N));
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "epoch: X (N, n_inputs) and y of the step's types, "
                                          "labels and order in range, full batches within N");
        return -1;
    }
    const uint64_t *dropout[2];
    if (!dropout_inputs(net, arrays, args + 5, 2, N, n_batches, dropout)) return -1;
    *data = (Batches){.X = X->buf, .y = y->buf, .order = rows, .lrs = lrs->buf,
                      .lr_ts = lr_ts->buf, .keys = dropout[0], .salts = dropout[1],
                      .n_batches = n_batches};
    return N;
}

PyDoc_STRVAR(step_epoch_doc,
             "epoch(X, y, order, lrs, lr_ts, keys, salts) -> (loss_sum, metric_sum)\n\n"
             "run() on every full batch of an epoch, in one call: batch b is rows b * rows to\n"
             "(b + 1) * rows of X and y, or of order (intp indices, or None), at rate lrs[b]\n"
             "(Adam: lr_ts[b]); with dropout, the keys (N,) of X's rows and the salts of\n"
             "batch b in row b of salts (n_batches, n_hidden_layers), else None. The sums of\n"
             "each batch's loss and metric (the share of correct rows, or twice the loss per\n"
             "output) times its rows, as Trainer.epoch sums them.");

static PyObject *step_epoch(StepObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    const Net *net = &self->net;
    Batches data;
    if (!check_args(nargs, 7, "epoch") || epoch_data(net, &arrays, args, &data) < 0)
        return finish(&arrays, NULL);
    Py_ssize_t k = net->sizes[net->n_layers], n = net->rows;
    size_t item = net->type == 'f' ? sizeof(float) : sizeof(double);
    size_t y_row = net->loss == SOFTMAX_CROSS_ENTROPY ? sizeof(Py_ssize_t) : (size_t)k * item;
    size_t key_bytes = data.keys ? sizeof(uint64_t) : 0;
    /* The gathered batch: keys, y, then X, each aligned for its type. */
    char *buffer = data.order ? PyMem_RawMalloc(n * (key_bytes + y_row + net->sizes[0] * item))
                              : NULL;
    if (data.order && !buffer) return finish(&arrays, PyErr_NoMemory());
    char *y_buffer = buffer ? buffer + n * key_bytes : NULL;
    char *X_buffer = buffer ? y_buffer + n * y_row : NULL;
    double sums[2] = {0.0, 0.0};
    PyThreadState *released = net->tanh ? NULL : PyEval_SaveThread(); /* np.tanh needs the GIL */
    int failed = NET_CALL(net, net_epoch, &data, (void *)X_buffer, y_buffer, (void *)buffer,
                          sums) < 0;
    if (released) PyEval_RestoreThread(released);
    PyMem_RawFree(buffer);
    return finish(&arrays, failed ? NULL : Py_BuildValue("(dd)", sums[0], sums[1]));
}

static PyMethodDef step_methods[] = {
    {"run", (PyCFunction)(void (*)(void))step_run, METH_FASTCALL, step_run_doc},
    {"forward", (PyCFunction)(void (*)(void))step_forward, METH_FASTCALL, step_forward_doc},
    {"backward", (PyCFunction)(void (*)(void))step_backward, METH_FASTCALL, step_backward_doc},
    {"epoch", (PyCFunction)(void (*)(void))step_epoch, METH_FASTCALL, step_epoch_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject StepType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "scratchnet.nn._kernels.Step",
    .tp_basicsize = sizeof(StepObject),
    .tp_dealloc = (destructor)step_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A compiled training step over a network's arrays (see make_step).",
    .tp_methods = step_methods,
};
