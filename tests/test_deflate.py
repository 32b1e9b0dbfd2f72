"""permessage-deflate (RFC 7692), sans-I/O: the header grammar, negotiation, compression.

The RFC's own examples (§7.2.3), every negotiation rule of §5 and §7.1 from both
sides, bombs, and a differential check against the `websockets` library's
extension (its frames compressed by us are inflated by it, and back).
"""

from __future__ import annotations

import os
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.extensions.permessage_deflate import PerMessageDeflate as WsDeflate
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode as WsOpcode

from wslab import deflate
from wslab.deflate import Agreement, Offer, PerMessageDeflate, ServerConfig, accept, check_response
from wslab.errors import HandshakeError, InvalidResponse, NegotiationError, PayloadTooBig, ProtocolError
from wslab.handshake import Extension, build_extensions, parse_extensions

HELLO = bytes.fromhex("f2 48 cd c9 c9 07 00")  # RFC 7692 §7.2.3.1


# --- Sec-WebSocket-Extensions grammar (RFC 6455 §9.1) ------------------------------


def test_parse_extensions_reads_offers_in_order():
    value = 'permessage-deflate; client_max_window_bits, x-other ;a=1; b="two", permessage-deflate'
    assert parse_extensions(value) == [
        Extension("permessage-deflate", (("client_max_window_bits", None),)),
        Extension("x-other", (("a", "1"), ("b", "two"))),
        Extension("permessage-deflate"),
    ]


def test_build_extensions_round_trips():
    extensions = [Extension("permessage-deflate", (("server_max_window_bits", "10"), ("client_max_window_bits", None)))]
    text = build_extensions(extensions)
    assert text == "permessage-deflate; server_max_window_bits=10; client_max_window_bits"
    assert parse_extensions(text) == extensions


def test_empty_list_elements_are_ignored():
    assert parse_extensions(", permessage-deflate ,,") == [Extension("permessage-deflate")]


@pytest.mark.parametrize("value", ["", ",", "a;", "a b", "a;=1", 'a;b="x', 'a;b="1 2"', "a;b=", "a;b=c d", "a=1"])
def test_malformed_extensions_header(value):
    with pytest.raises(HandshakeError) as info:
        parse_extensions(value)
    assert info.value.status == 400 and info.value.rfc_section == "9.1"
    with pytest.raises(InvalidResponse):
        parse_extensions(value, side="response")


# --- offers and answers (§5.1, §7.1) -------------------------------------------------


def ext(text: str) -> Extension:
    (extension,) = parse_extensions(text)
    return extension


def test_offer_header_like_a_browser():
    assert str(Offer()) == "permessage-deflate; client_max_window_bits"
    assert str(Offer(True, True, 10, 9)) == (
        "permessage-deflate; server_no_context_takeover; "
        "client_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits=9"
    )
    assert str(Offer(client_max_window_bits=False)) == "permessage-deflate"


@pytest.mark.parametrize("bits", [7, 16, 0, "9"])
def test_offer_refuses_bad_window_bits(bits):
    with pytest.raises(ValueError, match="8 to 15"):
        Offer(server_max_window_bits=bits)
    with pytest.raises(ValueError, match="8 to 15"):
        ServerConfig(client_max_window_bits=bits)


@pytest.mark.parametrize(
    "text, parameter, section",
    [
        ("permessage-deflate; foo", "foo", "7"),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "server_no_context_takeover",
            "7",
        ),
        ("permessage-deflate; server_no_context_takeover=1", "server_no_context_takeover", "7.1.1.1"),
        ("permessage-deflate; client_no_context_takeover=x", "client_no_context_takeover", "7.1.1.2"),
        ("permessage-deflate; server_max_window_bits", "server_max_window_bits", "7.1.2.1"),
        ("permessage-deflate; server_max_window_bits=7", "server_max_window_bits", "7.1.2.1"),
        ("permessage-deflate; server_max_window_bits=16", "server_max_window_bits", "7.1.2.1"),
        ("permessage-deflate; server_max_window_bits=010", "server_max_window_bits", "7.1.2.1"),
        ('permessage-deflate; client_max_window_bits="+9"', "client_max_window_bits", "7.1.2.2"),
        ("permessage-deflate; client_max_window_bits=8; client_max_window_bits=9", "client_max_window_bits", "7"),
    ],
)
def test_server_declines_a_bad_offer(text, parameter, section):
    with pytest.raises(NegotiationError) as info:
        deflate.parse_offer(ext(text))
    assert info.value.parameter == parameter and info.value.rfc_section == section
    result = accept([ext(text)])
    assert result.agreement is None and result.response is None
    assert result.declined[0][1].parameter == parameter


