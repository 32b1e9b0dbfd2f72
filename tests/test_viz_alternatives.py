"""Lesson 11's comparison: every size is bytes built and counted, per the documents they follow."""

from wslab.viz.overhead import alternatives, alternatives_chart, h2_connect_request, h2_frame, sse_event


def test_an_sse_event_in_its_chunk():
    assert sse_event(b"hi") == b"a\r\ndata: hi\n\n\r\n"


def test_an_http2_frame_header_is_nine_bytes():
    frame = h2_frame(0x0, 0x0, 1, b"\x81\x02hi")
    assert frame[:9] == bytes.fromhex("000004 00 00 00000001".replace(" ", "")) and len(frame) == 13
    headers = h2_connect_request()
    assert headers[3] == 0x1 and int.from_bytes(headers[:3], "big") == len(headers) - 9
    assert b":protocol" in headers and b"websocket" in headers


def test_per_message_costs_in_order():
    polling, sse, ws, h2 = alternatives(20)
    assert (ws.per_message, h2.per_message, sse.per_message) == (22, 31, 34)
    assert polling.opening == 0 and polling.per_message > 500
    assert all(a.total(20) < polling.total(20) for a in (sse, ws, h2))


def test_the_chart_names_every_alternative_and_webtransport():
    svg = alternatives_chart(20, 20).to_string()
    for name in ("long polling", "Server-Sent Events", "RFC 8441", "WebTransport"):
        assert name in svg
    assert svg == alternatives_chart(20, 20).to_string()
