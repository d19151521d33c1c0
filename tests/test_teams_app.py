"""The Teams adapter end to end: the real aiohttp server on 127.0.0.1 behind real JWT checks
(tokens signed by a test RSA key, published by a loopback OpenID/JWKS server), the Microsoft 365
Agents SDK's CloudAdapter, and a loopback fake of the Bot Connector that records every activity
the bot sends (as the SDK's own tests do)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from loopback import Loop, free_port, serve
from microsoft_agents.hosting.core import AgentAuthConfiguration, ConnectionManager

from adapters.teams.server import TeamsConfig, mount
from bot.conversation import Bot
from bot.source import KnowledgeSource

APP_ID = "8d7b0f6e-3a41-4c59-9f0e-2b1c6d5e4f30"
TENANT = "4a1f2e3d-5c6b-4a7f-8e9d-0c1b2a3f4e5d"
ISSUER = "https://api.botframework.com"
OUTBOUND = "outbound-token-from-entra"
KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


class FakeConnector:
    """The Bot Connector on 127.0.0.1: accepts what the bot sends, records it, answers ids.
    A conversation in `gone` answers 403, as Teams does when the app was removed."""

    def __init__(self) -> None:
        self.sent: list[dict] = []  # {"method", "conversation", "reply_to", "activity", "auth"}
        self.gone: set[str] = set()
        self.delay = 0.0  # seconds before answering: a slow Bot Connector
        self._ids = iter(range(1, 1_000_000))

    def app(self) -> web.Application:
        application = web.Application()
        base = "/v3/conversations/{conversation}/activities"
        application.router.add_post(base, self.post)
        application.router.add_post(base + "/{activity}", self.post)
        application.router.add_put(base + "/{activity}", self.post)
        return application

    async def post(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        await asyncio.sleep(self.delay)
        self.sent.append(
            {
                "method": request.method,
                "conversation": conversation,
                "activity_id": request.match_info.get("activity"),
                "activity": await request.json(),
                "auth": request.headers.get("Authorization", ""),
            }
        )
        if conversation in self.gone:
            return web.json_response({"error": {"code": "BotNotInConversationRoster"}}, status=403)
        return web.json_response({"id": f"act-{next(self._ids)}"})

    def to(self, conversation: str) -> list[dict]:
        return [s["activity"] for s in self.sent if s["conversation"] == conversation]


class FakeIdentity:
    """The Bot Framework's OpenID metadata and signing keys on 127.0.0.1; mints tokens."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.url = ""
        self.fetches = 0

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_get("/v1/.well-known/openidconfiguration", self.metadata)
        application.router.add_get("/v1/.well-known/keys", self.keys)
        return application

    async def metadata(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.url}/v1/.well-known/keys"})

    async def keys(self, request: web.Request) -> web.Response:
        self.fetches += 1
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        public.update(kid="test-key", use="sig", endorsements=["msteams"])
        return web.json_response({"keys": [public]})

    def token(self, service_url: str, **override) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": APP_ID,
            "serviceurl": service_url,
            "nbf": now - 5,
            "exp": now + 3600,
        }
        claims.update(override.pop("claims", {}))
        key = override.pop("key", self.key)
        kid = override.pop("kid", "test-key")
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


class TestTokenProvider:
    """Stands in for Entra ID (MSAL) when the bot asks for an outbound token."""

    __test__ = False

    def __init__(self, configuration: AgentAuthConfiguration) -> None:
        self.configuration = configuration

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh=False):
        return OUTBOUND