def test_quoted_values_are_read_as_their_token():
    assert deflate.parse_offer(ext('permessage-deflate; server_max_window_bits="10"')).server_max_window_bits == 10


def test_server_takes_the_first_acceptable_offer():
    offers = parse_extensions(
        "x-unknown, permessage-deflate; bogus, permessage-deflate; server_max_window_bits=10, permessage-deflate"
    )
    result = accept(offers)
    assert str(result.response) == "permessage-deflate; server_max_window_bits=10"
    assert result.offer == Offer(server_max_window_bits=10, client_max_window_bits=False)
    assert [str(e) for e, _ in result.declined] == ["permessage-deflate; bogus"]


def test_no_offer_no_compression():
    assert accept(parse_extensions("x-webkit-deflate-frame")).agreement is None
    assert accept([]).agreement is None


@pytest.mark.parametrize(
    "offer, config, answer",
    [
        # the browser's offer, a server without wishes: plain acceptance
        ("permessage-deflate; client_max_window_bits", ServerConfig(), "permessage-deflate"),
        # §7.1.1: the server may add either no_context_takeover on its own
        (
            "permessage-deflate",
            ServerConfig(server_no_context_takeover=True, client_no_context_takeover=True),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        ),
        # §7.1.1.1: an offered server_no_context_takeover is answered; §7.1.1.2: the client's hint echoed
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            ServerConfig(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        ),
        # §7.1.2.1: the same or a smaller value than offered
        (
            "permessage-deflate; server_max_window_bits=10",
            ServerConfig(),
            "permessage-deflate; server_max_window_bits=10",
        ),
        (
            "permessage-deflate; server_max_window_bits=10",
            ServerConfig(server_max_window_bits=9),
            "permessage-deflate; server_max_window_bits=9",
        ),
        (
            "permessage-deflate; server_max_window_bits=8",
            ServerConfig(),
            "permessage-deflate; server_max_window_bits=8",
        ),
        # ... and a server may name its own limit unasked
        (
            "permessage-deflate",
            ServerConfig(server_max_window_bits=12),
            "permessage-deflate; server_max_window_bits=12",
        ),
        # §7.1.2.2: client_max_window_bits only when offered; a value no larger than the client's
        ("permessage-deflate", ServerConfig(client_max_window_bits=10), "permessage-deflate"),
        (
            "permessage-deflate; client_max_window_bits",
            ServerConfig(client_max_window_bits=10),
            "permessage-deflate; client_max_window_bits=10",
        ),
        (
            "permessage-deflate; client_max_window_bits=9",
            ServerConfig(client_max_window_bits=12),
            "permessage-deflate; client_max_window_bits=9",
        ),
        (
            "permessage-deflate; client_max_window_bits=12",
            ServerConfig(client_max_window_bits=8),
            "permessage-deflate; client_max_window_bits=8",
        ),
    ],
)
def test_server_answer(offer, config, answer):
    result = accept([ext(offer)], config)
    assert str(result.response) == answer
    # and the client that made that offer accepts that answer
    assert check_response([deflate.parse_offer(ext(offer))], [result.response]) is not None


@pytest.mark.parametrize(
    "offer, answer, parameter",
    [
        (Offer(), "permessage-deflate; foo", "foo"),
        (Offer(), "permessage-deflate; client_max_window_bits", "client_max_window_bits"),  # no value in an answer
        (Offer(), "permessage-deflate; server_max_window_bits=0x9", "server_max_window_bits"),
        (
            Offer(),
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            "client_no_context_takeover",
        ),
        (Offer(server_no_context_takeover=True), "permessage-deflate", "server_no_context_takeover"),
        (Offer(server_max_window_bits=10), "permessage-deflate", "server_max_window_bits"),
        (Offer(server_max_window_bits=10), "permessage-deflate; server_max_window_bits=11", "server_max_window_bits"),
        (
            Offer(client_max_window_bits=False),
            "permessage-deflate; client_max_window_bits=10",
            "client_max_window_bits",
        ),
        (Offer(client_max_window_bits=10), "permessage-deflate; client_max_window_bits=11", "client_max_window_bits"),
    ],
)
def test_client_fails_on_an_answer_it_did_not_allow(offer, answer, parameter):
    with pytest.raises(NegotiationError) as info:
        check_response([offer], [ext(answer)])
    assert info.value.parameter == parameter


