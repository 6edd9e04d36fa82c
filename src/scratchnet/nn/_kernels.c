/* scratchnet.nn._kernels: fused element-wise loops of a training step, for float32 and float64.
 *
 * NumPy spends most of a small training step on calling ufuncs, not on arithmetic: a bias add,
 * an activation and its derivative, a softmax, an optimizer update are each a handful of passes
 * over arrays of a few hundred kilobytes. These loops do each in one pass. They take any
 * C-contiguous buffer (NumPy arrays), check shapes and types, and release the GIL. One more
 * function, gemm_at_b, calls NumPy's own BLAS with an accumulating output (beta), which
 * NumPy's matmul cannot: plain SGD then steps the weights inside their gradient product.
 * And one loop of evaluation: a regressor's squared errors summed per output, in float64.
 *
 * make_step builds the whole training step of a small network as one call (_step.h over the
 * typed _step_impl.h), from these loops and NumPy's matrix products made as NumPy makes them
 * (_blas_impl.h), so that it is bitwise the step of the NumPy path.
 *
 * scratchnet/nn/kernels.py is the only caller and holds the NumPy reference of every loop;
 * without a C compiler the package installs without this module and runs that reference.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The hot loops are compiled for AVX-512 and AVX2 as well, chosen at load time. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
#define HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HOT
#endif

enum { IDENTITY = 0, RELU = 1, LEAKY_RELU = 2, SIGMOID = 3, TANH = 4 };

/* --- NumPy's BLAS, as the compiled step calls it ------------------------------------------ */

