"""wslab's Connection against two reference implementations, sans-I/O, real bytes.

Peers: wsproto's `Connection` and websockets' sans-I/O `Protocol` (the base of
its ServerProtocol/ClientProtocol, built in state OPEN: a ServerProtocol made
then set to OPEN would still parse an HTTP request first). Each direction and
each role: messages, fragments, ping/pong, the closing handshake from each side,
and the close code each side picks for the same invalid input.
"""

from __future__ import annotations

import pytest
from test_connection import ERRORS, from_client
from websockets.frames import Close as WsClose
from websockets.frames import Opcode as WsOpcode
from websockets.protocol import Protocol as WsProtocol
from websockets.protocol import Side
from websockets.protocol import State as WsState
from wsproto.connection import Connection as WspConnection
from wsproto.connection import ConnectionType
from wsproto.events import BytesMessage as WspBytes
from wsproto.events import CloseConnection as WspClose
from wsproto.events import Ping as WspPing
from wsproto.events import Pong as WspPong
from wsproto.events import TextMessage as WspText

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
from wslab.frames import decode, parse_close
from wslab.masking import RFC_MASK_KEY

# Normalized events: ("text", str) ("binary", bytes) ("ping", b) ("pong", b) ("close", code, reason)


def normalize(events) -> list[tuple]:
    out = []
    for e in events:
        if isinstance(e, TextMessage):
            out.append(("text", e.data))
        elif isinstance(e, BinaryMessage):
            out.append(("binary", e.data))
        elif isinstance(e, Ping):
            out.append(("ping", e.payload))
        elif isinstance(e, Pong):
            out.append(("pong", e.payload))
        elif isinstance(e, CloseReceived):
            out.append(("close", 1005 if e.code is None else e.code, e.reason))
        else:
            out.append(("failed", e.close_code))
    return out


class WsprotoPeer:
    """wsproto, answering pings and closes as its docs say an application must."""

    name = "wsproto"

    def __init__(self, role: str) -> None:
        self.conn = WspConnection(ConnectionType.SERVER if role == "server" else ConnectionType.CLIENT)
        self._text: list[str] = []
        self._binary: list[bytes] = []

    def receive(self, data: bytes) -> tuple[list[tuple], bytes]:
        self.conn.receive_data(data)
        events, reply = [], b""
        for e in self.conn.events():
            if isinstance(e, WspText):
                self._text.append(e.data)
                if e.message_finished:
                    events.append(("text", "".join(self._text)))
                    self._text = []
            elif isinstance(e, WspBytes):
                self._binary.append(bytes(e.data))
                if e.message_finished:
                    events.append(("binary", b"".join(self._binary)))
                    self._binary = []
            elif isinstance(e, WspPing):
                events.append(("ping", bytes(e.payload)))
                reply += self.conn.send(e.response())
            elif isinstance(e, WspPong):
                events.append(("pong", bytes(e.payload)))
            elif isinstance(e, WspClose):
                events.append(("close", int(e.code), e.reason or ""))
                if self.conn.state.name == "REMOTE_CLOSING":
                    reply += self.conn.send(e.response())
        return events, reply

    def send_text(self, text: str, fragments: list[str] | None = None) -> bytes:
        parts = fragments or [text]
        return b"".join(self.conn.send(WspText(p, message_finished=i == len(parts) - 1)) for i, p in enumerate(parts))

    def send_binary(self, data: bytes) -> bytes:
        return self.conn.send(WspBytes(data))

    def send_ping(self, payload: bytes) -> bytes:
        return self.conn.send(WspPing(payload))

    def send_close(self, code: int, reason: str) -> bytes:
        return self.conn.send(WspClose(code, reason))


