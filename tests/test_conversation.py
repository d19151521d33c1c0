"""Whole dialogues through the core, as an in-memory adapter would run them (errbot-style)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from bot.conversation import Bot
from bot.messages import (
    Action,
    Buttons,
    Choice,
    Command,
    DirectMessage,
    HomeOpened,
    Notification,
    Origin,
    Reply,
)
from bot.source import KnowledgeSource


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Chat:
    """Users talk to the bot; every outgoing message is kept per recipient."""

    def __init__(self, bot: Bot, platform: str = "test") -> None:
        self.bot = bot
        self.platform = platform
        self.inbox: dict[str, list] = {}
        self._ids = count(1)

    def origin(self, user: str, *, event_id: str | None = None, locale: str = "nl") -> Origin:
        return Origin(
            self.platform, user, f"dm-{user}", locale, "acme", event_id or f"e{next(self._ids)}"
        )

    def deliver(self, user: str, out: list) -> list:
        for message in out:
            target = message.user_id if isinstance(message, Notification) else user
            self.inbox.setdefault(target, []).append(message)
        return out

    def say(self, user: str, text: str, **kw) -> list:
        return self.deliver(user, self.bot.handle(DirectMessage(self.origin(user, **kw), text)))

    def command(self, user: str, *args: str) -> list:
        return self.deliver(user, self.bot.handle(Command(self.origin(user), "protocol", args)))

    def press(self, user: str, label: str, *, text: str = "") -> list:
        """Press the button or choose the option with this label in the user's last message."""
        for message in reversed(self.inbox.get(user, [])):
            for element in message.elements:
                if isinstance(element, Buttons):
                    for b in element.buttons:
                        if b.label == label:
                            return self.deliver(
                                user,
                                self.bot.handle(
                                    Action(self.origin(user), b.action_id, b.value, text)
                                ),
                            )
                if isinstance(element, Choice):
                    for o in element.options:
                        if o.label == label:
                            return self.deliver(
                                user,
                                self.bot.handle(
                                    Action(self.origin(user), element.action_id, o.value)
                                ),
                            )
        raise AssertionError(f"{user} has no option {label!r}")

    def last_text(self, user: str) -> str:
        return "\n".join(
            getattr(e, "text", getattr(e, "question", "")) for e in self.inbox[user][-1].elements
        )


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def chat(store, clock) -> Chat:
    return Chat(Bot(KnowledgeSource(), store, clock=clock))


def test_a_draft_gets_a_traffic_light_rules_words_and_buttons(chat):
    [reply] = chat.say("ann", "Mag ik dit posten: mijn baas is een klootzak")
    assert isinstance(reply, Reply)
    text = chat.last_text("ann")
    assert "STOP" in text and "klootzak" in text and "Regel 8" in text
    labels = [b.label for e in reply.elements if isinstance(e, Buttons) for b in e.buttons]
    assert "Ik twijfel nog" in labels and "Klaar" in labels


def test_a_revision_is_compared_with_the_last_draft(chat):
    chat.say(
        "ann", "Off the record: Masterplan Havenkwartier gaat door. Mijn baas is een klootzak."
    )
    chat.say("ann", "Mijn baas is een klootzak.")
    text = chat.last_text("ann")
    assert "Opgelost: 1, 6" in text and "Blijft: 8" in text


def test_english_drafts_get_english_answers(chat):
    chat.say("bob", "Can I post this: my manager is an idiot", locale="en-GB")
    assert "STOP" in chat.last_text("bob") and "Rule 8" in chat.last_text("bob")


def test_a_retried_event_is_answered_once(chat):
    assert chat.say("ann", "Mijn baas is een klootzak", event_id="same")
    assert chat.say("ann", "Mijn baas is een klootzak", event_id="same") == []


def test_rule_and_tips_buttons(chat):
    chat.say("ann", "Mijn baas is een klootzak")
    chat.press("ann", "Regel 8 bekijken")
    assert "8" in chat.last_text("ann")
    chat.say("ann", "Mijn baas is een klootzak")
    chat.press("ann", "Tips om te herschrijven")
    assert "Regel 8" in chat.last_text("ann")


def test_protocol_commands_answer_only_the_asker(chat):
    [reply] = chat.command("ann", "8")
    assert reply.ephemeral
    assert "Respect" in chat.last_text("ann")


