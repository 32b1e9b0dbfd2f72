"""wslab.engineio without sockets: packets, polling payloads, request checks, the session and its heartbeat."""

from __future__ import annotations

import json

import pytest

from wslab import engineio
from wslab.engineio import (
    EngineIOError,
    ErrorCode,
    Packet,
    PacketError,
    PacketType,
    Session,
    SessionState,
    decode_packet,
    decode_payload,
    encode_packet,
    encode_payload,
    verify_request,
)


def test_packet_types_and_websocket_encoding():
    assert [t.value for t in PacketType] == list(range(7))
    assert encode_packet(Packet(PacketType.MESSAGE, "hello")) == "4hello"
    assert encode_packet(Packet(PacketType.PING)) == "2"
    assert encode_packet(Packet(PacketType.PING, "probe")) == "2probe"
    assert encode_packet(Packet(PacketType.MESSAGE, b"\x01\x02")) == b"\x01\x02"  # a binary frame, as-is
    assert decode_packet("3probe") == Packet(PacketType.PONG, "probe")
    assert decode_packet("6") == Packet(PacketType.NOOP)
    assert decode_packet(b"\x00") == Packet(PacketType.MESSAGE, b"\x00")
    with pytest.raises(ValueError):
        encode_packet(Packet(PacketType.PING, b"x"))


@pytest.mark.parametrize("text", ["", "7", "x", "hello"])
def test_a_frame_that_is_not_a_packet_says_so(text):
    with pytest.raises(PacketError) as info:
        decode_packet(text)
    assert info.value.text == text and info.value.rule == "Protocol"


def test_polling_payloads_as_the_specification_writes_them():
    # engine.io-protocol, "Packet encoding", HTTP long-polling: 4hello\x1e2\x1e4world, binary as b + base64
    packets = [Packet(PacketType.MESSAGE, "hello"), Packet(PacketType.PING), Packet(PacketType.MESSAGE, "world")]
    assert encode_payload(packets) == "4hello\x1e2\x1e4world"
    assert decode_payload("4hello\x1e2\x1e4world") == packets
    assert encode_payload([Packet(PacketType.MESSAGE, b"\x01\x02\x03\x04")]) == "bAQIDBA=="
    assert decode_payload("4€\x1ebAQIDBA==") == [
        Packet(PacketType.MESSAGE, "€"),
        Packet(PacketType.MESSAGE, b"\x01\x02\x03\x04"),
    ]


@pytest.mark.parametrize("body", ["", "b!!!", "4a\x1e\x1e4b", "9"])
def test_bad_payloads(body):
    with pytest.raises(PacketError):
        decode_payload(body)


def test_error_codes_and_bodies_as_the_javascript_server_writes_them():
    assert [(c.value, c.message) for c in ErrorCode] == [
        (0, "Transport unknown"),
        (1, "Session ID unknown"),
        (2, "Bad handshake method"),
        (3, "Bad request"),
        (4, "Forbidden"),
        (5, "Unsupported protocol version"),
    ]
    error = EngineIOError(ErrorCode.FORBIDDEN, "allow_request said no")
    assert error.status == 403 and error.body() == '{"code":4,"message":"Forbidden"}'
    assert EngineIOError(ErrorCode.UNKNOWN_SID, "x").status == 400


def _session(**options):
    return Session("sid1", "polling", 0.0, ping_interval=25, ping_timeout=20, upgrades=["websocket"], **options)


@pytest.mark.parametrize(
    "method, query, upgrade, session, code",
    [
        ("GET", {"EIO": "4"}, False, None, ErrorCode.UNKNOWN_TRANSPORT),
        ("GET", {"EIO": "4", "transport": "carrier-pigeon"}, False, None, ErrorCode.UNKNOWN_TRANSPORT),
        ("GET", {"EIO": "4", "transport": "polling", "sid": "nope"}, False, None, ErrorCode.UNKNOWN_SID),
        ("POST", {"EIO": "4", "transport": "polling"}, False, None, ErrorCode.BAD_HANDSHAKE_METHOD),
        ("GET", {"EIO": "4", "transport": "websocket"}, False, None, ErrorCode.BAD_REQUEST),
        ("GET", {"EIO": "3", "transport": "polling"}, False, None, ErrorCode.UNSUPPORTED_PROTOCOL_VERSION),
        ("GET", {"transport": "polling"}, False, None, ErrorCode.UNSUPPORTED_PROTOCOL_VERSION),
        ("GET", {"EIO": "4", "transport": "websocket", "sid": "sid1"}, False, "polling", ErrorCode.BAD_REQUEST),
    ],
)
def test_verify_request_in_the_javascript_servers_order(method, query, upgrade, session, code):
    with pytest.raises(EngineIOError) as info:
        verify_request(method, query, upgrade=upgrade, session=_session() if session else None)
    assert info.value.code is code and info.value.detail


