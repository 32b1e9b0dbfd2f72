"""`python -m wslab serve` with permessage-deflate, subprotocols and wss://, as a real
process; and the whole conformance suite, compression included, strictly OK against it."""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trustme
from netutil import run
from websockets.asyncio.client import connect as ws_connect

ROOT = Path(__file__).resolve().parents[1]
# ROOT first; what the run put on PYTHONPATH after it (tests/fast_imports, tests/conftest.py).
PYTHONPATH = os.pathsep.join([str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
ENV = {**os.environ, "PYTHONPATH": PYTHONPATH, "PYTHONIOENCODING": "utf-8"}


class Serve:
    """`python -m wslab serve --port 0 ARGS`; its log goes to a file, so a long run never fills a pipe."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.log = tmp_path / f"serve-{time.monotonic_ns()}.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wslab", "serve", "--port", "0", *args], cwd=ROOT, env=ENV, stderr=log, text=True
            )
        deadline = time.monotonic() + 20
        while not (match := re.search(r"wslab echo server on (wss?://127\.0\.0\.1:\d+/).*", self.log.read_text())):
            assert time.monotonic() < deadline and self.process.poll() is None, self.log.read_text()
            time.sleep(0.05)
        self.url = match.group(1)
        self.banner = match.group(0)

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=20)
        return self.log.read_text()


def test_serve_accepts_deflate_by_default_and_declines_with_no_compression(tmp_path):
    async def extensions(url: str) -> list[str]:
        async with ws_connect(url, compression="deflate") as client:
            await client.send("hello " * 100)
            assert await client.recv() == "hello " * 100
            return [e.name for e in client.protocol.extensions]

    default = Serve(tmp_path)
    try:
        assert "permessage-deflate accepted" in default.banner
        assert run(extensions(default.url)) == ["permessage-deflate"]
    finally:
        log = default.stop()
    assert "permessage-deflate" in log  # the open line names what was agreed
    off = Serve(tmp_path, "--no-compression")
    try:
        assert "no compression" in off.banner
        assert run(extensions(off.url)) == []
    finally:
        off.stop()


def test_serve_subprotocols(tmp_path):
    server = Serve(tmp_path, "--subprotocol", "chat.v2", "--subprotocol", "chat.v1")
    try:

        async def chosen() -> str | None:
            async with ws_connect(server.url, subprotocols=["chat.v1", "chat.v2"]) as client:
                return client.subprotocol

        assert run(chosen()) == "chat.v2"
    finally:
        server.stop()


def test_serve_wss(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(tmp_path / "server.pem")
    server = Serve(tmp_path, "--certfile", str(tmp_path / "server.pem"))
    try:
        assert server.url.startswith("wss://")
        context = ssl.create_default_context()
        ca.configure_trust(context)

        async def echo() -> str:
            async with ws_connect(server.url, ssl=context) as client:
                await client.send("over TLS")
                return await client.recv()

        assert run(echo()) == "over TLS"
    finally:
        server.stop()


@pytest.mark.timeout(600)
def test_the_whole_conformance_suite_is_strictly_ok_against_python_m_wslab_serve(tmp_path):
    """Every case, RFC 6455 and RFC 7692 (Autobahn's 1-7, 9, 12, 13, and 14, H): OK, not NON-STRICT."""
    server = Serve(tmp_path)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "wslab", "conformance", server.url, "--json", str(tmp_path / "r.json")],
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=560,
        )
    finally:
        server.stop()
    report = json.loads((tmp_path / "r.json").read_text())
    not_ok = [(r["id"], r["verdict"], r["detail"]) for r in report["cases"] if r["verdict"] != "OK"]
    assert out.returncode == 0 and not not_ok, (not_ok, out.stdout[-3000:])
    categories = {r["category"] for r in report["cases"]}
    assert {"compression: messages", "compression: parameters", "compression: rules"} <= categories