def test_admin_tools_are_refused_to_others(chat):
    chat.command("ann", "stats")
    assert "beheerder" in chat.last_text("ann")


def test_home_tab_explains_the_bot_lists_the_rules_and_shows_admins_the_figures(chat):
    chat.say("bob", "Mijn baas is een klootzak")  # something to count
    [home] = chat.bot.handle(HomeOpened(chat.origin("ann")))
    text = "\n".join(getattr(e, "text", "") for e in home.elements)
    assert "Stuur me een concept" in text and "*De 15 regels*" in text and "*15*" in text
    assert not home.ephemeral and "review" not in text  # no figures for employees
    [admin] = chat.bot.handle(HomeOpened(chat.origin("integrity-admin")))
    figures = "\n".join(getattr(e, "text", "") for e in admin.elements)
    assert "review" in figures and "klootzak" not in figures and "bob" not in figures


# -- the rule-15 doubt walk and escalation with consent ------------------------------------------


def choices(chat: Chat, user: str) -> list[str]:
    labels = []
    for element in chat.inbox[user][-1].elements:
        if isinstance(element, Choice):
            labels += [o.label for o in element.options]
    return labels


def walk_to_consult(chat: Chat, user: str = "ann") -> None:
    """A stop draft, then the walk until it asks what may be sent to a contact."""
    chat.say(
        user,
        "Off the record: het Masterplan Havenkwartier gaat volgend jaar door, zeg het niet door!",
    )
    chat.press(user, "Ik twijfel nog")
    for _ in range(10):
        labels = choices(chat, user)
        if "Alleen een samenvatting (zonder je tekst)" in labels:
            return
        assert labels, chat.last_text(user)
        preferred = [x for x in labels if x.lower().startswith(("ja", "weet"))]
        chat.press(user, (preferred or labels)[0])
    raise AssertionError("the walk never offered to consult anyone")


CAUTION_DRAFT = (
    "Jammer dat de gemeente de wachttijden bij de balie niet aanpakt. Hoop dat we dit oplossen."
)


def test_a_prefilled_answer_leads_straight_to_its_outcome(chat):
    walk_to_consult(chat)  # 'is it confidential?' was answered by the review (rule 6)
    assert "Petra van Leeuwen" in chat.last_text("ann")


def test_the_walk_can_go_back_and_be_cancelled(chat):
    chat.say("ann", CAUTION_DRAFT)
    chat.press("ann", "Ik twijfel nog")
    first = chat.last_text("ann")
    onward = [x for x in choices(chat, "ann") if x.lower().startswith("ja")]
    chat.press("ann", onward[0])
    assert chat.last_text("ann") != first
    chat.press("ann", "Terug")
    assert chat.last_text("ann") == first
    chat.press("ann", "Stoppen")
    assert "Gestopt" in chat.last_text("ann")


def test_without_consent_nothing_leaves_the_chat(chat):
    walk_to_consult(chat)
    out = chat.press("ann", "Niets, ik regel het zelf")
    assert not any(isinstance(m, Notification) for m in out)
    assert chat.bot.store.open_escalations() == []


def test_consented_summary_goes_to_the_contact_without_the_draft(chat):
    walk_to_consult(chat)
    out = chat.press("ann", "Alleen een samenvatting (zonder je tekst)")
    [note] = [m for m in out if isinstance(m, Notification)]
    sent = "\n".join(getattr(e, "text", "") for e in note.elements)
    assert "Havenkwartier" not in sent
    [esc] = chat.bot.store.open_escalations()
    assert esc.draft is None and esc.requester_id == "ann"


def test_the_contact_answers_and_the_requester_hears_it(chat):
    walk_to_consult(chat)
    [note] = [
        m for m in chat.press("ann", "De samenvatting én mijn tekst") if isinstance(m, Notification)
    ]
    contact = note.user_id
    assert "Havenkwartier" in "\n".join(getattr(e, "text", "") for e in note.elements)
    out = chat.press(contact, "Liever niet plaatsen", text="Wacht tot de aankondiging.")
    [back] = [m for m in out if isinstance(m, Notification)]
    assert back.user_id == "ann"
    told = "\n".join(getattr(e, "text", "") for e in back.elements)
    assert "liever niet plaatsen" in told and "Wacht tot de aankondiging." in told
    assert chat.bot.store.open_escalations() == []
    chat.press(contact, "Akkoord: plaatsen mag")  # a second answer changes nothing
    assert "al beantwoord" in chat.last_text(contact)