enum { CBLAS_ROW_MAJOR = 101, CBLAS_COL_MAJOR = 102, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

/* cblas_?gemm, cblas_?gemv, cblas_?dot of NumPy's OpenBLAS, [0] float, [1] double (use_blas);
 * blas_ilp64: they take 64-bit integers. */
static void *blas_gemm[2], *blas_gemv[2], *blas_dot[2];
static int blas_ilp64 = 0;

/* A matrix operand as NumPy sees it: data and strides in elements (row, column). The step
 * only has C-contiguous matrices (k, 1) and their transposes (1, k). */
typedef struct {
    void *data;
    Py_ssize_t s0, s1;
} Operand;

/* NumPy's is_blasable2d in elements: the second axis contiguous, the first stride covering
 * it (numpy/_core/src/umath/matmul.c.src). */
static int blasable2d(Py_ssize_t stride1, Py_ssize_t stride2, Py_ssize_t d1, Py_ssize_t d2)
{
    return stride2 == 1 && stride1 >= d2 && stride1 <= INT32_MAX - 1;
}

#define MAX_LAYERS 16
enum { PLAIN_SGD = 0, MOMENTUM = 1, NESTEROV = 2, ADAM = 3 };
enum { SOFTMAX_CROSS_ENTROPY = 0, SQUARED_ERROR = 1 };

/* A network with its training buffers, for the compiled step (_step.h). Offsets and
 * sizes in elements of the network's type: weights[i], biases[i] locate layer i's W (sizes[i],
 * sizes[i + 1]) and b in params and grads (MLP's layout); acts[i] (rows, sizes[i]) for i >= 1,
 * deltas[i] (rows, sizes[i]) for hidden layers i. */
typedef struct {
    char type; /* 'f' or 'd' */
    int n_layers, optimizer, loss;
    Py_ssize_t rows, sizes[MAX_LAYERS + 1], weights[MAX_LAYERS], biases[MAX_LAYERS];
    Py_ssize_t n_weights, n_params;
    int kinds[MAX_LAYERS];
    double slopes[MAX_LAYERS];
    void *params, *grads, *state1, *state2; /* state: velocity, or Adam's m and v, or NULL */
    void *acts[MAX_LAYERS + 1], *deltas[MAX_LAYERS + 1];
    /* Inverted dropout on hidden layer i's output where masks[i] is not NULL (Dropout.masks):
     * masks[i] and dropped[i] (rows, sizes[i]), a unit kept, as keep_scales[i], when its hash
     * reaches thresholds[i]. dropout: any layer has it. */
    void *masks[MAX_LAYERS + 1], *dropped[MAX_LAYERS + 1];
    uint64_t thresholds[MAX_LAYERS + 1];
    double keep_scales[MAX_LAYERS + 1];
    int dropout;
    /* Batch normalization of hidden layer i where zhats[i] is not NULL (MLP.forward): its
     * scale gamma at scales[i] in params and grads (after the biases), zhat (rows, sizes[i])
     * and the batch's mean, var and inv_std (sizes[i],); the batch's moments and the running
     * ones (n_moments,), as MLP.running lays them out; epsilon, and the running average's
     * momentum (Trainer.batch_norm_momentum). normalizes: any layer has it. */
    Py_ssize_t scales[MAX_LAYERS + 1], n_moments;
    void *zhats[MAX_LAYERS + 1], *means[MAX_LAYERS + 1], *vars[MAX_LAYERS + 1];
    void *inv_stds[MAX_LAYERS + 1], *moments, *running;
    double bn_epsilon, bn_momentum;
    int normalizes;
    double momentum, beta_1, beta_2, epsilon, weight_decay, alpha, exp_floor;
    /* Nonzero: momentum and Adam step each weight matrix as soon as its gradient is written,
     * in the backward pass (Trainer.layerwise); else all weights in one update after it. */
    double layerwise;
    /* np.tanh and the arrays of acts (borrowed), for sigmoid and tanh layers; else NULL. The
     * step then holds the GIL. */
    PyObject *tanh, *act_arrays[MAX_LAYERS + 1];
} Net;

/* An epoch's data for Step.epoch: X (N, sizes[0]) and y, their order (N,) or NULL, the rates
 * lrs and lr_ts (n_batches,), and with dropout the rows' keys (N,) and the salts
 * (n_batches, n_layers - 1), else NULL. */
typedef struct {
    const void *X, *y;
    const Py_ssize_t *order;
    const double *lrs, *lr_ts;
    const uint64_t *keys, *salts;
    Py_ssize_t n_batches;
} Batches;

/* z (an array of acts) <- np.tanh(z) in place, NumPy's own loop; -1 with an exception set if
 * it failed (the GIL is held). */
static int numpy_tanh(const Net *net, int layer)
{
    PyObject *z = net->act_arrays[layer];
    PyObject *result = PyObject_CallFunctionObjArgs(net->tanh, z, z, NULL);
    Py_XDECREF(result);
    return result ? 0 : -1;
}

#define T float
#define SUFFIX f
#define EXP expf
#define LOG logf
#define SQRT sqrtf
#define BLAS_INDEX 0
#include "_kernels_impl.h"
#include "_blas_impl.h"
#include "_step_impl.h"
#undef T
#undef SUFFIX
#undef EXP
#undef LOG
#undef SQRT
#undef BLAS_INDEX

#define T double
#define SUFFIX d
#define EXP exp
#define LOG log
#define SQRT sqrt
#define BLAS_INDEX 1
#include "_kernels_impl.h"
#include "_blas_impl.h"
#include "_step_impl.h"
#undef T
#undef SUFFIX
#undef EXP
#undef LOG
#undef SQRT
#undef BLAS_INDEX

/* --- arguments ------------------------------------------------------------------------------ */

#define MAX_ARRAYS 10

/* The buffers one call holds, released together. */
typedef struct {
    Py_buffer views[MAX_ARRAYS];
    int count;
} Arrays;

/* Release the buffers of a call and return `result` (NULL when the call failed). */
static PyObject *finish(Arrays *arrays, PyObject *result)
{
    for (int i = 0; i < arrays->count; i++) PyBuffer_Release(&arrays->views[i]);
    arrays->count = 0;
    return result;
}

/* function_f(...) or function_d(...), by the element type of `view` (the pointers and doubles
 * among the arguments convert to the loop's type). */
#define TYPED_CALL(view, function, ...) \
    (element_type(view) == 'f' ? function##_f(__VA_ARGS__) : function##_d(__VA_ARGS__))

/* The element type of a buffer: 'f' (float32), 'd' (float64), 'n' (intp), 'u' (uint64) or 0
 * for others. */
static char element_type(const Py_buffer *view)
{
    const char *format = view->format ? view->format : "B";
    if (*format == '@' || *format == '=' || *format == '<') format++;
    if (format[1] != '\0') return 0;
    if (*format == 'f' && view->itemsize == 4) return 'f';
    if (*format == 'd' && view->itemsize == 8) return 'd';
    if ((*format == 'l' || *format == 'q' || *format == 'n') && view->itemsize == sizeof(Py_ssize_t))
        return 'n';
    if ((*format == 'L' || *format == 'Q') && view->itemsize == 8) return 'u';
    return 0;
}

/* Borrow obj's buffer as a C-contiguous array of `ndim` dimensions; NULL with an exception set
 * if it is not one, or not writable when `writable`. */
static Py_buffer *get_array(Arrays *arrays, PyObject *obj, int ndim, int writable,
                            const char *name)
{
    Py_buffer *view = &arrays->views[arrays->count];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return NULL;
    arrays->count++;
    if (view->ndim != ndim || element_type(view) == 0) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a %d-dimensional float32, float64, intp or uint64 array", name,
                     ndim);
        return NULL;
    }
    return view;
}

