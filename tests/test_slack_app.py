"""The Slack adapter end to end: the real aiohttp server on 127.0.0.1 with really signed requests,
and a loopback fake of Slack's Web API that records every call (as bolt-python's tests do)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from aiohttp import web
from loopback import Loop, free_port, serve
from slack_sdk.signature import SignatureVerifier

from adapters.slack.server import SlackConfig, web_app
from bot.conversation import Bot
from bot.source import KnowledgeSource

SECRET = "test-signing-secret"
PAYLOADS = Path(__file__).parent / "slack_payloads"


class FakeSlack:
    """Slack's Web API and response_url on 127.0.0.1: answers like Slack, records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.url = ""
        self.limited: dict[str, int] = {}  # method -> how many more calls answer 429

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_post("/api/{method}", self.api)
        application.router.add_post("/respond/{id}", self.respond)
        application.router.add_get("/socket", self.socket)
        self.socket_send: list[dict] = []  # envelopes to push to a Socket Mode client
        self.socket_acks: list[dict] = []
        return application

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """Slack's Socket Mode endpoint: says hello, pushes envelopes, records the acks."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        for envelope in self.socket_send:
            await ws.send_json(envelope)
        async for message in ws:
            if message.type == 1:  # text
                self.socket_acks.append(json.loads(message.data))
        return ws

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = dict(request.query)  # slack_sdk sends some methods' arguments as the query
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update(await request.post())
        if method == "apps.connections.open":  # Socket Mode: the app-level token, not the bot's
            args["authorization"] = request.headers.get("Authorization", "")
        self.calls.append((method, args))
        if self.limited.get(method, 0) > 0:
            self.limited[method] -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        answers = {
            "auth.test": {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T0TEST", "team": "t"},
            "conversations.open": {"channel": {"id": f"D-{args.get('users', '')}"}},
            "chat.postMessage": {"channel": args.get("channel"), "ts": "1700000000.000100"},
            "apps.connections.open": {"url": self.url.replace("http", "ws", 1) + "/socket"},
        }
        return web.json_response({"ok": True, **answers.get(method, {})})

    async def respond(self, request: web.Request) -> web.Response:
        self.calls.append(
            ("response_url", {"_to": request.match_info["id"], **await request.json()})
        )
        return web.json_response({"ok": True})

    def called(self, method: str) -> list[dict]:
        return [args for name, args in self.calls if name == method]


class Servers(Loop):
    """The adapter and the fake, each an aiohttp server on port 0, in one background loop.
    Without a bot only the fake runs: point `url` at a `protocolbot serve` subprocess."""

    def __init__(self, bot: Bot | None) -> None:
        super().__init__()
        self.fake = FakeSlack()
        fake_port = self._start(self.fake.app())
        self.fake.url = f"http://127.0.0.1:{fake_port}"
        self.url = ""
        if bot is not None:
            config = SlackConfig("xoxb-test", SECRET, api_url=f"{self.fake.url}/api/")
            port = self._start(web_app(bot, config))
            self.url = f"http://127.0.0.1:{port}/slack/events"

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        sign: bool = True,
        headers: dict[str, str] | None = None,
    ) -> int:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", content_type)
        request.add_header("X-Slack-Request-Timestamp", ts)
        request.add_header("X-Slack-Signature", signature if sign else "v0=" + "0" * 64)
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def event(self, payload: dict, **kw) -> int:
        return self.post(json.dumps(payload).encode(), "application/json", **kw)

    def form(self, fields: dict, **kw) -> int:
        body = urllib.parse.urlencode(fields).encode()
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def interaction(self, payload: dict, **kw) -> int:
        return self.form({"payload": json.dumps(payload)}, **kw)

    def wait_for(self, method: str, count: int = 1) -> list[dict]:
        """Slack's handlers run after the ack; wait (not a timing assertion) for the calls."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            calls = self.fake.called(method)
            if len(calls) >= count:
                time.sleep(0.2)  # let anything extra (a double answer) arrive too
                return self.fake.called(method)
            time.sleep(0.02)
        raise AssertionError(f"no {method} call; calls were {[m for m, _ in self.fake.calls]}")


@pytest.fixture()
def slack(store):
    servers = Servers(Bot(KnowledgeSource(), store))
    yield servers
    servers.close()