def test_unanswered_escalations_get_a_reminder(chat, clock):
    walk_to_consult(chat)
    chat.press("ann", "Alleen een samenvatting (zonder je tekst)")
    assert chat.bot.tick() == []
    clock.now += timedelta(hours=25)
    [reminder] = chat.bot.tick()
    assert isinstance(reminder, Notification)
    assert chat.bot.tick() == []


def test_a_walk_survives_a_restart(store, clock):
    first = Chat(Bot(KnowledgeSource(), store, clock=clock))
    first.say("ann", CAUTION_DRAFT)
    first.press("ann", "Ik twijfel nog")
    question = first.last_text("ann")
    label = [x for x in choices(first, "ann") if x.lower().startswith("ja")][0]
    restarted = Chat(Bot(KnowledgeSource(), store, clock=clock))  # a new process, same store
    restarted.inbox, restarted._ids = first.inbox, first._ids  # the same users go on
    restarted.press("ann", label)
    assert restarted.last_text("ann") != question


# -- integrity staff -------------------------------------------------------------------------------


def test_admins_reload_and_a_broken_file_keeps_the_last_good_knowledge(store, clock, tmp_path):
    import shutil

    from bot.knowledge.loader import default_knowledge_dir

    directory = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), directory)
    chat = Chat(Bot(KnowledgeSource(directory), store, clock=clock))
    chat.command("integrity-admin", "reload")
    assert "opnieuw geladen" in chat.last_text("integrity-admin")
    cases = directory / "cases.yaml"
    cases.write_text(cases.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
    chat.command("integrity-admin", "reload")
    assert "cases.yaml:" in chat.last_text("integrity-admin")
    chat.say("ann", "Mijn baas is een klootzak")
    assert "STOP" in chat.last_text("ann")  # still serving the last good knowledge


def test_admins_see_anonymous_figures_and_open_escalations(chat):
    chat.say("ann", "Mijn baas is een klootzak")
    chat.command("integrity-admin", "stats")
    figures = chat.last_text("integrity-admin")
    assert "review" in figures and "ann" not in figures and "klootzak" not in figures
    walk_to_consult(chat, "bob")
    chat.press("bob", "Alleen een samenvatting (zonder je tekst)")
    chat.command("integrity-admin", "escalaties")
    assert "open" in chat.last_text("integrity-admin")


def test_a_shared_answer_is_visible_to_the_channel(chat):
    chat.command("ann", "8")
    [shared] = chat.press("ann", "Deel in het kanaal")
    assert not shared.ephemeral


def test_buttons_answer_in_the_language_of_the_draft(chat):
    chat.say("bob", "My manager is an idiot")
    chat.press("bob", "Rewrite tips")
    assert "Rule 8" in chat.last_text("bob")


def test_integrity_staff_change_the_bots_phrasing_in_texts_yaml(store, clock, tmp_path):
    import shutil

    from bot.knowledge.loader import default_knowledge_dir

    directory = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), directory)
    chat = Chat(Bot(KnowledgeSource(directory), store, clock=clock))
    chat.say("ann", "Mijn baas is een klootzak")
    assert "🔴 STOP: plaats dit niet zo" in chat.last_text("ann")
    texts = directory / "texts.yaml"
    text = texts.read_text(encoding="utf-8")
    for old, new in (
        ('"🔴 STOP: plaats dit niet zo;', '"🔴 STOP: even wachten met plaatsen;'),
        ('"Deel in het kanaal"', '"Laat het je team zien"'),
        (
            '"Kennis opnieuw geladen (versie {version})."',
            '"Nieuwe teksten staan klaar ({version})."',
        ),
    ):
        assert text.count(old) == 1
        text = text.replace(old, new)
    texts.write_text(text, encoding="utf-8")
    chat.say("ann", "Mijn baas is een klootzak")
    assert "plaats dit niet zo" in chat.last_text("ann")  # not before a reload
    chat.command("integrity-admin", "reload")
    assert "Nieuwe teksten staan klaar" in chat.last_text("integrity-admin")
    chat.say("ann", "Mijn baas is een klootzak")
    assert "🔴 STOP: even wachten met plaatsen" in chat.last_text("ann")
    chat.command("ann", "8")
    [shared] = chat.press("ann", "Laat het je team zien")
    assert not shared.ephemeral
    # a phrase that loses its placeholder is refused; the last good texts stay in use
    texts.write_text(text.replace("({version})", "(versie)"), encoding="utf-8")
    chat.command("integrity-admin", "reload")
    assert "does not hold the placeholder {version}" in chat.last_text("integrity-admin")
    chat.say("ann", "Mijn baas is een klootzak")
    assert "🔴 STOP: even wachten met plaatsen" in chat.last_text("ann")


