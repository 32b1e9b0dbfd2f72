"""Client-to-server masking (RFC 6455 §5.3).

Every byte of a client's payload is XORed with one of the four masking-key
bytes, in turn: ``transformed[i] = original[i] XOR key[i mod 4]``. XOR is its
own inverse, so the same function masks and unmasks.
"""

from __future__ import annotations


def mask_reference(data: bytes, key: bytes) -> bytes:
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


def mask(data: bytes, key: bytes) -> bytes:
    """Mask or unmask `data` with the 4-byte `key` (§5.3), fast.

    Python cannot XOR two byte strings directly, but it can XOR two integers
    of any size in C. So the payload and the key repeated to the same length
    become two big integers, are XORed once, and become bytes again.
    """
    _check_key(key)
    n = len(data)
    if n == 0:
        return b""
    repeated_key = (key * (n // 4 + 1))[:n]
    x = int.from_bytes(data, "little") ^ int.from_bytes(repeated_key, "little")
    return x.to_bytes(n, "little")


def mask_table(data: bytes, key: bytes, limit: int | None = None) -> list[tuple[int, int, int, int, int]]:
    """Rows ``(i, i mod 4, payload byte, key byte, result)`` for the first `limit` bytes."""
    _check_key(key)
    count = len(data) if limit is None else min(limit, len(data))
    return [(i, i % 4, data[i], key[i % 4], data[i] ^ key[i % 4]) for i in range(count)]


def _check_key(key: bytes) -> None:
    if len(key) != 4:
        raise ValueError(f"a masking key is exactly 4 bytes (RFC 6455 §5.3), got {len(key)}")
