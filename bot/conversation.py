"""The conversation: `Bot.handle(event)` turns one platform-neutral event into replies.

Flows: a direct message is a draft to review (or a command); the review's buttons show a rule,
give rewrite tips, start the rule-15 doubt walk or finish; the walk ends in post, revise or
consult; consulting names the contact and asks what may be sent (a summary, by default without
the draft); the contact answers with buttons and the requester hears the outcome. `/protocol`
answers managers; admins reload the knowledge and see anonymous figures.

State lives in the store per (platform, tenant, user): the language, the last review's rules and
suggestions (never the quoted words), the walk position and the consult step; the draft text is
kept apart and only as long as the store's draft retention allows.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot import walk as walks
from bot.commands import protocol
from bot.logs import pseudonym
from bot.messages import (
    Action,
    Button,
    Buttons,
    Choice,
    Command,
    Context,
    DirectMessage,
    Divider,
    Element,
    Event,
    FollowUp,
    Header,
    HomeOpened,
    Mention,
    Notification,
    Option,
    Origin,
    Outgoing,
    Reply,
    Text,
)
from bot.models import VERDICT_ORDER, Review
from bot.render import group_findings
from bot.second_opinion import OFF, Opinion, SecondOpinion, merged_verdict
from bot.source import KnowledgeSource
from bot.store import Escalation, EscalationClosedError, Store, StoreUnavailable
from bot.texts import Phrases

_PREAMBLE = re.compile(
    r"^\s*(mag ik dit (posten|plaatsen|delen)|kan ik dit (posten|plaatsen|delen)|"
    r"can i (post|share|publish) this|is this ok(ay)? to post|check( this)?)\s*[:?!.]*\s*",
    re.IGNORECASE,
)
log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^\s*/?protocol\b(.*)$", re.IGNORECASE | re.DOTALL)
CONTACT_ROLES = ("manager", "communications", "integrity", "confidential_adviser")


class Bot:
    """The platform-free core. Adapters call `handle` per event and `tick` now and then."""

    def __init__(
        self,
        source: KnowledgeSource,
        store: Store,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        reminder_after: timedelta | None = None,
        llm: SecondOpinion | None = None,
    ) -> None:
        self.source = source
        self.store = store
        self.clock = clock
        self.llm = llm  # the organisation's language model, when configured
        self._reminder_after = reminder_after  # None: the organisation profile's settings
        # called with (metric, key) for every counted event (reviews per verdict, walks,
        # escalations): the server's metrics; never with personal data
        self.on_tally: Callable[[str, str], None] | None = None
        self._turn = threading.local()  # what the current turn found, for its log line
        self._generation: int | None = None  # the knowledge generation this replica has

    @property
    def reminder_after(self) -> timedelta:
        if self._reminder_after is not None:
            return self._reminder_after
        return timedelta(hours=self.source.current.knowledge.organisation.settings.reminder_hours)

    def _apply_settings(self) -> None:
        """Retention follows the profile currently loaded, so a reload changes it too."""
        settings = self.source.current.knowledge.organisation.settings
        self.store.draft_ttl = timedelta(hours=settings.draft_hours)
        self.store.escalation_retention = timedelta(days=settings.escalated_draft_days)

    # -- entry points -----------------------------------------------------------------------

    def handle(self, event: Event) -> list[Outgoing]:
        """Answer one event. With the store unreachable a draft is still reviewed (nothing is
        kept) and what needs the store says it is unavailable for a moment. Logs one line per
        turn: kind, verdict, rules, latency, correlation id and a pseudonym, never text."""
        origin = event.origin
        started = time.perf_counter()
        self._turn.found = {}
        outcome = "ok"
        try:
            return self._handle(event)
        except StoreUnavailable:
            outcome = "store_unavailable"
            return self._without_store(event)
        except Exception:
            outcome = "error"
            raise
        finally:
            log.info(
                "turn",
                extra={
                    "platform": origin.platform,
                    "event": type(event).__name__,
                    "outcome": outcome,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                    "correlation_id": origin.event_id or None,
                    "user": pseudonym(origin.user_id),
                    **self._turn.found,
                },
            )

    def _handle(self, event: Event) -> list[Outgoing]:
        origin = event.origin
        self._apply_settings()
        if origin.event_id and self.store.seen_event(
            f"{origin.platform}:{origin.tenant}:{origin.event_id}", now=self.clock()
        ):
            return []  # a platform's retry of something already answered
        if isinstance(event, DirectMessage):
            match = _COMMAND.match(event.text)
            if match:
                return self._command(origin, tuple(match.group(1).split()))
            return self._draft(origin, event.text)
        if isinstance(event, Command):
            return self._command(origin, event.args)
        if isinstance(event, Action):
            return self._action(event)
        if isinstance(event, Mention):
            text = self._t(self._lang(origin, self._state(origin)), "mention")
            return [Reply(origin.conversation_id, (Text(text),), fallback=text)]
        if isinstance(event, HomeOpened):
            return [self._home(origin)]
        return []

    def _without_store(self, event: Event) -> list[Outgoing]:
        """The answer when the store can't be reached: a review without memory, the protocol's
        pages, and for everything else a word that it is unavailable for a moment."""
        origin = event.origin
        lang = self._lang(origin, {})
        if isinstance(event, DirectMessage) and not _COMMAND.match(event.text):
            return self._review_only(origin, event.text)
        if isinstance(event, DirectMessage | Command):
            match = _COMMAND.match(event.text) if isinstance(event, DirectMessage) else None
            args = tuple(match.group(1).split()) if match else getattr(event, "args", ())
            try:
                return self._command(origin, args, state={})
            except StoreUnavailable:
                pass
        if isinstance(event, Mention):
            return [self._say(origin, self._t(lang, "mention"))]
        if isinstance(event, HomeOpened):
            try:
                return [self._home(origin, state={})]
            except StoreUnavailable:
                pass
        return [self._say(origin, self._t(lang, "store_unavailable"))]

    def _review_only(self, origin: Origin, text: str) -> list[Outgoing]:
        draft = _PREAMBLE.sub("", text, count=1).strip()
        lang = self._lang(origin, {})
        if not draft:
            return [self._say(origin, self._t(lang, "empty"))]
        loaded = self.source.current
        review = loaded.engine.review(draft, profile=loaded.knowledge.organisation)
        lang = review.language
        self._turn.found = {"verdict": review.verdict, "rules": sorted(set(review.rules) - {15})}
        if self.on_tally is not None:
            self.on_tally("review", review.verdict)
        elements = tuple(
            e
            for e in _review_elements(review, loaded.knowledge, self._say_in(lang), None)
            if not isinstance(e, Buttons)  # their next step needs the store
        ) + (Context(self._t(lang, "store_unavailable")),)
        return [Reply(origin.conversation_id, elements, fallback=self._t(lang, review.verdict))]

    def sync_knowledge(self) -> bool:
        """Reload when an admin reloaded on another replica (the store's knowledge generation
        moved on). True when this replica reloaded; a failing reload keeps the last good."""
        generation, version = self.store.knowledge_generation()
        if self._generation is None or generation == self._generation:
            self._generation = generation
            return False
        self._generation = generation
        if version == self.source.current.knowledge.version:
            return False
        errors = self.source.reload()
        if errors:
            log.warning(
                "knowledge reload asked by another replica failed; keeping the last good",
                extra={"generation": generation, "version": self.source.current.knowledge.version},
            )
            return False
        log.info(
            "knowledge reloaded (asked by another replica)",
            extra={"generation": generation, "version": self.source.current.knowledge.version},
        )
        return True

    def _tally(self, metric: str, key: str) -> None:
        self.store.count(metric, key, now=self.clock())
        if self.on_tally is not None:
            self.on_tally(metric, key)

    def _home(self, origin: Origin, state: dict | None = None) -> Reply:
        """The home page: a greeting, the overview of `/protocol` (what the bot does, how to use
        it, the 15 rules, whom to ask) and, for admins, this week's anonymous figures."""
        lang = self._lang(origin, self._state(origin) if state is None else state)
        knowledge = self.source.current.knowledge
        is_admin = origin.user_id in knowledge.organisation.admins
        overview = protocol(
            (), knowledge=knowledge, profile=knowledge.organisation, lang=lang, is_admin=is_admin
        )
        elements: tuple[Element, ...] = (Text(self._t(lang, "home")), *overview.elements)
        if is_admin:
            figures = _stats(self.store.weekly_counts(now=self.clock()), self._say_in(lang))
            elements += (Divider(), *figures)
        return Reply(origin.conversation_id, elements, fallback=self._t(lang, "home"))

    def tick(self, platforms: Iterable[str] | None = None) -> list[Outgoing]:
        """Reminders for unanswered escalations (only those on `platforms`, so each adapter
        sends its own), and the retention purge."""
        now = self.clock()
        self._apply_settings()
        out: list[Outgoing] = []
        for esc in self.store.due_reminders(after=self.reminder_after, now=now):
            if platforms is not None and esc.platform not in platforms:
                continue
            if not self.store.claim_reminder(esc.id, after=self.reminder_after, now=now):
                continue  # another replica sent this one
            lang = self._lang_of(esc.platform, esc.tenant, esc.contact_id, "nl")
            text = self._t(lang, "esc_reminder")
            out.append(
                _to_contact(
                    esc,
                    elements=(Text(text), _escalation_buttons(esc, self._say_in(lang))),
                    fallback=text,
                )
            )
        self.store.purge(now=now)
        return out

    def undelivered(self, notification: Notification) -> list[Outgoing]:
        """An adapter could not deliver `notification`. For a question to a contact that is
        still open: close it (audited), and tell the requester whom to reach another way.
        Anything else is only logged by the adapter: there is nobody to tell."""
        if not notification.escalation_id:
            return []
        esc = self.store.get_escalation(notification.escalation_id)
        if esc is None or esc.status != "open":
            return []
        try:
            esc = self.store.set_escalation_status(
                esc.id,
                "cancelled",
                actor="protocolbot",
                answer=None,
                now=self.clock(),
            )
        except EscalationClosedError:
            return []  # answered meanwhile on another replica
        self._tally("escalation", "undelivered")
        lang = self._lang_of(esc.platform, esc.tenant, esc.requester_id, "nl")
        contact = self._contact(esc.contact_role)
        name = contact.name if contact else self._t(lang, f"contact_{esc.contact_role}")
        address = (contact.email or contact.name) if contact else name
        text = self._t(lang, "esc_undelivered", contact=name, address=address)
        return [
            Notification(
                esc.platform,  # type: ignore[arg-type]
                user_id=esc.requester_id,
                elements=(Text(text),),
                fallback=text,
                tenant=esc.tenant,
            )
        ]

    # -- state ------------------------------------------------------------------------------

    def _state(self, origin: Origin) -> dict:
        return self.store.get_conversation(origin.platform, origin.tenant, origin.user_id) or {}

    def _save(self, origin: Origin, state: dict, **draft) -> None:
        self.store.put_conversation(
            origin.platform, origin.tenant, origin.user_id, state, now=self.clock(), **draft
        )

    def _lang_of(self, platform: str, tenant: str, user_id: str, default: str) -> str:
        """Someone else's language (a contact, a requester): as they last used the bot."""
        known = self.store.get_conversation(platform, tenant, user_id) or {}
        for lang in (known.get("lang"), known.get("last", {}).get("lang")):
            if lang in ("nl", "en"):
                return lang
        return default

    def _lang(self, origin: Origin, state: dict) -> str:
        """The user's chosen language, else the language of their last draft, else the locale."""
        for lang in (state.get("lang"), state.get("last", {}).get("lang")):
            if lang in ("nl", "en"):
                return lang
        return "en" if origin.locale.lower().startswith("en") else "nl"

    # -- review -----------------------------------------------------------------------------

    def _draft(self, origin: Origin, text: str) -> list[Outgoing]:
        state = self._state(origin)
        if state.get("awaiting") == "manager_id" and text.strip():
            return self._consult_named(origin, state, text.strip())
        if str(state.get("awaiting", "")).startswith("esc_text:") and text.strip():
            return self._contact_text(origin, state, text.strip())
        draft = _PREAMBLE.sub("", text, count=1).strip()
        loaded = self.source.current
        if not draft:
            lang = self._lang(origin, state)
            return [
                Reply(
                    origin.conversation_id,
                    (Text(self._t(lang, "empty")),),
                    fallback=self._t(lang, "empty"),
                )
            ]
        profile = loaded.knowledge.organisation
        role = state.get("role", "employee")
        review = loaded.engine.review(draft, profile=profile, role=role)
        lang = state.get("lang", review.language)  # answer in the draft's language
        previous = set(state.get("last", {}).get("rules", []))
        current = set(review.rules) - {15}
        state = {
            **{k: v for k, v in state.items() if k not in ("walk", "awaiting", "consult")},
            "last": {
                "lang": lang,
                "verdict": review.verdict,
                "rules": sorted(current),
                "tips": [[f.rule, f.suggestion] for f in review.findings if f.severity != "note"],
                "has_finding": bool(review.findings),
            },
        }
        self._save(origin, state, draft=draft)
        self._turn.found = {"verdict": review.verdict, "rules": sorted(current)}
        self._tally("review", review.verdict)
        for rule in current:
            self._tally("rule", str(rule))
        elements = _review_elements(
            review, loaded.knowledge, self._say_in(lang), previous if previous else None
        )
        follow_up = None
        if self.llm is not None and profile.second_opinion and not state.get("llm_off"):
            follow_up = FollowUp(
                origin, draft, role, self.llm.config.budget, tuple(sorted(previous))
            )
            notice = Context(self._t(lang, "llm_pending", organisation=profile.name))
            elements = (*elements[:-1], notice, elements[-1])  # above the buttons
        return [
            Reply(
                origin.conversation_id,
                elements,
                fallback=self._t(lang, review.verdict),
                follow_up=follow_up,
            )
        ]

    # -- the second opinion -----------------------------------------------------------------

    async def second_opinion(self, follow_up: FollowUp) -> Reply:
        """The review again, with what the organisation's model adds: a verdict raised one step
        at most, its findings marked as the model's, a rewrite the engine found clean. Replaces
        the review message; says so when the model is unavailable, its answer unusable, or not
        there within `follow_up.budget` seconds."""
        loaded = self.source.current
        profile = loaded.knowledge.organisation
        review = loaded.engine.review(follow_up.draft, profile=profile, role=follow_up.role)
        if self.llm is None:
            opinion = OFF
        else:
            try:
                opinion = await asyncio.wait_for(
                    self.llm.ask(
                        follow_up.draft, review, loaded.knowledge, profile, follow_up.role
                    ),
                    timeout=follow_up.budget,
                )
            except TimeoutError:
                opinion = Opinion("unavailable", why="no answer within the budget")
        return await asyncio.to_thread(self._with_opinion, follow_up, review, opinion)

    def _with_opinion(self, follow_up: FollowUp, review: Review, opinion: Opinion) -> Reply:
        origin = follow_up.origin
        loaded = self.source.current
        knowledge = loaded.knowledge
        try:
            state = self._state(origin)
        except StoreUnavailable:
            state = {}
        lang = state.get("lang", review.language)
        say = self._say_in(lang)
        verdict = merged_verdict(review.verdict, opinion)
        previous = set(follow_up.previous) or None
        base = _review_elements(replace(review, verdict=verdict), knowledge, say, previous)
        extra: list[Element] = [Divider()]
        name = knowledge.organisation.name
        if opinion.status == "ok":
            extra.append(Text(f"*{self._t(lang, 'llm_header', organisation=name)}*"))
            if verdict != review.verdict:
                extra.append(Text(self._t(lang, "llm_raised", verdict=say(verdict))))
            for finding in opinion.findings:
                heading = say("rule", n=finding.rule, title=self._rule_title(finding.rule, lang))
                extra.append(Text(f"{heading}: “{finding.quote}”\n{finding.reason}"))
            if opinion.suggestion and (opinion.findings or verdict != review.verdict):
                extra.append(Text(say("tip", text=opinion.suggestion)))
            rewrite = opinion.rewrite
            if (
                rewrite
                and loaded.engine.review(rewrite, profile=knowledge.organisation).verdict == "go"
            ):
                extra += [Text(self._t(lang, "llm_rewrite")), Text(f"> {rewrite}")]
            if not opinion.findings and opinion.verdict == review.verdict:
                extra.append(Context(self._t(lang, "llm_agrees")))
            elif VERDICT_ORDER[opinion.verdict or "go"] < VERDICT_ORDER[review.verdict]:
                extra.append(Context(self._t(lang, "llm_milder")))
        else:
            key = "llm_rejected" if opinion.status == "rejected" else "llm_unavailable"
            extra.append(Context(self._t(lang, key, organisation=name)))
        try:
            self._tally("second_opinion", opinion.status)
            if verdict != review.verdict and state.get("last"):
                state["last"] = {
                    **state["last"],
                    "verdict": verdict,
                    "rules": sorted({*state["last"].get("rules", []), *opinion.rules} - {15}),
                }
                self._save(origin, state)
        except StoreUnavailable:
            pass  # the answer stands; its walk prefill is the engine's
        elements = (*base[:-1], *extra, base[-1])
        return Reply(
            origin.conversation_id, elements, replace=True, fallback=self._t(lang, verdict)
        )

    def _set_second_opinion(self, origin: Origin, state: dict, lang: str, value: str):
        """`/protocol tweede-mening uit|aan`: a user's own choice about the model."""
        profile = self.source.current.knowledge.organisation
        if not profile.second_opinion or self.llm is None:
            return [self._say(origin, self._t(lang, "llm_not_used"))]
        if value in ("uit", "off", "nee", "no"):
            state["llm_off"] = True
        elif value in ("aan", "on", "ja", "yes"):
            state.pop("llm_off", None)
        self._save(origin, state)
        key = "llm_off" if state.get("llm_off") else "llm_on"
        return [self._say(origin, self._t(lang, key, organisation=profile.name))]

    # -- actions ----------------------------------------------------------------------------

    def _action(self, event: Action) -> list[Outgoing]:
        origin = event.origin
        state = self._state(origin)
        lang = self._lang(origin, state)
        kind, value = event.action_id, event.value
        if kind == "show_rule":
            return self._command(origin, (value,))
        if kind == "rewrite_tips":
            tips = state.get("last", {}).get("tips", [])
            if not tips:
                return [self._say(origin, self._t(lang, "no_tips"))]
            lines = [
                f"- {self._t(lang, 'rule', n=rule, title=self._rule_title(rule, lang))}: {tip}"
                for rule, tip in tips
            ]
            return [
                Reply(
                    origin.conversation_id,
                    (Header(self._t(lang, "tips_header")), Text("\n".join(lines))),
                )
            ]
        if kind == "done":
            self._save(origin, {"lang": state["lang"]} if "lang" in state else {}, draft=None)
            return [self._say(origin, self._t(lang, "done"))]
        if kind == "walk_start":
            return self._walk_start(origin, state, lang)
        if kind == "walk":
            return self._walk_answer(origin, state, lang, value)
        if kind == "walk_back":
            return self._walk_back(origin, state, lang)
        if kind == "walk_cancel":
            state.pop("walk", None)
            self._save(origin, state)
            self._tally("walk", "cancelled")
            return [self._say(origin, self._t(lang, "walk_cancelled"))]
        if kind == "consent":
            return self._consent(origin, state, lang, value)
        if kind == "name_manager":
            state["awaiting"] = "manager_id"
            self._save(origin, state)
            return [self._say(origin, self._t(lang, "ask_manager"))]
        if kind in ("esc_approved", "esc_declined", "esc_discuss"):
            return self._contact_answer(event, kind.removeprefix("esc_"))
        if kind == "esc_write":  # the contact's next message is their answer in words
            esc = self.store.get_escalation(value)
            if esc is None or not _may_answer(esc, origin):
                return [self._say(origin, self._t(lang, "esc_unknown"))]
            if esc.status != "open":
                return [self._say(origin, self._t(lang, "esc_closed"))]
            state["awaiting"] = f"esc_text:{esc.id}"
            self._save(origin, state)
            return [self._say(origin, self._t(lang, "esc_ask_text"))]
        if kind == "share":  # the asker shares an answer with the channel
            shared = self._command(origin, tuple(value.split(":")[-1:]))
            return [
                Reply(m.conversation_id, m.elements, ephemeral=False, fallback=m.fallback)
                for m in shared
                if isinstance(m, Reply)
            ]
        return []

    def _say_in(self, lang: str) -> Phrases:
        """The phrases of the knowledge in use (texts.yaml), in `lang`."""
        return Phrases(self.source.current.knowledge.texts, lang)

    def phrase(self, lang: str, key: str, **values: object) -> str:
        """A text from texts.yaml in `lang`, for an adapter's own few words (a dialog, an
        error), so integrity staff can change those too."""
        return self._t(lang, key, **values)

    def _t(self, lang: str, key: str, **values: object) -> str:
        return self._say_in(lang)(key, **values)

    def _say(self, origin: Origin, text: str) -> Reply:
        return Reply(origin.conversation_id, (Text(text),), fallback=text)

    def _rule_title(self, number: int, lang: str) -> str:
        rule = self.source.current.knowledge.rules.get(number)
        return rule.title.get(lang) if rule else ""

    # -- /protocol --------------------------------------------------------------------------

    def _command(
        self, origin: Origin, args: tuple[str, ...], state: dict | None = None
    ) -> list[Outgoing]:
        state = self._state(origin) if state is None else state
        lang = self._lang(origin, state)
        if args and args[0].lower() in ("tweede-mening", "second-opinion"):
            return self._set_second_opinion(origin, state, lang, " ".join(args[1:]).lower())
        knowledge = self.source.current.knowledge
        profile = knowledge.organisation
        is_admin = origin.user_id in profile.admins
        result = protocol(args, knowledge=knowledge, profile=profile, lang=lang, is_admin=is_admin)
        if result.action == "start_walk":
            return self._walk_start(origin, state, lang)
        extra: tuple[Element, ...] = ()
        if result.action == "reload" and is_admin:
            errors = self.source.reload()
            if errors:
                extra = (
                    Text(self._t(lang, "reload_failed")),
                    Text("\n".join(f"- `{e}`" for e in errors[:30])),
                )
            else:
                version = self.source.current.knowledge.version
                self._generation = self.store.bump_knowledge_generation(version, now=self.clock())
                extra = (Text(self._t(lang, "reloaded", version=version)),)
        elif result.action == "stats" and is_admin:
            extra = _stats(self.store.weekly_counts(now=self.clock()), self._say_in(lang))
        elif result.action == "escalations" and is_admin:
            extra = _open_escalations(self.store.open_escalations(), self._say_in(lang))
        elements = tuple(result.elements) + extra
        return [Reply(origin.conversation_id, elements, ephemeral=result.ephemeral)]

    # -- the doubt walk ---------------------------------------------------------------------

    def _facts(self, state: dict) -> walks.WalkFacts:
        last = state.get("last", {})
        return walks.WalkFacts(
            verdict=last.get("verdict", "go"),
            rules=tuple(last.get("rules", ())),
            role=state.get("role", "employee"),
            sector=self.source.current.knowledge.organisation.sector,
            has_finding=bool(last.get("has_finding")),
        )

    def _walk_start(self, origin: Origin, state: dict, lang: str) -> list[Outgoing]:
        walk = self.source.current.knowledge.walk
        if walk is None or "last" not in state:
            return [self._say(origin, self._t(lang, "no_review"))]
        current = self._walk_current(state)
        if current is not None:  # left half-way: go on where the user was
            return self._walk_show(origin, state, lang, current, note="walk_resumed")
        self._tally("walk", "started")
        return self._walk_show(origin, state, lang, walks.start(walk, self._facts(state)))

    def _walk_current(self, state: dict) -> walks.Ask | None:
        """The question the user's walk is at, or None when there is no walk under way."""
        walk = self.source.current.knowledge.walk
        if walk is None or not state.get("walk"):
            return None
        current = walks.resume(walk, state["walk"], self._facts(state))
        return current if isinstance(current, walks.Ask) else None

    def _walk_answer(self, origin: Origin, state: dict, lang: str, value: str) -> list[Outgoing]:
        if not state.get("walk"):  # a button of a walk that has ended
            return [self._say(origin, self._t(lang, "no_review"))]
        current = self._walk_current(state)
        if current is None:  # the walk changed under it (a reload): start again
            return self._walk_start(origin, state, lang)
        step_id, _, answer = value.rpartition(":")
        try:
            if step_id and step_id != current.step.id:
                raise ValueError(f"an answer to step {step_id!r}, not to {current.step.id!r}")
            step = walks.answer(
                self.source.current.knowledge.walk, current.state, answer, self._facts(state)
            )
        except ValueError:  # a button of an earlier question: show the one the user is at
            return self._walk_show(origin, state, lang, current, note="walk_stale")
        return self._walk_show(origin, state, lang, step)

    def _walk_back(self, origin: Origin, state: dict, lang: str) -> list[Outgoing]:
        if not state.get("walk"):  # a button of a walk that has ended
            return [self._say(origin, self._t(lang, "no_review"))]
        current = self._walk_current(state)
        if current is None:  # the walk changed under it (a reload): start again
            return self._walk_start(origin, state, lang)
        return self._walk_show(
            origin,
            state,
            lang,
            walks.back(self.source.current.knowledge.walk, current.state, self._facts(state)),
        )

    def _walk_show(
        self, origin: Origin, state: dict, lang: str, step, note: str | None = None
    ) -> list[Outgoing]:
        if isinstance(step, walks.Ask):
            state["walk"] = step.state.to_dict()
            self._save(origin, state)
            # the value names its step, so a button of an earlier question answers nothing else
            options = tuple(
                Option(c.label.get(lang), f"{step.step.id}:{c.value}") for c in step.step.choices
            )
            elements: list[Element] = [Context(self._t(lang, note))] if note else []
            elements.append(Header(self._t(lang, "walk_header")))
            if step.step.help:
                elements.append(Context(step.step.help.get(lang)))
            elements.append(Choice(step.step.question.get(lang), "walk", options))
            elements.append(
                Buttons(
                    (
                        Button(self._t(lang, "btn_back"), "walk_back"),
                        Button(self._t(lang, "btn_cancel"), "walk_cancel"),
                    )
                )
            )
            return [
                Reply(
                    origin.conversation_id, tuple(elements), fallback=step.step.question.get(lang)
                )
            ]
        outcome = step.outcome
        state.pop("walk", None)
        self._tally("walk", f"outcome:{outcome.kind}")
        if outcome.kind != "consult":
            self._save(origin, state)
            text = outcome.text.get(lang)
            return [
                Reply(
                    origin.conversation_id,
                    (Text(text), Context(self._t(lang, outcome.kind))),
                    fallback=text,
                )
            ]
        return self._consult(origin, state, lang, outcome.contact, outcome.text.get(lang))

    # -- escalation, only with consent ------------------------------------------------------

    def _contact(self, role: str):
        profile = self.source.current.knowledge.organisation
        return next((c for c in profile.contacts if c.role == role), None)

    def _consult(
        self, origin: Origin, state: dict, lang: str, role: str | None, intro: str = ""
    ) -> list[Outgoing]:
        role = role or "manager"
        contact = self._contact(role)
        label = self._t(lang, f"contact_{role}")
        if contact is None and role != "manager":
            self._save(origin, state)
            return [self._say(origin, self._t(lang, "consult_none", role=label))]
        name = contact.name if contact else label
        contact_id = _contact_id(contact, origin)
        elements: list[Element] = [Text(intro)] if intro else []
        if contact is not None and not contact_id:  # no id on this platform: the user asks
            self._save(origin, state)
            address = contact.email or contact.name
            elements.append(
                Text(self._t(lang, "consult_unreachable", contact=name, address=address))
            )
        else:
            state["consult"] = {"role": role, "contact_id": contact_id, "name": name}
            self._save(origin, state)
            elements.append(_consent_question(self._say_in(lang), name))
        if role == "manager":
            elements.append(Buttons((Button(self._t(lang, "btn_own_manager"), "name_manager"),)))
        return [Reply(origin.conversation_id, tuple(elements))]

    def _consult_named(self, origin: Origin, state: dict, manager_id: str) -> list[Outgoing]:
        """The user named their own manager: ask what may be sent to them."""
        lang = self._lang(origin, state)
        state.pop("awaiting", None)
        contact_id = manager_id.lstrip("@")
        state["consult"] = {"role": "manager", "contact_id": contact_id, "name": manager_id}
        self._save(origin, state)
        return [Reply(origin.conversation_id, (_consent_question(self._say_in(lang), manager_id),))]

    def _consent(self, origin: Origin, state: dict, lang: str, value: str) -> list[Outgoing]:
        consult = state.pop("consult", None)
        if consult is None or value == "cancel" or not consult.get("contact_id"):
            self._save(origin, state)
            return [self._say(origin, self._t(lang, "not_sent"))]
        last = state.get("last", {})
        draft = None
        if value == "with_draft":
            draft = self.store.get_draft(
                origin.platform, origin.tenant, origin.user_id, now=self.clock()
            )
        rules = tuple(last.get("rules", ()))
        # the contact reads it in the language they use with the bot, else the requester's
        to = self._lang_of(origin.platform, origin.tenant, consult["contact_id"], lang)
        summary = self._t(
            to,
            "esc_summary",
            requester=f"<@{origin.user_id}>",
            verdict=last.get("verdict", "?"),
            rules=", ".join(map(str, rules)) or "-",
        )
        esc = self.store.create_escalation(
            platform=origin.platform,
            tenant=origin.tenant,
            requester_id=origin.user_id,
            requester_conversation=origin.conversation_id,
            contact_role=consult["role"],
            contact_id=consult["contact_id"],
            rules=rules,
            summary=summary,
            draft=draft,
            now=self.clock(),
        )
        self._save(origin, state)
        self._tally("escalation", "created")
        elements: list[Element] = [Header(self._t(to, "esc_header")), Text(summary)]
        elements.append(
            Text(self._t(to, "esc_draft", draft=draft))
            if draft
            else Context(self._t(to, "esc_no_draft"))
        )
        elements.append(_escalation_buttons(esc, self._say_in(to)))
        return [
            _to_contact(esc, elements=tuple(elements), fallback=summary),
            self._say(origin, self._t(lang, "sent", contact=consult["name"])),
        ]

    def _contact_text(self, origin: Origin, state: dict, text: str) -> list[Outgoing]:
        """The contact typed their answer: keep it with them until they choose a verdict."""
        lang = self._lang(origin, state)
        esc_id = state.pop("awaiting").removeprefix("esc_text:")
        esc = self.store.get_escalation(esc_id)
        if esc is None or esc.status != "open":
            self._save(origin, state)
            return [self._say(origin, self._t(lang, "esc_closed"))]
        state["esc_text"] = {"id": esc_id, "text": text}
        self._save(origin, state)
        return [
            Reply(
                origin.conversation_id,
                (
                    Text(self._t(lang, "esc_text_ready")),
                    Text(f"> {text}"),
                    _escalation_buttons(esc, self._say_in(lang), write=False),
                ),
            )
        ]

    def _contact_answer(self, event: Action, status: str) -> list[Outgoing]:
        origin = event.origin
        state = self._state(origin)
        lang = self._lang(origin, state)
        esc = self.store.get_escalation(event.value)
        if esc is None or not _may_answer(esc, origin):
            return [self._say(origin, self._t(lang, "esc_unknown"))]
        typed = state.get("esc_text", {})
        answer = event.text or (typed.get("text") if typed.get("id") == esc.id else None)
        try:
            esc = self.store.set_escalation_status(
                esc.id, status, actor=origin.user_id, answer=answer or None, now=self.clock()
            )
        except EscalationClosedError:
            return [self._say(origin, self._t(lang, "esc_closed"))]
        if typed:
            state.pop("esc_text", None)
            self._save(origin, state)
        self._tally("escalation", status)
        told = self._lang_of(esc.platform, esc.tenant, esc.requester_id, lang)
        result = self._t(
            told,
            "esc_result",
            contact=f"<@{origin.user_id}>",
            status=self._t(told, f"status_{status}"),
        )
        elements: tuple[Element, ...] = (Text(result),)
        if esc.answer:
            elements += (Text(f"> {esc.answer}"),)
        return [
            Notification(
                esc.platform,  # type: ignore[arg-type]
                user_id=esc.requester_id,
                elements=elements,
                fallback=result,
                tenant=esc.tenant,
            ),
            Reply(origin.conversation_id, (Text(self._t(lang, "esc_answered")),), replace=True),
        ]