def _knowledge_with_profile(tmp_path, old: str, new: str):
    import shutil

    from bot.knowledge.loader import default_knowledge_dir

    directory = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), directory)
    profile = directory / "organisation.yaml"
    text = profile.read_text(encoding="utf-8")
    assert text.count(old) == 1
    profile.write_text(text.replace(old, new), encoding="utf-8")
    return KnowledgeSource(directory)


def test_a_team_contact_is_reached_in_its_channel_and_answered_from_there(store, clock, tmp_path):
    source = _knowledge_with_profile(
        tmp_path,
        "    email: p.vanleeuwen@hofstede.example.org\n",
        "    email: p.vanleeuwen@hofstede.example.org\n    slack_channel: C0LEADS\n",
    )
    chat = Chat(Bot(source, store, clock=clock), platform="slack")
    walk_to_consult(chat)
    [note] = [
        m
        for m in chat.press("ann", "Alleen een samenvatting (zonder je tekst)")
        if isinstance(m, Notification)
    ]
    assert note.channel_id == "C0LEADS" and note.user_id == ""
    [esc] = store.open_escalations()
    answer = next(
        b for e in note.elements if isinstance(e, Buttons) for b in e.buttons
    )  # the first answer button: approve
    from_a_dm = Action(chat.origin("mallory"), answer.action_id, answer.value)
    refused = chat.bot.handle(from_a_dm)
    assert not any(isinstance(m, Notification) for m in refused)
    assert [e.id for e in store.open_escalations()] == [esc.id]  # not from outside the channel
    in_channel = Origin("slack", "uma", "C0LEADS", "nl", "acme", "e-channel")
    out = chat.bot.handle(Action(in_channel, answer.action_id, answer.value))
    [back] = [m for m in out if isinstance(m, Notification)]
    assert back.user_id == "ann" and store.open_escalations() == []
    assert [a.actor for a in store.audit_trail(esc.id)][-1] == "uma"


def test_retention_and_reminders_follow_the_profile_settings(store, clock, tmp_path):
    source = _knowledge_with_profile(
        tmp_path,
        "  draft_hours: 24\n  escalated_draft_days: 30\n  reminder_hours: 24\n",
        "  draft_hours: 1\n  escalated_draft_days: 30\n  reminder_hours: 2\n",
    )
    chat = Chat(Bot(source, store, clock=clock))
    walk_to_consult(chat)
    clock.now += timedelta(minutes=90)  # the draft has expired: consent can no longer send it
    [note] = [
        m for m in chat.press("ann", "De samenvatting én mijn tekst") if isinstance(m, Notification)
    ]
    assert "Havenkwartier" not in "\n".join(getattr(e, "text", "") for e in note.elements)
    assert store.get_draft("test", "acme", "ann", now=clock.now) is None
    clock.now += timedelta(hours=1)
    assert chat.bot.tick() == []
    clock.now += timedelta(hours=1, minutes=1)
    [reminder] = chat.bot.tick()
    assert reminder.user_id == note.user_id


def test_the_contact_can_answer_in_their_own_words(chat):
    walk_to_consult(chat)
    [note] = [
        m
        for m in chat.press("ann", "Alleen een samenvatting (zonder je tekst)")
        if isinstance(m, Notification)
    ]
    contact = note.user_id
    chat.press(contact, "Antwoord met eigen woorden")
    assert "Typ je antwoord" in chat.last_text(contact)
    chat.say(contact, "Wacht op het persbericht van vrijdag, dan mag het.")
    assert "Wacht op het persbericht" in chat.last_text(contact)  # shown back, not reviewed
    assert "GO" not in chat.last_text(contact) and "STOP" not in chat.last_text(contact)
    out = chat.press(contact, "Liever niet plaatsen")
    [back] = [m for m in out if isinstance(m, Notification)]
    told = "\n".join(getattr(e, "text", "") for e in back.elements)
    assert back.user_id == "ann" and "Wacht op het persbericht van vrijdag" in told
    chat.say(contact, "Mijn baas is een klootzak")  # afterwards their messages are drafts again
    assert "STOP" in chat.last_text(contact)


