"""Load test for `protocolbot serve` with Slack: many DMs per second, answered once each.

What it measures. It starts N `protocolbot serve` replicas as subprocesses (one shared store) and,
in this process, a loopback fake of Slack's Web API they post their replies to. It then sends
signed Events API `message.im` envelopes to `POST /slack/events` open loop: at a fixed rate,
round robin over the replicas, never waiting for an answer before the next send. Every event has
its own event id and its own DM channel, so the channel of a `chat.postMessage` names the event
it answers. Every tenth event is also sent a second time to the next replica as a Slack retry
(same event id, `X-Slack-Retry-Num: 1`), which must not produce a second reply.

It reports HTTP errors, lost events (no reply), duplicated events (more than one reply), the
reply throughput, the HTTP ack latency and the event → reply latency: from sending an event to
its first `chat.postMessage` arriving at the fake, i.e. the server's whole handling (signature,
Bolt, review, store) plus the loopback hops. Sender and fake share one event loop on the same
machine as the replicas, so the figures are an upper bound of the server's own cost, not Slack's
network. Draft texts are never printed; replica output goes to log files in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `protocolbot --help` shouldn't load aiohttp
    from aiohttp import web

TEAM, APP, BOT_USER = "T0LOAD", "A0LOAD", "U0LOADBOT"
RETRY_EVERY = 10  # every tenth event is also sent as a Slack retry to the next replica
REPLY_WAIT = 30.0  # seconds to wait for outstanding replies after the last send
DRAFTS = (  # two each of go, caution and stop, in Dutch and English
    "Trots op ons team vandaag! Wat een mooie lancering.",
    "Als ambtenaar vind ik dat de wethouder liegt over het budget",
    "Mijn baas is een klootzak",
    "Proud of our new app! Everyone should download it",
    "As a civil servant I think the alderman is lying about the budget",
    "Our Q3 numbers are bad, keep it quiet",
)


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type: a number above zero."""

    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=_positive(float), default=250, help="DM events per second")
    parser.add_argument("--duration", type=_positive(float), default=20, help="seconds of sending")
    parser.add_argument("--replicas", type=_positive(int), default=1, help="`serve` processes")
    parser.add_argument(
        "--database",
        help="store URL (default: a fresh SQLite file; 2+ replicas need postgresql://…)",
    )
    parser.add_argument("--users", type=_positive(int), default=500, help="distinct users")
    parser.add_argument("--knowledge", type=Path, help="knowledge directory passed to serve")


@dataclass
class FakeSlack:
    """Slack's Web API on 127.0.0.1: answers like Slack, records when each DM got a reply."""

    replies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    async def api(self, request: web.Request) -> web.Response:
        from aiohttp import web

        method = request.match_info["method"]
        args = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update(await request.post())
        channel = str(args.get("channel", ""))
        if method == "chat.postMessage":
            self.replies[channel].append(time.monotonic())
        answers = {
            "auth.test": {"user_id": BOT_USER, "bot_id": "B0LOAD", "team_id": TEAM, "team": "load"},
            "conversations.open": {"channel": {"id": f"D-{args.get('users', '')}"}},
            "chat.postMessage": {"channel": channel, "ts": "1700000000.000100"},
        }
        return web.json_response({"ok": True, **answers.get(method, {})})


@dataclass
class Replica:
    process: subprocess.Popen
    url: str
    port: int
    log: Path


@dataclass
class Load:
    sent: list[float] = field(default_factory=list)  # send time of event n
    retries: int = 0
    acks: list[float] = field(default_factory=list)  # seconds to each HTTP 200
    errors: Counter[str] = field(default_factory=Counter)


def run(args: argparse.Namespace) -> int:
    postgres = bool(args.database) and args.database.startswith(("postgresql://", "postgres://"))
    if args.replicas > 1 and not postgres:
        print(
            "protocolbot loadtest: replicas share one store, so 2 or more need "
            "--database postgresql://user@host:port/db (SQLite is one process's file).",
            file=sys.stderr,
        )
        return 1
    replicas: list[Replica] = []
    with tempfile.TemporaryDirectory(prefix="protocolbot-load-") as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'load.db'}"
        try:
            return asyncio.run(_main(args, url, Path(tmp), replicas))
        except KeyboardInterrupt:
            print("protocolbot loadtest: interrupted", file=sys.stderr)
            return 130
        finally:
            _stop(replicas)


async def _main(args: argparse.Namespace, url: str, tmp: Path, replicas: list[Replica]) -> int:
    from aiohttp import web

    fake = FakeSlack()
    application = web.Application(client_max_size=4 * 1024**2)
    application.router.add_post("/api/{method}", fake.api)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        fake_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        secret = secrets.token_hex(16)
        for i in range(args.replicas):
            replicas.append(_start(i, url, fake_url, secret, args.knowledge, tmp))
        for replica in replicas:
            if not await _ready(replica):
                return 1
        load = await _drive(args, replicas, secret, fake)
        return 0 if _report(args, url, load, fake) else 1
    finally:
        await runner.cleanup()


def _start(
    i: int, url: str, fake_url: str, secret: str, knowledge: Path | None, tmp: Path
) -> Replica:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_APP_", "TEAMS_"))
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-load", SLACK_SIGNING_SECRET=secret, SLACK_API_URL=f"{fake_url}/api/"
    )
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--database", url]
    if knowledge is not None:
        command += ["--knowledge", str(knowledge)]
    log = tmp / f"replica-{i}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    return Replica(process, f"http://127.0.0.1:{port}/slack/events", port, log)


