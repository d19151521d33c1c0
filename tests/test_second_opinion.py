"""The language model's second opinion against a loopback server speaking the OpenAI
chat-completions protocol: merged, never lowering, rejected when invalid, late answers, retries
and the circuit breaker, privacy (no request unless the organisation and the user agree, no
names or ids in what is sent), the CLI, and the Slack update end to end."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from aiohttp import web
from loopback import ROOT, Loop

from bot.conversation import Bot
from bot.messages import Buttons, DirectMessage, Origin, Reply
from bot.second_opinion import LLMConfig, SecondOpinion, config_from_env, validate
from bot.source import KnowledgeSource

NEUTRAL = "Morgen besluit het college over de sluiting van zwembad De Otter, spannend!"
INSULT = "Mag ik dit posten: mijn baas is een klootzak"


class FakeModel:
    """A chat-completions endpoint on 127.0.0.1 that answers what the test queued: a dict (the
    model's JSON), a string (raw content), an int (an HTTP status) or ('slow', seconds, answer)."""

    def __init__(self) -> None:
        self.queue: list = []
        self.requests: list[dict] = []
        self.answered = 0
        self.url = ""

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_post("/v1/chat/completions", self.complete)
        application.router.add_post("/openai/deployments/{name}/chat/completions", self.complete)
        return application

    async def complete(self, request: web.Request) -> web.Response:
        self.requests.append(
            {"headers": dict(request.headers), "query": dict(request.query), **await request.json()}
        )
        answer = self.queue.pop(0) if self.queue else 500
        if isinstance(answer, tuple):
            _, seconds, answer = answer
            await asyncio.sleep(seconds)
        self.answered += 1
        if isinstance(answer, int):
            return web.json_response({"error": {"message": "busy"}}, status=answer)
        content = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        return web.json_response(
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
        )


@pytest.fixture()
def model():
    loop = Loop()
    fake = FakeModel()
    fake.url = f"http://127.0.0.1:{loop._start(fake.app())}/v1"
    yield fake
    loop.close()


def _knowledge(tmp_path, enabled: bool = True):
    import shutil

    directory = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", directory)
    if enabled:
        profile = directory / "organisation.yaml"
        text = profile.read_text(encoding="utf-8")
        assert "second_opinion: false" in text  # the shipped profile: off
        profile.write_text(
            text.replace("second_opinion: false", "second_opinion: true"), encoding="utf-8"
        )
    return KnowledgeSource(directory)


class _Clock:
    def __call__(self) -> datetime:
        return datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def _no_sleep(seconds: float) -> None:
    return None


def _bot(store, tmp_path, model: FakeModel, *, enabled: bool = True, **config) -> Bot:
    llm = SecondOpinion(
        LLMConfig(url=model.url, model="org-llm", api_key="sk-test", **config), sleep=_no_sleep
    )
    return Bot(_knowledge(tmp_path, enabled), store, clock=_Clock(), llm=llm)


def _origin(user: str = "U0ANN", n: int = 1) -> Origin:
    return Origin("test", user, f"dm-{user}", "nl", "acme", f"e{n}-{time.monotonic_ns()}")


def _text(reply: Reply) -> str:
    return "\n".join(getattr(e, "text", "") for e in reply.elements)


def _ask(bot: Bot, draft: str, user: str = "U0ANN") -> tuple[Reply, Reply]:
    [first] = bot.handle(DirectMessage(_origin(user), draft))
    assert first.follow_up is not None
    return first, asyncio.run(bot.second_opinion(first.follow_up))


GOOD = {
    "verdict": "caution",
    "rules": [6],
    "findings": [
        {
            "rule": 6,
            "quote": "besluit het college over de sluiting van zwembad De Otter",
            "reason": "Een besluit dat nog niet openbaar is, hoort niet op sociale media.",
        }
    ],
    "suggestion": "Wacht tot het besluit bekend is gemaakt.",
    "rewrite": "Benieuwd naar de plannen voor de zwembaden; ik houd het nieuws in de gaten.",
}


def test_a_good_answer_is_merged_and_marked_as_the_models(store, tmp_path, model):
    model.queue.append(GOOD)
    bot = _bot(store, tmp_path, model)
    first, update = _ask(bot, NEUTRAL)
    assert "tweede mening" in _text(first).lower() and "tweede-mening uit" in _text(first)
    shown = _text(update)
    assert update.replace and "Tweede mening van het taalmodel van Gemeente Hofstede" in shown
    assert first.fallback == bot.phrase("nl", "go")
    assert update.fallback == bot.phrase("nl", "caution")
    assert "zwembad De Otter" in shown and "niet openbaar" in shown
    assert "ik houd het nieuws in de gaten" in shown  # the rewrite: the engine found it clean
    labels = [b.label for e in update.elements if isinstance(e, Buttons) for b in e.buttons]
    assert "Ik twijfel nog" in labels  # caution now: the doubt walk is offered
    state = store.get_conversation("test", "acme", "U0ANN")
    assert state["last"]["verdict"] == "caution" and 6 in state["last"]["rules"]
    [request] = model.requests
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert request["model"] == "org-llm" and request["response_format"] == {"type": "json_object"}
    sent = json.dumps(request["messages"], ensure_ascii=False)
    assert NEUTRAL in sent and "Gemeente Hofstede" in sent
    assert "U0ANN" not in sent and "Petra" not in sent  # no ids, no people's names


def test_a_verdict_is_raised_one_step_at_most_and_never_lowered(store, tmp_path, model):
    bot = _bot(store, tmp_path, model)
    model.queue.append({**GOOD, "verdict": "stop"})
    _, update = _ask(bot, NEUTRAL)
    assert update.fallback == bot.phrase("nl", "caution")  # go -> caution, not to stop
    model.queue.append({"verdict": "go", "rules": [], "findings": [], "suggestion": ""})
    first, update = _ask(bot, INSULT)
    assert update.fallback == first.fallback == bot.phrase("nl", "stop")
    assert "milder" in _text(update)


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("Dit lijkt me prima!", "not the JSON"),
        ({"verdict": "maybe", "rules": []}, "not the JSON"),
        ({**GOOD, "rules": [16]}, "rules that don't exist"),
        (
            {**GOOD, "findings": [{"rule": 6, "quote": "geheim rapport", "reason": "x"}]},
            "not in the draft",
        ),
    ],
)
def test_invalid_answers_are_rejected_and_not_shown(store, tmp_path, model, answer, why):
    bot = _bot(store, tmp_path, model)
    model.queue.append(answer)
    first, update = _ask(bot, NEUTRAL)
    assert update.fallback == first.fallback  # the engine's verdict stands
    assert "onbruikbaar" in _text(update) and "geheim rapport" not in _text(update)
    opinion = validate(
        answer if isinstance(answer, str) else json.dumps(answer), NEUTRAL, set(range(1, 16))
    )
    assert opinion.status == "rejected" and why in opinion.why


