"""Loopback servers for the adapter tests: aiohttp applications on 127.0.0.1, port 0, in one
background event loop; and `protocolbot serve` as a subprocess, as an admin starts it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]


class Loop:
    """A background event loop that runs aiohttp servers until `close`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._runners: list[web.AppRunner] = []

    def _start(self, application: web.Application) -> int:
        """Serve `application` on a free port of 127.0.0.1; returns the port."""

        async def start() -> int:
            runner = web.AppRunner(application)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self._runners.append(runner)
            return runner.addresses[0][1]

        return asyncio.run_coroutine_threadsafe(start(), self.loop).result(30)

    def close(self) -> None:
        async def stop() -> None:
            for runner in reversed(self._runners):
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(env_extra: dict[str, str], tmp_path: Path, port: int = 0) -> subprocess.Popen:
    """`protocolbot serve` with only `env_extra`'s platform settings and a fresh SQLite store."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_APP_", "TEAMS_"))
    }
    env.pop("PROTOCOLBOT_DATABASE_URL", None)  # a fresh SQLite file unless env_extra says
    # no developer's .env leaks into a test
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), PROTOCOLBOT_ENV_FILE=str(tmp_path / "no.env"))
    env.update(env_extra)
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class TcpProxy:
    """A TCP relay on 127.0.0.1 to another address, run on a `Loop`: `stop()` cuts every
    connection and refuses new ones (the database went away), `start()` lets them through
    again on the same port (it came back)."""

    def __init__(self, loop: Loop, host: str, port: int) -> None:
        self._loop = loop.loop
        self._target = (host, port)
        self.port = free_port()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def start(self) -> None:
        async def start() -> None:
            self._server = await asyncio.start_server(
                self._relay, "127.0.0.1", self.port, reuse_address=True
            )

        asyncio.run_coroutine_threadsafe(start(), self._loop).result(30)

    def stop(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
                self._server = None
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(30)
