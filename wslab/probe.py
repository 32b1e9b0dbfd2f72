"""A raw-socket WebSocket client that sends exactly the bytes it is given.

Real clients (wslab's, a browser's) only send valid frames. To see what a
server does with an invalid one (RSV1 set, an unmasked frame, text that is not
UTF-8), something must put those bytes on the wire: `Probe` does, and reads the
server's answer as it arrives, byte for byte, without judging it.

    probe = await Probe.open(server.url)
    await probe.handshake()                                   # a valid §4.1 request
    await probe.send(frames.encode(Frame(Opcode.TEXT, b"hi", rsv1=True), mask_key=PROBE_KEY))
    frame = await probe.read_frame()                          # Close 1002 (§5.2)
    await probe.expect_eof()                                  # and the server closed TCP

Used by the conformance tests, the load generator and the lessons.
"""

from __future__ import annotations

import asyncio

from wslab import frames, handshake
from wslab.codes import Opcode
from wslab.errors import IncompleteFrame
from wslab.frames import Frame
from wslab.masking import RFC_MASK_KEY

__all__ = ["Probe", "PROBE_KEY"]

PROBE_KEY = RFC_MASK_KEY  # a fixed masking key (§5.7's): the probe's bytes are the same every run


class Probe:
    """One TCP connection and the raw bytes on it."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int, path: str
    ) -> None:
        self.reader, self.writer = reader, writer
        self.host, self.port, self.path = host, port, path
        self.received = bytearray()  # bytes read but not yet parsed
        self.response: handshake.Response | None = None

    @classmethod
    async def open(cls, url: str) -> Probe:
        uri = handshake.parse_uri(url)
        reader, writer = await asyncio.open_connection(uri.host, uri.port)
        return cls(reader, writer, uri.host, uri.port, uri.resource_name)

    def request(self, *, origin: str | None = None, key: str | None = None) -> bytes:
        """A valid opening handshake request for this server (§4.1)."""
        return handshake.build_request(f"{self.host}:{self.port}", self.path, origin=origin, key=key)

    async def handshake(self, *, origin: str | None = None) -> handshake.Response:
        """Send a valid request and check the 101 answer (raises HandshakeError otherwise)."""
        request = self.request(origin=origin)
        await self.send(request)
        head = await self.read_head()
        self.response = handshake.validate_response(request, head)
        return self.response

    async def send(self, data: bytes, *, pause: float = 0.0, chunk: int | None = None) -> None:
        """Write `data`, in pieces of `chunk` bytes with `pause` seconds between them if asked."""
        if chunk is None:
            self.writer.write(data)
            await self.writer.drain()
            return
        for start in range(0, len(data), chunk):
            self.writer.write(data[start : start + chunk])
            await self.writer.drain()
            if pause:
                await asyncio.sleep(pause)

    async def send_slowly(self, data: bytes, pause: float) -> bytes:
        """Send `data` one byte every `pause` seconds (a "slowloris" client) until the server answers
        or closes the connection; returns what it answered, b"" if it closed TCP without a word."""
        answer = asyncio.ensure_future(self.reader.read(1 << 16))
        for i in range(len(data)):
            if answer.done():
                break
            try:
                await self.send(data[i : i + 1])
            except (ConnectionError, OSError):
                break
            await asyncio.sleep(pause)
        return await answer

    async def send_frame(
        self,
        opcode: int,
        payload: bytes = b"",
        *,
        fin: bool = True,
        rsv1: bool = False,
        rsv2: bool = False,
        rsv3: bool = False,
        mask_key: bytes | None = PROBE_KEY,
    ) -> None:
        """Encode and send one frame exactly as given (masked with the probe's key by default)."""
        await self.send(frames.encode(Frame(opcode, payload, fin, rsv1, rsv2, rsv3), mask_key=mask_key))

    async def _fill(self, timeout: float) -> bool:
        """Read more bytes into `received`; False at EOF."""
        data = await asyncio.wait_for(self.reader.read(1 << 16), timeout)
        self.received += data
        return bool(data)

    async def read_head(self, timeout: float = 5.0) -> bytes:
        """The server's HTTP response head; any bytes after it stay in `received`."""
        while (split := handshake.split_head(bytes(self.received), limit=1 << 20)) is None:
            if not await self._fill(timeout):
                raise EOFError(f"TCP closed before a complete HTTP head: {bytes(self.received)!r}")
        head, rest = split
        self.received = bytearray(rest)
        return head

    async def read_status(self, timeout: float = 5.0) -> int:
        """The HTTP status code the server answered with."""
        head = await self.read_head(timeout)
        return int(head.split(b" ", 2)[1])

    async def read_frame(self, timeout: float = 5.0) -> Frame:
        """The next frame from the server, checked as a client must check it (§5.1: unmasked)."""
        while True:
            try:
                frame, used = frames.decode(bytes(self.received), role="client")
            except IncompleteFrame:
                if not await self._fill(timeout):
                    raise EOFError(f"TCP closed inside a frame; bytes left: {bytes(self.received)!r}") from None
                continue
            del self.received[:used]
            return frame

    async def read_close(self, timeout: float = 5.0) -> tuple[int | None, str]:
        """Read frames up to the server's Close frame; its (code, reason). Other frames are an error."""
        frame = await self.read_frame(timeout)
        if frame.opcode != Opcode.CLOSE:
            raise AssertionError(f"expected a Close frame, got {frame}")
        return frames.parse_close(frame.payload)

    async def expect_eof(self, timeout: float = 5.0) -> None:
        """Check the server closes TCP cleanly (FIN, no reset) and sends nothing more."""
        try:
            more = await self._fill(timeout)
        except ConnectionResetError:
            raise AssertionError("the server reset TCP instead of closing it cleanly") from None
        if more or self.received:
            raise AssertionError(f"bytes after the Close frame: {bytes(self.received)!r}")

    async def is_open(self, timeout: float = 0.2) -> bool:
        """True if the server neither sent anything nor closed within `timeout` seconds."""
        try:
            await self._fill(timeout)
        except asyncio.TimeoutError:
            return True
        return False  # bytes arrived, or TCP closed

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass

    def __repr__(self) -> str:
        return f"Probe(path={self.path!r})"