def test_leaving_the_walk_half_way_and_coming_back_resumes_it(chat):
    chat.say("ann", CAUTION_DRAFT)
    chat.press("ann", "Ik twijfel nog")
    onward = [x for x in choices(chat, "ann") if x.lower().startswith("ja")]
    chat.press("ann", onward[0])
    second = chat.inbox["ann"][-1].elements
    chat.command("ann", "8")  # the user wanders off
    chat.command("ann", "twijfel")  # and comes back
    text = chat.last_text("ann")
    assert "verder waar je gebleven was" in text
    assert chat.inbox["ann"][-1].elements[1:] == second  # the same question as before


def test_each_side_of_an_escalation_reads_their_own_language(chat):
    chat.say("petra", "Mijn baas is een klootzak")  # the contact uses the bot in Dutch
    chat.say("bob", "Can I post this: off the record, Masterplan Havenkwartier goes ahead!")
    chat.press("bob", "I'm still in doubt")
    for _ in range(10):
        labels = choices(chat, "bob")
        if "Only a summary (without your text)" in labels:
            break
        chat.press("bob", [x for x in labels if x.lower().startswith(("yes", "not"))][0])
    chat.press("bob", "Name my own manager")
    chat.say("bob", "petra")
    [note] = [
        m
        for m in chat.press("bob", "Only a summary (without your text)")
        if isinstance(m, Notification)
    ]
    assert note.user_id == "petra"
    assert "Adviesvraag" in "\n".join(getattr(e, "text", "") for e in note.elements)
    [back] = [m for m in chat.press("petra", "Liever niet plaatsen") if isinstance(m, Notification)]
    assert "Answer from <@petra>: better not post" in back.elements[0].text


def test_a_button_of_an_earlier_question_shows_the_current_one(chat):
    chat.say("ann", CAUTION_DRAFT)
    chat.press("ann", "Ik twijfel nog")
    first = chat.inbox["ann"][-1]
    [earlier] = [e for e in first.elements if isinstance(e, Choice)]
    onward = [x for x in choices(chat, "ann") if x.lower().startswith("ja")]
    chat.press("ann", onward[0])
    current = chat.inbox["ann"][-1].elements
    stale = [o for o in earlier.options if o.label == onward[0]][0]
    before = chat.bot.store.get_conversation("test", "acme", "ann")["walk"]
    out = chat.bot.handle(Action(chat.origin("ann"), earlier.action_id, stale.value))
    assert "al voorbij" in out[0].elements[0].text
    assert out[0].elements[1:] == current  # the question the user is at
    assert chat.bot.store.get_conversation("test", "acme", "ann")["walk"] == before  # unanswered


def test_a_mention_in_a_channel_invites_to_a_dm_and_reviews_nothing(chat):
    from bot.messages import Mention

    origin = Origin("test", "ann", "C0GENERAL", "nl", "acme", "e-mention")
    [reply] = chat.bot.handle(Mention(origin))
    assert reply.conversation_id == "C0GENERAL" and "privébericht" in reply.elements[0].text
    assert chat.bot.store.get_conversation("test", "acme", "ann") is None  # nothing kept


def test_a_contact_without_an_id_on_this_platform_is_named_not_messaged(store, clock):
    chat = Chat(Bot(KnowledgeSource(), store, clock=clock), platform="slack")
    chat.say("ann", "Off the record: het Masterplan Havenkwartier gaat door, zeg het niet door!")
    chat.press("ann", "Ik twijfel nog")
    for _ in range(10):
        if "niet rechtstreeks" in chat.last_text("ann"):
            break
        labels = choices(chat, "ann")
        chat.press(
            "ann", ([x for x in labels if x.lower().startswith(("ja", "weet"))] or labels)[0]
        )
    text = chat.last_text("ann")
    assert "Petra van Leeuwen" in text and "p.vanleeuwen@hofstede.example.org" in text
    assert not choices(chat, "ann")  # no consent question: nothing can be sent
    chat.press("ann", "Mijn eigen leidinggevende noemen")  # but they can name their own
    chat.say("ann", "U0PETRA")
    assert "Alleen een samenvatting (zonder je tekst)" in choices(chat, "ann")


