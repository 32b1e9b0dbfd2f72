"""wslab.masking (RFC 6455 §5.3): the fast mask agrees with the readable reference loop."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wslab import masking
from wslab.masking import RFC_MASK_KEY, mask, mask_python, mask_reference, mask_table

FAST = pytest.mark.parametrize("mask", [mask, mask_python], ids=["mask", "mask_python"])


def test_rfc_mask_key_constant():
    # The one place the tests spell out the masking key of §5.7: the constant everything else uses.
    assert RFC_MASK_KEY == bytes.fromhex("37 fa 21 3d")


def test_rfc_5_7_hello():
    assert mask(b"Hello", RFC_MASK_KEY) == bytes.fromhex("7f9f4d5158")
    assert mask_reference(b"Hello", RFC_MASK_KEY) == bytes.fromhex("7f9f4d5158")


@FAST
def test_mask_equals_reference_for_every_length_0_to_160(mask):
    # past 128: the C loop's 64-, 16- and 8-byte steps and its byte tail, in every combination
    rng = random.Random(6455)
    for n in range(161):
        for _ in range(20):
            data, key = rng.randbytes(n), rng.randbytes(4)
            assert mask(data, key) == mask_reference(data, key), (n, data, key)


@pytest.mark.parametrize(
    "n",
    [
        masking.SMALL_PAYLOAD - 1,
        masking.SMALL_PAYLOAD,
        masking.SMALL_PAYLOAD + 1,
        masking.SMALL_PAYLOAD + 2,
        masking.SMALL_PAYLOAD + 3,
        10_001,
        1 << 16,
    ],
)
def test_mask_equals_reference_on_both_sides_of_the_switch(n):
    rng = random.Random(n)
    data, key = rng.randbytes(n), rng.randbytes(4)
    assert mask(data, key) == mask_python(data, key) == mask_reference(data, key)


@FAST
@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=5000), key=st.binary(min_size=4, max_size=4))
def test_mask_equals_reference_random(mask, data, key):
    assert mask(data, key) == mask_reference(data, key)


@FAST
@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=5000), key=st.binary(min_size=4, max_size=4))
def test_masking_twice_gives_back_the_payload(mask, data, key):
    assert mask(mask(data, key), key) == data
    assert mask_reference(mask_reference(data, key), key) == data


@FAST
def test_mask_accepts_any_bytes_like_and_returns_bytes(mask):
    data = bytes(range(256)) * 20
    for form in (bytearray(data), memoryview(data)):
        out = mask(form, bytearray(RFC_MASK_KEY))
        assert type(out) is bytes and out == mask_reference(data, RFC_MASK_KEY)
    assert mask(b"", RFC_MASK_KEY) == b""


@pytest.mark.parametrize("key", [b"", b"\x01", b"\x01\x02\x03", b"\x01\x02\x03\x04\x05"])
@pytest.mark.parametrize("function", [mask, mask_python, mask_reference, mask_table])
def test_wrong_key_length_is_a_clear_value_error(function, key):
    with pytest.raises(ValueError, match=rf"masking key is exactly 4 bytes \(RFC 6455 §5.3\), got {len(key)}"):
        function(b"Hello", key)


def test_mask_table_rows():
    assert mask_table(b"Hello", RFC_MASK_KEY) == [
        (0, 0, 0x48, 0x37, 0x7F),
        (1, 1, 0x65, 0xFA, 0x9F),
        (2, 2, 0x6C, 0x21, 0x4D),
        (3, 3, 0x6C, 0x3D, 0x51),
        (4, 0, 0x6F, 0x37, 0x58),
    ]
    assert len(mask_table(bytes(100), RFC_MASK_KEY, limit=8)) == 8


def test_the_c_loop_is_built_by_the_install():
    # pip install builds wslab/_speedups.c when a compiler is present (it is on
    # every machine this project runs on); without it `mask` is pure Python.
    import os

    if masking._mask_c is None and not os.environ.get("CI"):
        pytest.skip("wslab._speedups not built (PYTHONPATH run without pip install)")
    assert masking._mask_c is not None