class WebsocketsPeer:
    """websockets' sans-I/O protocol: it answers pings and closes by itself."""

    name = "websockets"

    def __init__(self, role: str) -> None:
        self.conn = WsProtocol(Side.SERVER if role == "server" else Side.CLIENT, state=WsState.OPEN, max_size=None)
        self._opcode = None
        self._parts: list[bytes] = []

    def _out(self) -> bytes:
        return b"".join(self.conn.data_to_send())  # b"" stands for "close TCP": nothing on the wire

    def receive(self, data: bytes) -> tuple[list[tuple], bytes]:
        self.conn.receive_data(data)
        events = []
        for frame in self.conn.events_received():
            if frame.opcode in (WsOpcode.TEXT, WsOpcode.BINARY, WsOpcode.CONT):
                if frame.opcode is not WsOpcode.CONT:
                    self._opcode = frame.opcode
                self._parts.append(frame.data)
                if frame.fin:
                    data = b"".join(self._parts)
                    events.append(("text", data.decode()) if self._opcode is WsOpcode.TEXT else ("binary", data))
                    self._parts = []
            elif frame.opcode is WsOpcode.PING:
                events.append(("ping", frame.data))
            elif frame.opcode is WsOpcode.PONG:
                events.append(("pong", frame.data))
            else:
                close = WsClose.parse(frame.data)
                events.append(("close", close.code, close.reason))
        return events, self._out()

    def send_text(self, text: str, fragments: list[str] | None = None) -> bytes:
        parts = [p.encode() for p in fragments] if fragments else [text.encode()]
        self.conn.send_text(parts[0], fin=len(parts) == 1)
        for i, p in enumerate(parts[1:], 1):
            self.conn.send_continuation(p, fin=i == len(parts) - 1)
        return self._out()

    def send_binary(self, data: bytes) -> bytes:
        self.conn.send_binary(data)
        return self._out()

    def send_ping(self, payload: bytes) -> bytes:
        self.conn.send_ping(payload)
        return self._out()

    def send_close(self, code: int, reason: str) -> bytes:
        self.conn.send_close(code, reason)
        return self._out()


PEERS = [WsprotoPeer, WebsocketsPeer]
ROLES = ["client", "server"]  # wslab's role; the peer takes the other one


def pair(peer_cls, role):
    other = "server" if role == "client" else "client"
    return Connection(role, max_message_size=None), peer_cls(other)


TEXT = "héllo, 세계 🙂"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("peer_cls", PEERS, ids=lambda c: c.name)
def test_messages_from_wslab(peer_cls, role):
    ours, peer = pair(peer_cls, role)
    wire = (
        ours.send_text(TEXT)
        + ours.send_binary(b"\x00\xff" * 40000)
        + ours.send_text("")
        + ours.send_text(TEXT, fragment_size=3)
        + ours.send_binary(bytes(range(256)), fragment_size=100)
    )
    events, reply = peer.receive(wire)
    assert events == [
        ("text", TEXT),
        ("binary", b"\x00\xff" * 40000),
        ("text", ""),
        ("text", TEXT),
        ("binary", bytes(range(256))),
    ]
    assert reply == b""


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("peer_cls", PEERS, ids=lambda c: c.name)
def test_messages_from_peer(peer_cls, role):
    ours, peer = pair(peer_cls, role)
    # fragments cut inside multi-byte characters are not possible with wsproto's str API;
    # the byte-level cuts are covered by test_connection.py
    wire = (
        peer.send_text(TEXT)
        + peer.send_binary(b"\x01" * 70000)
        + peer.send_text(TEXT, fragments=["hé", "llo, 세", "계 🙂"])
    )
    expected = [("text", TEXT), ("binary", b"\x01" * 70000), ("text", TEXT)]
    assert normalize(ours.receive_data(wire)) == expected
    ours2, _ = pair(peer_cls, role)
    events = []
    for i in range(0, len(wire), 7):
        events += ours2.receive_data(wire[i : i + 7])
    assert normalize(events) == expected
    assert ours.data_to_send() == b""


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("peer_cls", PEERS, ids=lambda c: c.name)
def test_ping_from_wslab_pong_from_peer(peer_cls, role):
    ours, peer = pair(peer_cls, role)
    events, reply = peer.receive(ours.send_ping(b"are you there"))
    assert events == [("ping", b"are you there")]
    assert normalize(ours.receive_data(reply)) == [("pong", b"are you there")]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("peer_cls", PEERS, ids=lambda c: c.name)