def load(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def dm(text: str, event_id: str = "Ev0DM1", user: str = "U0ANN") -> dict:
    payload = load("message_im.json")
    payload["event_id"] = event_id
    payload["event"].update(text=text, user=user, channel=f"D-{user}")
    return payload


def blocks_text(args: dict) -> str:
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return json.dumps(blocks or [], ensure_ascii=False)


def test_a_dm_draft_gets_one_review_with_buttons(slack):
    assert slack.event(dm("Mag ik dit posten: mijn baas is een klootzak")) == 200
    [post] = slack.wait_for("chat.postMessage")
    shown = blocks_text(post)
    assert post["channel"] == "D-U0ANN"
    assert "STOP" in shown and "klootzak" in shown and "Ik twijfel nog" in shown


def test_a_retried_event_is_answered_once(slack):
    payload = dm("Mijn baas is een klootzak", event_id="Ev0RETRY")
    assert slack.event(payload) == 200
    slack.wait_for("chat.postMessage")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert slack.event(payload, headers=retry) == 200
    time.sleep(0.5)
    assert len(slack.fake.called("chat.postMessage")) == 1


def test_forged_and_stale_requests_get_401_and_change_nothing(slack):
    assert slack.event(dm("Mijn baas is een klootzak", "Ev0FORGED"), sign=False) == 401
    stale = int(time.time()) - 6 * 60
    assert slack.event(dm("Mijn baas is een klootzak", "Ev0STALE"), timestamp=stale) == 401
    assert slack.fake.calls == []


def test_protocol_command_answers_ephemerally_through_response_url(slack):
    fields = load("slash_command.json")
    fields.update(text="8", response_url=f"{slack.fake.url}/respond/cmd1")
    assert slack.form(fields) == 200
    [answer] = slack.wait_for("response_url")
    assert answer["response_type"] == "ephemeral" and "Regel 8" in blocks_text(answer)


def test_a_mention_is_answered_in_thread_with_an_invitation(slack):
    payload = load("app_mention.json")
    assert slack.event(payload) == 200
    [post] = slack.wait_for("chat.postMessage")
    assert post["thread_ts"] and "privébericht" in post["text"] + blocks_text(post)


def test_app_home_is_published_with_the_rules(slack):
    assert slack.event(load("app_home_opened.json")) == 200
    [view] = slack.wait_for("views.publish")
    assert view["user_id"] == load("app_home_opened.json")["event"]["user"]
    home = view["view"] if isinstance(view["view"], dict) else json.loads(view["view"])
    assert home["type"] == "home" and "De 15 regels" in json.dumps(home, ensure_ascii=False)


def test_protocol_search_is_answered(slack):
    fields = load("slash_command.json")
    fields.update(text="zoek ontslag facebok", response_url=f"{slack.fake.url}/respond/cmd2")
    assert slack.form(fields) == 200
    [answer] = slack.wait_for("response_url")
    assert answer["response_type"] == "ephemeral" and "Facebook" in blocks_text(answer)


def test_a_rate_limited_call_is_retried_after_slacks_retry_after(slack):
    slack.fake.limited["chat.postMessage"] = 1
    assert slack.event(dm("Mijn baas is een klootzak", "Ev0LIMIT")) == 200
    posts = slack.wait_for("chat.postMessage", count=2)
    assert len(posts) == 2 and posts[0] == posts[1]  # the same message, sent again once


def test_the_shortcut_opens_the_review_in_the_users_dm(slack):
    payload = load("message_action.json")
    assert slack.interaction(payload) == 200
    [opened] = slack.wait_for("conversations.open")
    [post] = slack.wait_for("chat.postMessage")
    assert post["channel"] == f"D-{opened['users']}"
    assert "GO" in blocks_text(post) or "LET OP" in blocks_text(post) or "STOP" in blocks_text(post)


# -- clicking through a whole dialogue, as a user does in Slack -------------------------------------


class Person:
    """A Slack user who reads the bot's last message to them and clicks in it."""

    def __init__(self, slack: Servers, user: str, channel: str = "") -> None:
        self.slack, self.user, self.clicks = slack, user, 0
        self.channel = channel or f"D-{user}"  # where they read and click

    def messages(self) -> list[dict]:
        """Everything shown to this user: DM posts and answers through their response_urls."""
        shown = []
        for name, args in self.slack.fake.calls:
            if (
                name == "chat.postMessage"
                and args.get("channel") == self.channel
                or name == "response_url"
                and args.get("_to") == self.user
            ):
                shown.append(args)
        return shown

    def wait_to_see(self, label: str) -> None:
        """Wait (not a timing assertion) until the newest message to this user shows `label`."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            shown = self.messages()
            if shown and label in blocks_text(shown[-1]):
                return
            time.sleep(0.02)
        raise AssertionError(f"{self.user} never saw {label!r}")

    def click(self, label: str, *, after: int) -> None:
        """Click the button or option `label` in the newest message; wait for the answer."""
        calls_before = len(self.slack.fake.calls)
        for message in reversed(self.messages()):
            blocks = message.get("blocks")
            blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
            action = _find(blocks, label)
            if action:
                break
        else:
            raise AssertionError(f"{self.user} sees no {label!r}")
        self.clicks += 1
        payload = load("block_actions_button.json")
        payload["user"]["id"] = self.user
        payload["channel"] = {"id": self.channel, "name": "directmessage"}
        payload["container"]["channel_id"] = self.channel
        payload["trigger_id"] = f"trigger-{self.user}-{self.clicks}"
        payload["response_url"] = f"{self.slack.fake.url}/respond/{self.user}"
        payload["actions"] = [action]
        assert self.slack.interaction(payload) == 200
        deadline = time.monotonic() + 20
        while len(self.slack.fake.calls) < calls_before + after and time.monotonic() < deadline:
            time.sleep(0.02)


def _find(blocks: list[dict], label: str) -> dict | None:
    for block in blocks:
        for element in block.get("elements", []) + (
            [block["accessory"]] if "accessory" in block else []
        ):
            if element.get("type") == "button" and element["text"]["text"] == label:
                return {**element, "action_ts": "1718013610.123456"}
            for option in element.get("options", []):
                if option["text"]["text"] == label:
                    return {
                        "type": element["type"],
                        "action_id": element["action_id"],
                        "block_id": block.get("block_id", "b"),
                        "selected_option": option,
                        "action_ts": "1718013610.123456",
                    }
    return None


def test_a_button_click_answers_in_the_dm(slack):
    ann = Person(slack, "U0ANN")
    slack.event(dm("Mijn baas is een klootzak", "Ev0CLICK"))
    slack.wait_for("chat.postMessage")
    ann.click("Ik twijfel nog", after=1)
    [answer] = slack.fake.called("response_url")
    assert "twijfel" in blocks_text(answer).lower() and answer["replace_original"] is False


def test_an_escalation_reaches_the_contact_and_the_answer_the_requester(slack):
    ann, petra = Person(slack, "U0ANN"), Person(slack, "U0PETRA")
    slack.event(dm("Off the record: het Masterplan Havenkwartier gaat door!", "Ev0ESC"))
    slack.wait_for("chat.postMessage")
    ann.click("Ik twijfel nog", after=1)
    for _ in range(8):
        last = blocks_text(ann.messages()[-1])
        if "Mijn eigen leidinggevende noemen" in last:
            break
        option = next(x for x in ("Ja", "Weet ik niet", "Nee") if f'"{x}' in last)
        label = json.loads(last)
        texts = [
            o["text"]["text"]
            for b in label
            for e in b.get("elements", []) + ([b["accessory"]] if "accessory" in b else [])
            for o in ([e] if e.get("type") == "button" else e.get("options", []))
            if (o.get("text") or {}).get("text", "").startswith(option)
        ]
        ann.click(texts[0], after=1)
    ann.click("Mijn eigen leidinggevende noemen", after=1)
    slack.event(dm("U0PETRA", "Ev0NAME"))  # the user names their own manager
    ann.wait_to_see("Alleen een samenvatting (zonder je tekst)")
    ann.click("Alleen een samenvatting (zonder je tekst)", after=3)
    [opened] = slack.fake.called("conversations.open")
    assert opened["users"] == "U0PETRA"
    to_petra = [a for a in slack.fake.called("chat.postMessage") if a["channel"] == "D-U0PETRA"]
    assert to_petra and "Havenkwartier" not in blocks_text(to_petra[-1])  # summary only
    petra.click("Liever niet plaatsen", after=3)  # open + post to Ann, then the replacement
    [*_, replaced] = [a for a in slack.fake.called("response_url") if a["_to"] == "U0PETRA"]
    assert replaced["replace_original"] is True  # the question's buttons give way to the answer
    told = [a for a in slack.fake.called("chat.postMessage") if a["channel"] == "D-U0ANN"]
    assert "liever niet plaatsen" in blocks_text(told[-1])


# -- `protocolbot serve`, as an admin starts it ---------------------------------------------------


def test_serve_names_what_is_missing_when_slack_is_half_configured(tmp_path):
    half = serve({"SLACK_BOT_TOKEN": "xoxb-1"}, tmp_path)
    _, err = half.communicate(timeout=60)
    assert half.returncode == 1 and "SLACK_SIGNING_SECRET missing" in err
    none = serve({}, tmp_path)
    _, err = none.communicate(timeout=60)
    assert none.returncode == 1 and "nothing to serve" in err


def test_serve_answers_signed_requests_and_refuses_forged_ones(slack, tmp_path):
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{slack.fake.url}/api/",
    }
    server = serve(env, tmp_path, port)
    try:
        slack.url = f"http://127.0.0.1:{port}/slack/events"  # talk to the subprocess instead
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status = slack.event(dm("Mijn baas is een klootzak", "Ev0SERVE"), sign=False)
                break
            except urllib.error.URLError:
                time.sleep(0.2)  # still starting
        assert status == 401
        assert slack.event(dm("Mijn baas is een klootzak", "Ev0SERVE")) == 200
        [post] = slack.wait_for("chat.postMessage")
        assert "STOP" in blocks_text(post)
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_two_replicas_on_one_store_answer_a_retried_event_once(slack, store):
    other = Servers(Bot(KnowledgeSource(), store))  # a second replica, same database
    try:
        payload = dm("Mijn baas is een klootzak", event_id="Ev0REPLICA")
        assert slack.event(payload) == 200
        slack.wait_for("chat.postMessage")
        # Slack retries; a load balancer sends the retry to the other replica
        assert other.event(payload, headers={"X-Slack-Retry-Num": "1"}) == 200
        time.sleep(0.5)
        assert other.fake.called("chat.postMessage") == []
        assert len(slack.fake.called("chat.postMessage")) == 1
    finally:
        other.close()


def test_no_draft_text_reaches_a_log_line(slack, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    marker = "Zwartkopmeeuwvlinder"
    assert slack.event(dm(f"Mijn baas is een klootzak en een {marker}", "Ev0LOG")) == 200
    [post] = slack.wait_for("chat.postMessage")
    assert caplog.records  # something was logged
    assert marker not in caplog.text and "klootzak" not in caplog.text


def test_socket_mode_receives_a_dm_acks_it_and_answers(slack, store):
    from adapters.slack.server import socket_mode_handler

    payload = dm("Mijn baas is een klootzak", event_id="Ev0SOCKET")
    slack.fake.socket_send.append(
        {
            "envelope_id": "env-1",
            "type": "events_api",
            "payload": payload,
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }
    )
    config = SlackConfig(
        "xoxb-test", SECRET, app_token="xapp-test", api_url=f"{slack.fake.url}/api/"
    )
    bot = Bot(KnowledgeSource(), store)

    async def connect():  # the Socket Mode client belongs to the loop it runs in
        handler = socket_mode_handler(bot, config)
        await handler.connect_async()
        return handler

    handler = asyncio.run_coroutine_threadsafe(connect(), slack.loop).result(30)
    try:
        [post] = slack.wait_for("chat.postMessage")
        assert "STOP" in blocks_text(post)
        assert {"envelope_id": "env-1"}.items() <= slack.fake.socket_acks[0].items()
        [opened] = slack.fake.called("apps.connections.open")
        assert opened["authorization"] == "Bearer xapp-test"
    finally:
        asyncio.run_coroutine_threadsafe(handler.close_async(), slack.loop).result(30)


def test_a_team_channel_contact_gets_the_question_in_the_channel(store, tmp_path):
    import shutil

    from bot.knowledge.loader import default_knowledge_dir

    directory = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), directory)
    profile = directory / "organisation.yaml"
    text = profile.read_text(encoding="utf-8")
    old = "    email: p.vanleeuwen@hofstede.example.org\n"
    profile.write_text(text.replace(old, old + "    slack_channel: C0LEADS\n"), encoding="utf-8")
    slack = Servers(Bot(KnowledgeSource(directory), store))
    try:
        ann, uma = Person(slack, "U0ANN"), Person(slack, "U0UMA", channel="C0LEADS")
        slack.event(dm("Off the record: het Masterplan Havenkwartier gaat door!", "Ev0CHAN"))
        slack.wait_for("chat.postMessage")
        ann.click("Ik twijfel nog", after=1)
        for _ in range(8):
            if "Alleen een samenvatting" in blocks_text(ann.messages()[-1]):
                break
            ann.click(
                next(
                    x
                    for x in ("Ja, ik kan het onderbouwen", "Ja", "Weet ik niet")
                    if f'"{x}' in blocks_text(ann.messages()[-1])
                ),
                after=1,
            )
        ann.click("Alleen een samenvatting (zonder je tekst)", after=2)
        [question] = [a for a in slack.fake.called("chat.postMessage") if a["channel"] == "C0LEADS"]
        assert slack.fake.called("conversations.open") == []  # a channel needs no DM
        assert "Adviesvraag" in blocks_text(question)
        uma.click("Akkoord: plaatsen mag", after=2)
        told = [a for a in slack.fake.called("chat.postMessage") if a["channel"] == "D-U0ANN"]
        assert "akkoord" in blocks_text(told[-1]).lower()
    finally:
        slack.close()
