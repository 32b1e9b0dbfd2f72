/* The masking loop of RFC 6455 §5.3 in C, for large payloads.
 *
 * Python runs wslab without this file (masking.py falls back to pure Python);
 * it exists because a lesson promises that masking a megabyte is fast.
 * The loop is the RFC's `out[i] = data[i] ^ key[i % 4]`, done eight bytes at a
 * time: the 4-byte key repeated twice is one 64-bit word, and XORing words
 * gives the same bytes as XORing each byte (the compiler vectorises the loop).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static PyObject *
mask(PyObject *module, PyObject *args)
{
    Py_buffer data, key;
    if (!PyArg_ParseTuple(args, "y*y*:mask", &data, &key)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (key.len != 4) {
        PyErr_Format(PyExc_ValueError,
                     "a masking key is exactly 4 bytes (RFC 6455 section 5.3), got %zd", key.len);
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, data.len);
    if (result == NULL) {
        goto done;
    }
    const unsigned char *in = data.buf;
    const unsigned char *k = key.buf;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    Py_ssize_t n = data.len, i = 0;

    unsigned char k8[8];
    memcpy(k8, k, 4);
    memcpy(k8 + 4, k, 4);
    uint64_t k64;
    memcpy(&k64, k8, 8);  /* memcpy: no alignment or aliasing assumptions */
    for (; i + 8 <= n; i += 8) {
        uint64_t word;
        memcpy(&word, in + i, 8);
        word ^= k64;
        memcpy(out + i, &word, 8);
    }
    for (; i < n; i++) {  /* i is a multiple of 8 here, so i % 4 lines up */
        out[i] = in[i] ^ k[i % 4];
    }
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&key);
    return result;
}

static PyMethodDef methods[] = {
    {"mask", mask, METH_VARARGS, "mask(data, key) -> bytes: RFC 6455 §5.3 masking."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "wslab._speedups", "RFC 6455 masking in C.", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
