"""The one vocabulary (wslab.vocabulary): well formed, one Korean term per concept."""

import re

import pytest

from wslab import vocabulary
from wslab.vocabulary import TERMS, glossary, korean, korean_phrases

LESSONS = {f"{n:02d}" for n in range(12)} | {"ex"}


def test_terms_are_unique_and_complete():
    english = [t.english.lower() for t in TERMS]
    assert len(english) == len(set(english))
    koreans = [t.korean for t in TERMS]
    assert len(koreans) == len(set(koreans)), "two terms share one Korean word"
    for t in TERMS:
        assert t.english and t.korean and t.meaning, t
        assert t.lesson in LESSONS, t


@pytest.mark.parametrize("english", ["polling", "long polling", "nonce", "namespace", "CORS",
                                     "persistent connection", "heartbeat", "extension", "subprotocol",
                                     "Engine.IO", "transport", "upgrade", "acknowledgement", "room", "broadcast",
                                     "compression", "context takeover", "conformance", "exercise", "hint",
                                     "solution"])
def test_key_terms_are_there(english):
    assert vocabulary.term(english).english == english


def test_the_words_korean_developers_use():
    assert korean("origin") == "출처" and korean("CORS") == "교차 출처 리소스 공유"
    assert korean("heartbeat") == "하트비트" and korean("packet capture") == "패킷 캡처"
    assert korean("opcode") == "옵코드" and korean("room") == "룸"
    calques = {"여는 핸드셰이크", "이밋", "도청기", "심장 박동", "오리진", "오피코드", "방"}
    assert not calques & {t.korean for t in TERMS}


def test_unknown_term_says_where_to_add_it():
    with pytest.raises(KeyError, match="wslab.vocabulary.TERMS"):
        korean("no such term")


def test_korean_phrases():
    assert korean_phrases("**frame** (프레임), a **request / 요청** or `asyncio` (비동기 I/O)") == [
        "프레임", "요청", "비동기"]
    assert korean_phrases("CSWSH / 크로스 사이트 웹소켓 하이재킹):") == ["크로스 사이트 웹소켓 하이재킹"]
    assert korean_phrases("no Korean here") == []


def test_glossary_renders_every_term():
    table = glossary()
    markdown, page = table._repr_markdown_(), table._repr_html_()
    assert len(re.findall(r"^\| ", markdown, re.M)) == len(TERMS) + 1
    assert page.count("<tr>") == len(TERMS) + 1
    for t in TERMS:
        assert f"| {t.english} | {t.korean} |" in markdown
    assert "<code>Sec-WebSocket-Protocol</code>" in page
    assert [t.english for t in glossary("09").terms] == ["room", "acknowledgement"]