def test_a_rewrite_the_engine_objects_to_is_not_offered(store, tmp_path, model):
    bot = _bot(store, tmp_path, model)
    model.queue.append({**GOOD, "rewrite": "Die klootzakken van het college sluiten De Otter."})
    _, update = _ask(bot, NEUTRAL)
    assert "klootzakken" not in _text(update) and "niet openbaar" in _text(update)


def test_429_and_500_are_retried_then_the_circuit_opens(store, tmp_path, model):
    bot = _bot(store, tmp_path, model, retries=2, breaker_failures=2, breaker_seconds=3600)
    model.queue += [429, 500, 503]  # one ask: the request and two retries
    _, update = _ask(bot, NEUTRAL)
    assert len(model.requests) == 3 and "niet beschikbaar" in _text(update)
    model.queue += [500, 500, 500]
    _ask(bot, NEUTRAL)  # the second failed ask opens the circuit
    assert len(model.requests) == 6 and bot.llm.breaker.open
    _, update = _ask(bot, NEUTRAL)
    assert len(model.requests) == 6  # open: no request at all
    assert "niet beschikbaar" in _text(update)


def test_a_retry_that_succeeds_is_used(store, tmp_path, model):
    bot = _bot(store, tmp_path, model)
    model.queue += [429, GOOD]
    _, update = _ask(bot, NEUTRAL)
    assert len(model.requests) == 2 and "niet openbaar" in _text(update)


def test_a_late_answer_leaves_the_engines_review_with_a_note(store, tmp_path, model):
    bot = _bot(store, tmp_path, model, timeout=5.0, budget=0.3)
    model.queue.append(("slow", 2.0, GOOD))
    [first] = bot.handle(DirectMessage(_origin(), NEUTRAL))
    update = asyncio.run(bot.second_opinion(first.follow_up))  # keeps to the budget
    assert update.fallback == first.fallback and "niet beschikbaar" in _text(update)