# -- rendering helpers ----------------------------------------------------------------------


def _review_elements(
    review: Review, knowledge, say: Phrases, previous: set[int] | None
) -> tuple[Element, ...]:
    lang = say.lang
    elements: list[Element] = [Header(say(review.verdict))]
    for number, groups in group_findings(review.findings):
        rule = knowledge.rules.get(number)
        elements.append(Divider())
        elements.append(
            Text(f"*{say('rule', n=number, title=rule.title.get(lang) if rule else '')}*")
        )
        for group in groups:
            first = group[0]
            words = ", ".join(f"“{f.trigger}”" for f in group)
            tip = say("tip", text=first.suggestion)
            elements.append(Text(f"{say('words', words=words)}\n{first.explanation}\n{tip}"))
            case = knowledge.cases.get(first.case) if first.case else None
            if case:
                elements.append(Context(say("case", title=case.title.get(lang), date=case.date)))
    current = set(review.rules) - {15}
    if previous is not None:
        fixed, remaining = sorted(previous - current), sorted(previous & current)
        notes = []
        if fixed:
            notes.append(say("fixed", rules=", ".join(map(str, fixed))))
        if remaining:
            notes.append(say("remaining", rules=", ".join(map(str, remaining))))
        if notes:
            elements.append(Context(" — ".join(notes)))
    buttons = [Button(say("btn_rule", n=n), "show_rule", str(n)) for n in sorted(current)[:2]]
    if review.verdict != "go":
        buttons.append(Button(say("btn_doubt"), "walk_start", style="primary"))
        buttons.append(Button(say("btn_tips"), "rewrite_tips"))
    buttons.append(Button(say("btn_done"), "done"))
    elements.append(Buttons(tuple(buttons)))
    return tuple(elements)