def test_client_fails_on_two_answers_or_an_unoffered_one():
    with pytest.raises(NegotiationError, match="2 times"):
        check_response([Offer()], parse_extensions("permessage-deflate, permessage-deflate"))
    with pytest.raises(NegotiationError, match="did not offer"):
        check_response([], [ext("permessage-deflate")])


def test_client_answers():
    assert check_response([Offer()], []) is None
    assert check_response([Offer()], parse_extensions("x-other")) is None
    # §7.1.1: the server may add either no_context_takeover unasked
    assert check_response(
        [Offer()], [ext("permessage-deflate; server_no_context_takeover; client_no_context_takeover")]
    ) == Agreement(True, True)
    # a smaller server window than offered is fine (§7.1.2.1)
    assert (
        check_response(
            [Offer(server_max_window_bits=12)], [ext("permessage-deflate; server_max_window_bits=9")]
        ).server_max_window_bits
        == 9
    )
    # the client's own cap holds when the server names none
    assert check_response([Offer(client_max_window_bits=10)], [ext("permessage-deflate")]).client_max_window_bits == 10
    # with several offers, the answer may fit any one of them
    offers = [Offer(server_max_window_bits=9), Offer()]
    assert check_response(offers, [ext("permessage-deflate")]) == Agreement()


# --- compression (§6, §7.2) -------------------------------------------------------


def test_rfc_example_hello():
    """§7.2.3.1 and §7.2.3.2: "Hello", then "Hello" again with the window kept."""
    server = PerMessageDeflate("server")
    assert server.compress(b"Hello") == HELLO
    assert server.compress(b"Hello") == bytes.fromhex("f2 00 11 00 00")
    client = PerMessageDeflate("client")
    assert client.inflate_message(HELLO) == b"Hello"
    assert client.inflate_message(bytes.fromhex("f2 00 11 00 00")) == b"Hello"


@pytest.mark.parametrize(
    "payload",
    [
        "f2 48 cd c9 c9 07 00",  # §7.2.3.1
        "f3 48 cd c9 c9 07 00 00",  # §7.2.3.3: a final block, then an empty one
        "f2 48 05 00 00 00 ff ff ca c9 c9 07 00",  # §7.2.3.4: two blocks
        "00 05 00 fa ff 48 65 6c 6c 6f 00",  # §7.2.3.5: a stored (uncompressed) block
    ],
)
def test_rfc_examples_inflate_to_hello(payload):
    assert PerMessageDeflate("client").inflate_message(bytes.fromhex(payload)) == b"Hello"


def test_empty_message_is_one_zero_byte():
    """§7.2.3.6: an empty message compresses to the single byte 00."""
    assert PerMessageDeflate("server").compress(b"") == b"\x00"
    assert PerMessageDeflate("client").inflate_message(b"\x00") == b""


def test_without_context_takeover_every_message_starts_fresh():
    server = PerMessageDeflate("server", Agreement(server_no_context_takeover=True))
    assert server.compress(b"Hello") == HELLO
    assert server.compress(b"Hello") == HELLO
    # the receiver of a no-context-takeover sender may inflate each alone
    client = PerMessageDeflate("client", Agreement(server_no_context_takeover=True))
    assert [client.inflate_message(HELLO) for _ in range(3)] == [b"Hello"] * 3


def test_context_takeover_is_needed_to_read_the_second_message():
    second = (server := PerMessageDeflate("server")).compress(b"Hello") and server.compress(b"Hello")
    with pytest.raises(ProtocolError) as info:
        PerMessageDeflate("client").inflate_message(second)  # a fresh window cannot resolve the reference
    assert info.value.close_code == 1007


def test_roles_pick_their_parameters():
    agreement = Agreement(server_no_context_takeover=True, server_max_window_bits=9, client_max_window_bits=12)
    server, client = PerMessageDeflate("server", agreement), PerMessageDeflate("client", agreement)
    assert (server.local_window_bits, server.remote_window_bits) == (9, 12)
    assert (client.local_window_bits, client.remote_window_bits) == (12, 9)
    assert server.local_no_context_takeover and client.remote_no_context_takeover
    assert not client.local_no_context_takeover