async def _ready(replica: Replica, timeout: float = 60.0) -> bool:
    """Wait until the replica accepts connections; on its early exit print its stderr tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            tail = replica.log.read_text(errors="replace").splitlines()[-20:]
            print(f"protocolbot loadtest: replica on port {replica.port} exited:", file=sys.stderr)
            print("\n".join(tail), file=sys.stderr)
            return False
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", replica.port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return True
    print(f"protocolbot loadtest: replica on port {replica.port} not up in time", file=sys.stderr)
    return False


def _payload(n: int, run_id: str, users: int) -> bytes:
    """Event n: its own DM channel (so the reply's channel names it) and an event id unique
    across runs (a kept store remembers the ids it answered)."""
    ts, user, text = f"{1700000000 + n}.000100", f"U0LOAD{n % users:06d}", DRAFTS[n % len(DRAFTS)]
    event = dict(type="message", text=text, user=user, ts=ts, team=TEAM, channel=f"D{n:08d}")
    bot: dict[str, object] = dict(enterprise_id=None, team_id=TEAM, user_id=BOT_USER, is_bot=True)
    envelope: dict[str, object] = dict(
        token="load", team_id=TEAM, api_app_id=APP, type="event_callback"
    )
    envelope.update(event_id=f"Ev{run_id}{n:08d}", event_time=int(time.time()))
    envelope.update(event={**event, "event_ts": ts, "channel_type": "im"}, authorizations=[bot])
    return json.dumps(envelope).encode()


async def _drive(
    args: argparse.Namespace, replicas: list[Replica], secret: str, fake: FakeSlack
) -> Load:
    """Send the events open loop at the rate, then wait for their replies."""
    import aiohttp
    from slack_sdk.signature import SignatureVerifier

    load, signer, run_id = Load(), SignatureVerifier(secret), secrets.token_hex(4).upper()
    total = max(1, round(args.rate * args.duration))
    connector = aiohttp.TCPConnector(limit=4096)
    timeout = aiohttp.ClientTimeout(total=REPLY_WAIT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def post(url: str, body: bytes, extra: dict[str, str]) -> None:
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signer.generate_signature(timestamp=stamp, body=body),
                **extra,
            }
            start = time.monotonic()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
            except (TimeoutError, aiohttp.ClientError) as exc:
                load.errors[type(exc).__name__] += 1
                return
            if response.status == 200:
                load.acks.append(time.monotonic() - start)
            else:
                load.errors[f"HTTP {response.status}"] += 1

        tasks: set[asyncio.Task] = set()
        start = time.monotonic()
        for n in range(total):
            delay = start + n / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            body = _payload(n, run_id, args.users)
            load.sent.append(time.monotonic())
            sends = [post(replicas[n % len(replicas)].url, body, {})]
            if n % RETRY_EVERY == RETRY_EVERY - 1:
                retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
                sends.append(post(replicas[(n + 1) % len(replicas)].url, body, retry))
                load.retries += 1
            for send in sends:
                task = asyncio.create_task(send)
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        deadline = time.monotonic() + REPLY_WAIT
        while time.monotonic() < deadline and (
            tasks or any(f"D{n:08d}" not in fake.replies for n in range(total))
        ):
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # let a late second reply (a duplicate) arrive too
    return load


def _report(args: argparse.Namespace, url: str, load: Load, fake: FakeSlack) -> bool:
    """Print the report; True when nothing failed, was lost or was answered twice."""
    first = {f"D{n:08d}": sent for n, sent in enumerate(load.sent)}
    counts = [len(fake.replies.get(channel, ())) for channel in first]
    lost, duplicated, replies = counts.count(0), sum(c > 1 for c in counts), sum(counts)
    ours = {channel: times for channel, times in fake.replies.items() if channel in first}
    latencies = [min(times) - first[channel] for channel, times in ours.items()]
    span = load.sent[-1] - load.sent[0]
    achieved = (len(load.sent) - 1) / span if span else float("nan")
    last = max((max(times) for times in ours.values()), default=load.sent[0])
    throughput = replies / (last - load.sent[0]) if last > load.sent[0] else float("nan")
    errors = ", ".join(f"{kind} × {count}" for kind, count in sorted(load.errors.items()))
    rows = [
        ("replicas", str(args.replicas)),
        ("database", "SQLite" if url.startswith("sqlite") else "PostgreSQL"),
        ("events sent", f"{len(load.sent)} (+{load.retries} Slack retries)"),
        ("send rate", f"{args.rate:.1f}/s target, {achieved:.1f}/s achieved"),
        ("HTTP errors", f"{sum(load.errors.values())}" + (f" ({errors})" if errors else "")),
        ("replies received", str(replies)),
        ("lost", str(lost)),
        ("duplicated", str(duplicated)),
        ("reply throughput", f"{throughput:.1f}/s"),
        ("event → reply (inside the server + loopback)", ""),
        ("  p50 / p90 / p99 / max", _ms(latencies, (0.5, 0.9, 0.99, 1.0))),
        ("HTTP ack p50 / p99", _ms(load.acks, (0.5, 0.99))),
    ]
    for label, value in rows:
        print(f"{label:<24} {value}" if value else label)
    return not load.errors and not lost and not duplicated


def _ms(seconds: list[float], quantiles: tuple[float, ...]) -> str:
    """Nearest-rank percentiles in milliseconds."""
    ordered = sorted(seconds) or [float("nan")]
    picks = (ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 for q in quantiles)
    return " / ".join(f"{value:.1f}" for value in picks) + " ms"


def _stop(replicas: list[Replica]) -> None:
    """SIGTERM every replica, wait up to 30 s in all, then kill what is left."""
    for replica in replicas:
        if replica.process.poll() is None:
            replica.process.terminate()
    deadline = time.monotonic() + 30
    for replica in replicas:
        try:
            replica.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            replica.process.kill()
            replica.process.wait()
