"""RFC 6455 conformance of the wslab server, judged byte by byte over real sockets.

Organised as the Autobahn test suite's case categories (1 framing, 2 ping/pong,
3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close, 9 limits) plus
the opening handshake (§4.2.1). A `Probe` sends exact bytes and the server's
answer is judged strictly: the right close code, at the right moment (e.g. as
soon as the bad byte arrives), followed by a clean TCP close by the server.
One echo server runs for the whole module.
"""

from __future__ import annotations

import asyncio
import struct

import pytest

from netutil import LogRecorder, ServerThread, echo, run
from wslab import frames, handshake
from wslab.codes import Opcode
from wslab.frames import Frame
from wslab.masking import mask
from wslab.probe import PROBE_KEY, Probe

MAX = 16 * 1024 * 1024   # the module server's max_message_size
TEXT, BINARY, CONT, CLOSE, PING, PONG = (Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION,
                                          Opcode.CLOSE, Opcode.PING, Opcode.PONG)


@pytest.fixture(scope="module")
def url():
    server = ServerThread(echo, max_message_size=MAX, handshake_timeout=1.0)
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def strict_origin_url():
    server = ServerThread(echo, allowed_origins=["http://class.example"])
    yield server.url
    server.stop()


def wire(opcode, payload=b"", *, fin=True, rsv1=False, rsv2=False, rsv3=False, mask_key=PROBE_KEY) -> bytes:
    return frames.encode(Frame(opcode, payload, fin, rsv1, rsv2, rsv3), mask_key=mask_key)


async def opened(url: str) -> Probe:
    probe = await Probe.open(url)
    await probe.handshake()
    return probe


async def read_message(probe: Probe, timeout: float = 10) -> tuple[int, bytes]:
    """One whole data message from the server (its frames reassembled)."""
    first = await probe.read_frame(timeout)
    assert first.opcode in (TEXT, BINARY), f"expected a data frame, got {first}"
    parts = [first.payload]
    frame = first
    while not frame.fin:
        frame = await probe.read_frame(timeout)
        assert frame.opcode == CONT, f"expected a continuation frame, got {frame}"
        parts.append(frame.payload)
    return first.opcode, b"".join(parts)


async def expect_failure(probe: Probe, code: int) -> None:
    """The server sends Close `code`, then closes TCP cleanly, and nothing else."""
    got, _ = await probe.read_close()
    assert got == code, f"expected close {code}, got {got}"
    await probe.expect_eof()
    await probe.close()


def check(url: str, data: bytes, code: int, *, before: list[tuple[int, bytes]] = ()) -> None:
    """Send the messages `before` and wait for their echoes (the connection is fine up to
    there), then send `data`: expect Close `code` and a clean TCP close, nothing else."""
    async def go():
        probe = await opened(url)
        for message in before:
            await probe.send(wire(*message))
            assert await read_message(probe) == message
        await probe.send(data)
        await expect_failure(probe, code)
    run(go())


def check_echo(url: str, data: bytes, expected: list[tuple[int, bytes]], *, chunk: int | None = None) -> None:
    """Send `data` (in `chunk`-byte writes if given); expect exactly these echoes, then close normally."""
    async def go():
        probe = await opened(url)
        await probe.send(data, chunk=chunk)
        for message in expected:
            assert await read_message(probe) == message
        await probe.send(wire(CLOSE, frames.close_payload(1000)))
        assert await probe.read_close() == (1000, "")
        await probe.expect_eof()
        await probe.close()
    run(go())


# --- 1. framing ----------------------------------------------------------------------

LENGTHS = [0, 1, 125, 126, 127, 128, 65535, 65536, 65537]


@pytest.mark.parametrize("opcode", [TEXT, BINARY], ids=["text", "binary"])
@pytest.mark.parametrize("length", LENGTHS)
def test_1_echo_at_every_length_boundary(url, opcode, length):
    payload = b"*" * length
    check_echo(url, wire(opcode, payload), [(opcode, payload)])


