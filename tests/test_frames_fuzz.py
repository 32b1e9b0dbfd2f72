"""Fuzzing wslab.frames: whatever bytes arrive, in whatever split, the reader only
raises errors of the WslabError family, finishes, and never buffers past its limit."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wslab.codes import Opcode
from wslab.errors import IncompleteFrame, ProtocolError, WslabError
from wslab.frames import Frame, FrameParser, decode, encode, header_fields
from wslab.viz.steps import decode_steps

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

roles = st.sampled_from([None, "server", "client"])
limits = st.none() | st.integers(0, 300)


@st.composite
def streams(draw):
    """Mostly-valid frames with some bytes changed, cut or added: reaches deep into the rules."""
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        opcode = draw(st.sampled_from([*Opcode, 3, 11]))
        payload = draw(st.binary(max_size=140))
        key = draw(st.none() | st.binary(min_size=4, max_size=4))
        parts.append(encode(Frame(opcode, payload, fin=draw(st.booleans())), key))
    data = bytearray(b"".join(parts))
    for _ in range(draw(st.integers(0, 4))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data + draw(st.binary(max_size=20)))


inputs = st.one_of(st.binary(max_size=300), streams())


def decode_all(data, role, max_size):
    """The frames `decode` finds one after the other, and the error that stops it (None if only incomplete)."""
    frames, pos = [], 0
    while True:
        try:
            frame, used = decode(data[pos:], role=role, max_size=max_size)
        except IncompleteFrame:
            return frames, None
        except ProtocolError as error:
            return frames, error
        frames.append(frame)
        pos += used


@pytest.mark.timeout(120)
@SETTINGS
@given(data=inputs, role=roles, max_size=limits)
def test_decode_raises_only_wslab_errors(data, role, max_size):
    try:
        frame, used = decode(data, role=role, max_size=max_size)
    except WslabError:
        return
    assert 2 <= used <= len(data)
    assert max_size is None or len(frame.payload) <= max_size


@pytest.mark.timeout(120)
@SETTINGS
@given(data=inputs, role=roles, max_size=limits, cuts=st.lists(st.integers(0, 10**6), max_size=30))
def test_parser_in_random_splits_agrees_with_decode_and_stays_bounded(data, role, max_size, cuts):
    parser = FrameParser(role=role, max_size=max_size)
    bound = 14 if max_size is None else max(14, max_size)
    edges = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    frames, error = [], None
    try:
        for start, end in zip(edges, edges[1:], strict=False):
            parser.feed(data[start:end])
            assert max_size is None or parser.buffered <= bound
            frames.extend(parser)
    except ProtocolError as e:  # anything else fails the test
        error = e
    expected_frames, expected_error = decode_all(data, role, max_size)
    assert frames == expected_frames
    assert (type(error), str(error)) == (type(expected_error), str(expected_error))
    if error is not None:
        assert parser.buffered == 0


@pytest.mark.timeout(120)
@SETTINGS
@given(data=inputs, role=roles, max_size=limits)
def test_decode_steps_stop_where_decode_does(data, role, max_size):
    steps = decode_steps(data, role, max_size=max_size)
    try:
        frame, used = decode(data, role=role, max_size=max_size)
    except WslabError as error:
        assert (type(steps[-1].error), str(steps[-1].error)) == (type(error), str(error))
        assert all(step.error is None for step in steps[:-1])
    else:
        assert steps[-1].error is None
        assert steps[-1].detail.endswith(f"{len(frame.payload)} bytes of payload; {used} bytes read")


@SETTINGS
@given(data=inputs)
def test_header_fields_never_raise_and_tile_the_bytes(data):
    fields = header_fields(data)
    position = 0
    for field in fields:  # each field starts where the one before ends
        assert field.offset == position
        position += field.width
    assert position <= 8 * len(data)


def test_parser_one_byte_at_a_time_over_a_long_stream_is_bounded():
    frame = Frame(Opcode.BINARY, bytes(range(256)))
    wire = encode(frame, b"abcd") * 200
    parser = FrameParser(role="server", max_size=256)
    count = 0
    for i in range(len(wire)):
        parser.feed(wire[i : i + 1])
        assert parser.buffered <= 256
        count += sum(1 for _ in parser)
    assert count == 200