static int same_float_type(const Py_buffer *a, const Py_buffer *b, const char *names)
{
    char type = element_type(a);
    if ((type == 'f' || type == 'd') && type == element_type(b)) return 1;
    PyErr_Format(PyExc_TypeError, "%s must be float arrays of one dtype", names);
    return 0;
}

static int check_args(Py_ssize_t nargs, Py_ssize_t expected, const char *function)
{
    if (nargs == expected) return 1;
    PyErr_Format(PyExc_TypeError, "%s takes %zd arguments (%zd given)", function, expected, nargs);
    return 0;
}

static int check_size(const Py_buffer *view, Py_ssize_t expected, const char *name)
{
    if (view->len / view->itemsize == expected) return 1;
    PyErr_Format(PyExc_ValueError, "%s has %zd elements, expected %zd", name,
                 view->len / view->itemsize, expected);
    return 0;
}

static int same_shape(const Py_buffer *a, const Py_buffer *b, const char *names)
{
    if (a->ndim == b->ndim && a->shape[0] == b->shape[0] && a->shape[1] == b->shape[1]) return 1;
    PyErr_Format(PyExc_ValueError, "%s must have one shape", names);
    return 0;
}

/* --- functions ------------------------------------------------------------------------------ */

PyDoc_STRVAR(bias_activation_doc,
             "bias_activation(z, b, kind, slope)\n\n"
             "z (n, k) <- f(z + b) for b (k,); kind 0 identity, 1 relu, 2 leaky relu (slope);\n"
             "any other kind adds the bias only.");

static PyObject *bias_activation(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    Py_buffer *z, *b;
    if (!check_args(nargs, 4, "bias_activation")) return NULL;
    int kind = PyLong_AsLong(args[2]);
    double slope = PyFloat_AsDouble(args[3]);
    if (PyErr_Occurred() || !(z = get_array(&arrays, args[0], 2, 1, "z")) ||
        !(b = get_array(&arrays, args[1], 1, 0, "b")) || !same_float_type(z, b, "z and b") ||
        !check_size(b, z->shape[1], "b"))
        goto fail;
    Py_ssize_t n = z->shape[0], k = z->shape[1];
    Py_BEGIN_ALLOW_THREADS
    TYPED_CALL(z, bias_activation, z->buf, b->buf, n, k, kind, slope);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_NewRef(Py_None));
fail:
    return finish(&arrays, NULL);
}

PyDoc_STRVAR(activation_backward_doc,
             "activation_backward(a, d, bias_grad, kind, slope)\n\n"
             "d (n, k) <- d * f'(z) from the output a = f(z) (n, k); bias_grad (k,) <- column\n"
             "sums of d. kind 0 identity, 1 relu, 2 leaky relu (slope), 3 sigmoid, 4 tanh.");

static PyObject *activation_backward(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    Py_buffer *a, *d, *bias_grad;
    if (!check_args(nargs, 5, "activation_backward")) return NULL;
    int kind = PyLong_AsLong(args[3]);
    double slope = PyFloat_AsDouble(args[4]);
    if (PyErr_Occurred() || !(a = get_array(&arrays, args[0], 2, 0, "a")) ||
        !(d = get_array(&arrays, args[1], 2, 1, "d")) ||
        !(bias_grad = get_array(&arrays, args[2], 1, 1, "bias_grad")) ||
        !same_float_type(a, d, "a and d") || !same_float_type(d, bias_grad, "d and bias_grad") ||
        !same_shape(a, d, "a and d") || !check_size(bias_grad, d->shape[1], "bias_grad"))
        goto fail;
    Py_ssize_t n = d->shape[0], k = d->shape[1];
    Py_BEGIN_ALLOW_THREADS
    TYPED_CALL(d, activation_backward, a->buf, d->buf, bias_grad->buf, n, k, kind, slope);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_NewRef(Py_None));
