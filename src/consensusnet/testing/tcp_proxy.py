"""A loopback TCP forwarder that can be cut and restored, to stage a service outage in tests.

Pointing a process at the proxy instead of the real PostgreSQL (or any TCP service) lets a test
take the service "down" without touching it: `down()` stops listening and aborts every forwarded
connection, so the client sees refused connects and reset sockets; `up()` listens on the same
port again. The proxy runs its own event loop in a thread, so blocking test code never stalls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")
CHUNK = 64 * 1024


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port` while up."""

    def __init__(self, target_host: str, target_port: int, *, port: int = 0) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = port  # 0 until the first `up()` picks a free port, then fixed
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._transports: set[asyncio.WriteTransport] = set()
        self._outages = 0  # a connection opened before an outage must not outlive it
        self._thread.start()

    def up(self) -> None:
        """Listen (again) on the proxy's port."""
        self._call(self._listen())

    def down(self) -> None:
        """Stop listening and abort every forwarded connection, as if the service died."""
        self._call(self._cut())

    def close(self) -> None:
        """Go down and stop the proxy's thread."""
        if not self._thread.is_alive():
            return
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> TcpProxy:
        try:
            self.up()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        self._outages += 1
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()  # each forwarding task then sees EOF on both sides and ends
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=5)

    async def _accept(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        outages = self._outages
        self._connections.add(task)
        self._transports.add(client.transport)
        upstream: asyncio.StreamWriter | None = None
        try:
            upstream_reader, upstream = await asyncio.open_connection(
                self.target_host, self.target_port
            )
            self._transports.add(upstream.transport)
            if self._outages != outages:
                return  # the proxy went down while this connection reached the target
            await asyncio.gather(_pipe(client_reader, upstream), _pipe(upstream_reader, client))
        except OSError:
            pass  # the target refused: the client sees its connection closed, as it would
        finally:
            for writer in (client, upstream):
                if writer is not None:
                    self._transports.discard(writer.transport)
                    writer.transport.abort()
            self._connections.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes one way until EOF or a reset, then half-close the other side."""
    with contextlib.suppress(OSError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