class Servers(Loop):
    """Bot, Bot Connector and identity server, each an aiohttp server on port 0, in one
    background event loop. Without a bot only the fakes run: point `url` at a subprocess."""

    def __init__(self, bot: Bot | None, *, anonymous: bool = False) -> None:
        super().__init__()
        self.bot = bot
        self.connector = FakeConnector()
        self.identity = FakeIdentity()
        self.service_url = f"http://127.0.0.1:{self._start(self.connector.app())}/"
        self.identity.url = f"http://127.0.0.1:{self._start(self.identity.app())}"
        self.url = ""
        if bot is None:
            return
        config = TeamsConfig(
            app_id="" if anonymous else APP_ID,
            app_password="" if anonymous else "secret",
            tenant_id="" if anonymous else TENANT,
            allow_anonymous=anonymous,
            openid_metadata=(f"{self.identity.url}/v1/.well-known/openidconfiguration",),
        )
        connections = ConnectionManager(
            TestTokenProvider,
            connections_configurations={"SERVICE_CONNECTION": AgentAuthConfiguration()},
        )
        application = web.Application()
        self.agent = mount(application, bot, config, connections=connections)
        self.url = f"http://127.0.0.1:{self._start(application)}/api/messages"

    def post(
        self, activity: dict | bytes, *, token: str | None = "valid", content_type: str = ""
    ) -> tuple[int, dict | None]:
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", content_type or "application/json")
        if token == "valid":
            token = self.identity.token(self.service_url)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def settle(self) -> None:
        """Wait (not a timing assertion) until notifications sent after a response are out."""
        asyncio.run_coroutine_threadsafe(self.agent.drain(), self.loop).result(30)


class Person:
    """Someone in Teams: writes in their personal chat, clicks card buttons."""

    def __init__(self, teams: Servers, key: str, name: str, *, locale: str = "nl-NL") -> None:
        self.teams = teams
        self.aad = f"aad-{key}"
        self.id = f"29:{key}"
        self.name = name
        self.chat = f"a:{key}"
        self.locale = locale
        self._ids = iter(range(1, 100_000))

    def activity(self, kind: str = "message", **fields) -> dict:
        return {
            "type": kind,
            "id": f"{self.chat}-{next(self._ids)}-{uuid.uuid4().hex[:6]}",
            "timestamp": "2026-11-22T09:00:00.000Z",
            "serviceUrl": self.teams.service_url,
            "channelId": "msteams",
            "from": {"id": self.id, "name": self.name, "aadObjectId": self.aad},
            "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": self.chat},
            "recipient": {"id": f"28:{APP_ID}", "name": "protocolbot"},
            "locale": self.locale,
            "channelData": {"tenant": {"id": TENANT}},
            **fields,
        }

    def install(self) -> int:
        status, _ = self.teams.post(
            self.activity("conversationUpdate", membersAdded=[{"id": f"28:{APP_ID}"}])
        )
        return status

    def say(self, text: str) -> int:
        status, _ = self.teams.post(self.activity(text=text, textFormat="plain"))
        return status

    def received(self) -> list[dict]:
        return self.teams.connector.to(self.chat)

    def last_card(self) -> dict:
        for activity in reversed(self.received()):
            for attachment in activity.get("attachments", []):
                return attachment["content"]
        raise AssertionError(f"{self.name} got no card")

    def texts(self) -> str:
        return json.dumps(self.received(), ensure_ascii=False)

    def click(self, label: str, *, submit: bool = False) -> tuple[int, dict | None]:
        """Click `label` on the newest card that has it, as Action.Execute (an invoke) or, like
        a host without the Universal Action Model, as its Action.Submit fallback."""
        for index, activity in reversed(list(enumerate(self.received()))):
            for attachment in activity.get("attachments", []):
                for block in attachment["content"]["body"]:
                    for action in block.get("actions", []):
                        if action["title"] == label:
                            return self._send(action, submit, f"act-card-{index}")
        raise AssertionError(f"{self.name} sees no {label!r}")

    def _send(self, action: dict, submit: bool, card_id: str) -> tuple[int, dict | None]:
        if submit:
            activity = self.activity(value=action["fallback"]["data"], replyToId=card_id)
        else:
            activity = self.activity(
                "invoke",
                name="adaptiveCard/action",
                value={
                    "action": {
                        "type": "Action.Execute",
                        "verb": action["verb"],
                        "data": action["data"],
                    },
                    "trigger": "manual",
                },
                replyToId=card_id,
            )
        result = self.teams.post(activity)
        self.teams.settle()
        return result


