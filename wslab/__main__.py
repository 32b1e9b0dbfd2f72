"""The command line: ``python -m wslab serve``, ``doctor``, ``conformance`` and ``classroom``.

python -m wslab serve [--host 127.0.0.1] [--port 8765] [--allow-origin ORIGIN ...] [--max-size BYTES]
                      [--no-compression] [--subprotocol NAME ...] [--certfile PEM [--keyfile PEM]]
                      [--handshake-timeout SECONDS] [--close-timeout SECONDS]
    an echo server (text back as text, binary as binary) made only of wslab's
    own handshake and connection code; logs each connection to stderr; Ctrl-C stops it.
python -m wslab doctor
    checks this install for a classroom machine; exit status 0 only if every check passes.
python -m wslab conformance ws://127.0.0.1:9001/ [--cases 5.*,6.*] [--json FILE] [--html FILE]
                            [--max-size BYTES]
    runs the conformance suite (wslab.conformance) against any WebSocket server and prints a
    table of verdicts per category; exit status 0 only if every case passed (OK or NON-STRICT).
python -m wslab classroom DIR [--no-solutions | --nbgrader]
    writes a class set into DIR: the lessons, the exercises, the cheat sheet and an index page;
    --no-solutions keeps solution() from showing the solutions; --nbgrader also writes the
    exercises as nbgrader source assignments (DIR/source/exNN/).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable

__all__ = ["main", "run_server", "doctor", "conformance", "classroom"]


# --- serve ---------------------------------------------------------------------


async def run_server(
    host: str,
    port: int,
    allowed_origins: list[str] | None,
    max_size: int,
    handshake_timeout: float = 10.0,
    close_timeout: float = 5.0,
    *,
    compression: bool = True,
    subprotocols: list[str] | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> None:
    """Serve `wslab.net.echo` until SIGINT or SIGTERM, then close every connection (1001) and stop.

    permessage-deflate is accepted when offered unless `compression` is False;
    `subprotocols` are chosen from in this order; `certfile` (and `keyfile`) make it wss://.
    """
    from wslab.deflate import ServerConfig
    from wslab.net import echo, serve

    context = None
    if certfile:
        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            pass
    server = await serve(
        echo,
        host,
        port,
        allowed_origins=allowed_origins,
        max_message_size=max_size,
        handshake_timeout=handshake_timeout,
        close_timeout=close_timeout,
        compression=ServerConfig() if compression else None,
        subprotocols=subprotocols or (),
        ssl=context,
    )
    origins = ", ".join(allowed_origins) if allowed_origins else "any"
    extras = "permessage-deflate accepted" if compression else "no compression"
    if subprotocols:
        extras += f"; subprotocols {', '.join(subprotocols)}"
    print(
        f"wslab echo server on {server.url} (origins: {origins}; max message {max_size} bytes; {extras}); "
        "Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        print("stopping: closing connections with 1001 (going away)", file=sys.stderr, flush=True)
        await server.close()


# --- doctor --------------------------------------------------------------------


def _check_handshake_vector() -> str:
    from wslab import handshake

    key = handshake.RFC_KEY
    accept = handshake.accept_key(key)
    assert accept == handshake.RFC_ACCEPT, f"accept_key({key!r}) gave {accept!r}"
    return f"accept_key({key!r}) = {accept!r} (RFC 6455 §1.3)"


def _check_frame_vectors() -> str:
    """The example frames of RFC 6455 §5.7, encoded and decoded."""
    from wslab.frames import Frame, Opcode, decode, encode
    from wslab.masking import RFC_MASK_KEY

    key = RFC_MASK_KEY
    vectors = [
        (Frame(Opcode.TEXT, b"Hello"), None, "810548656c6c6f"),
        (Frame(Opcode.TEXT, b"Hello"), key, "818537fa213d7f9f4d5158"),
        (Frame(Opcode.TEXT, b"Hel", fin=False), None, "010348656c"),
        (Frame(Opcode.CONTINUATION, b"lo"), None, "80026c6f"),
        (Frame(Opcode.PING, b"Hello"), None, "890548656c6c6f"),
        (Frame(Opcode.PONG, b"Hello"), key, "8a8537fa213d7f9f4d5158"),
        (Frame(Opcode.BINARY, bytes(256)), None, "827e0100" + "00" * 256),
        (Frame(Opcode.BINARY, bytes(65536)), None, "827f0000000000010000" + "00" * 65536),
    ]
    for frame, mask_key, wire in vectors:
        data = encode(frame, mask_key=mask_key)
        assert data.hex() == wire, (
            f"encode({Opcode(frame.opcode).name} {frame.payload[:8]!r}) gave {data[:12].hex()}..."
        )
        decoded, used = decode(data)
        assert decoded == frame and used == len(data), f"decode({wire[:20]}...) gave {decoded}"
    return f"{len(vectors)} frames of RFC 6455 §5.7 encode and decode byte for byte"


def _check_loopback() -> str:
    from wslab.net import connect, echo, serve

    async def round_trip() -> str:
        async with serve(echo) as server:
            async with connect(server.url) as ws:
                await ws.send("héllo")
                text = await ws.recv()
                await ws.send(b"\x00\xff")
                data = await ws.recv()
                await ws.ping(b"doctor")
            assert (text, data) == ("héllo", b"\x00\xff"), f"echo gave {text!r}, {data!r}"
            assert ws.close_code == 1000, f"closed with {ws.close_code}"
        return "text, binary and ping/pong echoed over 127.0.0.1; closed with 1000"

    return asyncio.run(asyncio.wait_for(round_trip(), 10))


def _check_import(name: str) -> Callable[[], str]:
    def check() -> str:
        module = importlib.import_module(name)
        return f"{name} {getattr(module, '__version__', '(version unknown)')}"

    return check


def _check_venv() -> str:
    """`python -m venv` works here: Debian and Ubuntu ship venv's ensurepip in a package of its own."""
    base = getattr(sys, "_base_executable", sys.executable)
    result = subprocess.run([base, "-c", "import ensurepip, venv"], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(
            "this Python cannot create virtual environments (no ensurepip); "
            "on Debian or Ubuntu: sudo apt-get install python3-venv"
        )
    return f"Python {sys.version.split()[0]} can create virtual environments (python -m venv)"


def _check_korean_font() -> str:
    """A font with Hangul, so that the Korean terms of the lessons are not drawn as empty boxes."""
    if sys.platform in ("win32", "darwin"):
        return "Windows and macOS ship fonts with Hangul"
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise RuntimeError("cannot tell: fontconfig's fc-list is missing")
    listed = subprocess.run([fc_list, ":lang=ko", "family"], capture_output=True, text=True, timeout=60).stdout
    families = sorted({line.split(",")[0].strip() for line in listed.splitlines() if line.strip()})
    if not families:
        raise RuntimeError(
            "no font with Hangul: Korean terms would show as boxes; "
            "on Debian or Ubuntu: sudo apt-get install fonts-noto-cjk (or fonts-nanum)"
        )
    return f"{len(families)} font famil{'y' if len(families) == 1 else 'ies'} with Hangul, e.g. {families[0]}"


DOCTOR_CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("handshake: RFC accept-key vector", _check_handshake_vector),
    ("frames: RFC example frames", _check_frame_vectors),
    ("net: loopback echo round trip", _check_loopback),
    ("Jupyter: jupyterlab importable", _check_import("jupyterlab")),
    ("Jupyter: ipykernel importable", _check_import("ipykernel")),
    ("widgets: ipywidgets importable", _check_import("ipywidgets")),
    ("reference peer: websockets importable", _check_import("websockets")),
    ("set-up: python -m venv works", _check_venv),
]

