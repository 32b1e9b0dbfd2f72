"""wslab.connection: the message-level state machine of RFC 6455, with real frame bytes."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wslab.codes import Opcode
from wslab.connection import (
    BinaryMessage,
    CloseReceived,
    Connection,
    ConnectionFailed,
    Ping,
    Pong,
    State,
    TextMessage,
)
from wslab.errors import ConnectionClosed, InvalidUTF8, PayloadTooBig, ProtocolError
from wslab.frames import Frame, FrameParser, decode, encode, parse_close
from wslab.masking import RFC_MASK_KEY


def from_client(opcode: int, payload: bytes = b"", fin: bool = True, **bits) -> bytes:
    """A frame as a client sends it (masked): what a server Connection receives."""
    return encode(Frame(opcode, payload, fin, **bits), mask_key=RFC_MASK_KEY)


def from_server(opcode: int, payload: bytes = b"", fin: bool = True, **bits) -> bytes:
    """A frame as a server sends it (unmasked): what a client Connection receives."""
    return encode(Frame(opcode, payload, fin, **bits))


def close_frame_sent(conn: Connection) -> tuple[int | None, str]:
    """Decode the single Close frame `conn` queued; check its masking follows the role."""
    data = conn.data_to_send()
    frame, used = decode(data, role="server" if conn.role == "client" else "client")
    assert used == len(data), "exactly one frame queued"
    assert frame.opcode == Opcode.CLOSE
    return parse_close(frame.payload)


def feed_bytewise(conn: Connection, data: bytes) -> list:
    events = []
    for i in range(len(data)):
        events += conn.receive_data(data[i : i + 1])
    return events


# --- the RFC 6455 §5.7 examples, byte for byte ----------------------------------


def test_server_sends_unmasked_text_exactly_as_rfc_example():
    assert Connection("server").send_text("Hello") == b"\x81\x05\x48\x65\x6c\x6c\x6f"


def test_client_masks_text_exactly_as_rfc_example():
    conn = Connection("client", mask_key=RFC_MASK_KEY)
    assert conn.send_text("Hello") == b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"


def test_fragmented_send_exactly_as_rfc_example():
    # §5.7: "A fragmented unmasked text message": 0x01 0x03 "Hel", 0x80 0x02 "lo"
    assert Connection("server").send_text("Hello", fragment_size=3) == b"\x01\x03Hel\x80\x02lo"


def test_fragments_first_carries_opcode_then_continuations_last_has_fin():
    wire = Connection("server").send_binary(bytes(range(10)), fragment_size=4)
    parser = FrameParser(role="client")
    parser.feed(wire)
    frames = list(parser)
    assert [(f.opcode, f.fin, f.payload) for f in frames] == [
        (Opcode.BINARY, False, bytes(range(4))),
        (Opcode.CONTINUATION, False, bytes(range(4, 8))),
        (Opcode.CONTINUATION, True, bytes(range(8, 10))),
    ]


def test_small_message_with_fragment_size_is_one_frame():
    assert Connection("server").send_text("Hi", fragment_size=5) == b"\x81\x02Hi"
    assert Connection("server").send_text("", fragment_size=1) == b"\x81\x00"


# --- messages ------------------------------------------------------------------


def test_text_and_binary_messages_are_received():
    server = Connection("server")
    events = server.receive_data(from_client(Opcode.TEXT, "héllo".encode()) + from_client(Opcode.BINARY, b"\x00\xff"))
    assert events == [TextMessage("héllo"), BinaryMessage(b"\x00\xff")]
    assert server.data_to_send() == b""


def test_client_receives_server_frames():
    client = Connection("client")
    assert client.receive_data(b"\x81\x05Hello") == [TextMessage("Hello")]


def test_empty_messages():
    server = Connection("server")
    assert server.receive_data(from_client(Opcode.TEXT) + from_client(Opcode.BINARY)) == [
        TextMessage(""),
        BinaryMessage(b""),
    ]


def test_byte_by_byte_feeding_gives_the_same_events():
    stream = (
        from_client(Opcode.TEXT, "가나".encode(), fin=False)
        + from_client(Opcode.PING, b"p")
        + from_client(Opcode.CONTINUATION, "다🙂".encode())
        + from_client(Opcode.BINARY, bytes(300))
        + from_client(Opcode.PONG, b"q")
        + from_client(Opcode.BINARY, bytes(70000))
        + from_client(Opcode.CLOSE, struct.pack("!H", 1001) + b"bye")
    )
    whole = Connection("server")
    expected = whole.receive_data(stream)
    assert expected == [
        Ping(b"p"),
        TextMessage("가나다🙂"),
        BinaryMessage(bytes(300)),
        Pong(b"q"),
        BinaryMessage(bytes(70000)),
        CloseReceived(1001, "bye"),
    ]
    bytewise = Connection("server")
    assert feed_bytewise(bytewise, stream) == expected
    assert bytewise.data_to_send() == whole.data_to_send()


def test_fragmented_text_with_ping_between_fragments():
    # §5.4: control frames MAY be injected in the middle of a fragmented message
    server = Connection("server")
    events = server.receive_data(
        from_client(Opcode.TEXT, b"Hel", fin=False)
        + from_client(Opcode.PING, b"Hello")
        + from_client(Opcode.CONTINUATION, b"lo")
    )
    assert events == [Ping(b"Hello"), TextMessage("Hello")]
    assert server.data_to_send() == b"\x8a\x05Hello"  # §5.7: the unmasked Pong example


def test_control_frame_delivered_before_message_completes():
    server = Connection("server")
    assert server.receive_data(from_client(Opcode.BINARY, b"ab", fin=False) + from_client(Opcode.PONG, b"x")) == [
        Pong(b"x")
    ]
    assert server.receive_data(from_client(Opcode.CONTINUATION, b"cd", fin=False)) == []
    assert server.receive_data(from_client(Opcode.CONTINUATION, b"ef")) == [BinaryMessage(b"abcdef")]


# --- ping / pong ---------------------------------------------------------------


def test_ping_is_answered_with_pong_of_same_payload():
    client = Connection("client", mask_key=RFC_MASK_KEY)
    assert client.receive_data(from_server(Opcode.PING, b"beat")) == [Ping(b"beat")]
    assert client.data_to_send() == from_client(Opcode.PONG, b"beat")  # masked: it comes from a client
    assert client.data_to_send() == b""  # drained


def test_unsolicited_pong_is_reported_and_not_answered():
    server = Connection("server")
    assert server.receive_data(from_client(Opcode.PONG, b"hb")) == [Pong(b"hb")]
    assert server.data_to_send() == b""


def test_send_ping_and_pong_bytes():
    assert Connection("server").send_ping(b"x") == b"\x89\x01x"
    assert Connection("server").send_pong() == b"\x8a\x00"


# --- closing handshake -----------------------------------------------------------


def test_close_is_echoed_with_the_code():
    server = Connection("server")
    assert server.receive_data(from_client(Opcode.CLOSE, b"\x03\xe8bye")) == [CloseReceived(1000, "bye")]
    assert server.data_to_send() == b"\x88\x05\x03\xe8bye"
    assert (server.state, server.close_code, server.close_reason) == (State.CLOSED, 1000, "bye")


def test_close_with_empty_payload_reports_1005_and_echoes_empty():
    server = Connection("server")
    assert server.receive_data(from_client(Opcode.CLOSE)) == [CloseReceived(None, "")]
    assert server.close_code == 1005
    assert server.data_to_send() == b"\x88\x00"


def test_closing_started_by_client():
    client, server = Connection("client", mask_key=RFC_MASK_KEY), Connection("server")
    wire = client.send_close(1000, "done")
    assert client.state is State.CLOSING
    assert server.receive_data(wire) == [CloseReceived(1000, "done")]
    assert server.state is State.CLOSED
    assert client.receive_data(server.data_to_send()) == [CloseReceived(1000, "done")]
    assert client.data_to_send() == b""  # no second echo: we started it
    assert (client.state, client.close_code) == (State.CLOSED, 1000)


def test_closing_started_by_server():
    client, server = Connection("client", mask_key=RFC_MASK_KEY), Connection("server")
    assert client.receive_data(server.send_close(1001, "restart")) == [CloseReceived(1001, "restart")]
    assert client.state is State.CLOSED
    echo = client.data_to_send()
    assert echo == from_client(Opcode.CLOSE, b"\x03\xe9restart")
    assert server.receive_data(echo) == [CloseReceived(1001, "restart")]
    assert server.data_to_send() == b""
    assert server.state is State.CLOSED


def test_messages_still_received_while_closing():
    server = Connection("server")
    server.send_close()
    assert server.receive_data(from_client(Opcode.TEXT, b"late") + from_client(Opcode.PING, b"1")) == [
        TextMessage("late"),
        Ping(b"1"),
    ]
    assert server.data_to_send() == b"\x8a\x011"  # a Pong is not a data frame: still sent


def test_close_in_the_middle_of_a_fragmented_message_drops_it():
    server = Connection("server")
    events = server.receive_data(
        from_client(Opcode.TEXT, b"par", fin=False)
        + from_client(Opcode.CLOSE, b"\x03\xe8")
        + from_client(Opcode.CONTINUATION, b"tial")
    )
    assert events == [CloseReceived(1000, "")]
    assert server.data_to_send() == b"\x88\x02\x03\xe8"


def test_data_after_close_is_ignored():
    server = Connection("server")
    events = server.receive_data(from_client(Opcode.CLOSE, b"\x03\xe8") + from_client(Opcode.TEXT, b"same chunk"))
    assert events == [CloseReceived(1000, "")]
    assert server.receive_data(from_client(Opcode.TEXT, b"later") + from_client(Opcode.PING)) == []
    assert server.receive_data(b"\xff\xff garbage") == []
    assert server.data_to_send() == b"\x88\x02\x03\xe8"  # only the echo, no pong


def test_receive_eof_without_close_handshake_is_1006():
    server = Connection("server")
    server.receive_data(from_client(Opcode.TEXT, b"abc", fin=False))
    assert server.receive_eof() == []
    assert (server.state, server.close_code) == (State.CLOSED, 1006)
    with pytest.raises(ConnectionClosed):
        server.send_text("x")


def test_receive_eof_after_our_close_without_answer_is_1006():
    client = Connection("client")
    client.send_close()
    client.receive_eof()
    assert client.close_code == 1006


def test_receive_eof_after_close_handshake_keeps_the_code():
    client = Connection("client")
    client.receive_data(from_server(Opcode.CLOSE, b"\x03\xe9"))
    client.receive_eof()
    assert (client.state, client.close_code) == (State.CLOSED, 1001)


# --- sending rules -------------------------------------------------------------------


def test_no_data_frames_after_close_sent():
    server = Connection("server")
    server.send_close(1000)
    with pytest.raises(ConnectionClosed, match="5.5.1"):
        server.send_text("x")
    with pytest.raises(ConnectionClosed):
        server.send_binary(b"x")
    with pytest.raises(ConnectionClosed):
        server.send_close(1000)
    assert server.send_ping(b"p") == b"\x89\x01p"  # control frames are still allowed


def test_nothing_sent_once_closed():
    server = Connection("server")
    server.receive_data(from_client(Opcode.CLOSE, b"\x03\xe8"))
    for send in (lambda: server.send_text("x"), lambda: server.send_ping(), lambda: server.send_close()):
        with pytest.raises(ConnectionClosed) as info:
            send()
        assert info.value.code == 1000


@pytest.mark.parametrize(
    "call, rule",
    [
        (lambda c: c.send_ping(bytes(126)), "5.5"),
        (lambda c: c.send_pong(bytes(126)), "5.5"),
        (lambda c: c.send_close(1005), "7.4"),
        (lambda c: c.send_close(1006), "7.4"),
        (lambda c: c.send_close(1015), "7.4"),
        (lambda c: c.send_close(999), "7.4"),
        (lambda c: c.send_close(2000), "7.4"),
        (lambda c: c.send_close(1000, "x" * 124), "5.5"),
        (lambda c: c.send_close(None, "reason without code"), "5.5.1"),
        (lambda c: c.send_text("x", fragment_size=0), "fragment_size"),
    ],
)
def test_sending_invalid_things_raises_value_error_citing_the_rule(call, rule):
    conn = Connection("server")
    with pytest.raises(ValueError, match=rule.replace(".", r"\.")):
        call(conn)
    assert conn.state is State.OPEN  # nothing was sent


def test_limits_that_are_allowed():
    conn = Connection("server")
    assert len(conn.send_ping(bytes(125))) == 127
    assert conn.send_close(4999, "é" * 61)[:4] == b"\x88\x7c\x13\x87"  # 2 + 122 bytes


def test_send_close_without_code_is_empty_payload():
    assert Connection("server").send_close(None) == b"\x88\x00"


def test_send_type_errors():
    with pytest.raises(TypeError):
        Connection("server").send_text(b"bytes")
    with pytest.raises(TypeError):
        Connection("server").send_binary("str")


# --- masking by role -------------------------------------------------------------------


def test_client_masks_every_frame_with_a_fresh_key_by_default():
    client = Connection("client")
    frames = [client.send_text("a"), client.send_binary(b"b"), client.send_ping(), client.send_close()]
    assert all(f[1] & 0x80 for f in frames)
    keys = {f[2:6] for f in frames}
    assert len(keys) == 4  # os.urandom(4) each time (equal keys: chance 6 in 2**32)


def test_client_mask_key_callable():
    keys = iter([b"\x01\x02\x03\x04", b"\x05\x06\x07\x08"])
    client = Connection("client", mask_key=lambda: next(keys))
    assert client.send_text("a")[2:6] == b"\x01\x02\x03\x04"
    assert client.send_text("a")[2:6] == b"\x05\x06\x07\x08"


def test_server_never_masks_and_refuses_a_mask_key():
    assert not Connection("server").send_text("a")[1] & 0x80
    with pytest.raises(ValueError, match="5.1"):
        Connection("server", mask_key=RFC_MASK_KEY)
    with pytest.raises(ValueError, match="4 bytes"):
        Connection("client", mask_key=b"abc")


def test_server_requires_masked_and_client_requires_unmasked():
    server = Connection("server")
    assert isinstance(server.receive_data(from_server(Opcode.TEXT, b"x"))[0], ConnectionFailed)
    assert close_frame_sent(server)[0] == 1002
    client = Connection("client")
    assert isinstance(client.receive_data(from_client(Opcode.TEXT, b"x"))[0], ConnectionFailed)
    assert close_frame_sent(client)[0] == 1002


# --- message-level errors ----------------------------------------------------------------


def test_continuation_without_a_message_fails_with_1002_at_its_header():
    server = Connection("server")
    wire = from_client(Opcode.CONTINUATION, b"orphan")
    [event] = server.receive_data(wire[:6])  # header only: the rule needs no payload
    assert isinstance(event, ConnectionFailed) and event.close_code == 1002
    assert event.error.rfc_section == "5.4"
    assert close_frame_sent(server)[0] == 1002
    assert server.state is State.CLOSED


def test_new_data_frame_inside_a_fragmented_message_fails_with_1002():
    server = Connection("server")
    events = server.receive_data(from_client(Opcode.TEXT, b"a", fin=False) + from_client(Opcode.BINARY, b"b"))
    assert [type(e) for e in events] == [ConnectionFailed]
    assert events[0].close_code == 1002 and events[0].error.rfc_section == "5.4"
    code, reason = close_frame_sent(server)
    assert code == 1002 and "fragmented" in reason


def test_events_before_the_bad_bytes_are_returned():
    server = Connection("server")
    events = server.receive_data(
        from_client(Opcode.TEXT, b"ok") + from_client(Opcode.PING, b"1") + from_client(Opcode.CONTINUATION, b"bad")
    )
    assert events[:2] == [TextMessage("ok"), Ping(b"1")]
    assert isinstance(events[2], ConnectionFailed)
    # the pong queued before the failure is sent, then the Close frame
    out = server.data_to_send()
    assert out.startswith(b"\x8a\x011\x88")


def test_after_a_failure_nothing_more_is_processed():
    server = Connection("server")
    server.receive_data(from_client(Opcode.CONTINUATION))
    server.data_to_send()
    assert server.receive_data(from_client(Opcode.TEXT, b"x") + from_client(Opcode.PING)) == []
    assert server.data_to_send() == b""
    with pytest.raises(ConnectionClosed):
        server.send_text("x")


# --- UTF-8 (§8.1) ---------------------------------------------------------------


def test_utf8_fails_fast_in_the_middle_of_a_partially_received_frame():
    server = Connection("server")
    wire = from_client(Opcode.TEXT, b"ab\xffcdefgh")
    header = 6  # 2 bytes + 4-byte masking key
    [event] = server.receive_data(wire[: header + 3])  # only 3 of 9 payload bytes have arrived
    assert isinstance(event, ConnectionFailed)
    assert isinstance(event.error, InvalidUTF8) and event.close_code == 1007
    assert "byte 2" in event.error.message
    assert close_frame_sent(server)[0] == 1007


def test_utf8_fails_fast_in_a_continuation_frame():
    server = Connection("server")
    assert server.receive_data(from_client(Opcode.TEXT, "가".encode()[:2], fin=False)) == []
    wire = from_client(Opcode.CONTINUATION, b"\x80ok\xffmore")
    assert server.receive_data(wire[: 6 + 3]) == []  # completes "가", then "ok"
    [event] = server.receive_data(wire[6 + 3 : 6 + 4])  # 0xFF, the frame still unfinished
    assert isinstance(event, ConnectionFailed) and event.close_code == 1007
    assert "byte 5 of the message" in event.error.message  # 2 bytes before + 3 in this frame


def _first_failing_byte(payload: bytes) -> int | None:
    """Feed a text frame byte by byte; the payload index at which ConnectionFailed appears."""
    server = Connection("server")
    wire = from_client(Opcode.TEXT, payload)
    header = len(wire) - len(payload)
    assert server.receive_data(wire[:header]) == []
    for i in range(len(payload)):
        events = server.receive_data(wire[header + i : header + i + 1])
        if events:
            assert [type(e) for e in events] == [ConnectionFailed], events
            assert events[0].close_code == 1007
            assert close_frame_sent(server)[0] == 1007
            return i
    return None


@pytest.mark.parametrize(
    "bad, fails_at",
    [
        (b"\xed\xa0\x80", 1),  # U+D800, a UTF-16 surrogate: impossible after ED A0
        (b"\xed\xbf\xbf", 1),  # U+DFFF
        (b"\xf4\x90\x80\x80", 1),  # U+110000 > U+10FFFF: impossible after F4 90
        (b"\xc0\x80", 0),  # overlong NUL: C0 never starts a valid sequence
        (b"\xc1\xbf", 0),  # overlong
        (b"\xe0\x80\x80", 1),  # overlong 3-byte
        (b"\xf0\x80\x80\x80", 1),  # overlong 4-byte
        (b"\xf5\x80\x80\x80", 0),  # beyond U+10FFFF
        (b"\xff", 0),
        (b"\x80", 0),  # a continuation byte with nothing to continue
        (b"\xe2\x82\x41", 2),  # sequence cut by an ASCII byte
    ],
)
def test_utf8_fails_on_the_first_impossible_byte(bad, fails_at):
    prefix = "ok 🙂 ".encode()
    assert _first_failing_byte(prefix + bad + b"tail") == len(prefix) + fails_at


def test_utf8_cut_at_the_end_of_the_message_fails():
    server = Connection("server")
    [event] = server.receive_data(from_client(Opcode.TEXT, b"ab\xe2\x82"))
    assert isinstance(event, ConnectionFailed) and event.close_code == 1007


def test_utf8_cut_at_the_end_of_a_fragmented_message_fails():
    server = Connection("server")
    events = server.receive_data(
        from_client(Opcode.TEXT, b"ab", fin=False) + from_client(Opcode.CONTINUATION, b"\xf0\x9f")
    )
    assert [type(e) for e in events] == [ConnectionFailed]


def test_binary_messages_are_not_checked_for_utf8():
    server = Connection("server")
    assert server.receive_data(from_client(Opcode.BINARY, b"\xff\xed\xa0\x80")) == [BinaryMessage(b"\xff\xed\xa0\x80")]


def test_invalid_utf8_in_close_reason_fails_with_1007():
    server = Connection("server")
    [event] = server.receive_data(from_client(Opcode.CLOSE, b"\x03\xe8\xff"))
    assert isinstance(event, ConnectionFailed) and event.close_code == 1007
    assert close_frame_sent(server)[0] == 1007


TEXT = "a é 가 🙂 z\U0010ffff"  # 1-, 2-, 3- and 4-byte characters, up to the last code point


def test_valid_utf8_split_everywhere_passes():
    data = TEXT.encode()
    for size in range(1, len(data) + 1):
        wire = Connection("client", mask_key=RFC_MASK_KEY).send_text(TEXT, fragment_size=size)
        for cut in range(len(wire) + 1):
            server = Connection("server")
            events = server.receive_data(wire[:cut]) + server.receive_data(wire[cut:])
            assert events == [TextMessage(TEXT)], (size, cut)
        assert feed_bytewise(Connection("server"), wire) == [TextMessage(TEXT)]


# --- size limit ------------------------------------------------------------------------


def test_message_size_limit_across_fragments_fails_at_the_header_with_1009():
    server = Connection("server", max_message_size=10)
    first = from_client(Opcode.BINARY, bytes(6), fin=False)
    second = from_client(Opcode.CONTINUATION, bytes(6))
    assert server.receive_data(first) == []
    [event] = server.receive_data(second[:6])  # header of the second fragment, no payload yet
    assert isinstance(event.error, PayloadTooBig) and event.close_code == 1009
    assert close_frame_sent(server)[0] == 1009


def test_message_exactly_at_the_limit_passes():
    server = Connection("server", max_message_size=10)
    wire = Connection("client", mask_key=RFC_MASK_KEY).send_text("0123456789", fragment_size=3)
    assert server.receive_data(wire) == [TextMessage("0123456789")]


def test_single_frame_over_the_limit_fails_at_its_header():
    client = Connection("client", max_message_size=100)
    [event] = client.receive_data(from_server(Opcode.BINARY, bytes(101))[:2])
    assert event.close_code == 1009
    assert close_frame_sent(client)[0] == 1009


def test_control_frames_do_not_count_toward_the_message_size():
    server = Connection("server", max_message_size=4)
    events = server.receive_data(
        from_client(Opcode.TEXT, b"ab", fin=False)
        + from_client(Opcode.PING, bytes(100))
        + from_client(Opcode.CONTINUATION, b"cd")
    )
    assert events == [Ping(bytes(100)), TextMessage("abcd")]


def test_no_size_limit():
    server = Connection("server", max_message_size=None)
    assert server.receive_data(from_client(Opcode.BINARY, bytes(1 << 21))) == [BinaryMessage(bytes(1 << 21))]


# --- every error becomes the Close frame a peer must send ------------------------------------

ERRORS = [
    ("RSV1 set", from_client(Opcode.TEXT, b"x", rsv1=True), 1002),
    ("RSV3 set", from_client(Opcode.BINARY, b"x", rsv3=True), 1002),
    ("reserved opcode 3", from_client(3, b"x"), 1002),
    ("reserved opcode 0xB", from_client(0xB, b"x"), 1002),
    ("unmasked frame to a server", from_server(Opcode.TEXT, b"x"), 1002),
    ("fragmented ping", from_client(Opcode.PING, b"x", fin=False), 1002),
    ("control frame over 125 bytes", from_client(Opcode.PING, bytes(126)), 1002),
    ("non-minimal length", b"\x82\xfe\x00\x05" + RFC_MASK_KEY + bytes(5), 1002),
    ("close payload of 1 byte", from_client(Opcode.CLOSE, b"\x03"), 1002),
    ("close code 1005 on the wire", from_client(Opcode.CLOSE, b"\x03\xed"), 1002),
    ("close code 999", from_client(Opcode.CLOSE, b"\x03\xe7"), 1002),
    ("close reason not UTF-8", from_client(Opcode.CLOSE, b"\x03\xe8\xc0\x80"), 1007),
    ("continuation without start", from_client(Opcode.CONTINUATION, b"x"), 1002),
    ("text inside fragmented", from_client(Opcode.BINARY, b"x", fin=False) + from_client(Opcode.TEXT, b"y"), 1002),
    ("invalid UTF-8", from_client(Opcode.TEXT, b"\xed\xa0\x80"), 1007),
    ("message too big", from_client(Opcode.BINARY, bytes(2000)), 1009),
    (
        "message too big across fragments",
        from_client(Opcode.TEXT, bytes(600), fin=False) + from_client(Opcode.CONTINUATION, bytes(600)),
        1009,
    ),
]


@pytest.mark.parametrize("name, wire, code", ERRORS, ids=[e[0] for e in ERRORS])
def test_every_error_queues_the_right_close_frame(name, wire, code):
    for feed in ("whole", "bytewise"):
        server = Connection("server", max_message_size=1000)
        events = server.receive_data(wire) if feed == "whole" else feed_bytewise(server, wire)
        assert [type(e) for e in events] == [ConnectionFailed], (feed, events)
        failed = events[0]
        assert isinstance(failed.error, ProtocolError) and failed.close_code == code
        out = server.data_to_send()
        frame, used = decode(out, role="client")  # a server's Close frame: unmasked
        assert used == len(out) and frame.opcode == Opcode.CLOSE
        sent_code, reason = parse_close(frame.payload)
        assert sent_code == code
        assert reason == failed.error.message[: len(reason)] and len(reason.encode()) <= 123
        assert (server.state, server.close_code, server.close_reason) == (State.CLOSED, code, reason)


def test_a_client_failure_close_frame_is_masked():
    client = Connection("client", mask_key=RFC_MASK_KEY)
    client.receive_data(from_server(Opcode.CONTINUATION, b"x"))
    out = client.data_to_send()
    assert out[1] & 0x80 and out[2:6] == RFC_MASK_KEY
    assert close_frame_sent_from(out, "server") == 1002


def close_frame_sent_from(out: bytes, receiver: str) -> int | None:
    frame, _ = decode(out, role=receiver)
    return parse_close(frame.payload)[0]


def test_failure_after_our_close_sends_no_second_close():
    server = Connection("server")
    server.send_close(1000)
    [event] = server.receive_data(from_client(Opcode.CONTINUATION, b"x"))
    assert isinstance(event, ConnectionFailed)
    assert server.data_to_send() == b""  # §5.5.1: one Close frame per direction
    assert server.state is State.CLOSED


def test_long_reason_is_trimmed_without_cutting_a_character():
    from wslab.connection import _trim_reason

    assert _trim_reason("é" * 100) == "é" * 61  # 122 bytes: a 124th byte would split an é
    assert _trim_reason("x" * 200) == "x" * 123
    assert _trim_reason("가" * 50).encode() == "가".encode() * 41  # 123 bytes


# --- FrameParser: the frame in progress ---------------------------------------------------


def test_pending_payload_is_unmasked_from_any_offset():
    payload = bytes(range(50))
    wire = encode(Frame(Opcode.BINARY, payload), mask_key=RFC_MASK_KEY)
    parser = FrameParser(role="server")
    parser.feed(wire[: 6 + 23])
    assert parser.next_frame() is None
    assert parser.pending_header.payload_length == 50
    for start in range(24):
        assert parser.pending_payload(start) == payload[start:23]
    parser.feed(wire[6 + 23 :])
    assert parser.next_frame().payload == payload
    assert parser.pending_header is None and parser.pending_payload(0) == b""


# --- repr ---------------------------------------------------------------------------


def test_reprs_are_deterministic():
    conn = Connection("client", mask_key=RFC_MASK_KEY)
    assert repr(conn) == "Connection(role='client', state=OPEN)"
    conn.receive_data(from_server(Opcode.CLOSE, b"\x03\xe8bye"))
    assert repr(conn) == "Connection(role='client', state=CLOSED, close_code=1000, close_reason='bye')"
    assert repr(TextMessage("hi")) == "TextMessage(data='hi')"
    assert repr(CloseReceived(None, "")) == "CloseReceived(code=None, reason='')"
    server = Connection("server")
    [failed] = server.receive_data(from_client(Opcode.CONTINUATION))
    assert repr(failed) == (
        "ConnectionFailed(1002 PROTOCOL_ERROR: 'a continuation frame arrived but no "
        "fragmented message was started' §5.4)"
    )


# --- property: whatever is sent comes back -------------------------------------------

SEND = st.one_of(
    st.tuples(st.just("text"), st.text(max_size=40), st.one_of(st.none(), st.integers(1, 8))),
    st.tuples(st.just("binary"), st.binary(max_size=40), st.one_of(st.none(), st.integers(1, 8))),
    st.tuples(st.just("ping"), st.binary(max_size=10), st.none()),
    st.tuples(st.just("pong"), st.binary(max_size=10), st.none()),
)


@settings(max_examples=150, deadline=None)
@given(
    sends=st.lists(SEND, max_size=12),
    cuts=st.lists(st.integers(0, 2000), max_size=10),
    sender_role=st.sampled_from(["client", "server"]),
    close=st.booleans(),
)
def test_random_sends_in_random_splits_come_back(sends, cuts, sender_role, close):
    sender = Connection(sender_role)
    receiver = Connection("server" if sender_role == "client" else "client", max_message_size=None)
    wire, expected = b"", []
    for kind, value, fragment_size in sends:
        if kind == "text":
            wire += sender.send_text(value, fragment_size=fragment_size)
            expected.append(TextMessage(value))
        elif kind == "binary":
            wire += sender.send_binary(value, fragment_size=fragment_size)
            expected.append(BinaryMessage(value))
        elif kind == "ping":
            wire += sender.send_ping(value)
            expected.append(Ping(value))
        else:
            wire += sender.send_pong(value)
            expected.append(Pong(value))
    if close:
        wire += sender.send_close(1000, "end")
        expected.append(CloseReceived(1000, "end"))
    events, start = [], 0
    for cut in sorted(c for c in cuts if c <= len(wire)) + [len(wire)]:
        events += receiver.receive_data(wire[start:cut])
        start = cut
    assert events == expected
    pongs = [e.payload for e in expected if isinstance(e, Ping)]
    back = sender.receive_data(receiver.data_to_send())
    assert back == [Pong(p) for p in pongs] + ([CloseReceived(1000, "end")] if close else [])


@pytest.mark.parametrize(
    "wire, field",
    [
        (from_client(Opcode.CONTINUATION, b"x"), "opcode"),
        (from_client(Opcode.TEXT, b"a", fin=False) + from_client(Opcode.TEXT, b"b"), "opcode"),
        (from_client(Opcode.TEXT, b"\xff"), "payload"),
        (from_client(Opcode.TEXT, b"\xed\xa0"), "payload"),
        (
            from_client(Opcode.BINARY, bytes(8), fin=False) + from_client(Opcode.CONTINUATION, bytes(8)),
            "payload length",
        ),
    ],
)
def test_message_level_errors_name_the_field(wire, field):
    [failed] = Connection("server", max_message_size=10).receive_data(wire)
    assert failed.error.field == field


# --- §10.4: memory follows the message's bytes, not its frame count ----------------


def test_endless_empty_continuations_fail_with_1009_at_the_fragment_limit():
    conn = Connection("server", max_fragments=4096)
    assert conn.receive_data(from_client(Opcode.TEXT, b"", fin=False)) == []
    empty = from_client(Opcode.CONTINUATION, b"", fin=False)
    assert conn.receive_data(empty * 4095) == []  # 4096 frames: at the limit
    [failed] = conn.receive_data(empty)
    assert isinstance(failed, ConnectionFailed) and failed.close_code == 1009
    assert "4096 frames per message" in failed.error.message
    assert close_frame_sent(conn)[0] == 1009


def test_default_fragment_limit_is_websockets_4096():
    from wslab.connection import MAX_FRAGMENTS

    assert MAX_FRAGMENTS == Connection("server").max_fragments == 4096


def test_fragment_limit_counts_per_message():
    conn = Connection("server", max_fragments=3)
    message = (
        from_client(Opcode.BINARY, b"a", fin=False)
        + from_client(Opcode.CONTINUATION, b"b", fin=False)
        + from_client(Opcode.CONTINUATION, b"c")
    )
    assert conn.receive_data(message * 5) == [BinaryMessage(b"abc")] * 5
    with pytest.raises(ValueError, match="max_fragments"):
        Connection("server", max_fragments=0)


@pytest.mark.parametrize("opcode", [Opcode.TEXT, Opcode.BINARY])
def test_a_message_in_tiny_fragments_costs_about_its_size(opcode):
    import tracemalloc

    size, fragment = 1 << 20, 16
    payload = b"x" * size
    conn = Connection("server", max_message_size=None, max_fragments=None)
    chunks = [payload[i : i + fragment] for i in range(0, size, fragment)]
    wire = b"".join(
        from_client(opcode if i == 0 else Opcode.CONTINUATION, chunk, fin=i == len(chunks) - 1)
        for i, chunk in enumerate(chunks)
    )
    del chunks
    events = []
    tracemalloc.start()
    try:
        for start in range(0, len(wire), 1 << 16):  # as the transport feeds it: 64 KiB reads
            events += conn.receive_data(wire[start : start + (1 << 16)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(events) == 1 and len(events[0].data) == size
    # The message's buffer, the message itself and one read's frames; before, one
    # object per fragment made this 10-40 x the message.
    assert peak < 3.5 * size, f"peak {peak / size:.1f} x the message"


def test_a_large_binary_frame_is_held_once_while_it_arrives():
    """The parser unmasks each chunk as it arrives into the payload it hands over, so a
    4 MiB frame fed in 64 KiB reads costs about 1 x its size, not masked + unmasked (2 x).
    (A text message is also checked as UTF-8 as it arrives and becomes a str: more.)"""
    opcode = Opcode.BINARY
    import tracemalloc

    size = 4 << 20
    wire = from_client(opcode, b"y" * size)
    conn = Connection("server", max_message_size=None)
    events = []
    tracemalloc.start()
    try:
        for start in range(0, len(wire), 1 << 16):
            events += conn.receive_data(wire[start : start + (1 << 16)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(events) == 1 and len(events[0].data) == size
    assert peak < 1.5 * size, f"peak {peak / size:.2f} x the message"


@pytest.mark.parametrize("message", ["é" * 100_000, b"\x00\xff" * 100_000])
def test_send_pieces_are_the_frame_send_text_or_send_binary_make(message):
    server = Connection("server")
    pieces = server.send_pieces(message)
    sent = server.send_text(message) if isinstance(message, str) else server.send_binary(message)
    assert b"".join(pieces) == sent
    payload = message.encode() if isinstance(message, str) else message
    assert len(pieces) == 2 and pieces[1] == payload  # the header, then the payload itself
    if isinstance(message, bytes):
        assert pieces[1] is message  # not a copy
    client = Connection("client", mask_key=b"\x01\x02\x03\x04")
    assert client.send_pieces(message) == [
        client.send_text(message) if isinstance(message, str) else client.send_binary(message)
    ]


def test_send_pieces_after_close_is_refused():
    conn = Connection("server")
    conn.send_close()
    with pytest.raises(ConnectionClosed, match="after sending a Close frame"):
        conn.send_pieces(b"late")


@pytest.mark.parametrize("payload, fin", [(b"\xed\xa0\x00", False), (b"\xed\xa0\x80", True), (b"a\xed\xbf\xbf", True)])
def test_a_surrogate_fails_with_the_same_close_frame_however_the_bytes_arrive(payload, fin):
    """Python's decoder calls ED A0-BF "invalid continuation byte" when it sees the whole
    sequence and waits when it sees only ED A0: both are a UTF-16 surrogate (§8.1), and the
    Close frame's reason must not depend on how TCP split the bytes (found by the fuzz test)."""
    wire = from_client(Opcode.TEXT, payload, fin=fin)
    whole, single = Connection("server"), Connection("server")
    (failed,) = whole.receive_data(wire)
    for i in range(len(wire)):
        single.receive_data(wire[i : i + 1])
    assert isinstance(failed, ConnectionFailed) and failed.close_code == 1007
    assert "surrogate" in failed.error.message
    assert single.data_to_send() == whole.data_to_send()