@pytest.fixture()
def teams(store):
    servers = Servers(Bot(KnowledgeSource(), store))
    yield servers
    servers.close()


def _with_teams_manager(tmp_path: Path, manager_aad: str, *, field: str = "teams_user") -> Path:
    """The sample knowledge, with the manager reachable in Teams by her Entra object id (or,
    with `field="teams_channel"`, in a team's channel)."""
    import shutil

    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    profile = target / "organisation.yaml"
    text = profile.read_text(encoding="utf-8")
    old = "    email: p.vanleeuwen@hofstede.example.org\n"
    assert old in text
    profile.write_text(text.replace(old, old + f'    {field}: "{manager_aad}"\n'), "utf-8")
    return target


STOP_DRAFT = "Mag ik dit posten: mijn baas is een klootzak"
SECRET_DRAFT = (
    "Off the record: het Masterplan Havenkwartier gaat volgend jaar door, zeg het niet door!"
)


# -- the personal chat ----------------------------------------------------------------------------


def test_a_draft_in_the_personal_chat_gets_one_review_card(teams):
    ann = Person(teams, "ann", "Ann Jansen")
    assert ann.say(STOP_DRAFT) == 202
    [reply] = ann.received()
    card = reply["attachments"][0]["content"]
    shown = json.dumps(card, ensure_ascii=False)
    assert card["version"] == "1.5"
    assert "STOP" in shown and "klootzak" in shown and "Ik twijfel nog" in shown
    assert reply["summary"]  # what a notification shows
    [sent] = teams.connector.sent
    assert sent["auth"] == f"Bearer {OUTBOUND}"  # outbound calls carry the bot's own token
    assert sent["activity_id"] == reply["replyToId"]  # a reply to Ann's message


def test_protocol_commands_from_the_command_list(teams):
    ann = Person(teams, "ann", "Ann Jansen")
    assert ann.say("protocol 8") == 202
    assert "Regel 8" in json.dumps(ann.last_card(), ensure_ascii=False)
    assert ann.say("help") == 202
    assert "protocol" in ann.texts() and "/protocol" not in ann.texts()  # as Teams users type it


def test_an_english_user_gets_english(teams):
    bob = Person(teams, "bob", "Bob Smith", locale="en-US")
    bob.say("Can I post this: my boss is an idiot")
    assert "I'm still in doubt" in bob.texts() or "doubt" in bob.texts().lower()


def test_installing_the_app_welcomes_and_remembers_the_person(teams):
    petra = Person(teams, "petra", "Petra van Leeuwen")
    assert petra.install() == 202
    [welcome] = petra.received()
    assert "Stuur me een concept" in json.dumps(welcome, ensure_ascii=False)
    address, name = teams.bot.store.get_address("teams", TENANT, "aad-petra")
    assert name == "Petra van Leeuwen" and address["conversation"]["id"] == "a:petra"
    assert address["serviceUrl"] == teams.service_url


def test_a_mention_in_a_channel_invites_to_the_personal_chat_and_reviews_nothing(teams):
    ann = Person(teams, "ann", "Ann Jansen")
    channel = "19:general@thread.tacv2"
    activity = ann.activity(
        text="<at>protocolbot</at> mijn baas is een klootzak",
        conversation={
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": f"{channel};messageid=17000",
        },
        entities=[
            {
                "type": "mention",
                "text": "<at>protocolbot</at>",
                "mentioned": {"id": f"28:{APP_ID}", "name": "protocolbot"},
            }
        ],
    )
    assert teams.post(activity)[0] == 202
    [reply] = teams.connector.to(f"{channel};messageid=17000")
    assert "privébericht" in reply["text"] and "klootzak" not in json.dumps(reply)


# -- cards ----------------------------------------------------------------------------------------


def test_a_card_click_answers_within_the_invoke(teams):
    ann = Person(teams, "ann", "Ann Jansen")
    ann.say(STOP_DRAFT)
    status, body = ann.click("Ik twijfel nog")
    assert status == 200 and body["statusCode"] == 200  # Teams waits for this answer
    assert "twijfel" in ann.texts().lower() and len(ann.received()) >= 2