# Advice, not counted in the exit status: the font matters on the machine whose browser shows the
# lessons, which need not be this one (JupyterLab on a remote machine).
DOCTOR_ADVICE: list[tuple[str, Callable[[], str]]] = [
    ("fonts: Korean text in this machine's browser", _check_korean_font),
]


def doctor() -> int:
    """Run every check, print a ✓/✗ line for each; 0 if all pass, else 1."""
    ok_mark, bad_mark = _marks()
    failures = 0
    for name, check in DOCTOR_CHECKS:
        try:
            detail = check()
        except Exception as error:  # a check may fail in any way: report it, go on
            failures += 1
            print(f"{bad_mark} {name}: {type(error).__name__}: {error}", flush=True)
        else:
            print(f"{ok_mark} {name}: {detail}", flush=True)
    for name, check in DOCTOR_ADVICE:
        try:
            print(f"{ok_mark} {name}: {check()}", flush=True)
        except Exception as error:  # advice: reported, not counted
            print(f"! {name}: {error} (advice, not counted: it matters where the browser runs)", flush=True)
    total = len(DOCTOR_CHECKS)
    print(f"{total - failures}/{total} checks passed" + ("" if failures else ": ready for class"))
    return 1 if failures else 0


def _marks() -> tuple[str, str]:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓✗".encode(encoding)
        return "✓", "✗"
    except (UnicodeEncodeError, LookupError):
        return "OK", "FAIL"


# --- conformance ---------------------------------------------------------------


def conformance(url: str, cases: str | None, json_file: str | None, html_file: str | None, max_size: int) -> int:
    """Run the suite against `url`, print the table (and each case not OK), write the reports asked for."""
    from wslab import conformance as suite

    def progress(result) -> None:
        print(f"{result.case.id:<6} {result.verdict.value:<10} {result.case.title}", file=sys.stderr, flush=True)

    selected = suite.select(suite.all_cases(max_size), cases)
    if not selected:
        print(f"no case matches {cases!r} (ids look like 1.1, 5.3, H.2)", file=sys.stderr)
        return 2
    results = asyncio.run(suite.run_cases(url, selected, progress))
    print(suite.summary(results))
    if json_file:
        with open(json_file, "w", encoding="utf-8") as out:
            out.write(suite.to_json(results, server=url))
    if html_file:
        with open(html_file, "w", encoding="utf-8") as out:
            out.write(suite.to_html(results, server=url))
    return 0 if all(result.passed for result in results) else 1


