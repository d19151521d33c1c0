"""Teams conversions: Activity JSON to core events, and every card the bot can send checked
against adaptivecards.io's official Adaptive Card 1.5 schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib.resources import files

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.teams import convert
from bot.conversation import Bot
from bot.messages import (
    Action,
    Button,
    Buttons,
    Choice,
    Command,
    Context,
    DirectMessage,
    Divider,
    Fields,
    Header,
    HomeOpened,
    Mention,
    Notification,
    Option,
    Origin,
    Reply,
    Text,
)
from bot.source import KnowledgeSource
from bot.store import open_store

SCHEMA = json.loads(
    files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text(encoding="utf-8")
)
VALIDATOR = jsonschema.Draft6Validator(SCHEMA)


def assert_valid_card(card: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(card), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    assert card["version"] == "1.5"
    assert len(json.dumps(card).encode()) < 28_000  # Teams' limit for a message


def personal(text: str = "", **extra) -> dict:
    """A message in the personal chat, as Teams sends it."""
    return {
        "type": "message",
        "id": "1700000000001",
        "timestamp": "2026-11-22T09:00:00.000Z",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "channelId": "msteams",
        "from": {"id": "29:1ann", "name": "Ann Jansen", "aadObjectId": "aad-ann"},
        "conversation": {"conversationType": "personal", "tenantId": "tid-1", "id": "a:1ann"},
        "recipient": {"id": "28:bot-app-id", "name": "protocolbot"},
        "textFormat": "plain",
        "locale": "nl-NL",
        "text": text,
        "channelData": {"tenant": {"id": "tid-1"}},
        **extra,
    }


def channel_message(text: str) -> dict:
    activity = personal(text)
    activity["conversation"] = {
        "conversationType": "channel",
        "tenantId": "tid-1",
        "id": "19:team-general@thread.tacv2;messageid=1700000000001",
        "isGroup": True,
    }
    activity["entities"] = [
        {
            "type": "mention",
            "text": "<at>protocolbot</at>",
            "mentioned": {"id": "28:bot-app-id", "name": "protocolbot"},
        }
    ]
    return activity


# -- Teams -> core --------------------------------------------------------------------------------


def test_a_personal_message_is_a_draft_from_the_entra_user():
    event = convert.activity_to_core(personal("Mag ik dit posten: onze wethouder is top"))
    assert isinstance(event, DirectMessage)
    assert event.text == "Mag ik dit posten: onze wethouder is top"
    assert event.origin == Origin("teams", "aad-ann", "a:1ann", "nl-NL", "tid-1", "1700000000001")


def test_formatted_messages_lose_their_html_and_the_bots_mention():
    html = "<p>Mag ik dit <strong>posten</strong>?</p><p>Wij &amp; zij&nbsp;samen</p>"
    event = convert.activity_to_core(personal(html, textFormat="xml"))
    assert isinstance(event, DirectMessage)
    assert event.text == "Mag ik dit posten?\nWij & zij samen"
    event = convert.activity_to_core(personal("<at>protocolbot</at> protocol 8"))
    assert event == Command(event.origin, "protocol", ("8",))


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("protocol", ()),
        ("protocol 8", ("8",)),
        ("Protocol zoek privacy", ("zoek", "privacy")),
        ("/protocol casus", ("casus",)),
        ("help", ("help",)),
        ("Hulp", ("help",)),
    ],
)
def test_the_command_list_arrives_as_plain_text(text, args):
    event = convert.activity_to_core(personal(text))
    assert isinstance(event, Command) and event.name == "protocol" and event.args == args


def test_a_draft_that_merely_mentions_the_protocol_is_still_a_draft():
    draft = "Het protocolbot-project is af!"
    assert isinstance(convert.activity_to_core(personal(draft)), DirectMessage)
    multi = "protocol is saai\nmaar dit moet je lezen"
    assert isinstance(convert.activity_to_core(personal(multi)), DirectMessage)


def test_a_channel_message_is_only_ever_a_mention():
    event = convert.activity_to_core(channel_message("<at>protocolbot</at> mijn baas is gek"))
    assert isinstance(event, Mention)
    assert event.origin.conversation_id == "19:team-general@thread.tacv2"  # the thread's channel


def test_card_clicks_arrive_as_actions_both_ways():
    data = {"action": "rule", "value": "8"}
    submit = convert.activity_to_core(personal("", value=data, replyToId="1700000000000"))
    assert submit == Action(submit.origin, "rule", "8", "")
    invoke = personal(
        "",
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "rule", "data": data}},
    )
    executed = convert.activity_to_core(invoke)
    assert executed == Action(executed.origin, "rule", "8", "")
    for bad in ({}, {"action": ""}, {"action": 3}, "rule", None):
        assert convert.activity_to_core(personal("", value=bad if bad is not None else {})) is None


def test_installing_the_app_in_the_personal_chat_is_a_welcome():
    update = personal(type="conversationUpdate", membersAdded=[{"id": "28:bot-app-id"}])
    update.pop("text")
    assert isinstance(convert.activity_to_core(update), HomeOpened)
    someone_else = {**update, "membersAdded": [{"id": "29:other"}]}
    assert convert.activity_to_core(someone_else) is None
    in_team = {**update, "conversation": channel_message("")["conversation"]}
    assert convert.activity_to_core(in_team) is None


def test_other_activities_are_ignored():
    for activity in (
        personal(type="typing"),
        personal(type="messageReaction"),
        personal(type="invoke", name="signin/verifyState", value={}),
        personal("   "),
        {"type": "message", "text": "no sender"},
    ):
        assert convert.activity_to_core(activity) is None


def test_the_message_action_hands_over_the_messages_text():
    invoke = personal(
        type="invoke",
        name="composeExtension/submitAction",
        value={
            "commandId": "protocol_check",
            "commandContext": "message",
            "messagePayload": {
                "body": {"contentType": "html", "content": "<p>Kijk <b>dit</b></p>"}
            },
        },
    )
    assert convert.message_action_text(invoke) == "Kijk dit"
    assert convert.message_action_text(personal("hoi")) is None


# -- core -> Teams --------------------------------------------------------------------------------


def test_markup_becomes_teams_markdown():
    text = "*Regel 8* geldt: <https://example.org|lees meer>. Vraag het <@aad-ann>; typ /protocol 8"
    assert convert.to_markdown(text, {"aad-ann": "Ann Jansen"}) == (
        "**Regel 8** geldt: [lees meer](https://example.org). Vraag het Ann Jansen; typ protocol 8"
    )
    assert convert.to_markdown("<@unknown>") == convert.SOMEONE
    assert convert.to_markdown("k*t en 2 * 3") == "k*t en 2 * 3"  # a lone star stays a star


def test_buttons_are_execute_actions_with_a_submit_fallback():
    card = convert.to_card(
        [Buttons((Button("Akkoord", "esc_approve", "e1", "primary"), Button("Nee", "no")))]
    )
    assert_valid_card(card)
    [action_set] = card["body"]
    first = action_set["actions"][0]
    assert first["type"] == "Action.Execute" and first["verb"] == "esc_approve"
    assert first["data"] == {"action": "esc_approve", "value": "e1"}
    assert first["style"] == "positive"
    assert (
        first["fallback"]["type"] == "Action.Submit" and first["fallback"]["data"] == first["data"]
    )


def test_quotes_become_an_emphasised_container_and_dividers_a_separator():
    card = convert.to_card(
        [Text("Je schreef:\n> mijn baas is gek\nDat raakt regel 2."), Divider(), Context("klein")]
    )
    assert_valid_card(card)
    kinds = [block["type"] for block in card["body"]]
    assert kinds == ["TextBlock", "Container", "TextBlock", "TextBlock"]
    assert card["body"][1]["style"] == "emphasis"
    assert card["body"][1]["items"][0]["text"] == "mijn baas is gek"
    assert card["body"][3]["separator"] is True


def test_only_text_goes_as_markdown_text_else_as_a_card_with_a_summary():
    plain = convert.to_activity(Reply("a:1", (Text("Stuur me je *concept*."),)))
    assert plain == {
        "type": "message",
        "textFormat": "markdown",
        "text": "Stuur me je **concept**.",
    }
    rich = convert.to_activity(Reply("a:1", (Header("Regel 8"), Text("Tekst")), fallback="R8"))
    assert rich["summary"] == "R8"
    [attachment] = rich["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert_valid_card(attachment["content"])


def test_long_texts_and_many_buttons_stay_within_teams_limits():
    many = Buttons(tuple(Button(f"Regel {n}", "rule", str(n)) for n in range(1, 16)))
    card = convert.to_card([Text("x" * 20_000), many])
    assert_valid_card(card)
    assert len(card["body"][0]["text"]) <= convert.MAX_TEXT
    assert all(len(s["actions"]) <= convert.MAX_ACTIONS_PER_SET for s in card["body"][1:])


_label = st.text(min_size=1, max_size=90).filter(str.strip)
_elements = st.one_of(
    st.builds(Header, _label),
    st.builds(Text, st.text(max_size=300)),
    st.builds(Context, _label),
    st.builds(Divider),
    st.builds(Fields, st.lists(st.tuples(_label, _label), max_size=4).map(tuple)),
    st.builds(
        Buttons,
        st.lists(
            st.builds(
                Button,
                _label,
                st.text(min_size=1, max_size=20),
                st.text(max_size=40),
                st.sampled_from(["default", "primary", "danger"]),
            ),
            min_size=1,
            max_size=12,
        ).map(tuple),
    ),
    st.builds(
        Choice,
        _label,
        st.text(min_size=1, max_size=20),
        st.lists(st.builds(Option, _label, st.text(max_size=30)), min_size=1, max_size=6).map(
            tuple
        ),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_elements, max_size=12))
def test_any_core_message_becomes_a_valid_card(elements):
    assert_valid_card(convert.to_card(elements, fallback="f"))


# -- every card the bot really sends ----------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _cards_of(out) -> list[dict]:
    cards = []
    for message in out:
        activity = convert.to_activity(message, names={"ann": "Ann Jansen"})
        cards += [a["content"] for a in activity.get("attachments", [])]
        cards.append(convert.card_response(message)["value"])  # the same, as a replacement
    return cards


def test_every_card_of_a_whole_conversation_is_valid_adaptive_card_1_5(tmp_path):
    """Reviews of each verdict, /protocol pages, the walk, an escalation and its answer, the
    home page: each rendered as Teams would get it and checked against the schema."""
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    bot = Bot(KnowledgeSource(), store, clock=_Clock())
    ids = iter(range(1, 10_000))

    def origin(user: str) -> Origin:
        return Origin("teams", user, f"a:{user}", "nl-NL", "tid-1", f"e{next(ids)}")

    cards: list[dict] = []

    def run(event) -> list:
        out = bot.handle(event)
        cards.extend(_cards_of(out))
        return out

    def click(user: str, label: str) -> list:
        for card in reversed(cards):
            for action in _actions(card):
                if action["title"] == label:
                    data = action["data"]
                    return run(Action(origin(user), data["action"], data["value"]))
        raise AssertionError(f"no button {label!r}")

    run(DirectMessage(origin("ann"), "Vandaag mooi weer in de haven"))
    run(DirectMessage(origin("ann"), "Jammer dat de gemeente de wachttijden niet aanpakt."))
    run(DirectMessage(origin("ann"), "Mijn baas is een klootzak, bel hem op 06-12345678"))
    for args in [(), ("8",), ("zoek", "privacy"), ("casus",), ("rol",), ("tips",), ("help",)]:
        run(Command(origin("ann"), "protocol", args))
    run(HomeOpened(origin("ann")))
    run(Mention(origin("ann")))
    run(
        DirectMessage(
            origin("ann"), "Off the record: het Masterplan Havenkwartier gaat door, zeg niets!"
        )
    )
    click("ann", "Ik twijfel nog")
    for _ in range(10):
        labels = [a["title"] for a in _actions(cards[-1])]
        if "Mijn eigen leidinggevende noemen" in labels:
            break  # the profile's manager has no Teams id: Ann names her own
        preferred = [x for x in labels if x.lower().startswith(("ja", "weet"))]
        click("ann", (preferred or labels)[0])
    click("ann", "Mijn eigen leidinggevende noemen")
    run(DirectMessage(origin("ann"), "aad-petra"))
    out = click("ann", "De samenvatting én mijn tekst")
    [note] = [m for m in out if isinstance(m, Notification)]
    assert note.user_id == "aad-petra" and note.escalation_id
    answer = [b for b in _actions(_cards_of([note])[0]) if b["title"] == "Liever niet plaatsen"]
    out = run(Action(origin("aad-petra"), answer[0]["data"]["action"], answer[0]["data"]["value"]))
    assert any(isinstance(m, Notification) and m.user_id == "ann" for m in out)
    cards.extend(_cards_of(bot.undelivered(note)))
    assert len(cards) > 30
    for card in cards:
        assert_valid_card(card)
    store.close()


def _actions(card: dict) -> list[dict]:
    return [a for block in card["body"] if block["type"] == "ActionSet" for a in block["actions"]]