@pytest.mark.parametrize("length", [0, 125, 126, 65536])
def test_1_chopped_writes(url, length):
    """The same frame written 1 byte (or 997 bytes) at a time: the server reassembles it."""
    payload = bytes(range(256)) * (length // 256) + bytes(length % 256)
    chunk = 1 if length <= 126 else 997
    check_echo(url, wire(BINARY, payload), [(BINARY, payload)], chunk=chunk)


def test_1_many_frames_in_one_write(url):
    data = b"".join(wire(TEXT, f"m{i}".encode()) for i in range(50))
    check_echo(url, data, [(TEXT, f"m{i}".encode()) for i in range(50)])


def test_1_unmasked_client_frame_is_1002(url):
    check(url, wire(TEXT, b"hi", mask_key=None), 1002)


def test_1_non_minimal_length_is_1002(url):
    data = bytes([0x81, 0x80 | 126]) + struct.pack("!H", 5) + PROBE_KEY + mask(b"hello", PROBE_KEY)
    check(url, data, 1002)


# --- 2. ping / pong ------------------------------------------------------------------

@pytest.mark.parametrize("length", [0, 1, 125])
def test_2_ping_is_answered_with_identical_pong(url, length):
    async def go():
        probe = await opened(url)
        payload = bytes(range(length))
        await probe.send(wire(PING, payload), chunk=1 if length else None)
        pong = await probe.read_frame()
        assert (pong.opcode, pong.payload) == (PONG, payload)
        await probe.send(wire(CLOSE, frames.close_payload(1000)))
        assert await probe.read_close() == (1000, "")
        await probe.expect_eof()
    run(go())


def test_2_ping_of_126_bytes_is_1002(url):
    check(url, wire(PING, b"x" * 126), 1002)


def test_2_unsolicited_pong_is_ignored(url):
    check_echo(url, wire(PONG, b"unasked") + wire(TEXT, b"after"), [(TEXT, b"after")])


def test_2_ten_pings_ten_pongs_in_order(url):
    async def go():
        probe = await opened(url)
        await probe.send(b"".join(wire(PING, f"p{i}".encode()) for i in range(10)))
        for i in range(10):
            frame = await probe.read_frame()
            assert (frame.opcode, frame.payload) == (PONG, f"p{i}".encode())
        await probe.close()
    run(go())


# --- 3. reserved bits ----------------------------------------------------------------

@pytest.mark.parametrize("bit", ["rsv1", "rsv2", "rsv3"])
@pytest.mark.parametrize("opcode", [TEXT, BINARY, PING])
def test_3_reserved_bit_is_1002(url, bit, opcode):
    check(url, wire(opcode, b"x", **{bit: True}), 1002)


def test_3_reserved_bit_after_a_good_message(url):
    """The good message is echoed first: the failure comes exactly at the bad frame."""
    check(url, wire(TEXT, b"bad", rsv1=True) + wire(TEXT, b"never"), 1002,
          before=[(TEXT, b"good")])


# --- 4. opcodes ----------------------------------------------------------------------

@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 11, 12, 13, 14, 15])
def test_4_reserved_opcode_is_1002(url, opcode):
    check(url, wire(opcode, b"x") + wire(TEXT, b"never"), 1002, before=[(TEXT, b"good")])


# --- 5. fragmentation ----------------------------------------------------------------

def test_5_fragmented_text(url):
    check_echo(url, wire(TEXT, b"frag", fin=False) + wire(CONT, b"men", fin=False) + wire(CONT, b"ted"),
               [(TEXT, b"fragmented")])


def test_5_empty_fragments(url):
    check_echo(url, wire(BINARY, b"", fin=False) + wire(CONT, b"", fin=False) + wire(CONT, b""),
               [(BINARY, b"")])


def test_5_one_byte_fragments(url):
    data = b"".join(wire(TEXT if i == 0 else CONT, bytes([65 + i]), fin=i == 19) for i in range(20))
    check_echo(url, data, [(TEXT, bytes(range(65, 85)))], chunk=1)


def test_5_ping_between_fragments(url):
    """§5.4: control frames MAY be injected in the middle of a fragmented message."""
    async def go():
        probe = await opened(url)
        await probe.send(wire(TEXT, b"one ", fin=False) + wire(PING, b"mid") + wire(CONT, b"two"))
        pong = await probe.read_frame()
        assert (pong.opcode, pong.payload) == (PONG, b"mid")
        assert await read_message(probe) == (TEXT, b"one two")
        await probe.close()
    run(go())


