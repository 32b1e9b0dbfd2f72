"""The one vocabulary (wslab.vocabulary): well formed, one Korean term per concept."""

import json
import re
from pathlib import Path

import pytest

from wslab import vocabulary
from wslab.vocabulary import TERMS, glossary, known_phrases, korean, korean_phrases

LESSONS = {f"{n:02d}" for n in range(12)} | {"ex"}


def test_terms_are_unique_and_complete():
    english = [t.english.lower() for t in TERMS]
    assert len(english) == len(set(english))
    koreans = [t.korean for t in TERMS]
    assert len(koreans) == len(set(koreans)), "two terms share one Korean word"
    for t in TERMS:
        assert t.english and t.korean and t.meaning, t
        assert t.lesson in LESSONS, t


@pytest.mark.parametrize(
    "english",
    [
        "polling",
        "long polling",
        "nonce",
        "namespace",
        "CORS",
        "persistent connection",
        "heartbeat",
        "extension",
        "subprotocol",
        "Engine.IO",
        "transport",
        "upgrade",
        "acknowledgement",
        "room",
        "broadcast",
        "compression",
        "context takeover",
        "conformance",
        "exercise",
        "hint",
        "solution",
    ],
)
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
        "프레임",
        "요청",
        "비동기",
    ]
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


# --- the glossary test: every Korean term of every notebook comes from the vocabulary ------------

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (REPO / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
# Not terms: code, and the seed notes quoted in Korean ("…" or a blockquote line "> 6-1. …").
QUOTED = re.compile(r"```.*?```|`[^`\n]*`|\"[^\"\n]*\"|“[^”\n]*”|^>\s*\d+-\d+\..*$", re.S | re.M)


def korean_terms_of(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (n, phrase)
        for n, cell in enumerate(cells)
        if cell["cell_type"] == "markdown"
        for phrase in korean_phrases(QUOTED.sub(" ", "".join(cell["source"])))
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO / "notebooks")))
def test_every_korean_term_comes_from_the_vocabulary(path):
    known = known_phrases()
    unknown = [(cell, phrase) for cell, phrase in korean_terms_of(path) if phrase not in known]
    assert unknown == [], (
        f"Korean terms not in wslab.vocabulary.TERMS (cell number, phrase): {unknown}; "
        "use the vocabulary's word, or add the term there"
    )


def test_the_quoted_seed_notes_are_not_terms():
    quoted = '> 6-1. 소켓이 연결되면 cors 설정\n| §8-6: "이벤트가 한 번만" | `"안녕"` |'
    assert korean_phrases(QUOTED.sub(" ", quoted)) == []


def test_lesson_00_renders_its_glossary_from_the_vocabulary():
    cells = json.loads((REPO / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8"))["cells"]
    (cell,) = [c for c in cells if c["cell_type"] == "code" and "glossary()" in "".join(c["source"])]
    (output,) = cell["outputs"]
    assert "".join(output["data"]["text/markdown"]) == glossary()._repr_markdown_()
    tables = [c for c in cells if c["cell_type"] == "markdown" and "| 한국어 |" in "".join(c["source"])]
    assert tables == [], "the glossary is drawn from wslab.vocabulary, not typed into a cell"
