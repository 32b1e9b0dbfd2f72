"""The one English / 한국어 vocabulary of the kit.

Every lesson and exercise notebook writes a key term in English with its Korean
term beside it the first time it appears, e.g. **handshake** (핸드셰이크), and
takes that Korean term from `TERMS` below (the glossary test checks every Korean
phrase of every notebook against it). Lesson 00 renders its glossary with
`glossary()`.

The Korean words are the ones Korean developers and MDN's Korean pages use
(출처 for origin as in 교차 출처 리소스 공유, 하트비트, 패킷 캡처); protocol
words with no settled Korean are transliterated (핸드셰이크, 페이로드) and names
(Engine.IO, permessage-deflate) stay in English.

One line per term: ``Term(english, korean, meaning, lesson)``; `lesson` is the
notebook that introduces it ("00" ... "11", or "ex" for the exercise notebooks).
To add a term, add one line in the section it belongs to.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    english: str
    korean: str
    meaning: str
    lesson: str


TERMS: tuple[Term, ...] = (
    # the kit (lesson 00) and the exercises
    Term("notebook", "노트북", "a JupyterLab document of text cells and code cells", "00"),
    Term("cell", "셀", "one block of a notebook: text or code", "00"),
    Term("kernel", "커널", "the Python process that runs a notebook's code cells", "00"),
    Term("widget", "위젯", "a control (slider, checkbox, text box) that redraws a picture as you change it", "00"),
    Term("glossary", "용어집", "this list of terms", "00"),
    Term("Korean", "한국어", "the language beside English for every key term of the kit", "00"),
    Term("lesson", "레슨", "one notebook of the course, numbered 00 to 11", "00"),
    Term("exercise", "연습 문제", "a task with a self-check at the end of a lesson", "ex"),
    Term("hint", "힌트", "a nudge towards an exercise's answer, shown on request", "ex"),
    Term("solution", "풀이", "the reference answer of an exercise", "ex"),
    Term("capstone", "종합 과제", "the last exercise: your own WebSocket server, graded by conformance tests", "ex"),
    Term("progress", "진행 상황", "which exercises you have solved so far", "ex"),
    Term("cheat sheet", "치트 시트", "one page with the handshake, the frame header and the codes", "ex"),
    # why WebSocket (lesson 01)
    Term(
        "WebSocket",
        "웹소켓",
        "a protocol for a long-lived, two-way connection between a client and a server (RFC 6455)",
        "01",
    ),
    Term("protocol", "프로토콜", "the agreed bytes and rules two programs exchange", "01"),
    Term(
        "polling", "폴링", "asking the server again and again, one HTTP request each time, whether there is news", "01"
    ),
    Term("long polling", "롱 폴링", "polling in which the server holds each request open until it has news", "01"),
    Term("persistent connection", "지속 연결", "one connection kept open and used for many messages", "01"),
    Term("full-duplex", "전이중", "both sides may send at any time, independently", "01"),
    Term("overhead", "오버헤드", "the bytes sent besides the data itself (headers, framing)", "01"),
    Term("latency", "지연 시간", "the time from when news exists until the other side has it", "01"),
    Term("header compression", "헤더 압축", "HTTP/2's HPACK: repeated headers are sent as short references", "01"),
    # the opening handshake (lesson 02)
    Term(
        "opening handshake",
        "오프닝 핸드셰이크",
        "the HTTP/1.1 request and `101 Switching Protocols` response that turn a connection into a WebSocket (§4)",
        "02",
    ),
    Term(
        "handshake", "핸드셰이크", "an exchange that sets up (or ends) a connection; here the opening handshake", "02"
    ),
    Term("request", "요청", "what the client sends", "02"),
    Term("response", "응답", "what the server answers", "02"),
    Term(
        "header", "헤더", "a `Name: value` line of an HTTP request or response; also the first bytes of a frame", "02"
    ),
    Term("status code", "상태 코드", "the three-digit number of an HTTP response: 101, 400, 403, 426 …", "02"),
    Term(
        "Switching Protocols",
        "프로토콜 전환",
        "status 101: from the next byte on, the connection speaks WebSocket",
        "02",
    ),
    Term("nonce", "논스", "a number used once: the random `Sec-WebSocket-Key`", "02"),
    Term("hash", "해시", "a fixed-size digest of some bytes (here SHA-1)", "02"),
    Term(
        "subprotocol",
        "서브프로토콜",
        "an application protocol agreed during the handshake (`Sec-WebSocket-Protocol`)",
        "02",
    ),
    Term(
        "extension",
        "확장",
        "an addition to the framing agreed during the handshake (`Sec-WebSocket-Extensions`), e.g. permessage-deflate",
        "02",
    ),
    Term("origin", "출처", "the scheme, host and port a web page was loaded from; sent in the `Origin` header", "02"),
    Term("origin check", "출처 검사", "the server comparing the `Origin` header with the sites it allows", "02"),
    # frames (lesson 03)
    Term("frame", "프레임", "one unit of data on a WebSocket connection: a header and a payload", "03"),
    Term("payload", "페이로드", "the data a frame carries, after its header", "03"),
    Term(
        "opcode",
        "옵코드",
        "the 4 bits of a frame header that say what the frame is: text, binary, close, ping, pong, continuation",
        "03",
    ),
    Term(
        "control frame",
        "제어 프레임",
        "close, ping and pong frames: they manage the connection, not the application's data",
        "03",
    ),
    Term("data frame", "데이터 프레임", "text, binary and continuation frames: the application's data", "03"),
    Term("reserved", "예약", "set aside by the RFC for later use; a peer that receives it fails the connection", "03"),
    Term(
        "most significant bit",
        "최상위 비트",
        "the leftmost bit of a byte or number (bit 0 in the RFC's pictures)",
        "03",
    ),
    Term("network byte order", "네트워크 바이트 순서", "big-endian: the most significant byte first", "03"),
    Term("message", "메시지", "what the application sends or receives: one or more frames put together", "03"),
    Term("fragmentation", "단편화", "sending one message as several frames", "03"),
    Term("fragment", "조각", "one frame of a fragmented message", "03"),
    # masking (lesson 04)
    Term(
        "masking",
        "마스킹",
        "XOR of the payload with a 4-byte masking key; every frame from client to server is masked",
        "04",
    ),
    Term("masking key", "마스킹 키", "the 4 random bytes used for masking, sent in the frame", "04"),
    Term("intermediary", "중개자", "a machine between client and server that reads HTTP, such as a proxy", "04"),
    Term("proxy", "프록시", "an intermediary that forwards requests, and may cache responses", "04"),
    Term(
        "cache poisoning", "캐시 포이즈닝", "making a cache store a forged response that it then serves to others", "04"
    ),
    # control frames and closing (lesson 05)
    Term("ping", "핑", "a control frame asking the peer to answer with a pong", "05"),
    Term("pong", "퐁", "the control frame that answers a ping (or, unsolicited, a one-way heartbeat)", "05"),
    Term("heartbeat", "하트비트", "a small message sent at fixed intervals to show that a connection is alive", "05"),
    Term("closing handshake", "클로징 핸드셰이크", "a Close frame each way, then the TCP connection ends (§7)", "05"),
    Term(
        "close code",
        "종료 코드",
        "the number in a Close frame saying why the connection ends (1000 normal, 1002 protocol error …)",
        "05",
    ),
    Term(
        "top-level await",
        "최상위 await",
        "`await` written directly in a cell; the kernel runs the cell on its event loop",
        "05",
    ),
    # a live connection (lesson 06)
    Term("asynchronous", "비동기", "waiting for many things at once without a thread each (Python's asyncio)", "06"),
    Term("event loop", "이벤트 루프", "the asyncio scheduler that runs coroutines and waits for sockets", "06"),
    Term(
        "packet capture",
        "패킷 캡처",
        "a record of every byte two programs exchanged (wslab's wire tap makes one)",
        "06",
    ),
    Term("relay", "중계 서버", "a program in the middle that passes each byte on (and here records it)", "06"),
    Term("server", "서버", "the program that waits for connections", "06"),
    Term("client", "클라이언트", "the program that opens a connection", "06"),
    # origin and CORS (lesson 07)
    Term(
        "same-origin policy",
        "동일 출처 정책",
        "the browser rule that a page may read responses only from its own origin",
        "07",
    ),
    Term(
        "CORS",
        "교차 출처 리소스 공유",
        "Cross-Origin Resource Sharing: response headers with which a server lets "
        "pages of other origins read its HTTP responses",
        "07",
    ),
    Term(
        "CSWSH",
        "크로스 사이트 웹소켓 하이재킹",
        "cross-site WebSocket hijacking: another site's page opens a WebSocket with your cookies",
        "07",
    ),
    Term("allow-list", "허용 목록", "the origins a server accepts", "07"),
    Term("cookie", "쿠키", "a value the browser stores for a site and sends back with its requests", "07"),
    Term("authentication", "인증", "proving who is connecting (a token, a session)", "07"),
    Term("token", "토큰", "a secret value that proves who the client is", "07"),
    Term("non-browser client", "브라우저가 아닌 클라이언트", "a program that can send any `Origin` it likes", "07"),
    # Socket.IO (lessons 08, 09, 10)
    Term("Engine.IO", "Engine.IO", "the transport layer under Socket.IO: sessions, polling, upgrade, heartbeat", "08"),
    Term("transport", "전송 방식", "how Engine.IO carries packets: HTTP long polling or WebSocket", "08"),
    Term("upgrade", "업그레이드", "Engine.IO's move of a session from polling to WebSocket", "08"),
    Term("packet", "패킷", 'one Engine.IO or Socket.IO message on the wire, e.g. `42["chat","hi"]`', "08"),
    Term("event", "이벤트", '(Socket.IO) a named message, such as `"chat"`, that triggers listeners', "08"),
    Term("event name", "이벤트 이름", "(Socket.IO) the first element of an event packet", "08"),
    Term("connection event", "연결 이벤트", "(Socket.IO) the server's `connection` event, once per client", "08"),
    Term("emit", "보내기", "(Socket.IO) to send an event with its data", "08"),
    Term(
        "socket", "소켓", "(Socket.IO) one client's connection as the server holds it: `socket.emit`, `socket.on`", "08"
    ),
    Term("listener", "리스너", "(Socket.IO) a function registered with `on` that runs when its event arrives", "08"),
    Term("register a listener", "리스너 등록", "(Socket.IO) `on(name, fn)`", "08"),
    Term(
        "broadcast",
        "브로드캐스트",
        "(Socket.IO) to send to every client (except, in `socket.broadcast`, the sender)",
        "08",
    ),
    Term("disconnect reason", "연결 해제 이유", "(Socket.IO) the string a `disconnect` listener receives", "08"),
    Term("ephemeral", "일시적", "lasting one connection only, like `socket.id`", "08"),
    Term("sequence diagram", "시퀀스 다이어그램", "a picture with one lifeline per party and time running down", "08"),
    Term(
        "namespace",
        "네임스페이스",
        "(Socket.IO) a channel within one connection, named by a path such as `/chat`",
        "08",
    ),
    Term("room", "룸", "(Socket.IO) a named group of sockets on the server that an emit can target", "09"),
    Term(
        "acknowledgement",
        "확인 응답",
        "(Socket.IO) a reply callback: the receiver calls it to answer one particular emit",
        "09",
    ),
    # extensions (lesson 11)
    Term("compression", "압축", "making the payload smaller before sending it", "11"),
    Term(
        "context takeover",
        "컨텍스트 테이크오버",
        "permessage-deflate reusing its compression window from one message to the next (RFC 7692 §7.1.1)",
        "11",
    ),
    Term("decompression bomb", "압축 폭탄", "a small compressed message that inflates to a huge one", "11"),
    Term(
        "Server-Sent Events",
        "서버 전송 이벤트",
        "one HTTP response that never ends, carrying events from server to client (`EventSource`)",
        "11",
    ),
    Term(
        "TLS",
        "전송 계층 보안",
        "Transport Layer Security: encryption and server authentication under `wss://` and `https://`",
        "11",
    ),
    Term("conformance", "적합성", "meeting every MUST of a specification; checked by the conformance suite", "ex"),
)

_BY_ENGLISH = {term.english.lower(): term for term in TERMS}


def term(english: str) -> Term:
    """The vocabulary entry for an English term (case-insensitive); KeyError names the term."""
    try:
        return _BY_ENGLISH[english.lower()]
    except KeyError:
        raise KeyError(f"{english!r} is not in wslab.vocabulary.TERMS; add it there (one line)") from None


def korean(english: str) -> str:
    """The Korean term for an English term: ``korean("frame") == "프레임"``."""
    return term(english).korean


_HANGUL = "\uac00-\ud7a3\u3131-\u318e"
_PHRASE = re.compile(rf"[^\s{_HANGUL}]*[{_HANGUL}][^\s]*(?: [^\s]*[{_HANGUL}][^\s]*)*")
_EDGE = "()[]{}/,.:;!?*_`'\"“”‘’|"


def korean_phrases(text: str) -> list[str]:
    """The Korean phrases of a piece of text: maximal runs of space-separated words that contain Hangul.

    Punctuation at either end of a phrase is dropped, so ``**frame** (프레임)`` gives ``["프레임"]``
    and ``asyncio (비동기 I/O)`` gives ``["비동기"]``.
    """
    phrases = []
    for match in _PHRASE.finditer(text):
        words = [word.strip(_EDGE) for word in match.group().split(" ")]
        phrases.extend(part.strip(_EDGE) for part in " ".join(words).split("/") if part.strip(_EDGE))
    return phrases


def known_phrases() -> frozenset[str]:
    """Every Korean phrase the vocabulary allows (a term's Korean as `korean_phrases` splits it)."""
    return frozenset(phrase for entry in TERMS for phrase in korean_phrases(entry.korean))


class Glossary:
    """The glossary table: Markdown in JupyterLab, HTML where no Markdown renderer runs."""

    def __init__(self, terms: tuple[Term, ...]) -> None:
        self.terms = terms

    def _rows(self) -> list[tuple[str, str, str, str]]:
        return [(t.english, t.korean, t.meaning, t.lesson) for t in self.terms]

    def _repr_markdown_(self) -> str:
        lines = ["| English | 한국어 | meaning in this kit | lesson |", "|---|---|---|---|"]
        lines += [f"| {e} | {k} | {m.replace('|', '&#124;')} | {n} |" for e, k, m, n in self._rows()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "<tr><th>English</th><th>한국어</th><th>meaning in this kit</th><th>lesson</th></tr>"
        body = "".join(
            "<tr>" + "".join(f"<td>{_code(html.escape(cell))}</td>" for cell in row) + "</tr>" for row in self._rows()
        )
        return f"<table>{head}{body}</table>"

    def __repr__(self) -> str:
        return "\n".join(f"{e} / {k}: {m} ({n})" for e, k, m, n in self._rows())


def _code(escaped: str) -> str:
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", escaped)


def glossary(lesson: str | None = None) -> Glossary:
    """The glossary, in lesson order; ``glossary("08")`` keeps only the terms lesson 08 introduces."""
    order = sorted(TERMS, key=lambda t: "99" if t.lesson == "ex" else t.lesson)
    return Glossary(tuple(t for t in order if lesson is None or t.lesson == lesson))