def test_no_request_unless_the_organisation_and_the_user_agree(store, tmp_path, model):
    off = _bot(store, tmp_path / "off", model, enabled=False)
    [reply] = off.handle(DirectMessage(_origin(), NEUTRAL))
    assert reply.follow_up is None and "taalmodel" not in _text(reply)
    [answer] = off.handle(DirectMessage(_origin(), "/protocol tweede-mening uit"))
    assert "geen taalmodel" in _text(answer)

    bot = _bot(store, tmp_path / "on", model)
    [answer] = bot.handle(DirectMessage(_origin("U0BOB"), "/protocol tweede-mening uit"))
    assert "Uit" in _text(answer)
    [reply] = bot.handle(DirectMessage(_origin("U0BOB"), NEUTRAL))
    assert reply.follow_up is None
    bot.handle(DirectMessage(_origin("U0BOB"), "/protocol tweede-mening aan"))
    [reply] = bot.handle(DirectMessage(_origin("U0BOB"), NEUTRAL))
    assert reply.follow_up is not None
    assert model.requests == []  # nothing was asked of the model in any of this


def test_azure_openai_url_and_header_shape(model):
    base = model.url.removesuffix("/v1")
    config, problem = config_from_env(
        {
            "PROTOCOLBOT_LLM_URL": f"{base}/openai/deployments/gpt4o/chat/completions"
            "?api-version=2024-10-21",
            "PROTOCOLBOT_LLM_API_KEY": "azure-key",
        }
    )
    assert problem == "" and config.azure and config.headers() == {"api-key": "azure-key"}
    model.queue.append(GOOD)
    knowledge = KnowledgeSource()
    loaded = knowledge.current
    review = loaded.engine.review(NEUTRAL, profile=loaded.knowledge.organisation)
    opinion = asyncio.run(
        SecondOpinion(config).ask(
            NEUTRAL, review, loaded.knowledge, loaded.knowledge.organisation, "employee"
        )
    )
    assert opinion.status == "ok"
    [request] = model.requests
    assert (
        request["headers"]["api-key"] == "azure-key" and "Authorization" not in request["headers"]
    )
    assert request["query"] == {"api-version": "2024-10-21"} and "model" not in request


def test_configuration_problems_are_named():
    assert config_from_env({}) == (None, "")
    assert "PROTOCOLBOT_LLM_URL" in config_from_env({"PROTOCOLBOT_LLM_MODEL": "m"})[1]
    assert "http" in config_from_env({"PROTOCOLBOT_LLM_URL": "ftp://x"})[1]
    problem = config_from_env(
        {"PROTOCOLBOT_LLM_URL": "https://x/v1", "PROTOCOLBOT_LLM_TIMEOUT": "soon"}
    )[1]
    assert "PROTOCOLBOT_LLM_MODEL is required" in problem and "PROTOCOLBOT_LLM_TIMEOUT" in problem
    config, _ = config_from_env(
        {"PROTOCOLBOT_LLM_URL": "https://x/v1", "PROTOCOLBOT_LLM_MODEL": "m"}
    )
    assert config.endpoint == "https://x/v1/chat/completions" and "sk" not in repr(config)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PROTOCOLBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_review_json_shows_the_second_opinion(tmp_path, model):
    _knowledge(tmp_path)  # a profile that switched it on
    env = {"PROTOCOLBOT_LLM_URL": model.url, "PROTOCOLBOT_LLM_MODEL": "org-llm"}
    model.queue.append(GOOD)
    on = _cli(
        "review", "--format", "json", "--knowledge", str(tmp_path / "knowledge"), NEUTRAL, env=env
    )
    assert on.returncode == 0, on.stderr
    opinion = json.loads(on.stdout)["second_opinion"]
    assert opinion["status"] == "ok" and opinion["merged_verdict"] == "caution"
    assert opinion["findings"][0]["rule"] == 6
    model.queue.append("not json")
    rejected = _cli(
        "review", "--format", "json", "--knowledge", str(tmp_path / "knowledge"), NEUTRAL, env=env
    )
    assert json.loads(rejected.stdout)["second_opinion"]["status"] == "rejected"
    off = _cli("review", "--format", "json", NEUTRAL, env=env)  # the shipped profile: not on
    assert json.loads(off.stdout)["second_opinion"] == {"status": "off"}
    assert len(model.requests) == 2