def test_the_same_click_as_an_action_submit_fallback(teams):
    ann = Person(teams, "ann", "Ann Jansen")
    ann.say(STOP_DRAFT)
    before = len(ann.received())
    status, _ = ann.click("Ik twijfel nog", submit=True)
    assert status == 202 and len(ann.received()) > before


# -- escalation: proactive messages ---------------------------------------------------------------


def _walk_to_consent(ann: Person) -> None:
    ann.say(SECRET_DRAFT)
    ann.click("Ik twijfel nog")
    for _ in range(10):
        labels = [
            a["title"]
            for b in ann.last_card()["body"]
            if b["type"] == "ActionSet"
            for a in b["actions"]
        ]
        if "Alleen een samenvatting (zonder je tekst)" in labels:
            return
        preferred = [x for x in labels if x.lower().startswith(("ja", "weet"))]
        ann.click((preferred or labels)[0])
    raise AssertionError("the walk never asked for consent")


@pytest.fixture()
def teams_with_manager(store, tmp_path):
    servers = Servers(Bot(KnowledgeSource(_with_teams_manager(tmp_path, "aad-petra")), store))
    yield servers
    servers.close()


@pytest.mark.parametrize("submit", [False, True], ids=["execute", "submit"])
def test_an_escalation_reaches_the_manager_and_her_answer_the_requester(teams_with_manager, submit):
    teams = teams_with_manager
    ann, petra = Person(teams, "ann", "Ann Jansen"), Person(teams, "petra", "Petra van Leeuwen")
    petra.install()
    _walk_to_consent(ann)
    ann.click("Alleen een samenvatting (zonder je tekst)")
    [question] = [a for a in petra.received() if a.get("attachments")][-1:]
    shown = json.dumps(question, ensure_ascii=False)
    assert "Ann Jansen" in shown  # the requester by name, not by id
    assert "Havenkwartier" not in shown  # only the summary was consented to
    assert "Verstuurd naar Petra van Leeuwen" in ann.texts()
    proactive = [s for s in teams.connector.sent if s["conversation"] == "a:petra"][-1]
    assert proactive["activity_id"] is None and proactive["auth"] == f"Bearer {OUTBOUND}"

    status, body = petra.click("Liever niet plaatsen", submit=submit)
    if submit:  # the clicked card is replaced in place through the Bot Connector
        update = [s for s in teams.connector.sent if s["method"] == "PUT"][-1]
        assert update["conversation"] == "a:petra" and update["activity_id"].startswith("act-card")
        [card] = update["activity"]["attachments"]  # a card stays a card
        assert "doorgegeven" in json.dumps(card["content"], ensure_ascii=False)
    else:  # ... or through the invoke's answer
        assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
        assert "doorgegeven" in json.dumps(body["value"], ensure_ascii=False)
    told = json.dumps(ann.received()[-1], ensure_ascii=False)
    assert "liever niet plaatsen" in told and "Petra van Leeuwen" in told
    assert teams.bot.store.open_escalations() == []


class _Clock:
    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime.now(UTC)

    def __call__(self):
        return self.now


def test_an_unanswered_question_gets_a_reminder_in_teams(store, tmp_path):
    from datetime import timedelta

    clock = _Clock()
    knowledge = KnowledgeSource(_with_teams_manager(tmp_path, "aad-petra"))
    teams = Servers(Bot(knowledge, store, clock=clock))
    try:
        ann, petra = Person(teams, "ann", "Ann Jansen"), Person(teams, "petra", "Petra van Leeuwen")
        petra.install()
        _walk_to_consent(ann)
        ann.click("Alleen een samenvatting (zonder je tekst)")
        before = len(petra.received())
        clock.now += timedelta(hours=25)
        slack_side = teams.bot.tick(("slack",))
        assert slack_side == []  # the Slack loop leaves Teams' reminders alone
        out = teams.bot.tick(("teams",))
        asyncio.run_coroutine_threadsafe(teams.agent.deliver(out), teams.loop).result(30)
        assert len(petra.received()) == before + 1
        reminder = json.dumps(petra.received()[-1], ensure_ascii=False)
        assert "Herinnering" in reminder and "Liever niet plaatsen" in reminder
    finally:
        teams.close()