TEXTS = [b"", b"a", b"Hello, world! " * 200, os.urandom(3000), bytes(range(256)) * 64]


@pytest.mark.parametrize("bits", range(8, 16))
@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_round_trip_every_window(bits, no_context_takeover):
    agreement = Agreement(no_context_takeover, no_context_takeover, bits, bits)
    server, client = PerMessageDeflate("server", agreement), PerMessageDeflate("client", agreement)
    for message in TEXTS * 2:
        assert client.inflate_message(server.compress(message)) == message
        assert server.inflate_message(client.compress(message)) == message


def test_window_8_compresses_with_short_matches_only():
    """zlib has no raw compressor with a 256-byte window; Z_RLE's matches (distance 1)
    fit it. A strict 256-byte inflater reads them (a match further back would be "invalid
    distance too far back"), and runs still shrink."""
    with pytest.raises(ValueError):
        zlib.compressobj(wbits=-8)  # the zlib limit (madler/zlib#171)
    server = PerMessageDeflate("server", Agreement(server_max_window_bits=8))
    message = b"a" * 1000 + bytes(range(256)) * 8 + b"b" * 1000
    payload = server.compress(message)
    assert len(payload) < len(message) - 1900  # the two runs shrink to a few bytes
    inflater = zlib.decompressobj(wbits=-8)
    assert inflater.decompress(payload + deflate.TAIL) == message


# --- limits: no decompression bombs ---------------------------------------------------


def test_bomb_stops_at_the_limit():
    bomb = PerMessageDeflate("client").compress(b"\0" * (16 << 20))  # 16 MiB of zeros: ~16 KiB
    assert len(bomb) < 20_000
    receiver = PerMessageDeflate("server")
    receiver.start_message()
    with pytest.raises(PayloadTooBig) as info:
        receiver.inflate(bomb, limit=1 << 20)
    assert info.value.close_code == 1009


def test_limit_exactly_reached_is_allowed():
    payload = PerMessageDeflate("client").compress(b"x" * 1000)
    assert PerMessageDeflate("server").inflate_message(payload, 1000) == b"x" * 1000
    with pytest.raises(PayloadTooBig):
        PerMessageDeflate("server").inflate_message(payload, 999)


def test_limit_holds_when_the_tail_releases_the_last_bytes():
    payload = PerMessageDeflate("client").compress(b"y" * 5000)
    receiver = PerMessageDeflate("server")
    receiver.start_message()
    got = receiver.inflate(payload, 5000)
    with pytest.raises(PayloadTooBig):
        receiver.finish_message(4999 - len(got))


@pytest.mark.parametrize(
    "payload, problem",
    [
        ("ff ff", "invalid block type"),
        ("f3 48 cd c9 c9 07 00 f2 48 cd c9 c9 07 00", "follows the final block"),
    ],
)
def test_bad_deflate_data_is_1007(payload, problem):
    with pytest.raises(ProtocolError, match=problem) as info:
        PerMessageDeflate("client").inflate_message(bytes.fromhex(payload))
    assert info.value.close_code == 1007 and info.value.rfc == "RFC 7692"


# --- step by step ---------------------------------------------------------------------


def test_deflate_steps():
    steps = deflate.deflate_steps("Hello")
    assert steps.message == b"Hello"
    assert steps.deflated == HELLO + deflate.TAIL
    assert steps.tail == b"\x00\x00\xff\xff" and steps.payload == HELLO
    assert steps.frame == bytes([0xC1, 7]) + HELLO  # FIN, RSV1, TEXT; 7 bytes
    assert steps.plain_frame == b"\x81\x05Hello"
    assert steps.saved == -2
    assert "tail removed" in str(steps) and "2 bytes MORE than 7 uncompressed" in str(steps)


def test_deflate_steps_with_context_and_mask():
    compressor = PerMessageDeflate("client")
    first = deflate.deflate_steps(b"Hello" * 20, compressor=compressor, mask_key=b"\x01\x02\x03\x04")
    second = deflate.deflate_steps(b"Hello" * 20, compressor=compressor, mask_key=b"\x01\x02\x03\x04")
    assert first.frame[0] == 0xC2 and first.frame[1] & 0x80  # BINARY with RSV1, masked
    assert len(second.payload) < len(first.payload) and second.saved > first.saved > 0
    assert second.ratio < first.ratio < 1


