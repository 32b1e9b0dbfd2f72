"""`python -m wslab serve` and `python -m wslab doctor`, run as a classroom would: subprocesses."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import websockets
from netutil import run
from websockets.asyncio.client import connect as ws_connect

ROOT = Path(__file__).resolve().parents[1]
# ROOT first; what the run put on PYTHONPATH after it (tests/fast_imports, tests/conftest.py).
PYTHONPATH = os.pathsep.join([str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
ENV = {**os.environ, "PYTHONPATH": PYTHONPATH, "PYTHONIOENCODING": "utf-8"}


def start_server(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "wslab", "serve", "--port", "0", *args],
        cwd=ROOT,
        env=ENV,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stderr.readline()
    match = re.search(r"ws://127\.0\.0\.1:\d+/", line)
    assert match, line
    return process, match.group(0)


def stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=15)
    return process.returncode, err


def test_serve_echoes_logs_and_stops_on_ctrl_c():
    process, url = start_server("--max-size", "1000")

    async def clients():
        async with ws_connect(url) as client:
            await client.send("안녕")
            assert await client.recv() == "안녕"
            await client.send(b"\x00\x01")
            assert await client.recv() == b"\x00\x01"
        async with ws_connect(url) as client:
            await client.send(b"x" * 1001)
            try:
                await client.recv()
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code

    try:
        assert run(clients()) == 1009
    finally:
        code, log = stop(process)
    assert code == 0, log
    assert "c1 open" in log and "c1 closed: 1000 NORMAL_CLOSURE" in log
    assert "c2 closed: 1009 MESSAGE_TOO_BIG" in log
    assert "Traceback" not in log


def test_serve_ctrl_c_with_a_client_connected():
    process, url = start_server()

    async def client():
        async with ws_connect(url) as ws:
            await ws.send("hi")
            await ws.recv()
            process.send_signal(signal.SIGINT)
            try:
                await ws.recv()
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code

    assert run(client()) == 1001
    _, log = process.communicate(timeout=15)
    assert process.returncode == 0, log
    assert "Traceback" not in log


def test_serve_refuses_other_origins_with_403():
    process, url = start_server("--allow-origin", "http://class.example")

    async def clients():
        try:
            async with ws_connect(url, origin="http://evil.example"):
                pass
        except websockets.InvalidStatus as error:
            refused = error.response.status_code
        async with ws_connect(url, origin="http://class.example") as ws:
            await ws.send("ok")
            return refused, await ws.recv()

    try:
        assert run(clients()) == (403, "ok")
    finally:
        code, log = stop(process)
    assert code == 0
    assert re.search(r"c1 refused: HTTP 403", log), log


def test_doctor_passes_here():
    result = subprocess.run(
        [sys.executable, "-m", "wslab", "doctor"], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    checks = [line for line in lines if line.startswith("✓ ") and not line.startswith("✓ fonts:")]
    assert len(checks) == 8 and any(line.startswith("✓ set-up: python -m venv works") for line in checks)
    assert not [line for line in lines if line.startswith("✗ ")]
    # the Korean-font check is advice: ✓, or "!" with what to install; never counted as a failure
    (font,) = [line for line in lines if line[2:].startswith("fonts: Korean text")]
    assert font.startswith("✓ ") or ("fonts-noto-cjk" in font and font.startswith("! "))


def test_doctor_fails_when_a_check_fails(tmp_path):
    """A broken install (ipywidgets shadowed by a module that raises) gives ✗ and exit status 1."""
    (tmp_path / "ipywidgets.py").write_text("raise ImportError('ipywidgets is broken here')\n")
    env = {**ENV, "PYTHONPATH": f"{tmp_path}{os.pathsep}{PYTHONPATH}"}
    result = subprocess.run(
        [sys.executable, "-m", "wslab", "doctor"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "✗ widgets: ipywidgets importable: ImportError: ipywidgets is broken here" in result.stdout


def test_serve_ctrl_c_with_a_client_that_stopped_reading():
    """§5 of issue 10: the echo's sends and the server's Close frame wait on a client that
    never reads; every wait of closing is bounded by close_timeout, so SIGINT still ends it."""
    import socket
    import time

    from wslab import frames, handshake
    from wslab.masking import RFC_MASK_KEY

    process, url = start_server("--close-timeout", "1")
    target = handshake.parse_uri(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills sooner
    try:
        sock.connect((target.host, target.port))
        sock.sendall(handshake.build_request(target.host_header, "/"))
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)  # exactly the head: no frame is read, ever
        assert head.startswith(b"HTTP/1.1 101")
        frame = frames.encode(frames.Frame(frames.Opcode.BINARY, bytes(1 << 16)), mask_key=RFC_MASK_KEY)
        sock.settimeout(1.0)
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:  # the server echoes until its buffers are full
                sock.sendall(frame)
        except TimeoutError:
            pass  # it stopped reading us: everything is stuck
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        try:
            _, log = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            _, log = process.communicate()
            raise AssertionError(f"the server ignored SIGINT behind a client that stopped reading:\n{log}") from None
        assert process.returncode == 0, log
        assert time.monotonic() - started < 8, "closing took longer than its close_timeout bounds"
        assert "Traceback" not in log
    finally:
        sock.close()