def test_a_team_channel_gets_the_question_and_anyone_there_answers(store, tmp_path):
    channel = "19:leiding@thread.tacv2"
    knowledge = KnowledgeSource(_with_teams_manager(tmp_path, channel, field="teams_channel"))
    teams = Servers(Bot(knowledge, store))
    try:
        ann, kees = Person(teams, "ann", "Ann Jansen"), Person(teams, "kees", "Kees Visser")
        team = {"conversationType": "channel", "tenantId": TENANT, "id": channel}
        added = kees.activity(
            "conversationUpdate",
            conversation=team,
            membersAdded=[{"id": f"28:{APP_ID}"}],
            channelData={"tenant": {"id": TENANT}, "team": {"id": channel}},
        )
        assert teams.post(added)[0] == 202  # the app added to the team: no welcome in public
        assert teams.connector.to(channel) == []
        _walk_to_consent(ann)
        ann.click("Alleen een samenvatting (zonder je tekst)")
        [question] = teams.connector.to(channel)
        assert "Ann Jansen" in json.dumps(question, ensure_ascii=False)
        # Kees answers from the thread under the question
        [action] = [
            a
            for b in question["attachments"][0]["content"]["body"]
            if b["type"] == "ActionSet"
            for a in b["actions"]
            if a["title"] == "Akkoord: plaatsen mag"
        ]
        click = kees.activity(
            "invoke",
            name="adaptiveCard/action",
            conversation={**team, "id": f"{channel};messageid=act-1"},
            value={
                "action": {"type": "Action.Execute", "verb": action["verb"], "data": action["data"]}
            },
        )
        status, body = teams.post(click)
        teams.settle()
        assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
        told = json.dumps(ann.received()[-1], ensure_ascii=False)
        assert "Kees Visser" in told and "plaatsen mag" in told.lower()
    finally:
        teams.close()


def test_a_manager_who_never_opened_the_app_is_not_reached_and_the_requester_hears_it(
    teams_with_manager,
):
    teams = teams_with_manager
    ann = Person(teams, "ann", "Ann Jansen")
    _walk_to_consent(ann)
    ann.click("Alleen een samenvatting (zonder je tekst)")
    assert "niet bereikt" in ann.texts() and "Petra van Leeuwen" in ann.texts()
    assert teams.bot.store.open_escalations() == []
    assert not teams.connector.to("a:petra")


def test_a_manager_who_removed_the_app_is_not_reached_either(teams_with_manager):
    teams = teams_with_manager
    ann, petra = Person(teams, "ann", "Ann Jansen"), Person(teams, "petra", "Petra van Leeuwen")
    petra.install()
    teams.connector.gone.add("a:petra")
    _walk_to_consent(ann)
    ann.click("Alleen een samenvatting (zonder je tekst)")
    assert "niet bereikt" in ann.texts()
    assert teams.bot.store.open_escalations() == []


@pytest.mark.parametrize("name", ["composeExtension/fetchTask", "composeExtension/submitAction"])
def test_the_message_action_puts_its_advice_in_the_personal_chat(teams, name):
    ann = Person(teams, "ann", "Ann Jansen")
    invoke = ann.activity(
        "invoke",
        name=name,
        value={
            "commandId": "protocol_check",
            "commandContext": "message",
            "messagePayload": {
                "body": {"contentType": "html", "content": "<p>mijn baas is een klootzak</p>"}
            },
        },
        conversation={
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": "19:general@thread.tacv2;messageid=1",
        },
    )
    status, body = teams.post(invoke)
    assert status == 200 and "Open eerst de chat" in body["task"]["value"]  # never installed
    in_a_chat_between_two_people = {
        **invoke,
        "id": "mx-1",
        "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": "a:ann-and-bob"},
    }
    assert teams.post(in_a_chat_between_two_people)[0] == 200
    assert teams.bot.store.get_address("teams", TENANT, "aad-ann") is None  # not an address
    ann.install()
    status, body = teams.post(invoke)
    teams.settle()
    assert status == 200 and body["task"]["type"] == "message"
    assert "STOP" in json.dumps(ann.received()[-1], ensure_ascii=False)
    assert not teams.connector.to("19:general@thread.tacv2;messageid=1")  # nothing in public