def test_an_undeliverable_question_is_closed_and_the_requester_told(chat):
    walk_to_consult(chat)
    [note] = [
        m
        for m in chat.press("ann", "Alleen een samenvatting (zonder je tekst)")
        if isinstance(m, Notification)
    ]
    assert note.escalation_id and note.tenant == "acme"
    [told] = chat.bot.undelivered(note)
    assert isinstance(told, Notification) and told.user_id == "ann" and told.tenant == "acme"
    text = "\n".join(getattr(e, "text", "") for e in told.elements)
    assert "Petra van Leeuwen" in text and "niet bereikt" in text
    assert chat.bot.store.open_escalations() == []
    [esc_id] = {note.escalation_id}
    actions = [entry.action for entry in chat.bot.store.audit_trail(esc_id)]
    assert actions[-1] == "cancelled" and "protocolbot" in {
        entry.actor for entry in chat.bot.store.audit_trail(esc_id)
    }
    assert chat.bot.undelivered(note) == []  # told once, however often delivery fails
    assert chat.bot.undelivered(told) == []  # a message to a requester has no escalation


def test_each_platform_sends_its_own_reminders(chat, clock):
    walk_to_consult(chat)
    chat.press("ann", "Alleen een samenvatting (zonder je tekst)")
    clock.now += timedelta(hours=25)
    assert chat.bot.tick(("slack", "teams")) == []  # this escalation is on the 'test' platform
    [reminder] = chat.bot.tick(("test",))
    assert isinstance(reminder, Notification) and reminder.escalation_id


class _Outage:
    """A store whose database is gone while `down` is set: every call raises StoreUnavailable,
    as the real store does when PostgreSQL can't be reached."""

    def __init__(self, store) -> None:
        self._store = store
        self.down = False

    def __getattr__(self, name):
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            from bot.store import StoreUnavailable

            if self.down:
                raise StoreUnavailable("PostgreSQL unreachable")
            return attr(*args, **kwargs)

        return call

    def __setattr__(self, name, value):
        if name in ("_store", "down"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._store, name, value)


def test_without_the_store_drafts_are_still_reviewed_and_the_rest_waits(store, clock):
    outage = _Outage(store)
    chat = Chat(Bot(KnowledgeSource(), outage, clock=clock))
    tallies = []
    chat.bot.on_tally = lambda metric, key: tallies.append((metric, key))
    outage.down = True
    [review] = chat.say("ann", "Mag ik dit posten: mijn baas is een klootzak")
    text = chat.last_text("ann")
    assert "STOP" in text and "klootzak" in text and "even niet bereikbaar" in text
    assert not any(isinstance(e, Buttons) for e in review.elements)  # no step that needs memory
    assert ("review", "stop") in tallies
    chat.command("ann", "8")
    assert "Regel 8" in chat.last_text("ann")  # the protocol's pages need no store
    chat.bot.handle(Action(chat.origin("ann"), "walk_start", ""))
    [answer] = chat.bot.handle(Action(chat.origin("ann"), "walk_start", ""))
    assert "even niet bereikbaar" in answer.elements[0].text
    outage.down = False  # the database is back: everything works again, nothing to restart
    chat.say("ann", "Mag ik dit posten: mijn baas is een klootzak")
    chat.press("ann", "Ik twijfel nog")
    assert choices(chat, "ann")


def test_a_reload_on_one_replica_reaches_the_others(store, clock, tmp_path):
    source_a = _knowledge_with_profile(
        tmp_path, "admins: [integrity-admin]", "admins: [integrity-admin]"
    )
    directory = tmp_path / "knowledge"
    replica_a = Chat(Bot(source_a, store, clock=clock))
    replica_b = Bot(KnowledgeSource(directory), store, clock=clock)
    assert replica_b.sync_knowledge() is False  # first look: nothing asked yet
    old = replica_b.source.current.knowledge.version
    profile = directory / "organisation.yaml"
    profile.write_text(
        profile.read_text(encoding="utf-8").replace("Gemeente Hofstede", "Gemeente Nieuwstede"),
        encoding="utf-8",
    )
    replica_a.command("integrity-admin", "reload")
    assert "opnieuw geladen" in replica_a.last_text("integrity-admin")
    assert replica_b.sync_knowledge() is True
    assert replica_b.source.current.knowledge.version != old
    assert replica_b.source.current.knowledge.organisation.name == "Gemeente Nieuwstede"
    assert replica_b.sync_knowledge() is False  # once
