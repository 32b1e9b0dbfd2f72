"""Packet encoding against the published examples of socket.io-protocol v5 and engine.io-protocol v4."""

import pytest

from wslab.events import (
    Packet,
    PacketType,
    decode_packet,
    encode_packet,
    engineio_open,
    from_wire,
    js_stringify,
    to_wire,
)

# (Socket.IO packet text, the Packet it encodes) from socket.io-protocol's README examples.
PUBLISHED = [
    ("0", Packet(PacketType.CONNECT)),
    ('0{"sid":"wZX3oN0bSVIhsaknAAAI"}', Packet(PacketType.CONNECT, {"sid": "wZX3oN0bSVIhsaknAAAI"})),
    ("0/admin,", Packet(PacketType.CONNECT, namespace="/admin")),
    ('4{"message":"Not authorized"}', Packet(PacketType.CONNECT_ERROR, {"message": "Not authorized"})),
    ('2["foo"]', Packet(PacketType.EVENT, ["foo"])),
    ('2/admin,["bar"]', Packet(PacketType.EVENT, ["bar"], namespace="/admin")),
    ('212["foo"]', Packet(PacketType.EVENT, ["foo"], id=12)),
    ("312[]", Packet(PacketType.ACK, [], id=12)),
    ('3/admin,13["bar"]', Packet(PacketType.ACK, ["bar"], namespace="/admin", id=13)),
    (
        '51-["baz",{"_placeholder":true,"num":0}]',
        Packet(PacketType.BINARY_EVENT, ["baz", {"_placeholder": True, "num": 0}], attachments=1),
    ),
    ("1", Packet(PacketType.DISCONNECT)),
    ("1/admin,", Packet(PacketType.DISCONNECT, namespace="/admin")),
]


@pytest.mark.parametrize("text, packet", PUBLISHED, ids=[t for t, _ in PUBLISHED])
def test_published_examples_encode_and_decode(text, packet):
    assert encode_packet(packet) == text
    assert decode_packet(text) == packet


def test_on_the_wire_an_engineio_message_prefix():
    assert to_wire(Packet(PacketType.EVENT, ["foo"])) == '42["foo"]'  # "will be sent as 42["foo"]"
    assert to_wire(Packet(PacketType.ACK, [], id=12)) == "4312[]"
    assert from_wire('42456["message-with-ack",1,"2",{"3":[false]}]') == Packet(
        PacketType.EVENT, ["message-with-ack", 1, "2", {"3": [False]}], id=456
    )
    with pytest.raises(ValueError, match="heartbeat"):
        from_wire("2")


def test_engineio_open_packet_of_a_websocket_only_session():
    assert engineio_open("lv_VI97HAXpY6yYWAAAC") == (
        '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'
    )


@pytest.mark.parametrize(
    "bad, rule",
    [
        ("2", "non-empty array"),
        ("2[]", "non-empty array"),
        ('2{"a":1}', "non-empty array"),
        ("3", "MUST be an array"),
        ('4"x"', "MUST be an object"),
        ("9", "unknown"),
        ("", "unknown"),
    ],
)
def test_invalid_packets_are_refused_with_the_rule(bad, rule):
    with pytest.raises(ValueError, match=rule):
        decode_packet(bad)


@pytest.mark.parametrize(
    "value, js",
    [
        (["chat", "hi"], '["chat","hi"]'),
        ({"a": [1, 2], "b": None}, '{"a":[1,2],"b":null}'),
        ("한글 ✓ é", '"한글 ✓ é"'),  # JSON.stringify does not escape non-ASCII
        ("\u2028", '"\u2028"'),  # nor U+2028 (ES2019 JSON superset)
        ('q"\\\n\t\x01', '"q\\"\\\\\\n\\t\\u0001"'),
        ("\ud800", '"\\ud800"'),  # lone surrogate: escaped by well-formed JSON.stringify
        (1.0, "1"),
        (-0.0, "0"),
        (0.5, "0.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (123456789.125, "123456789.125"),
        (float("nan"), "null"),
        (float("inf"), "null"),
        (True, "true"),
        ({1: "a"}, '{"1":"a"}'),
        (2**53, "9007199254740992"),
        (1e16, "10000000000000000"),
        (-2.5e-10, "-2.5e-10"),
    ],
)
def test_json_as_javascript_writes_it(value, js):
    assert js_stringify(value) == js


def test_values_that_cannot_travel():
    with pytest.raises(TypeError, match="callback="):
        js_stringify([print])
    with pytest.raises(TypeError, match="BINARY_EVENT"):
        js_stringify(b"\x00")
    with pytest.raises(TypeError, match="not JSON-serializable"):
        js_stringify({1, 2})