# -- security -------------------------------------------------------------------------------------


def test_requests_without_a_valid_token_get_401_and_change_nothing(teams):
    ann = Person(teams, "ann", "Ann Jansen")
    activity = ann.activity(text=STOP_DRAFT)
    identity = teams.identity
    bad_tokens = {
        "missing": None,
        "not a jwt": "not-a-jwt",
        "unknown key": identity.token(teams.service_url, key=identity.stranger, kid="other"),
        "known kid, wrong key": identity.token(teams.service_url, key=identity.stranger),
        "wrong audience": identity.token(teams.service_url, claims={"aud": str(uuid.uuid4())}),
        "wrong issuer": identity.token(teams.service_url, claims={"iss": "https://evil.example"}),
        "expired": identity.token(teams.service_url, claims={"exp": int(time.time()) - 3600}),
        "other service": identity.token("https://evil.example/"),
        "hs256": jwt.encode({"iss": ISSUER, "aud": APP_ID}, "k" * 32, algorithm="HS256"),
    }
    for why, token in bad_tokens.items():
        status, body = teams.post(activity, token=token)
        assert status == 401, why
        assert body == {"error": "unauthorized"}, why
    assert teams.connector.sent == []
    assert teams.bot.store.get_conversation("teams", TENANT, "aad-ann") is None
    assert teams.post(activity)[0] == 202  # a valid token gets through
    assert identity.fetches == 1  # the keys were fetched once and cached


def test_the_endorsement_must_name_the_channel(teams):
    ann = Person(teams, "ann", "Ann Jansen")
    activity = ann.activity(text="hallo", channelId="webchat")
    assert teams.post(activity)[0] == 401


def test_malformed_requests_get_a_4xx_that_says_what_is_wrong(teams):
    ann = Person(teams, "ann", "Ann Jansen")
    assert teams.post(b"{not json")[0] == 400
    assert teams.post(b"[1, 2]")[0] == 400
    status, body = teams.post({**ann.activity(text="x"), "conversation": {}})
    assert status == 400 and "conversation.id" in body["error"]
    status, body = teams.post(ann.activity(text="x"), content_type="text/plain")
    assert status == 415
    assert teams.connector.sent == []


def test_anonymous_access_only_when_switched_on_with_a_warning(store, caplog):
    with caplog.at_level(logging.WARNING, logger="adapters.teams.server"):
        servers = Servers(Bot(KnowledgeSource(), store), anonymous=True)
    try:
        assert any("NOT authenticated" in r.getMessage() for r in caplog.records)
        ann = Person(servers, "ann", "Ann Jansen")
        status, _ = servers.post(ann.activity(text=STOP_DRAFT), token=None)
        assert status == 202
        [sent] = servers.connector.sent
        assert sent["auth"] == ""  # no token asked for either
    finally:
        servers.close()


def test_no_draft_text_in_any_log_line_even_at_debug(teams, caplog):
    secret = "Uniek-concept-9c1e: mijn baas is een klootzak"
    ann = Person(teams, "ann", "Ann Jansen")
    with caplog.at_level(logging.DEBUG):
        ann.say(secret)
        ann.click("Ik twijfel nog")
    assert caplog.records
    for record in caplog.records:
        assert "Uniek-concept" not in record.getMessage()
        assert "klootzak" not in record.getMessage()


