"""An optional second opinion from the organisation's own language model, grounded in its
protocol, that can only make a verdict stricter.

Off unless both are true: an endpoint is configured (`PROTOCOLBOT_LLM_URL`, `_MODEL`, `_API_KEY`;
any OpenAI-compatible chat-completions API, Azure OpenAI's URL and `api-key` header included)
and the organisation switched it on in its profile (`second_opinion: true`); a user can switch
it off for themselves. Only the draft, the role, the organisation's name and sector and the
protocol's own text are sent: never a name or id. Nothing of it is logged.

The model must answer strict JSON; an answer that isn't, names a rule that doesn't exist, or
quotes words that are not in the draft is rejected whole and shown to nobody. A valid answer
can raise the engine's verdict by one step (go to caution, caution to stop), never lower it;
its rewrite is reviewed by the engine and offered only if the engine finds nothing in it.
Timeouts, 429 and 5xx are retried a bounded number of times with backoff; after repeated
failures a circuit breaker stops asking for a while.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.models import VERDICT_ORDER, Review

log = logging.getLogger(__name__)

Status = Literal["off", "ok", "unavailable", "rejected"]
VERDICTS = ("go", "caution", "stop")
MAX_CASES = 3


@dataclass(frozen=True)
class LLMConfig:
    url: str
    model: str = ""
    api_key: str = field(default="", repr=False)
    timeout: float = 8.0  # per request
    budget: float = 8.0  # how long a chat waits for the update, all retries included
    retries: int = 2
    breaker_failures: int = 3  # failed asks in a row that open the circuit
    breaker_seconds: float = 60.0  # how long it stays open

    @property
    def azure(self) -> bool:
        return "/openai/deployments/" in self.url

    @property
    def endpoint(self) -> str:
        base, _, query = self.url.partition("?")
        if not base.rstrip("/").endswith("/chat/completions"):
            base = base.rstrip("/") + "/chat/completions"
        return f"{base}?{query}" if query else base

    def headers(self) -> dict[str, str]:
        if not self.api_key:
            return {}
        if self.azure:
            return {"api-key": self.api_key}
        return {"Authorization": f"Bearer {self.api_key}"}


def config_from_env(env: Mapping[str, str]) -> tuple[LLMConfig | None, str]:
    """The endpoint, or None with '' (not configured) or a message naming what is wrong."""
    url = env.get("PROTOCOLBOT_LLM_URL", "").strip()
    model = env.get("PROTOCOLBOT_LLM_MODEL", "").strip()
    if not url:
        return None, (
            "PROTOCOLBOT_LLM_MODEL is set but PROTOCOLBOT_LLM_URL is not" if model else ""
        )
    if not url.startswith(("http://", "https://")):
        return None, "PROTOCOLBOT_LLM_URL must be an http(s):// address"
    problems = []
    numbers: dict[str, float] = {}
    for name, default in (("PROTOCOLBOT_LLM_TIMEOUT", 8.0), ("PROTOCOLBOT_LLM_BUDGET", 8.0)):
        raw = env.get(name, "").strip()
        try:
            numbers[name] = float(raw) if raw else default
            if numbers[name] <= 0:
                raise ValueError
        except ValueError:
            problems.append(f"{name} must be a number of seconds above 0, not {raw!r}")
    config = LLMConfig(
        url=url,
        model=model,
        api_key=env.get("PROTOCOLBOT_LLM_API_KEY", "").strip(),
        timeout=numbers.get("PROTOCOLBOT_LLM_TIMEOUT", 8.0),
        budget=numbers.get("PROTOCOLBOT_LLM_BUDGET", 8.0),
    )
    if not model and not config.azure:
        problems.append("PROTOCOLBOT_LLM_MODEL is required (Azure names it in the URL instead)")
    if problems:
        return None, "; ".join(problems)
    return config, ""


# -- what the model must answer -------------------------------------------------------------------


class _Finding(BaseModel):
    model_config = ConfigDict(extra="ignore")
    rule: int
    quote: str = Field(min_length=1, max_length=300)
    reason: str = Field(min_length=1, max_length=600)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    verdict: Literal["go", "caution", "stop"]
    rules: list[int] = Field(default_factory=list, max_length=15)
    findings: list[_Finding] = Field(default_factory=list, max_length=10)
    suggestion: str = Field("", max_length=1200)
    rewrite: str | None = Field(None, max_length=4000)


@dataclass(frozen=True)
class ModelFinding:
    rule: int
    quote: str
    reason: str


@dataclass(frozen=True)
class Opinion:
    """What the second opinion came to; `why` says why it is unavailable or rejected (never
    with draft text)."""

    status: Status
    verdict: str | None = None
    rules: tuple[int, ...] = ()
    findings: tuple[ModelFinding, ...] = ()
    suggestion: str = ""
    rewrite: str = ""
    why: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.status == "ok":
            out.update(
                verdict=self.verdict,
                rules=list(self.rules),
                findings=[
                    {"rule": f.rule, "quote": f.quote, "reason": f.reason} for f in self.findings
                ],
                suggestion=self.suggestion,
            )
            if self.rewrite:
                out["rewrite"] = self.rewrite
        elif self.why:
            out["why"] = self.why
        return out


OFF = Opinion("off")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split())


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def validate(content: str, draft: str, known_rules: set[int]) -> Opinion:
    """The model's message as an Opinion, or a rejection saying what was wrong."""
    match = _FENCE.match(content)
    try:
        raw = json.loads(match.group(1) if match else content)
        answer = _Answer.model_validate(raw)
    except (ValueError, ValidationError):
        return Opinion("rejected", why="the answer is not the JSON asked for")
    unknown = sorted({*answer.rules, *(f.rule for f in answer.findings)} - known_rules)
    if unknown:
        return Opinion("rejected", why=f"the answer names rules that don't exist: {unknown}")
    plain_draft = _plain(draft)
    if any(_plain(f.quote) not in plain_draft for f in answer.findings):
        return Opinion("rejected", why="the answer quotes words that are not in the draft")
    rules = tuple(sorted({*answer.rules, *(f.rule for f in answer.findings)}))
    return Opinion(
        "ok",
        verdict=answer.verdict,
        rules=rules,
        findings=tuple(
            ModelFinding(f.rule, f.quote.strip(), f.reason.strip()) for f in answer.findings
        ),
        suggestion=answer.suggestion.strip(),
        rewrite=(answer.rewrite or "").strip(),
    )