fail:
    return finish(&arrays, NULL);
}

PyDoc_STRVAR(softmax_cross_entropy_doc,
             "softmax_cross_entropy(logits, y, grad, exp_floor) -> (loss, n_correct)\n\n"
             "Mean cross-entropy of softmax(logits (n, k)) against class indices y (n,) intp;\n"
             "grad (n, k), which may be logits, <- (softmax - onehot) / n. exp_floor bounds\n"
             "the shifted logits from below before exp.");

static PyObject *softmax_cross_entropy(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    Py_buffer *logits, *y, *grad;
    if (!check_args(nargs, 4, "softmax_cross_entropy")) return NULL;
    double exp_floor = PyFloat_AsDouble(args[3]);
    if (PyErr_Occurred() || !(logits = get_array(&arrays, args[0], 2, 0, "logits")) ||
        !(y = get_array(&arrays, args[1], 1, 0, "y")) ||
        !(grad = get_array(&arrays, args[2], 2, 1, "grad")) ||
        !same_float_type(logits, grad, "logits and grad") ||
        !same_shape(logits, grad, "logits and grad") || !check_size(y, logits->shape[0], "y"))
        goto fail;
    if (element_type(y) != 'n') {
        PyErr_SetString(PyExc_TypeError, "y must be an intp array");
        goto fail;
    }
    Py_ssize_t n = logits->shape[0], k = logits->shape[1], correct = 0;
    const Py_ssize_t *labels = y->buf;
    for (Py_ssize_t r = 0; r < n; r++) {
        if (labels[r] < 0 || labels[r] >= k) {
            PyErr_Format(PyExc_IndexError, "class index %zd out of range [0, %zd)", labels[r], k);
            goto fail;
        }
    }
    double loss;
    Py_BEGIN_ALLOW_THREADS
    loss = TYPED_CALL(grad, softmax_cross_entropy, logits->buf, labels, grad->buf, n, k,
                      exp_floor, &correct);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_BuildValue("(dn)", loss, correct));
fail:
    return finish(&arrays, NULL);
}

PyDoc_STRVAR(squared_error_sums_doc,
             "squared_error_sums(prediction, target, sums)\n\n"
             "sums (k,) float64 <- per column of prediction and target (n, k), one float type,\n"
             "the sum over rows of their squared difference, computed in float64.");

static PyObject *squared_error_sums(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    Py_buffer *a, *b, *sums;
    if (!check_args(nargs, 3, "squared_error_sums")) return NULL;
    if (!(a = get_array(&arrays, args[0], 2, 0, "prediction")) ||
        !(b = get_array(&arrays, args[1], 2, 0, "target")) ||
        !(sums = get_array(&arrays, args[2], 1, 1, "sums")) ||
        !same_float_type(a, b, "prediction and target") ||
        !same_shape(a, b, "prediction and target") || !check_size(sums, a->shape[1], "sums"))
        goto fail;
    if (element_type(sums) != 'd') {
        PyErr_SetString(PyExc_TypeError, "sums must be a float64 array");
        goto fail;
    }
    Py_ssize_t n = a->shape[0], k = a->shape[1];
    Py_BEGIN_ALLOW_THREADS
    TYPED_CALL(a, squared_error_sums, a->buf, b->buf, n, k, sums->buf);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_NewRef(Py_None));
fail:
    return finish(&arrays, NULL);
}

PyDoc_STRVAR(sgd_update_doc,
             "sgd_update(params, grads, velocity, lr, momentum, nesterov, l2, shrink)\n\n"
             "params (size,) += -lr (grads + l2 params), through velocity (size,) if it is\n"
             "not None, after params *= shrink.");

static PyObject *sgd_update(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    Py_buffer *p, *g, *v = NULL;
    if (!check_args(nargs, 8, "sgd_update")) return NULL;
    double lr = PyFloat_AsDouble(args[3]), momentum = PyFloat_AsDouble(args[4]);
    double l2 = PyFloat_AsDouble(args[6]), shrink = PyFloat_AsDouble(args[7]);
    int nesterov = PyObject_IsTrue(args[5]);
    if (PyErr_Occurred() || !(p = get_array(&arrays, args[0], 1, 1, "params")) ||
        !(g = get_array(&arrays, args[1], 1, 1, "grads")) ||
        !same_float_type(p, g, "params and grads") || !check_size(g, p->shape[0], "grads"))
        goto fail;
    if (args[2] != Py_None &&
        (!(v = get_array(&arrays, args[2], 1, 1, "velocity")) ||
         !same_float_type(p, v, "params and velocity") || !check_size(v, p->shape[0], "velocity")))
        goto fail;
    Py_ssize_t size = p->shape[0];
    Py_BEGIN_ALLOW_THREADS
    TYPED_CALL(p, sgd_update, p->buf, g->buf, v ? v->buf : NULL, size, -lr, momentum, nesterov,
               l2, shrink);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_NewRef(Py_None));