def test_5_pong_between_fragments(url):
    check_echo(url, wire(TEXT, b"a", fin=False) + wire(PONG, b"x") + wire(CONT, b"b"), [(TEXT, b"ab")])


def test_5_continuation_with_nothing_to_continue(url):
    check(url, wire(CONT, b"orphan"), 1002)


def test_5_final_continuation_with_nothing_to_continue(url):
    check(url, wire(CONT, b"orphan", fin=False), 1002, before=[(TEXT, b"ok")])


@pytest.mark.parametrize("opcode", [TEXT, BINARY])
def test_5_new_data_frame_inside_a_fragmented_message(url, opcode):
    check(url, wire(TEXT, b"start", fin=False) + wire(opcode, b"intruder"), 1002)


@pytest.mark.parametrize("opcode", [PING, PONG, CLOSE])
def test_5_fragmented_control_frame(url, opcode):
    check(url, wire(opcode, b"", fin=False), 1002)


# --- 6. UTF-8 ------------------------------------------------------------------------

KOREAN = "웹소켓 핸드셰이크 κόσμε 𝄞".encode()


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_6_valid_text_split_inside_characters(url, size):
    pieces = [KOREAN[i:i + size] for i in range(0, len(KOREAN), size)]
    data = b"".join(wire(TEXT if i == 0 else CONT, p, fin=i == len(pieces) - 1) for i, p in enumerate(pieces))
    check_echo(url, data, [(TEXT, KOREAN)])


INVALID_UTF8 = {
    "lone continuation byte": b"\x80",
    "0xFF never appears": b"\xff",
    "overlong slash": b"\xc0\xaf",
    "overlong 3-byte": b"\xe0\x80\xaf",
    "UTF-16 surrogate": b"\xed\xa0\x80",
    "beyond U+10FFFF": b"\xf4\x90\x80\x80",
    "truncated at end": b"abc\xce",
}


@pytest.mark.parametrize("bad", list(INVALID_UTF8.values()), ids=list(INVALID_UTF8))
def test_6_invalid_text_is_1007(url, bad):
    check(url, wire(TEXT, b"hello " + bad), 1007, before=[(TEXT, b"ok")])


@pytest.mark.parametrize("bad", [b"\xff", b"\xed\xa0\x80", b"\xc0\xaf"], ids=["ff", "surrogate", "overlong"])
def test_6_invalid_fragment_fails_before_the_message_ends(url, bad):
    """The first fragment already holds an invalid sequence; no more is sent, 1007 must come anyway."""
    check(url, wire(TEXT, b"hello " + bad + b" world", fin=False), 1007)


def test_6_invalid_byte_fails_mid_frame(url):
    """A frame announces 1000 bytes; 10 arrive, the 7th invalid: 1007 comes without the other 990."""
    payload = b"hello \xff" + b"x" * 993
    data = wire(TEXT, payload)
    header = 2 + 2 + 4
    check(url, data[:header + 10], 1007)


def test_6_truncated_character_across_a_fragment_end_is_fine_until_fin(url):
    char = "한".encode()
    check_echo(url, wire(TEXT, char[:1], fin=False) + wire(CONT, char[1:2], fin=False) + wire(CONT, char[2:]),
               [(TEXT, char)])


def test_6_message_ending_inside_a_character_is_1007(url):
    char = "한".encode()
    check(url, wire(TEXT, char[:1], fin=False) + wire(CONT, char[1:2]), 1007)


# --- 7. close ------------------------------------------------------------------------

VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]


@pytest.mark.parametrize("code", VALID_CODES)
def test_7_valid_close_code_is_echoed(url, code):
    async def go():
        probe = await opened(url)
        await probe.send(wire(CLOSE, struct.pack("!H", code) + b"bye"))
        got, _ = await probe.read_close()
        assert got == code
        await probe.expect_eof()
    run(go())


@pytest.mark.parametrize("code", INVALID_CODES)
def test_7_invalid_close_code_is_1002(url, code):
    check(url, wire(CLOSE, struct.pack("!H", code)), 1002)


def test_7_empty_close_is_answered_without_error(url):
    async def go():
        probe = await opened(url)
        await probe.send(wire(CLOSE, b""))
        code, _ = await probe.read_close()
        assert code in (None, 1000)    # §5.5.1: an empty body, or 1000
        await probe.expect_eof()
    run(go())


