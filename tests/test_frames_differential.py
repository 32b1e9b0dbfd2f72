"""wslab.frames against two independent implementations: the websockets library and wsproto.

Random frames and masking keys must give byte-for-byte the same wire format
(RFC 6455 §5.2, §5.3), and each implementation must parse the others' output.
Both libraries draw a random masking key; the tests fix it to the key drawn
here, which fixes randomness and nothing of the protocol.
"""

import contextlib
import random
from types import SimpleNamespace

import pytest
import websockets.frames as ws_frames
import wsproto.frame_protocol as wsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.streams import StreamReader

from wslab.codes import Opcode
from wslab.frames import Frame, FrameParser, close_payload, decode, encode

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALLOWED_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]
close_payloads = st.one_of(
    st.just(b""),
    st.builds(
        close_payload,
        st.sampled_from(ALLOWED_CODES) | st.integers(3000, 4999),
        st.text(max_size=30).filter(lambda r: len(r.encode()) <= 123),
    ),
)


def sized(lengths):
    """Payloads of exactly these lengths, from a seed (fast to draw even when large)."""
    return st.builds(lambda n, seed: random.Random(seed).randbytes(n), st.sampled_from(lengths), st.integers(0, 2**32))


# Lengths at and around the edges of the three length encodings (§5.2), and anything small.
data_payloads = st.one_of(st.binary(max_size=130), sized([0, 1, 125, 126, 127, 1000, 65535, 65536, 70000]))
control_payloads = st.one_of(st.binary(max_size=125), sized([0, 124, 125]))
keys = st.binary(min_size=4, max_size=4)


@st.composite
def frames(draw):
    opcode = draw(st.sampled_from(list(Opcode)))
    if opcode == Opcode.CLOSE:
        return Frame(opcode, draw(close_payloads))
    if opcode.is_control:
        return Frame(opcode, draw(control_payloads))
    return Frame(opcode, draw(data_payloads), fin=draw(st.booleans()))


@contextlib.contextmanager
def fixed_keys(key):
    """Make both libraries use `key` instead of a fresh random masking key."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ws_frames, "secrets", SimpleNamespace(token_bytes=lambda n: key))
        patch.setattr(wsp, "os", SimpleNamespace(urandom=lambda n: key))
        yield


def websockets_encode(frame, key):
    theirs = ws_frames.Frame(ws_frames.Opcode(int(frame.opcode)), frame.payload, fin=frame.fin)
    with fixed_keys(key or b"\0\0\0\0"):
        return theirs.serialize(mask=key is not None)


def wsproto_encode(frame, key):
    protocol = wsp.FrameProtocol(client=key is not None, extensions=[])
    with fixed_keys(key or b"\0\0\0\0"):
        return bytes(protocol._serialize_frame(wsp.Opcode(int(frame.opcode)), frame.payload, frame.fin))


def websockets_decode(wire, masked):
    reader = StreamReader()
    reader.feed_data(wire)
    parser = ws_frames.Frame.parse(reader.read_exact, mask=masked)
    with pytest.raises(StopIteration) as done:
        next(parser)
    theirs = done.value.value
    assert not reader.buffer  # the whole frame, nothing more
    return Frame(Opcode(int(theirs.opcode)), bytes(theirs.data), theirs.fin, theirs.rsv1, theirs.rsv2, theirs.rsv3)


def wsproto_decode(wire, masked):
    decoder = wsp.FrameDecoder(client=not masked)
    decoder.receive_bytes(wire)
    theirs = decoder.process_buffer()
    assert theirs.frame_finished and len(decoder.buffer) == 0
    return Frame(Opcode(int(theirs.opcode)), bytes(theirs.payload), theirs.message_finished)


@SETTINGS
@given(frame=frames(), key=st.none() | keys)
def test_same_bytes_as_websockets_and_wsproto(frame, key):
    wire = encode(frame, key)
    assert websockets_encode(frame, key) == wire
    assert wsproto_encode(frame, key) == wire


@SETTINGS
@given(frame=frames(), key=st.none() | keys)
def test_they_parse_our_bytes(frame, key):
    wire = encode(frame, key)
    assert websockets_decode(wire, masked=key is not None) == frame
    assert wsproto_decode(wire, masked=key is not None) == frame


@SETTINGS
@given(frame=frames(), key=st.none() | keys)
def test_we_parse_their_bytes(frame, key):
    role = "server" if key is not None else "client"
    for wire in (websockets_encode(frame, key), wsproto_encode(frame, key)):
        assert decode(wire, role=role) == (frame, len(wire))


@settings(max_examples=40, deadline=None)
@given(stream=st.lists(st.tuples(frames(), keys), min_size=1, max_size=8), cuts=st.lists(st.integers(0, 10**6)))
def test_stream_of_their_frames_in_random_splits(stream, cuts):
    wire = b"".join(websockets_encode(f, k) for f, k in stream)
    parser = FrameParser(role="server")
    edges = sorted({0, len(wire), *(c % (len(wire) + 1) for c in cuts)})
    got = []
    for start, end in zip(edges, edges[1:], strict=False):
        parser.feed(wire[start:end])
        got.extend(parser)
    assert got == [f for f, _ in stream] and parser.buffered == 0
