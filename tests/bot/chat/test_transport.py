"""The Bot API transport over aiohttp: which failures count as never sent (retried by
`PatientRequest`) and which may have reached Telegram (not retried), on real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData

from bot.chat import delivery
from bot.chat.delivery import PatientRequest
from bot.chat.transport import BotApiTransport

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


@contextlib.asynccontextmanager
async def server(serve: Serve) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server on 127.0.0.1 running `serve` per connection; yields its URL and the request
    heads it read."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                heads.append(head)
                length = next(
                    (
                        int(h.split(b":")[1])
                        for h in head.split(b"\r\n")
                        if h.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                await serve(reader, writer)
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/botTOKEN/sendMessage", heads
    finally:
        srv.close()


async def answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(OK)
    await writer.drain()


async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.transport.abort()  # the request arrived; no answer


async def never_answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


def request(
    kind: type[HTTPXRequest] = HTTPXRequest,
    connections: int = 4,
    read_timeout: float = 5.0,
    pool_timeout: float = 1.0,
) -> HTTPXRequest:
    transport = BotApiTransport(connections)
    return kind(
        read_timeout=read_timeout, pool_timeout=pool_timeout, httpx_kwargs={"transport": transport}
    )


async def post(req: HTTPXRequest, url: str) -> tuple[int, bytes]:
    data = RequestData()
    return await req.do_request(url, "POST", data)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_an_answer_comes_back_and_the_connection_is_reused() -> None:
    async with server(answer) as (url, heads):
        req = request()
        await req.initialize()
        try:
            assert await post(req, url) == (200, b'{"ok":true}')
            assert await post(req, url) == (200, b'{"ok":true}')
        finally:
            await req.shutdown()
    assert len(heads) == 2


async def failure(req: HTTPXRequest, url: str) -> NetworkError:
    """The error PTB raises for one request to `url` through `req` (started and stopped here)."""
    await req.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await post(req, url)
    finally:
        await req.shutdown()
    return caught.value


async def test_a_refused_connection_is_never_sent_and_retried(monkeypatch) -> None:
    monkeypatch.setattr(delivery, "BACKOFF_S", 0.01)
    url = f"http://127.0.0.1:{closed_port()}/botTOKEN/getMe"
    assert delivery._never_sent(await failure(request(PatientRequest), url))


async def test_a_connection_dropped_after_sending_is_not_retried() -> None:
    async with server(hang_up) as (url, heads):
        error = await failure(request(PatientRequest), url)
    assert not delivery._never_sent(error)
    assert len(heads) == 1  # Telegram may have acted on it: sent once


async def test_an_answer_too_late_is_a_timeout_and_not_retried() -> None:
    async with server(never_answer) as (url, heads):
        error = await failure(request(PatientRequest, read_timeout=0.3), url)
    assert isinstance(error, TimedOut) and not delivery._never_sent(error)
    assert len(heads) == 1


async def test_no_free_connection_in_time_is_never_sent() -> None:
    async with server(never_answer) as (url, heads):
        req = request(connections=1, pool_timeout=0.3, read_timeout=5.0)
        await req.initialize()
        busy = asyncio.create_task(post(req, url))
        try:
            await asyncio.sleep(0.1)
            with pytest.raises(TimedOut) as caught:
                await post(req, url)
        finally:
            busy.cancel()
            await req.shutdown()
    assert delivery._never_sent(caught.value)
    assert len(heads) == 1  # the second request never left


async def test_a_request_works_again_after_a_restart() -> None:
    async with server(answer) as (url, _):
        req = request()
        for _ in range(2):  # PTB's Application can be initialised again after a shutdown
            await req.initialize()
            try:
                assert (await post(req, url))[0] == 200
            finally:
                await req.shutdown()