def _consent_question(say: Phrases, contact: str) -> Choice:
    return Choice(
        say("consult_who", contact=contact),
        "consent",
        (
            Option(say("opt_summary"), "summary"),
            Option(say("opt_draft"), "with_draft"),
            Option(say("opt_cancel"), "cancel"),
        ),
    )


def _escalation_buttons(esc: Escalation, say: Phrases, *, write: bool = True) -> Buttons:
    buttons = (
        Button(say("esc_approve"), "esc_approved", esc.id, "primary"),
        Button(say("esc_decline"), "esc_declined", esc.id, "danger"),
        Button(say("esc_discuss"), "esc_discuss", esc.id),
    )
    if write:
        buttons += (Button(say("esc_write"), "esc_write", esc.id),)
    return Buttons(buttons)


_CHANNEL = "#"  # a contact id starting with this names a channel, not a person


def _contact_id(contact, origin: Origin) -> str:
    """Where this contact is reached on the asker's platform: a person first, else the
    team's channel; in the console the e-mail address stands in. '' when unreachable."""
    if contact is None:
        return ""
    person = {"slack": contact.slack_user, "teams": contact.teams_user}.get(origin.platform)
    if person:
        return person
    channel = {"slack": contact.slack_channel, "teams": contact.teams_channel}.get(origin.platform)
    if channel:
        return _CHANNEL + channel
    if origin.platform in ("slack", "teams"):
        return ""  # an e-mail address is no Slack or Teams id
    return contact.email or contact.name