def test_verify_request_accepts_handshakes_polls_and_upgrades():
    verify_request("GET", {"EIO": "4", "transport": "polling", "t": "Nx1"}, upgrade=False)
    verify_request("GET", {"EIO": "4", "transport": "websocket"}, upgrade=True)
    verify_request("POST", {"EIO": "4", "transport": "polling", "sid": "sid1"}, upgrade=False, session=_session())
    verify_request("GET", {"EIO": "4", "transport": "websocket", "sid": "sid1"}, upgrade=True, session=_session())


def test_the_open_packet():
    session = _session()
    [packet] = session.take()
    assert packet.type is PacketType.OPEN
    assert json.loads(packet.data) == {
        "sid": "sid1",
        "upgrades": ["websocket"],
        "pingInterval": 25000,
        "pingTimeout": 20000,
        "maxPayload": 1000000,
    }
    assert packet.data.startswith('{"sid":"sid1","upgrades":["websocket"],"pingInterval"')
    assert len(engineio.new_sid()) == 20


def test_heartbeat_ping_pong_and_ping_timeout():
    closed = []
    session = _session(on_close=closed.append)
    session.take()
    assert session.deadline() == 25
    session.tick(24.9)
    assert session.take() == []
    session.tick(25)
    assert session.take() == [Packet(PacketType.PING)]
    assert session.deadline() == 45  # the pong is due within pingTimeout
    session.receive(Packet(PacketType.PONG), 30)
    assert session.deadline() == 55  # the next ping: pingInterval after the pong
    session.tick(55)
    assert session.take() == [Packet(PacketType.PING)]
    session.tick(74.9)
    assert closed == []
    session.tick(75)
    assert closed == ["ping timeout"] and session.state is SessionState.CLOSED and session.deadline() is None


def test_messages_close_and_wrong_direction_packets():
    got, closed = [], []
    session = _session(on_message=got.append, on_close=closed.append)
    session.receive(Packet(PacketType.MESSAGE, "40"), 1)
    session.receive(Packet(PacketType.MESSAGE, b"\x01"), 1)
    assert got == ["40", b"\x01"]
    session.receive(Packet(PacketType.CLOSE), 2)
    assert closed == ["transport close"]
    session.receive(Packet(PacketType.MESSAGE, "late"), 3)
    assert got == ["40", b"\x01"]
    for wrong, reason in ((PacketType.PING, "transport error"), (PacketType.OPEN, "parse error")):
        closed = []
        session = _session(on_close=closed.append)
        session.receive(Packet(wrong), 1)  # v4: only the server pings; open is the server's
        assert closed == [reason]


def test_server_close_over_polling_sends_a_close_packet():
    closed = []
    session = _session(on_close=closed.append)
    session.take()
    session.message("41")
    session.close("server shutting down")
    assert session.take() == [Packet(PacketType.MESSAGE, "41"), Packet(PacketType.CLOSE)]
    assert session.state is SessionState.CLOSING
    session.closed("forced close")
    assert closed == ["server shutting down"]  # the reason the server gave, not the transport's


def test_upgrade_probe_noop_and_upgrade():
    sent = []
    session = _session(on_packet=lambda direction, packet: sent.append((direction, encode_packet(packet))))
    session.take()
    assert session.probe(Packet(PacketType.PING, "probe"), 1) == Packet(PacketType.PONG, "probe")
    assert session.take() == [Packet(PacketType.NOOP)]  # the pending poll ends: the client may upgrade
    assert session.probe(Packet(PacketType.UPGRADE), 2) is None
    assert session.transport == "websocket" and not session.upgrading
    assert sent[0][0] == "sent" and sent[0][1].startswith('0{"sid"')
    assert sent[1:] == [("received", "2probe"), ("sent", "3probe"), ("sent", "6"), ("received", "5")]
    with pytest.raises(PacketError):
        _session().probe(Packet(PacketType.MESSAGE, "hi"), 1)


def test_an_upgrade_that_does_not_finish_in_time():
    session = _session(upgrade_timeout=10)
    session.probe(Packet(PacketType.PING, "probe"), 1)
    assert session.deadline() == 11
    assert session.tick(11) is False and not session.upgrading


def test_a_client_that_never_takes_its_packets_cannot_grow_the_buffer():
    closed = []
    session = _session(max_payload=100, on_close=closed.append)
    for _ in range(100):
        session.message("x" * 50)
    assert closed == ["transport error"] and session.buffer == [] and session.state is SessionState.CLOSED


def test_packets_in_captured_bytes():
    assert engineio.packets_in('42["a"]', polling=False) == [Packet(PacketType.MESSAGE, '2["a"]')]
    assert engineio.packets_in(b"2\x1e40", polling=True) == [Packet(PacketType.PING), Packet(PacketType.MESSAGE, "0")]
    assert engineio.packets_in(b"ok", polling=True) == [] and engineio.packets_in("hello", polling=False) == []
    assert engineio.packets_in(b"\xff", polling=True) == []
    assert [engineio.describe_packet(p) for p in engineio.packets_in("2probe\x1ebAQI=\x1e6", polling=True)] == [
        "ping probe",
        "message <2 bytes>",
        "noop",
    ]
