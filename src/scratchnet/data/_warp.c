/* scratchnet.data._warp: the bilinear resampling of an augmented batch in one pass.
 *
 * The NumPy reference (scratchnet/data/geometry.py, bilinear) spends a dozen passes over the
 * batch on clipping, flooring, index arithmetic, four gathers and three interpolations; this
 * loop does them per pixel, with the same operations in the same order and precision (no
 * contraction into fused multiply-adds), so both give bitwise the same result. It takes
 * C-contiguous float32 or float64 buffers (NumPy arrays) and releases the GIL.
 *
 * geometry.py is the only caller; without a C compiler the package installs without this
 * module and runs the reference.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* out[k, i, j] = bilinear sample of framed[k] (the image with a one-pixel frame of the fill
 * value) at (x, y)[k, i, j], image coordinates clipped to [-1, last]. */
#define DEFINE_WARP(T, SUFFIX)                                                             \
    static void warp_##SUFFIX(const T *restrict framed, const T *restrict x,               \
                              const T *restrict y, T *restrict out, Py_ssize_t n,          \
                              Py_ssize_t rows, Py_ssize_t cols, T x_last, T y_last)        \
    {                                                                                      \
        const Py_ssize_t width = cols + 2, plane = (rows + 2) * width, size = rows * cols; \
        for (Py_ssize_t k = 0; k < n; k++) {                                               \
            const T *image = framed + k * plane + width + 1; /* pixel (0, 0) */            \
            for (Py_ssize_t p = k * size; p < (k + 1) * size; p++) {                       \
                T u = x[p] > (T)-1 ? x[p] : (T)-1, v = y[p] > (T)-1 ? y[p] : (T)-1;        \
                u = u < x_last ? u : x_last;                                               \
                v = v < y_last ? v : y_last;                                               \
                int column = (int)u, row = (int)v; /* floor (both are >= -1) */            \
                column -= (T)column > u;                                                   \
                row -= (T)row > v;                                                         \
                const T fx = u - (T)column, fy = v - (T)row;                               \
                const T *cell = image + row * width + column;                              \
                T top = cell[1] - cell[0], bottom = cell[width + 1] - cell[width];         \
                top = top * fx + cell[0];                                                  \
                bottom = bottom * fx + cell[width];                                        \
                out[p] = (bottom - top) * fy + top;                                        \
            }                                                                              \
        }                                                                                  \
    }

DEFINE_WARP(float, f)
DEFINE_WARP(double, d)

/* 'f' (float32), 'd' (float64) or 0, the element type of a buffer. */
static char element_type(const Py_buffer *view)
{
    const char *format = view->format ? view->format : "B";
    if (*format == '@' || *format == '=' || *format == '<') format++;
    if (format[1] != '\0') return 0;
    if (*format == 'f' && view->itemsize == 4) return 'f';
    if (*format == 'd' && view->itemsize == 8) return 'd';
    return 0;
}

/* Borrow the buffers of args[0..3] (framed, x, y, out); 0 with an exception set if one is not
 * a C-contiguous float array of the type and size the shape (n, rows, cols) asks for. */
static int get_buffers(PyObject *const *args, Py_buffer *views, Py_ssize_t n, Py_ssize_t rows,
                       Py_ssize_t cols)
{
    static const char *names[4] = {"framed", "x", "y", "out"};
    const Py_ssize_t sizes[4] = {n * (rows + 2) * (cols + 2), n * rows * cols, n * rows * cols,
                                 n * rows * cols};
    for (int i = 0; i < 4; i++) {
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (i == 3 ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(args[i], &views[i], flags) < 0) {
            for (int j = 0; j < i; j++) PyBuffer_Release(&views[j]);
            return 0;
        }
        char type = element_type(&views[i]);
        if (type == 0 || type != element_type(&views[0]) ||
            views[i].len / views[i].itemsize != sizes[i]) {
            PyErr_Format(PyExc_ValueError,
                         "%s must be a float32 or float64 array of %zd elements, as framed",
                         names[i], sizes[i]);
            for (int j = 0; j <= i; j++) PyBuffer_Release(&views[j]);
            return 0;
        }
    }
    return 1;
}

PyDoc_STRVAR(bilinear_doc,
             "bilinear(framed, x, y, out, n, rows, cols, x_last, y_last)\n\n"
             "out (n, rows, cols) <- framed (n, rows + 2, cols + 2) sampled bilinearly at\n"
             "(x, y) (n, rows, cols), image coordinates clipped to [-1, x_last] x [-1, y_last].");

static PyObject *bilinear(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 9) {
        PyErr_Format(PyExc_TypeError, "bilinear takes 9 arguments (%zd given)", nargs);
        return NULL;
    }
    Py_ssize_t n = PyLong_AsSsize_t(args[4]), rows = PyLong_AsSsize_t(args[5]),
               cols = PyLong_AsSsize_t(args[6]);
    double x_last = PyFloat_AsDouble(args[7]), y_last = PyFloat_AsDouble(args[8]);
    if (PyErr_Occurred()) return NULL;
    if (n < 0 || rows < 1 || cols < 1) {
        PyErr_SetString(PyExc_ValueError, "bilinear needs n >= 0 and rows, cols >= 1");
        return NULL;
    }
    Py_buffer views[4];
    if (!get_buffers(args, views, n, rows, cols)) return NULL;
    char type = element_type(&views[0]);
    Py_BEGIN_ALLOW_THREADS;
    if (type == 'f')
        warp_f(views[0].buf, views[1].buf, views[2].buf, views[3].buf, n, rows, cols,
               (float)x_last, (float)y_last);
    else
        warp_d(views[0].buf, views[1].buf, views[2].buf, views[3].buf, n, rows, cols, x_last,
               y_last);
    Py_END_ALLOW_THREADS;
    for (int i = 0; i < 4; i++) PyBuffer_Release(&views[i]);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"bilinear", (PyCFunction)(void (*)(void))bilinear, METH_FASTCALL, bilinear_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_warp", "The bilinear resampling of augmentation in one pass.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__warp(void) { return PyModule_Create(&module); }