fail:
    return finish(&arrays, NULL);
}

PyDoc_STRVAR(adam_update_doc,
             "adam_update(params, grads, m, v, lr_t, beta_1, beta_2, epsilon, l2, shrink)\n\n"
             "One Adam step on params (size,) with moments m and v (size,) and the\n"
             "bias-corrected step size lr_t, from grads + l2 params, after params *= shrink.");

static PyObject *adam_update(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    Py_buffer *p, *g, *m, *v;
    if (!check_args(nargs, 10, "adam_update")) return NULL;
    double lr_t = PyFloat_AsDouble(args[4]), beta_1 = PyFloat_AsDouble(args[5]);
    double beta_2 = PyFloat_AsDouble(args[6]), epsilon = PyFloat_AsDouble(args[7]);
    double l2 = PyFloat_AsDouble(args[8]), shrink = PyFloat_AsDouble(args[9]);
    if (PyErr_Occurred() || !(p = get_array(&arrays, args[0], 1, 1, "params")) ||
        !(g = get_array(&arrays, args[1], 1, 0, "grads")) ||
        !(m = get_array(&arrays, args[2], 1, 1, "m")) ||
        !(v = get_array(&arrays, args[3], 1, 1, "v")) ||
        !same_float_type(p, g, "params and grads") || !same_float_type(p, m, "params and m") ||
        !same_float_type(p, v, "params and v") || !check_size(g, p->shape[0], "grads") ||
        !check_size(m, p->shape[0], "m") || !check_size(v, p->shape[0], "v"))
        goto fail;
    Py_ssize_t size = p->shape[0];
    Py_BEGIN_ALLOW_THREADS
    TYPED_CALL(p, adam_update, p->buf, g->buf, m->buf, v->buf, size, 1.0 - beta_1, 1.0 - beta_2,
               epsilon, -lr_t, l2, shrink);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_NewRef(Py_None));
fail:
    return finish(&arrays, NULL);
}

/* A (k,) float vector of z's type, or NULL with an exception set. */
static Py_buffer *get_vector(Arrays *arrays, PyObject *obj, const Py_buffer *like, Py_ssize_t k,
                             int writable, const char *name)
{
    Py_buffer *view = get_array(arrays, obj, 1, writable, name);
    if (!view || !same_float_type(like, view, name) || !check_size(view, k, name)) return NULL;
    return view;
}

PyDoc_STRVAR(batchnorm_forward_doc,
             "batchnorm_forward(z, gamma, p, eps, zhat, mean, var, inv_std)\n\n"
             "Batch normalization's training pass on z (n, k), in place: z <- gamma zhat;\n"
             "zhat (n, k), mean, var, inv_std (k,) written; p (n,) row shares or None.");

static PyObject *batchnorm_forward(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    Py_buffer *z, *gamma, *p = NULL, *zhat, *mean, *var, *inv_std;
    if (!check_args(nargs, 8, "batchnorm_forward")) return NULL;
    double eps = PyFloat_AsDouble(args[3]);
    if (PyErr_Occurred() || !(z = get_array(&arrays, args[0], 2, 1, "z")) ||
        !(zhat = get_array(&arrays, args[4], 2, 1, "zhat")) ||
        !same_float_type(z, zhat, "z and zhat") || !same_shape(z, zhat, "z and zhat"))
        goto fail;
    Py_ssize_t n = z->shape[0], k = z->shape[1];
    if (!(gamma = get_vector(&arrays, args[1], z, k, 0, "gamma")) ||
        !(mean = get_vector(&arrays, args[5], z, k, 1, "mean")) ||
        !(var = get_vector(&arrays, args[6], z, k, 1, "var")) ||
        !(inv_std = get_vector(&arrays, args[7], z, k, 1, "inv_std")) ||
        (args[2] != Py_None && !(p = get_vector(&arrays, args[2], z, n, 0, "p"))))
        goto fail;
    Py_BEGIN_ALLOW_THREADS
    TYPED_CALL(z, batchnorm_forward, z->buf, gamma->buf, p ? p->buf : NULL, eps, zhat->buf,
               mean->buf, var->buf, inv_std->buf, n, k);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_NewRef(Py_None));