# -- `protocolbot serve`, as an admin starts it ---------------------------------------------------


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"MICROSOFT_APP_ID": APP_ID}, "MICROSOFT_APP_PASSWORD missing"),
        ({"MICROSOFT_APP_ID": "my-bot", "MICROSOFT_APP_PASSWORD": "x"}, "a GUID"),
        ({"TEAMS_ALLOW_ANONYMOUS": "maybe"}, "must be true or false"),
        ({"MICROSOFT_APP_TENANT_ID": TENANT}, "MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD missing"),
    ],
)
def test_serve_names_what_is_wrong_with_the_teams_settings(env, says, tmp_path):
    server = serve(env, tmp_path)
    _, err = server.communicate(timeout=60)
    assert server.returncode == 1 and says in err and "Install in Teams" in err


def _until_up(post, server) -> tuple[int, dict | None]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return post()
        except urllib.error.URLError:
            time.sleep(0.2)  # still starting
    raise AssertionError(f"serve did not come up: {server.communicate(timeout=10)}")


def test_serve_checks_tokens_against_the_configured_keys(teams, tmp_path):
    port = free_port()
    env = {
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": "secret",
        "MICROSOFT_APP_TENANT_ID": TENANT,
        "TEAMS_OPENID_METADATA": f"{teams.identity.url}/v1/.well-known/openidconfiguration",
    }
    server = serve(env, tmp_path, port)
    try:
        teams.url = f"http://127.0.0.1:{port}/api/messages"  # talk to the subprocess instead
        ann = Person(teams, "ann", "Ann Jansen")
        status, _ = _until_up(lambda: teams.post(ann.activity(text=STOP_DRAFT), token=None), server)
        assert status == 401
        forged = teams.identity.token(teams.service_url, key=teams.identity.stranger)
        assert teams.post(ann.activity(text=STOP_DRAFT), token=forged)[0] == 401
        assert teams.connector.sent == []
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "teams /api/messages" in err and "Uniek" not in err


def test_serve_in_anonymous_mode_answers_a_draft_and_warns(teams, tmp_path):
    port = free_port()
    server = serve({"TEAMS_ALLOW_ANONYMOUS": "true"}, tmp_path, port)
    try:
        teams.url = f"http://127.0.0.1:{port}/api/messages"
        ann = Person(teams, "ann", "Ann Jansen")
        status, _ = _until_up(lambda: teams.post(ann.activity(text=STOP_DRAFT), token=None), server)
        assert status == 202
        [reply] = ann.received()
        assert "STOP" in json.dumps(reply, ensure_ascii=False)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "ANONYMOUS" in err


def test_an_unreachable_key_server_means_401_not_500_and_is_not_hammered(teams):
    from adapters.teams.auth import TokenValidator, Unauthorized

    calls = []

    async def down(request: web.Request) -> web.Response:
        calls.append(request.path)
        return web.Response(status=503)

    application = web.Application()
    application.router.add_get("/metadata", down)
    url = f"http://127.0.0.1:{teams._start(application)}/metadata"
    validator = TokenValidator(APP_ID, issuers=[ISSUER], metadata_urls=[url])
    ann = Person(teams, "ann", "Ann Jansen")
    activity = ann.activity(text="hallo")

    async def twice() -> list[str]:
        reasons = []
        for _ in range(2):
            try:
                await validator.validate(
                    f"Bearer {teams.identity.token(teams.service_url)}", activity
                )
            except Unauthorized as exc:
                reasons.append(str(exc))
        return reasons

    reasons = asyncio.run_coroutine_threadsafe(twice(), teams.loop).result(30)
    assert reasons == ["the token is signed by an unknown key"] * 2
    assert calls == ["/metadata"]  # the second request did not ask the failing server again


def test_without_the_store_a_teams_draft_is_still_reviewed(store, tmp_path):
    from test_conversation import _Outage

    outage = _Outage(store)
    teams = Servers(Bot(KnowledgeSource(), outage))
    try:
        ann = Person(teams, "ann", "Ann Jansen")
        outage.down = True
        assert ann.say(STOP_DRAFT) == 202
        shown = json.dumps(ann.received()[-1], ensure_ascii=False)
        assert "STOP" in shown and "even niet bereikbaar" in shown
        outage.down = False
        assert ann.say(STOP_DRAFT) == 202
        assert "Ik twijfel nog" in json.dumps(ann.received()[-1], ensure_ascii=False)
    finally:
        teams.close()