def test_eval_with_the_second_opinion_prints_both_scores(tmp_path, model):
    drafts = tmp_path / "drafts.jsonl"
    drafts.write_text(
        "\n".join(
            json.dumps({"id": f"d{n}", "text": text, "verdict": verdict, "rules": rules})
            for n, (text, verdict, rules) in enumerate(
                [(NEUTRAL, "caution", [6]), (INSULT, "stop", [8]), ("Trots op ons team!", "go", [])]
            )
        )
        + "\n",
        encoding="utf-8",
    )
    _knowledge(tmp_path)
    model.queue += [GOOD, {"verdict": "stop", "rules": [8], "findings": []}, {"verdict": "go"}]
    env = {"PROTOCOLBOT_LLM_URL": model.url, "PROTOCOLBOT_LLM_MODEL": "org-llm"}
    done = _cli(
        "eval", "--second-opinion", "--knowledge", str(tmp_path / "knowledge"), str(drafts), env=env
    )
    assert done.returncode == 0, done.stderr
    lines = {line.split("  ")[0]: line.split() for line in done.stdout.splitlines()}
    assert lines["verdict accuracy"][-2:] == ["0.667", "1.000"]  # engine, engine + model
    assert "model answers: ok 3" in done.stdout
    assert _cli("eval", "--second-opinion", str(drafts), env={}).returncode == 1  # not configured


def test_slack_replaces_the_review_when_the_second_opinion_comes(store, tmp_path, model):
    from test_slack_app import Servers, blocks_text, dm

    model.queue.append(GOOD)
    slack = Servers(_bot(store, tmp_path, model))
    try:
        assert slack.event(dm(NEUTRAL, "Ev0LLM")) == 200
        [post] = slack.wait_for("chat.postMessage")
        assert "tweede mening" in blocks_text(post).lower()
        [update] = slack.wait_for("chat.update")
        assert update["ts"] == "1700000000.000100" and update["channel"] == "D-U0ANN"
        assert "niet openbaar" in blocks_text(update)
    finally:
        slack.close()


def test_the_first_answer_never_waits_for_the_model(store, tmp_path, model):
    from test_slack_app import Servers, blocks_text, dm

    model.queue.append(("slow", 5.0, GOOD))
    slack = Servers(_bot(store, tmp_path, model, timeout=10.0, budget=0.5))
    try:
        assert slack.event(dm(NEUTRAL, "Ev0SLOW")) == 200
        [post] = slack.wait_for("chat.postMessage")
        assert model.requests and model.answered == 0  # asked, not yet answered: not waited for
        assert "STOP" not in blocks_text(post)
        [update] = slack.wait_for("chat.update")
        assert "niet beschikbaar" in blocks_text(update)  # the budget ran out: the note, no model
    finally:
        slack.close()


def test_teams_replaces_the_review_card_when_the_second_opinion_comes(store, tmp_path, model):
    from test_teams_app import Person
    from test_teams_app import Servers as TeamsServers

    model.queue.append(GOOD)
    teams = TeamsServers(_bot(store, tmp_path, model))
    try:
        ann = Person(teams, "ann", "Ann Jansen")
        assert ann.say(NEUTRAL) == 202
        teams.settle()
        [review, update] = teams.connector.sent
        assert (
            review["method"] == "POST"
            and "tweede mening" in json.dumps(review, ensure_ascii=False).lower()
        )
        assert update["method"] == "PUT" and update["activity_id"] == "act-1"
        assert "niet openbaar" in json.dumps(update["activity"], ensure_ascii=False)
    finally:
        teams.close()


def test_the_console_shows_the_review_then_the_second_opinion(store, tmp_path, model):
    import io

    from adapters.console.app import run

    model.queue.append(GOOD)
    out = io.StringIO()
    run([NEUTRAL + "\n"], out, bot=_bot(store, tmp_path, model), user="ann", locale="nl")
    text = out.getvalue()
    assert text.index("tweede mening") < text.index("Tweede mening van het taalmodel")
    assert "niet openbaar" in text


def test_the_update_keeps_what_a_revision_fixed(store, tmp_path, model):
    bot = _bot(store, tmp_path, model)
    model.queue.append({"verdict": "stop", "rules": [8], "findings": []})
    _ask(bot, INSULT)
    model.queue.append({"verdict": "go", "rules": [], "findings": []})
    first, update = _ask(bot, "Mag ik dit posten: ik ben het oneens met mijn baas")
    assert "Opgelost" in _text(first) and "8" in _text(first)
    assert "Opgelost" in _text(update)  # the update keeps the revision's comparison