def merged_verdict(engine: str, opinion: Opinion) -> str:
    """The engine's verdict, raised one step when the model is stricter; never lowered."""
    if opinion.status != "ok" or opinion.verdict is None:
        return engine
    if VERDICT_ORDER[opinion.verdict] > VERDICT_ORDER[engine]:
        return VERDICTS[min(VERDICT_ORDER[engine] + 1, 2)]
    return engine


# -- the prompt -------------------------------------------------------------------------------


def prompt(draft: str, review: Review, knowledge, profile, role: str) -> list[dict[str, str]]:
    """The chat messages: the protocol's rules the engine's findings point to (in full), the
    titles of the others, up to three related cases, the organisation's name and sector, the
    role, and the draft. No person's name or id."""
    lang = review.language
    cited = sorted(set(review.rules) - {15})
    rules = knowledge.rules
    full = [
        f"Rule {n}: {rules[n].title.get(lang)}\n{rules[n].text_for(profile.name, lang)}\n"
        f"{rules[n].explanation.get(lang)}"
        for n in cited
        if n in rules
    ]
    others = [f"Rule {n}: {rules[n].title.get(lang)}" for n in sorted(rules) if n not in cited]
    case_ids = [c for n in cited if n in rules for c in rules[n].cases]
    cases = [knowledge.cases[c] for c in dict.fromkeys(case_ids) if c in knowledge.cases]
    case_lines = [
        f"- {case.title.get(lang)} ({case.date}): {case.lesson.get(lang)}"
        for case in cases[:MAX_CASES]
    ]
    language = "Dutch" if lang == "nl" else "English"
    system = (
        f"You are the second reviewer of social-media drafts for {profile.name}, a "
        f"{'public' if profile.sector == 'public' else 'private'}-sector organisation in the "
        "Netherlands, against its social-media protocol. Judge only against the protocol's "
        "rules below. Flag harm without alarming words too: sarcasm about colleagues, hints at "
        "unpublished decisions, confidential information, personal data. Answer with one JSON "
        'object and nothing else: {"verdict": "go"|"caution"|"stop", "rules": [rule numbers], '
        '"findings": [{"rule": n, "quote": "exact words copied from the draft", "reason": '
        '"why"}], "suggestion": "how to fix it", "rewrite": "a better version of the whole post '
        f"in the author's voice, or null\"}}. Write reason, suggestion and rewrite in {language}."
    )
    user = "\n\n".join(
        [
            "Rules the first review found touched:\n" + ("\n\n".join(full) or "(none)"),
            "The protocol's other rules:\n" + "\n".join(others),
            "Related cases:\n" + ("\n".join(case_lines) or "(none)"),
            f"The author's role: {role}.",
            f"First review's verdict: {review.verdict}.",
            "The draft:\n<<<\n" + draft + "\n>>>",
        ]
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


# -- the client -------------------------------------------------------------------------------


class CircuitBreaker:
    """Open after `failures` failed asks in a row; after `seconds` one ask may try again."""

    def __init__(self, failures: int, seconds: float, clock: Callable[[], float]) -> None:
        self.failures, self.seconds, self.clock = failures, seconds, clock
        self._failed = 0
        self._opened_at: float | None = None

    def allow(self) -> bool:
        if self._opened_at is None:
            return True
        if self.clock() - self._opened_at >= self.seconds:
            self._opened_at = None  # half open: this ask decides
            self._failed = self.failures - 1
            return True
        return False

    def record(self, ok: bool) -> None:
        if ok:
            self._failed, self._opened_at = 0, None
            return
        self._failed += 1
        if self._failed >= self.failures:
            self._opened_at = self.clock()

    @property
    def open(self) -> bool:
        return self._opened_at is not None


class SecondOpinion:
    """Asks the configured model; one per process (it holds the circuit breaker)."""

    def __init__(
        self,
        config: LLMConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.breaker = CircuitBreaker(config.breaker_failures, config.breaker_seconds, clock)
        self._sleep = sleep

    async def ask(self, draft: str, review: Review, knowledge, profile, role: str) -> Opinion:
        if not self.breaker.allow():
            return Opinion("unavailable", why="the model failed repeatedly; not asking for a while")
        body: dict[str, Any] = {
            "messages": prompt(draft, review, knowledge, profile, role),
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
        if self.config.model:
            body["model"] = self.config.model
        why = "no answer"
        async with httpx.AsyncClient(timeout=self.config.timeout) as client:
            for attempt in range(self.config.retries + 1):
                if attempt:
                    await self._sleep(min(0.5 * 2 ** (attempt - 1), 4.0))
                try:
                    response = await client.post(
                        self.config.endpoint, json=body, headers=self.config.headers()
                    )
                except httpx.TimeoutException:
                    why = "the model did not answer in time"
                    continue
                except httpx.TransportError as exc:
                    why = f"the model could not be reached ({type(exc).__name__})"
                    continue
                if response.status_code == 429 or response.status_code >= 500:
                    why = f"the model answered HTTP {response.status_code}"
                    continue
                if response.status_code >= 400:
                    self.breaker.record(False)
                    return Opinion(
                        "unavailable", why=f"the model refused: HTTP {response.status_code}"
                    )
                self.breaker.record(True)
                try:
                    content = response.json()["choices"][0]["message"]["content"]
                except (ValueError, KeyError, IndexError, TypeError):
                    return Opinion("rejected", why="the answer is not a chat completion")
                if not isinstance(content, str):
                    return Opinion("rejected", why="the answer has no text")
                return validate(content, draft, set(knowledge.rules))
        self.breaker.record(False)
        return Opinion("unavailable", why=why)
