"""Client-to-server masking (RFC 6455 §5.3).

Every byte of a client's payload is XORed with one of the four masking-key
bytes, in turn: ``transformed[i] = original[i] XOR key[i mod 4]``. XOR is its
own inverse, so the same function masks and unmasks.
"""

from __future__ import annotations

Buffer = bytes | bytearray | memoryview  # what can be masked: any bytes-like object

try:  # built from _speedups.c at install time when a C compiler is present
    from wslab._speedups import mask as _mask_c
except ImportError:  # pragma: no cover - depends on the install
    _mask_c = None

#: Which loop `mask` runs: "C" (wslab/_speedups.c, built by pip install) or "Python".
FAST_PATH = "C" if _mask_c is not None else "Python"

#: The masking key of the examples of §5.7 (``37 fa 21 3d``). Lessons, pictures, tests,
#: benches and the probe use this one fixed key so their bytes are the same every run;
#: a real client draws a fresh random key for every frame (§5.3).
RFC_MASK_KEY = b"\x37\xfa\x21\x3d"


def mask_reference(data: Buffer, key: bytes) -> bytes:
    """The §5.3 algorithm written as the RFC states it, one byte at a time.

    Slow on purpose: it is the version to read, and the oracle the fast
    `mask` is tested against.
    """
    _check_key(key)
    out = bytearray(len(data))
    for i in range(len(data)):
        j = i % 4
        out[i] = data[i] ^ key[j]
    return bytes(out)


# Below this many bytes one XOR of two big integers is fastest; above it the
# four strided `translate` calls win (crossover measured on CPython 3.11,
# see bench/bench_core.py). Both give exactly `mask_reference`'s bytes.
SMALL_PAYLOAD = 1792

# _XOR_TABLES[k] maps every byte b to b XOR k: a 256-byte table for bytes.translate.
_XOR_TABLES = [bytes(b ^ k for b in range(256)) for k in range(256)]


def mask(data: Buffer, key: bytes) -> bytes:
    """Mask or unmask `data` with the 4-byte `key` (§5.3), fast.

    Uses the C loop of `wslab/_speedups.c` when it was built at install time
    (16 bytes at a time: the key repeated four times is one 128-bit word), and
    `mask_python` otherwise. All three functions give the same bytes.
    """
    if _mask_c is None:
        return mask_python(data, key)
    if len(key) != 4:
        _check_key(key)
    return _mask_c(data, key)


def mask_python(data: Buffer, key: bytes) -> bytes:
    """`mask` without C: as fast as pure Python gets.

    Same result as `mask_reference`, but no Python-level loop over the bytes:

    - small payloads: Python cannot XOR two byte strings, but it XORs two
      integers of any size in C. The payload and the key repeated to the same
      length become two integers, are XORed once, and become bytes again.
      Per-call overhead rules here, so it is one expression.
    - large payloads: the integer conversions cost more than the XOR. Instead
      the bytes that use key[j] are every 4th byte from j, the strided slice
      ``data[j::4]``; `bytes.translate` with a table mapping b -> b XOR key[j]
      masks such a slice in C. Four slices, four translates.
    """
    _check_key(key)
    n = len(data)
    if n <= SMALL_PAYLOAD:
        repeated_key = (key * (n // 4 + 1))[:n]
        return (int.from_bytes(data, "little") ^ int.from_bytes(repeated_key, "little")).to_bytes(n, "little")
    out = bytearray(data)
    for j in range(4):
        out[j::4] = out[j::4].translate(_XOR_TABLES[key[j]])
    return bytes(out)


def mask_table(data: bytes, key: bytes, limit: int | None = None) -> list[tuple[int, int, int, int, int]]:
    """Rows ``(i, i mod 4, payload byte, key byte, result)`` for the first `limit` bytes."""
    _check_key(key)
    count = len(data) if limit is None else min(limit, len(data))
    return [(i, i % 4, data[i], key[i % 4], data[i] ^ key[i % 4]) for i in range(count)]


def _check_key(key: bytes) -> None:
    if len(key) != 4:
        raise ValueError(f"a masking key is exactly 4 bytes (RFC 6455 §5.3), got {len(key)}")