def test_inflate_steps():
    steps = deflate.inflate_steps(HELLO)
    assert steps.restored == HELLO + deflate.TAIL and steps.message == b"Hello"
    with pytest.raises(PayloadTooBig):
        deflate.inflate_steps(HELLO, limit=4)


# --- differential: the websockets library's extension -----------------------------------


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(st.binary(max_size=3000) | st.text(max_size=500).map(str.encode), min_size=1, max_size=6),
    bits=st.integers(9, 15),
    no_context_takeover=st.booleans(),
)
def test_websockets_inflates_ours_and_we_inflate_theirs(messages, bits, no_context_takeover):
    agreement = Agreement(no_context_takeover, no_context_takeover, bits, bits)
    ours_server, ours_client = PerMessageDeflate("server", agreement), PerMessageDeflate("client", agreement)
    # websockets' PerMessageDeflate(remote_nct, local_nct, remote_bits, local_bits)
    theirs_client = WsDeflate(no_context_takeover, no_context_takeover, bits, bits)
    theirs_server = WsDeflate(no_context_takeover, no_context_takeover, bits, bits)
    for message in messages:
        frame = WsFrame(WsOpcode.BINARY, ours_server.compress(message), rsv1=True)
        assert theirs_client.decode(frame).data == message
        theirs = theirs_server.encode(WsFrame(WsOpcode.BINARY, message))
        assert theirs.rsv1 and ours_client.inflate_message(theirs.data) == message


# --- the Connection with permessage-deflate (RFC 7692 §6), sans-I/O -------------------------

from wslab.connection import BinaryMessage, Connection, ConnectionFailed, TextMessage  # noqa: E402
from wslab.frames import Frame, Opcode, decode, encode  # noqa: E402

KEY = b"\x01\x02\x03\x04"


def pair(agreement: Agreement | None = None, **options) -> tuple[Connection, Connection]:
    agreement = agreement or Agreement()
    return (
        Connection("client", mask_key=KEY, deflate=PerMessageDeflate("client", agreement), **options),
        Connection("server", deflate=PerMessageDeflate("server", agreement), **options),
    )


def test_connections_compress_both_ways_with_context_takeover():
    client, server = pair()
    for text in ["Hello", "Hello", "Hello, world! " * 100, ""]:
        wire = client.send_text(text)
        frame, _ = decode(wire, role="server", rsv1_allowed=True)
        assert frame.rsv1 and len(frame.payload) < max(len(text), 8)
        assert server.receive_data(wire) == [TextMessage(text)]
        back = server.send_binary(text.encode())
        assert client.receive_data(back) == [BinaryMessage(text.encode())]
    # the second "Hello" used the window: 5 bytes, as RFC 7692 §7.2.3.2
    assert decode(pair()[1].send_text("Hello"), rsv1_allowed=True)[0].payload == HELLO


def test_compressed_fragments_carry_rsv1_on_the_first_only():
    client, server = pair()
    wire = client.send_text("fragmented and compressed " * 50, fragment_size=10)
    frames = []
    while wire:
        frame, used = decode(wire, role="server", rsv1_allowed=True)
        frames.append(frame)
        wire = wire[used:]
    assert len(frames) > 2 and frames[0].rsv1 and not any(f.rsv1 for f in frames[1:])
    data = b"".join(encode(f, KEY) for f in frames)
    assert server.receive_data(data) == [TextMessage("fragmented and compressed " * 50)]


def test_send_uncompressed_on_purpose():
    client, server = pair()
    wire = client.send_text("plain", compress=False)
    assert not decode(wire, role="server")[0].rsv1
    assert server.receive_data(wire) == [TextMessage("plain")]


def test_every_byte_split_gives_the_same_messages():
    client, server = pair()
    wire = client.send_text("split me " * 40, fragment_size=7) + client.send_binary(bytes(300))
    got = [event for i in range(len(wire)) for event in server.receive_data(wire[i : i + 1])]
    assert got == [TextMessage("split me " * 40), BinaryMessage(bytes(300))]