def _to_contact(esc, *, elements: tuple[Element, ...], fallback: str) -> Notification:
    if esc.contact_id.startswith(_CHANNEL):
        target = {"channel_id": esc.contact_id.removeprefix(_CHANNEL)}
    else:
        target = {"user_id": esc.contact_id}
    return Notification(
        esc.platform,
        elements=elements,
        fallback=fallback,
        tenant=esc.tenant,
        escalation_id=esc.id,
        **target,
    )


def _may_answer(esc, origin: Origin) -> bool:
    """The contact person, or anyone answering in the contact team's channel."""
    if esc.platform != origin.platform or esc.tenant != origin.tenant:
        return False
    if esc.contact_id.startswith(_CHANNEL):
        return origin.conversation_id == esc.contact_id.removeprefix(_CHANNEL)
    return esc.contact_id == origin.user_id


def _stats(rows: list[tuple[str, str, str, int]], say: Phrases) -> tuple[Element, ...]:
    if not rows:
        return (Text(say("stats_empty")),)
    by_week: dict[str, list[str]] = {}
    for week, metric, key, value in rows:
        by_week.setdefault(week, []).append(f"{metric}{':' + key if key else ''} {value}")
    return (Header(say("stats_header")),) + tuple(
        Text(f"*{week}*: " + ", ".join(items)) for week, items in by_week.items()
    )


def _open_escalations(escalations: list[Escalation], say: Phrases) -> tuple[Element, ...]:
    if not escalations:
        return (Text(say("open_empty")),)
    lines = [
        f"- `{e.id[:8]}` {e.created_at:%Y-%m-%d %H:%M} — {e.contact_role} — {e.status} — "
        + say("open_rules", rules=", ".join(map(str, e.rules)) or "-")
        for e in escalations
    ]
    return (Header(say("open_header")), Text("\n".join(lines)))