# --- classroom -----------------------------------------------------------------


def classroom(target: str, *, solutions: bool, nbgrader: bool, source: str | None) -> int:
    """Write a class set; print what was written, or why it could not be."""
    from pathlib import Path

    from wslab.classroom import write_class_set

    try:
        written = write_class_set(
            Path(target), solutions=solutions, nbgrader=nbgrader, source=Path(source) if source else None
        )
    except (FileExistsError, FileNotFoundError) as error:
        print(f"classroom: {error}", file=sys.stderr)
        return 2
    notebooks = sum(path.suffix == ".ipynb" for path in written)
    print(
        f"class set in {target}: {notebooks} notebooks, index.md, cheatsheet.svg"
        + ("; solutions kept back (wslab-classroom.json)" if not solutions else "")
        + ("; nbgrader source assignments in source/" if nbgrader else "")
    )
    return 0


# --- main ----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wslab", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run an echo server built from wslab's own code")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 picks a free one)")
    serve_cmd.add_argument(
        "--allow-origin",
        action="append",
        metavar="ORIGIN",
        dest="origins",
        help="accept only this Origin (repeat for more); others get HTTP 403 (§10.2)",
    )
    serve_cmd.add_argument(
        "--max-size",
        type=int,
        default=1 << 20,
        metavar="BYTES",
        help="largest message accepted (default 1 MiB); larger: close 1009",
    )
    serve_cmd.add_argument(
        "--handshake-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="drop a client that has not completed its handshake by then (default 10)",
    )
    serve_cmd.add_argument(
        "--close-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="bound on each wait of closing a connection (default 5)",
    )
    serve_cmd.add_argument(
        "--no-compression",
        action="store_false",
        dest="compression",
        help="decline permessage-deflate (RFC 7692), which is accepted when offered by default",
    )
    serve_cmd.add_argument(
        "--subprotocol",
        action="append",
        metavar="NAME",
        dest="subprotocols",
        help="a subprotocol the server speaks (repeat, in order of preference; §1.9)",
    )
    serve_cmd.add_argument("--certfile", metavar="PEM", help="serve wss:// with this certificate chain (TLS)")
    serve_cmd.add_argument("--keyfile", metavar="PEM", help="the private key, if not in --certfile")
    commands.add_parser("doctor", help="check this install for a classroom")
    conformance_cmd = commands.add_parser(
        "conformance", help="run the RFC 6455 and RFC 7692 conformance suite against a server"
    )
    conformance_cmd.add_argument("url", help="the server's ws:// URL, e.g. ws://127.0.0.1:9001/")
    conformance_cmd.add_argument(
        "--cases", metavar="PATTERNS", help="comma-separated glob patterns of case ids, e.g. '5.*,6.*' (default: all)"
    )
    conformance_cmd.add_argument("--json", metavar="FILE", dest="json_file", help="also write the results as JSON")
    conformance_cmd.add_argument(
        "--html", metavar="FILE", dest="html_file", help="also write a self-contained HTML report"
    )
    conformance_cmd.add_argument(
        "--max-size",
        type=int,
        default=1 << 20,
        metavar="BYTES",
        help="the server's message-size limit, for the 9.x cases (default 1 MiB)",
    )
    classroom_cmd = commands.add_parser("classroom", help="write a class set (lessons, exercises, index) into DIR")
    classroom_cmd.add_argument("dir", help="a new (or empty) folder for the class set")
    choice = classroom_cmd.add_mutually_exclusive_group()
    choice.add_argument(
        "--no-solutions",
        action="store_true",
        help="solution() in this class set says the teacher has kept the solutions back",
    )
    choice.add_argument(
        "--nbgrader", action="store_true", help="also write the exercises as nbgrader source assignments (source/exNN/)"
    )
    classroom_cmd.add_argument(
        "--from",
        dest="source",
        metavar="NOTEBOOKS",
        help="the kit's notebooks/ folder (default: the one beside this wslab)",
    )
    args = parser.parse_args(argv)

    if args.command == "classroom":
        return classroom(args.dir, solutions=not args.no_solutions, nbgrader=args.nbgrader, source=args.source)
    if args.command == "doctor":
        return doctor()
    if args.command == "conformance":
        return conformance(args.url, args.cases, args.json_file, args.html_file, args.max_size)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(
            run_server(
                args.host,
                args.port,
                args.origins,
                args.max_size,
                args.handshake_timeout,
                args.close_timeout,
                compression=args.compression,
                subprotocols=args.subprotocols,
                certfile=args.certfile,
                keyfile=args.keyfile,
            )
        )
    except KeyboardInterrupt:  # where signal handlers are unavailable
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
