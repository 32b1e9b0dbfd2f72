/* The masking loop of RFC 6455 §5.3 in C.
 *
 * Python runs wslab without this file (masking.py falls back to pure Python);
 * it exists because a lesson promises that masking a megabyte is fast.
 * The loop is the RFC's `out[i] = data[i] ^ key[i % 4]`, done many bytes at a
 * time: the 4-byte key repeated is one wide word, and XORing words gives the
 * same bytes as XORing each byte. 16 bytes at a time with SSE2 (every x86-64
 * CPU has it; compilers do not vectorise the 8-byte loop on their own at -O2),
 * else 8, then byte by byte for the tail.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static PyObject *
mask(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    /* METH_FASTCALL: no argument tuple is built; at 125 bytes the call is most of the cost. */
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "mask(data, key) takes 2 arguments, got %zd", nargs);
        return NULL;
    }
    Py_buffer data, key;
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &key, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    PyObject *result = NULL;
    if (key.len != 4) {
        /* PyErr_Format takes an ASCII format: "section" for the section sign */
        PyErr_Format(PyExc_ValueError, "a masking key is exactly 4 bytes (RFC 6455 section 5.3), got %zd",
                     key.len);
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

    uint32_t k32;
    memcpy(&k32, k, 4);  /* memcpy: no alignment or aliasing assumptions */
#if defined(__SSE2__)
    __m128i k128 = _mm_set1_epi32((int)k32);
    /* Four 16-byte words per step. With one word per step the speed depended
     * on where the loop's few instructions landed in the code (1 MiB ran at
     * 0.55x websockets' speed with the same instructions; -falign-loops=32
     * closed the gap); four words per step is fast wherever it lands. */
    for (; i + 64 <= n; i += 64) {
        __m128i w0 = _mm_loadu_si128((const __m128i *)(in + i));
        __m128i w1 = _mm_loadu_si128((const __m128i *)(in + i + 16));
        __m128i w2 = _mm_loadu_si128((const __m128i *)(in + i + 32));
        __m128i w3 = _mm_loadu_si128((const __m128i *)(in + i + 48));
        _mm_storeu_si128((__m128i *)(out + i), _mm_xor_si128(w0, k128));
        _mm_storeu_si128((__m128i *)(out + i + 16), _mm_xor_si128(w1, k128));
        _mm_storeu_si128((__m128i *)(out + i + 32), _mm_xor_si128(w2, k128));
        _mm_storeu_si128((__m128i *)(out + i + 48), _mm_xor_si128(w3, k128));
    }
    for (; i + 16 <= n; i += 16) {
        __m128i word = _mm_loadu_si128((const __m128i *)(in + i));
        _mm_storeu_si128((__m128i *)(out + i), _mm_xor_si128(word, k128));
    }
#endif
    uint64_t k64 = ((uint64_t)k32 << 32) | k32;
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
    {"mask", (PyCFunction)(void (*)(void))mask, METH_FASTCALL,
     "mask(data, key, /)\n--\n\n"
     "Mask or unmask `data` with the 4-byte `key` (RFC 6455 \xc2\xa7" "5.3): "
     "out[i] = data[i] XOR key[i mod 4]. The C loop of wslab/_speedups.c."},
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
