"""The Bot API's requests over aiohttp's connection pool, as httpx requests.

python-telegram-bot speaks httpx. httpx's own pool (httpcore) checks every pooled connection,
with a system call each, whenever a request starts or ends, and parses HTTP in Python: under a
burst of photos that was about a fifth of the bot's CPU. aiohttp's pool keeps idle connections
in a queue and parses HTTP in C. `httpx_aiohttp` (by httpx's maintainer) plugs it in beneath
httpx, so PTB and its error handling stay as they are (docs/BENCHMARKS.md, "Load").

One thing is ours: which failures mean the request never left. `bot.chat.delivery` retries
only those (a refused connection, or no connection free or opened in time); a connection that
dropped once the request was on its way may have delivered it, and is not retried. The
library maps some of the latter (a server that hung up mid-answer) to httpx's
`ConnectTimeout`; here each failure is sorted by aiohttp's own exception instead.
"""

from __future__ import annotations

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


class BotApiTransport(AiohttpTransport):
    """An httpx transport over one aiohttp session of at most `connections` connections."""

    def __init__(self, connections: int) -> None:
        super().__init__(
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The response, or an httpx error that tells whether the request may have left."""
        if isinstance(self.client, aiohttp.ClientSession) and self.client.closed:
            self.client = None  # the application was stopped and is started again
        try:
            return await super().handle_async_request(request)
        except httpx.TransportError as e:
            raise sorted_error(e) from e.__cause__


def sorted_error(error: httpx.TransportError) -> httpx.TransportError:
    """The httpx error for the aiohttp failure behind `error`: connect errors only where no
    byte of the request can have been sent."""
    cause = error.__cause__
    if isinstance(cause, aiohttp.ClientConnectorError):  # the connection could not be opened
        return httpx.ConnectError(str(cause))
    if isinstance(cause, aiohttp.ConnectionTimeoutError):  # no connection free, or opened
        return httpx.ConnectTimeout(str(cause))
    if isinstance(cause, aiohttp.SocketTimeoutError):  # sent; no answer in time
        return httpx.ReadTimeout(str(cause))
    if isinstance(cause, aiohttp.ClientError):  # dropped after sending: may have arrived
        return httpx.ReadError(str(cause))
    return error  # not aiohttp's (a bad URL): as the library mapped it