fail:
    return finish(&arrays, NULL);
}

PyDoc_STRVAR(batchnorm_backward_doc,
             "batchnorm_backward(d, zhat, gamma, inv_std, p, share, dbeta, dgamma)\n\n"
             "Batch normalization's backward pass: d (n, k) from dL/dy to dL/dz in place,\n"
             "dgamma (k,) written; p (n,) row shares, or None for equal shares `share`.");

static PyObject *batchnorm_backward(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    Py_buffer *d, *zhat, *gamma, *inv_std, *p = NULL, *dbeta, *dgamma;
    if (!check_args(nargs, 8, "batchnorm_backward")) return NULL;
    double share = PyFloat_AsDouble(args[5]);
    if (PyErr_Occurred() || !(d = get_array(&arrays, args[0], 2, 1, "d")) ||
        !(zhat = get_array(&arrays, args[1], 2, 0, "zhat")) ||
        !same_float_type(d, zhat, "d and zhat") || !same_shape(d, zhat, "d and zhat"))
        goto fail;
    Py_ssize_t n = d->shape[0], k = d->shape[1];
    if (!(gamma = get_vector(&arrays, args[2], d, k, 0, "gamma")) ||
        !(inv_std = get_vector(&arrays, args[3], d, k, 0, "inv_std")) ||
        (args[4] != Py_None && !(p = get_vector(&arrays, args[4], d, n, 0, "p"))) ||
        !(dbeta = get_vector(&arrays, args[6], d, k, 0, "dbeta")) ||
        !(dgamma = get_vector(&arrays, args[7], d, k, 1, "dgamma")))
        goto fail;
    Py_BEGIN_ALLOW_THREADS
    TYPED_CALL(d, batchnorm_backward, d->buf, zhat->buf, gamma->buf, inv_std->buf,
               p ? p->buf : NULL, share, dbeta->buf, dgamma->buf, n, k);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_NewRef(Py_None));
fail:
    return finish(&arrays, NULL);
}

PyDoc_STRVAR(dropout_mask_doc,
             "dropout_mask(mask, keys, salt, threshold, scale)\n\n"
             "mask (n, k) <- scale where bits(keys[r], salt, c) >= threshold, else 0; keys (n,)\n"
             "uint64; bits are 53 of a hash of keys[r], salt and c (see kernels.dropout_mask).");

static PyObject *dropout_mask(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    Py_buffer *mask, *keys;
    if (!check_args(nargs, 5, "dropout_mask")) return NULL;
    uint64_t salt = PyLong_AsUnsignedLongLongMask(args[2]);
    uint64_t threshold = PyLong_AsUnsignedLongLong(args[3]);
    double scale = PyFloat_AsDouble(args[4]);
    if (PyErr_Occurred() || !(mask = get_array(&arrays, args[0], 2, 1, "mask")) ||
        !(keys = get_array(&arrays, args[1], 1, 0, "keys")) || !check_size(keys, mask->shape[0], "keys"))
        goto fail;
    if (element_type(keys) != 'u' || element_type(mask) == 'n' || element_type(mask) == 'u') {
        PyErr_SetString(PyExc_TypeError, "dropout_mask needs a float mask and uint64 keys");
        goto fail;
    }
    Py_ssize_t n = mask->shape[0], k = mask->shape[1];
    Py_BEGIN_ALLOW_THREADS
    TYPED_CALL(mask, dropout_mask, mask->buf, keys->buf, n, k, salt, threshold, scale);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_NewRef(Py_None));
fail:
    return finish(&arrays, NULL);
}

/* --- matrix products through NumPy's own BLAS ------------------------------------------------ */

PyDoc_STRVAR(use_blas_doc,
             "use_blas(ilp64, sgemm, dgemm, sgemv, dgemv, sdot, ddot)\n\n"
             "The addresses of cblas_?gemm, cblas_?gemv and cblas_?dot in NumPy's BLAS, taking\n"
             "64-bit integers if ilp64, for gemm_at_b and the compiled step.");

