"""Fuzzing wslab.connection: whatever bytes a peer sends, in whatever split, the
Connection answers with events (never an exception), stops after a failure or a
close, and holds no more than its limits."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_frames_fuzz import streams

from wslab.connection import CloseReceived, Connection, ConnectionFailed, State
from wslab.frames import FrameParser
from wslab.masking import RFC_MASK_KEY

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMIT = 200


def chop(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=False)]


@SETTINGS
@given(
    data=st.one_of(st.binary(max_size=400), streams()),
    cuts=st.lists(st.integers(0, 500), max_size=8),
    role=st.sampled_from(["server", "client"]),
)
def test_any_input_gives_events_and_respects_the_limits(data, cuts, role):
    connection = Connection(role, max_message_size=LIMIT)
    events = []
    for piece in chop(data, cuts):
        events += connection.receive_data(piece)  # never raises
        parser: FrameParser = connection._parser
        assert parser.buffered <= max(14, LIMIT)  # a frame larger than the limit is refused from its header
        assert connection.buffered <= LIMIT
        connection.data_to_send()
    endings = [e for e in events if isinstance(e, (ConnectionFailed, CloseReceived))]
    assert len(endings) <= 1, "nothing is processed after a failure or a close"
    if endings:
        assert events[-1] is endings[0] and connection.state is State.CLOSED
        assert connection.receive_data(data) == []  # §7.1.7: later bytes are ignored
    for event in events:
        if isinstance(event, ConnectionFailed):
            assert event.error.close_code in (1002, 1007, 1009)
            assert "RFC 6455 §" in str(event.error)


@SETTINGS
@given(data=st.one_of(st.binary(max_size=400), streams()), role=st.sampled_from(["server", "client"]))
def test_byte_by_byte_gives_the_same_events_as_all_at_once(data, role):
    key = RFC_MASK_KEY if role == "client" else None  # the same masking key, to compare replies
    whole = Connection(role, max_message_size=LIMIT, mask_key=key)
    single = Connection(role, max_message_size=LIMIT, mask_key=key)
    expected = whole.receive_data(data)
    got = [event for i in range(len(data)) for event in single.receive_data(data[i : i + 1])]
    assert [type(e) for e in got] == [type(e) for e in expected]
    for a, b in zip(got, expected, strict=False):
        if isinstance(a, ConnectionFailed):
            assert a.error.close_code == b.error.close_code
        else:
            assert a == b
    assert single.data_to_send() == whole.data_to_send()