def test_7_one_byte_close_payload_is_1002(url):
    check(url, wire(CLOSE, b"\x03"), 1002)


def test_7_reason_of_123_bytes_is_fine(url):
    async def go():
        probe = await opened(url)
        await probe.send(wire(CLOSE, frames.close_payload(1000, "r" * 123)))
        assert (await probe.read_close())[0] == 1000
        await probe.expect_eof()
    run(go())


def test_7_reason_of_124_bytes_is_1002(url):
    check(url, wire(CLOSE, struct.pack("!H", 1000) + b"r" * 124), 1002)


def test_7_invalid_utf8_reason_is_1007(url):
    check(url, wire(CLOSE, struct.pack("!H", 1000) + b"bad \xff"), 1007)


def test_7_frames_after_close_are_ignored(url):
    async def go():
        probe = await opened(url)
        await probe.send(wire(CLOSE, frames.close_payload(1000)) + wire(TEXT, b"late") + wire(PING, b"late"))
        assert await probe.read_close() == (1000, "")
        await probe.expect_eof()     # no echo, no pong: nothing after the Close
    run(go())


def test_7_close_in_a_fragmented_message_is_answered_with_1000(url):
    async def go():
        probe = await opened(url)
        await probe.send(wire(TEXT, b"half", fin=False) + wire(CLOSE, frames.close_payload(1000)))
        assert (await probe.read_close())[0] == 1000
        await probe.expect_eof()
    run(go())


def test_7_client_that_vanishes_does_not_disturb_others(url):
    async def go():
        good = await opened(url)
        gone = await opened(url)
        await gone.send(wire(TEXT, b"half", fin=False))
        gone.writer.transport.abort()            # no Close frame: the server sees 1006
        bad = await opened(url)
        await bad.send(wire(TEXT, b"x", rsv2=True))
        await good.send(wire(TEXT, b"still here"))
        assert await read_message(good) == (TEXT, b"still here")
        await expect_failure(bad, 1002)
        await good.close()
    run(go())


# --- 9. limits -----------------------------------------------------------------------