@pytest.mark.parametrize(
    "frame, what",
    [
        (Frame(Opcode.PING, b"x", rsv1=True), "control frame"),
        (Frame(Opcode.PONG, b"", rsv1=True), "control frame"),
        (Frame(Opcode.CLOSE, b"\x03\xe8", rsv1=True), "control frame"),
    ],
)
def test_rsv1_on_a_control_frame_is_1002(frame, what):
    _, server = pair()
    (event,) = server.receive_data(encode(frame, KEY))
    assert isinstance(event, ConnectionFailed) and event.close_code == 1002
    assert what in event.error.message and event.error.rfc == "RFC 7692" and event.error.field == "RSV1"


def test_rsv1_on_a_continuation_is_1002_even_mid_frame():
    _, server = pair()
    first = encode(Frame(Opcode.TEXT, HELLO[:3], fin=False, rsv1=True), KEY)
    second = encode(Frame(Opcode.CONTINUATION, HELLO[3:] + b"padding" * 20, rsv1=True), KEY)
    (event,) = server.receive_data(first + second[:8])  # its header only: refused before its payload
    assert isinstance(event, ConnectionFailed) and event.close_code == 1002 and "continuation" in event.error.message


def test_rsv1_without_the_extension_is_still_1002_by_rfc_6455():
    server = Connection("server")
    (event,) = server.receive_data(encode(Frame(Opcode.TEXT, HELLO, rsv1=True), KEY))
    assert event.close_code == 1002 and event.error.rfc_section == "5.2"


def test_a_bomb_is_stopped_mid_frame():
    """Inflated as the frame arrives: the limit is passed before the frame is even complete."""
    _, server = pair(max_message_size=100_000)
    bomb = PerMessageDeflate("client").compress(b"\0" * 10_000_000)
    wire = encode(Frame(Opcode.BINARY, bomb, rsv1=True), KEY)
    events = server.receive_data(wire[: len(wire) // 2])
    assert [e.close_code for e in events] == [1009]
    assert server.buffered == 0


def test_a_compressed_message_up_to_the_limit_passes_and_one_byte_more_does_not():
    client, server = pair(max_message_size=5000)
    assert server.receive_data(client.send_binary(bytes(5000))) == [BinaryMessage(bytes(5000))]
    (event,) = server.receive_data(client.send_binary(bytes(5001)))
    assert event.close_code == 1009


def test_an_incompressible_message_at_the_limit_still_gets_in():
    """DEFLATE makes random bytes a little longer; the frame limit leaves room for that."""
    client, server = pair(max_message_size=100_000)
    data = os.urandom(100_000)
    wire = client.send_binary(data)
    assert len(wire) > 100_000
    assert server.receive_data(wire) == [BinaryMessage(data)]


def test_compressed_text_is_checked_for_utf8():
    client, server = pair()
    bad = encode(Frame(Opcode.TEXT, PerMessageDeflate("client").compress(b"caf\xc3("), rsv1=True), KEY)
    (event,) = server.receive_data(bad)
    assert event.close_code == 1007


# --- strict order: a failure's Close frame held until the application has answered --------


def test_hold_failure_lets_the_answer_go_first():
    server = Connection("server", hold_failure=True)
    wire = encode(Frame(Opcode.TEXT, b"good"), KEY) + encode(Frame(Opcode.TEXT, b"bad", rsv2=True), KEY)
    events = server.receive_data(wire)
    assert events[0] == TextMessage("good") and isinstance(events[1], ConnectionFailed)
    assert server.data_to_send() == b"" and server.held_failure is not None
    answer = server.send_text("good")  # the application may still answer
    assert server.receive_data(encode(Frame(Opcode.PING, b"later"), KEY)) == []  # nothing more is read
    server.release_failure()
    close = server.data_to_send()
    assert decode(answer)[0].payload == b"good"
    assert decode(close)[0].opcode == Opcode.CLOSE and decode(close)[0].payload[:2] == b"\x03\xea"  # 1002
    assert server.state.name == "CLOSED" and server.close_code == 1002


def test_closing_while_a_failure_is_held_sends_the_failures_code():
    server = Connection("server", hold_failure=True)
    server.receive_data(encode(Frame(Opcode.CONTINUATION, b"orphan"), KEY))
    close = server.send_close(1000)
    assert decode(close)[0].payload[:2] == (1002).to_bytes(2, "big") and server.close_code == 1002


def test_without_hold_failure_the_close_is_queued_at_once():
    server = Connection("server")
    server.receive_data(encode(Frame(Opcode.TEXT, b"good"), KEY) + encode(Frame(3, b""), KEY))
    assert decode(server.data_to_send())[0].opcode == Opcode.CLOSE