static PyObject *use_blas(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (!check_args(nargs, 7, "use_blas")) return NULL;
    void *addresses[6];
    for (int i = 0; i < 6; i++) addresses[i] = PyLong_AsVoidPtr(args[i + 1]);
    int ilp64 = PyObject_IsTrue(args[0]);
    if (PyErr_Occurred() || ilp64 < 0) return NULL;
    blas_ilp64 = ilp64;
    for (int t = 0; t < 2; t++) {
        blas_gemm[t] = addresses[t];
        blas_gemv[t] = addresses[2 + t];
        blas_dot[t] = addresses[4 + t];
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(gemm_at_b_doc,
             "gemm_at_b(a, b, c, alpha, beta)\n\n"
             "c (m, n) <- alpha a.T @ b + beta c for a (k, m) and b (k, n), in one call of\n"
             "NumPy's BLAS (see use_blas).");

static PyObject *gemm_at_b(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Arrays arrays = {.count = 0};
    Py_buffer *a, *b, *c;
    if (!check_args(nargs, 5, "gemm_at_b")) return NULL;
    double alpha = PyFloat_AsDouble(args[3]), beta = PyFloat_AsDouble(args[4]);
    if (PyErr_Occurred() || !(a = get_array(&arrays, args[0], 2, 0, "a")) ||
        !(b = get_array(&arrays, args[1], 2, 0, "b")) ||
        !(c = get_array(&arrays, args[2], 2, 1, "c")) || !same_float_type(a, b, "a and b") ||
        !same_float_type(a, c, "a and c"))
        goto fail;
    Py_ssize_t k = a->shape[0], m = a->shape[1], n = b->shape[1];
    if (b->shape[0] != k || c->shape[0] != m || c->shape[1] != n) {
        PyErr_SetString(PyExc_ValueError, "gemm_at_b needs a (k, m), b (k, n) and c (m, n)");
        goto fail;
    }
    int single = element_type(c) == 'f';
    if (!blas_gemm[!single] || (!blas_ilp64 && (m | n | k) > INT32_MAX)) {
        PyErr_SetString(PyExc_RuntimeError, "gemm_at_b: no BLAS set for this dtype or size");
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    TYPED_CALL(c, gemm, CBLAS_TRANS, CBLAS_NO_TRANS, m, n, k, alpha, a->buf, m, b->buf, n, beta,
               c->buf, n);
    Py_END_ALLOW_THREADS
    return finish(&arrays, Py_NewRef(Py_None));
fail:
    return finish(&arrays, NULL);
}

#include "_step.h"

static PyMethodDef methods[] = {
    {"bias_activation", (PyCFunction)(void (*)(void))bias_activation, METH_FASTCALL,
     bias_activation_doc},
    {"activation_backward", (PyCFunction)(void (*)(void))activation_backward, METH_FASTCALL,
     activation_backward_doc},
    {"softmax_cross_entropy", (PyCFunction)(void (*)(void))softmax_cross_entropy, METH_FASTCALL,
     softmax_cross_entropy_doc},
    {"squared_error_sums", (PyCFunction)(void (*)(void))squared_error_sums, METH_FASTCALL,
     squared_error_sums_doc},
    {"sgd_update", (PyCFunction)(void (*)(void))sgd_update, METH_FASTCALL, sgd_update_doc},
    {"adam_update", (PyCFunction)(void (*)(void))adam_update, METH_FASTCALL, adam_update_doc},
    {"batchnorm_forward", (PyCFunction)(void (*)(void))batchnorm_forward, METH_FASTCALL,
     batchnorm_forward_doc},
    {"batchnorm_backward", (PyCFunction)(void (*)(void))batchnorm_backward, METH_FASTCALL,
     batchnorm_backward_doc},
    {"dropout_mask", (PyCFunction)(void (*)(void))dropout_mask, METH_FASTCALL, dropout_mask_doc},
    {"use_blas", (PyCFunction)(void (*)(void))use_blas, METH_FASTCALL, use_blas_doc},
    {"gemm_at_b", (PyCFunction)(void (*)(void))gemm_at_b, METH_FASTCALL, gemm_at_b_doc},
    {"make_step", (PyCFunction)(void (*)(void))make_step, METH_FASTCALL, make_step_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_kernels",
    .m_doc = "Fused element-wise loops of a training step (see scratchnet.nn.kernels).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__kernels(void)
{
    if (PyType_Ready(&StepType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m && PyModule_AddIntConstant(m, "MAX_LAYERS", MAX_LAYERS) < 0) Py_CLEAR(m);
    return m;
}