def test_ping_from_peer_between_fragments_auto_pong(peer_cls, role):
    ours, peer = pair(peer_cls, role)
    wire = peer.send_text("ab", fragments=["a", "b"])
    first_len = len(wire) - (len(wire) // 2)  # both frames have equal size: 1 payload byte each
    wire = wire[:first_len] + peer.send_ping(b"mid") + wire[first_len:]
    assert normalize(ours.receive_data(wire)) == [("ping", b"mid"), ("text", "ab")]
    events, reply = peer.receive(ours.data_to_send())
    assert events == [("pong", b"mid")]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("peer_cls", PEERS, ids=lambda c: c.name)
def test_close_started_by_wslab(peer_cls, role):
    ours, peer = pair(peer_cls, role)
    events, echo = peer.receive(ours.send_close(1000, "bye"))
    assert events == [("close", 1000, "bye")]
    assert normalize(ours.receive_data(echo)) == [("close", 1000, "bye")]
    assert ours.data_to_send() == b""
    assert (ours.state, ours.close_code, ours.close_reason) == (State.CLOSED, 1000, "bye")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("peer_cls", PEERS, ids=lambda c: c.name)
def test_close_started_by_peer(peer_cls, role):
    ours, peer = pair(peer_cls, role)
    assert normalize(ours.receive_data(peer.send_close(4001, "app done"))) == [("close", 4001, "app done")]
    events, reply = peer.receive(ours.data_to_send())
    assert events == [("close", 4001, "app done")]
    assert reply == b""
    assert ours.state is State.CLOSED


@pytest.mark.parametrize("peer_cls", PEERS, ids=lambda c: c.name)
def test_same_bytes_in_same_role_same_events_and_same_reply(peer_cls):
    """Fed the same client bytes, a wslab server and the reference server agree
    event for event and reply byte for byte (server frames are unmasked)."""
    stream = (
        from_client(Opcode.TEXT, "가".encode(), fin=False)
        + from_client(Opcode.PING, b"1")
        + from_client(Opcode.CONTINUATION, b"!")
        + from_client(Opcode.PONG, b"2")
        + from_client(Opcode.BINARY, bytes(200))
        + from_client(Opcode.CLOSE)
    )  # empty close
    ours, peer = Connection("server"), peer_cls("server")
    events, reply = peer.receive(stream)
    assert normalize(ours.receive_data(stream)) == events
    assert events[-1] == ("close", 1005, "")
    assert ours.data_to_send() == reply == b"\x8a\x011\x88\x00"  # the pong, then the empty echo


# The same invalid client bytes: wslab and each reference close with the same code,
# except where a reference does not check that rule at all (listed, with why).
NOT_CHECKED = {
    ("websockets", "non-minimal length"): "websockets accepts a length in more bytes than needed",
    ("websockets", "invalid UTF-8"): "websockets' Protocol passes text frames on; its higher layer decodes them",
    ("wsproto", "message too big"): "wsproto 1.3 has no message size limit",
    ("wsproto", "message too big across fragments"): "wsproto 1.3 has no message size limit",
}


def reference_close_code(peer_cls, wire: bytes) -> int | None:
    if peer_cls is WebsocketsPeer:
        conn = WsProtocol(Side.SERVER, state=WsState.OPEN, max_size=1000)
        conn.receive_data(wire)
        out = b"".join(conn.data_to_send())
        if not out:
            return None
        frame, _ = decode(out, role="client")
        return parse_close(frame.payload)[0]
    conn = WspConnection(ConnectionType.SERVER)
    conn.receive_data(wire)
    for event in conn.events():
        if isinstance(event, WspClose):
            return int(event.code)
    return None


@pytest.mark.parametrize("name, wire, code", ERRORS, ids=[e[0] for e in ERRORS])
@pytest.mark.parametrize("peer_cls", PEERS, ids=lambda c: c.name)
def test_errors_get_the_same_close_code(peer_cls, name, wire, code):
    ours = Connection("server", max_message_size=1000)
    [failed] = ours.receive_data(wire)
    assert isinstance(failed, ConnectionFailed) and failed.close_code == code
    theirs = reference_close_code(peer_cls, wire)
    if (peer_cls.name, name) in NOT_CHECKED:
        assert theirs is None  # if a reference starts checking it, this list must shrink
    else:
        assert theirs == code


def test_close_between_fragments_wsproto_agrees_websockets_is_stricter():
    """§5.4: control frames MAY be injected in the middle of a fragmented message,
    and Close is a control frame. wslab and wsproto answer with the peer's code;
    websockets fails the connection with 1002 ("incomplete fragmented message")."""
    wire = from_client(Opcode.TEXT, b"par", fin=False) + from_client(Opcode.CLOSE, b"\x03\xe8")
    ours = Connection("server")
    assert normalize(ours.receive_data(wire)) == [("close", 1000, "")]
    assert ours.data_to_send() == b"\x88\x02\x03\xe8"
    assert reference_close_code(WsprotoPeer, wire) == 1000
    assert reference_close_code(WebsocketsPeer, wire) == 1002


def test_wslab_client_masks_like_the_rfc_and_references_unmask_it():
    ours = Connection("client", mask_key=RFC_MASK_KEY)
    wire = ours.send_text("Hello")
    assert wire == b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
    for peer_cls in PEERS:
        assert peer_cls("server").receive(wire)[0] == [("text", "Hello")]