def test_9_message_of_16_MiB(url):
    payload = bytes(range(256)) * (MAX // 256)
    check_echo(url, wire(BINARY, payload), [(BINARY, payload)])


def test_9_fragmented_message_of_16_MiB(url):
    payload = b"a" * MAX
    step = 1 << 20
    data = b"".join(wire(TEXT if i == 0 else CONT, payload[i:i + step], fin=i + step >= MAX)
                    for i in range(0, MAX, step))
    check_echo(url, data, [(TEXT, payload)])


def test_9_one_byte_too_big_is_1009(url):
    """The header alone announces MAX + 1 bytes: 1009 before any payload is sent."""
    header = wire(BINARY, b"x" * (MAX + 1))[:2 + 8 + 4]
    check(url, header, 1009)


def test_9_fragments_adding_up_too_big_is_1009(url):
    """Two fragments, MAX - 10 then 11 bytes (no FIN): 1009 as soon as the second arrives."""
    check(url, wire(BINARY, b"a" * (MAX - 10), fin=False) + wire(CONT, b"b" * 11, fin=False), 1009)


# --- the opening handshake (§4.2.1) --------------------------------------------------

def good_request(**changes: str | None) -> bytes:
    request = handshake.build_request("127.0.0.1", "/")
    for name, value in changes.items():
        request = handshake.replace_header(request, name.replace("_", "-"), value)
    return request


async def status_of(url: str, request: bytes, *, chunk: int | None = None) -> tuple[int, bytes]:
    probe = await Probe.open(url)
    await probe.send(request, chunk=chunk)
    head = await probe.read_head()
    length = handshake.parse_response(head).header("Content-Length")
    while len(probe.received) < int(length or 0):
        assert await probe._fill(5), "TCP closed inside the response body"
    del probe.received[:int(length or 0)]
    await probe.expect_eof()     # every refusal ends with the server closing TCP
    return int(head.split(b" ", 2)[1]), head


HANDSHAKE_RULES = {
    "method POST (item 1)": (good_request().replace(b"GET ", b"POST ", 1), 405),
    "HTTP/1.0 (item 1)": (good_request().replace(b"HTTP/1.1\r\n", b"HTTP/1.0\r\n", 1), 505),
    "no Host (item 2)": (good_request(Host=None), 400),
    "no Upgrade (item 3)": (good_request(Upgrade=None), 400),
    "Upgrade: h2c (item 3)": (good_request(Upgrade="h2c"), 400),
    "no Connection (item 4)": (good_request(Connection=None), 400),
    "Connection: keep-alive (item 4)": (good_request(Connection="keep-alive"), 400),
    "no key (item 5)": (good_request(Sec_WebSocket_Key=None), 400),
    "key of 15 bytes (item 5)": (good_request(Sec_WebSocket_Key="AAAAAAAAAAAAAAAAAAAA"), 400),
    "key not base64 (item 5)": (good_request(Sec_WebSocket_Key="not base64 at all!!!!!=="), 400),
    "no version (item 6)": (good_request(Sec_WebSocket_Version=None), 400),
    "version 8 (item 6, §4.4)": (good_request(Sec_WebSocket_Version="8"), 426),
}


@pytest.mark.parametrize("rule", list(HANDSHAKE_RULES))
def test_handshake_rule(url, rule):
    request, status = HANDSHAKE_RULES[rule]
    got, head = run(status_of(url, request))
    assert got == status, head
    if status == 426:
        assert b"Sec-WebSocket-Version: 13" in head


def test_handshake_connection_header_is_a_token_list(url):
    async def go():
        probe = await Probe.open(url)
        await probe.send(good_request(Connection="keep-alive, UPGRADE"))
        assert await probe.read_status() == 101
        await probe.close()
    run(go())


def test_handshake_request_split_byte_by_byte(url):
    async def go():
        probe = await Probe.open(url)
        request = probe.request()
        await probe.send(request, chunk=1)
        handshake.validate_response(request, await probe.read_head())
        await probe.send(wire(TEXT, b"after a slow request"))
        assert await read_message(probe) == (TEXT, b"after a slow request")
        await probe.close()
    run(go())


def test_handshake_frame_pipelined_behind_the_request(url):
    async def go():
        probe = await Probe.open(url)
        request = probe.request()
        await probe.send(request + wire(TEXT, b"eager"))
        handshake.validate_response(request, await probe.read_head())
        assert await read_message(probe) == (TEXT, b"eager")
        await probe.close()
    run(go())


def test_handshake_oversized_header_block_is_431(url):
    request = good_request()
    padding = b"".join(b"X-Padding-%d: %s\r\n" % (i, b"p" * 100) for i in range(200))
    oversized = request[:-2] + padding + b"\r\n"
    status, _ = run(status_of(url, oversized))
    assert status == 431


def test_handshake_refused_origin_is_403_and_logged(strict_origin_url):
    async def go(origin):
        probe = await Probe.open(strict_origin_url)
        await probe.send(probe.request(origin=origin))
        status = await probe.read_status()
        await probe.close()
        return status

    with LogRecorder() as log:
        assert run(go("http://evil.example")) == 403
    assert any("403" in line for line in log.messages), log.messages
    assert run(go("http://class.example")) == 101


def test_handshake_silent_client_is_dropped(url):
    """handshake_timeout=1.0: a client that sends nothing is disconnected, without a reply."""
    async def go():
        probe = await Probe.open(url)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await probe.expect_eof(timeout=5)
        return loop.time() - started
    assert 0.8 < run(go()) < 3


def test_handshake_slow_client_is_dropped(url):
    """Bytes keep arriving, but too slowly: the limit is on the whole handshake, not per read."""
    async def go():
        probe = await Probe.open(url)
        request = probe.request()
        answer = asyncio.ensure_future(probe.reader.read(1 << 16))
        loop = asyncio.get_running_loop()
        started = loop.time()
        for i in range(len(request)):   # 10 bytes/s: the ~200-byte request would take 20 s
            if answer.done():
                break
            try:
                await probe.send(request[i:i + 1])
            except (ConnectionError, OSError):
                break
            await asyncio.sleep(0.1)
        assert await answer == b""      # TCP closed, no HTTP answer
        return loop.time() - started
    assert 0.8 < run(go()) < 3
