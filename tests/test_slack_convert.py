"""Slack payloads to core events and core messages to Block Kit, on recorded payload shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

from adapters.slack.convert import (
    action_to_core,
    command_to_core,
    escape,
    event_to_core,
    mention_reply_target,
    reply_to_message,
    shortcut_to_core,
    split_text,
    to_blocks,
)
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
    Notification,
    Option,
    Origin,
    Reply,
    Text,
)

PAYLOADS = Path(__file__).parent / "slack_payloads"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def assert_valid(blocks: list[dict]) -> None:
    """Within Slack's limits, and slack_sdk parses each block back to the same dict."""
    assert 0 < len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None and parsed.to_dict() == block
        if block["type"] == "section":
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
    action_ids = [e["action_id"] for b in blocks for e in b.get("elements", []) if "action_id" in e]
    assert len(action_ids) == len(set(action_ids))  # Slack rejects repeated action ids


# -- Slack -> core ------------------------------------------------------------------------------


def test_a_direct_message_becomes_a_draft_with_plain_text():
    event = event_to_core(payload("message_im"))
    assert event == DirectMessage(
        Origin("slack", "U0ANN", "D0ANN", "", "T0TEST", "Ev0MSG1"),
        "Mag ik dit posten: Q&A over het <Masterplan> met <@U0PETRA>?",
    )


@pytest.mark.parametrize("name", ["message_changed", "bot_message", "app_mention"])
def test_edits_bot_messages_and_mentions_are_ignored(name):
    assert event_to_core(payload(name)) is None


def test_other_subtypes_channels_and_the_bot_itself_are_ignored():
    body = payload("message_im")
    deleted = {**body, "event": {**body["event"], "subtype": "message_deleted"}}
    in_channel = {**body, "event": {**body["event"], "channel_type": "channel"}}
    from_bot = {**body, "event": {**body["event"], "user": "U0BOT"}}
    assert event_to_core(deleted) is None
    assert event_to_core(in_channel) is None
    assert event_to_core(from_bot) is None  # the envelope's bot authorization
    assert event_to_core(body, bot_user_id="U0ANN") is None
    assert event_to_core({"type": "url_verification", "challenge": "x"}) is None


def test_a_locale_on_the_event_is_kept():
    body = payload("message_im")
    body["event"]["locale"] = "en-GB"
    event = event_to_core(body)
    assert isinstance(event, DirectMessage) and event.origin.locale == "en-GB"


def test_opening_the_home_tab():
    assert event_to_core(payload("app_home_opened")) == HomeOpened(
        Origin("slack", "U0ANN", "D0ANN", "", "T0TEST", "Ev0HOME")
    )
    body = payload("app_home_opened")
    body["event"]["tab"] = "messages"
    assert event_to_core(body) is None


def test_a_mention_is_answered_in_its_thread():
    assert mention_reply_target(payload("app_mention")) == ("C0COMMS", "1718013500.000050")
    unthreaded = payload("app_mention")
    del unthreaded["event"]["thread_ts"]
    assert mention_reply_target(unthreaded) == ("C0COMMS", "1718013700.000400")
    assert mention_reply_target(payload("message_im")) is None


def test_a_slash_command():
    command = command_to_core(payload("slash_command"))
    assert command == Command(
        Origin(
            "slack",
            "U0ANN",
            "C0COMMS",
            "",
            "T0TEST",
            "command:1234567890.1111111111.0123456789abcdef0123456789abcdef",
        ),
        "protocol",
        ("rol", "employee"),
    )
    bare = command_to_core({**payload("slash_command"), "text": ""})
    assert bare.name == "protocol" and bare.args == ()


def test_a_button_press_keeps_the_core_action_id_and_value():
    action = action_to_core(payload("block_actions_button"))
    assert action == Action(
        Origin(
            "slack",
            "U0ANN",
            "D0ANN",
            "",
            "T0TEST",
            "block_actions:1234567890.2222222222.abcdef0123456789abcdef0123456789",
        ),
        "show_rule",  # the '#1' that made it unique in the message is dropped
        "6",
    )


def test_a_select_gives_the_selected_value_and_the_container_channel():
    action = action_to_core(payload("block_actions_select"))
    assert isinstance(action, Action)
    assert (action.action_id, action.value, action.text) == ("walk", "summary", "")
    assert action.origin.conversation_id == "D0ANN"  # no 'channel' key: the container's
    assert action.origin.event_id.startswith("block_actions:1234567890.3333333333")


def test_radio_buttons_and_a_retry_without_trigger_id():
    body = payload("block_actions_select")
    body["actions"][0]["type"] = "radio_buttons"
    del body["trigger_id"]
    action = action_to_core(body)
    assert action is not None and action.value == "summary"
    assert action.origin.event_id == "block_actions:1718013630.654321"
    assert action_to_core({**body, "actions": []}) is None
    assert action_to_core(payload("message_action")) is None


def test_a_message_shortcut_is_a_draft_for_the_users_dm():
    draft = shortcut_to_core(payload("message_action"))
    assert draft == DirectMessage(
        Origin(
            "slack",
            "U0ANN",
            "",  # the adapter opens the user's DM and sets it
            "",
            "T0TEST",
            "message_action:1234567890.4444444444.0011223344556677889900aabbccddee",
        ),
        "Concept tweet: off the record, het Masterplan Havenkwartier gaat door! "
        "> zie <https://example.org/plan|het plan>",
    )
    assert shortcut_to_core(payload("block_actions_button")) is None
    empty = payload("message_action")
    empty["message"]["text"] = ""
    assert shortcut_to_core(empty) is None


# -- core -> Block Kit --------------------------------------------------------------------------


def test_every_element_renders_to_valid_blocks():
    elements = (
        Header("🔴 STOP"),
        Text("*Regel 6* _vertrouwelijk_ `code`\n> quote\n- item"),
        Fields((("Regel", "6"), ("Oordeel", "stop"))),
        Context("Versie 2024-06"),
        Divider(),
        Buttons((Button("Bekijk", "show_rule", "6"), Button("Klaar", "done"))),
        Choice("Kun je het onderbouwen?", "walk", (Option("Ja", "yes"), Option("Nee", "no"))),
    )
    blocks = to_blocks(elements)
    assert_valid(blocks)
    assert [b["type"] for b in blocks] == [
        "header",
        "section",
        "section",
        "context",
        "divider",
        "actions",
        "section",
        "actions",
    ]
    assert blocks[1]["text"] == {
        "type": "mrkdwn",
        "text": "*Regel 6* _vertrouwelijk_ `code`\n> quote\n- item",  # mrkdwn passes through
    }
    assert blocks[2]["fields"][0]["text"] == "*Regel*\n6"
    choice_buttons = blocks[7]["elements"]
    assert [b["value"] for b in choice_buttons] == ["yes", "no"]
    assert {b["action_id"] for b in choice_buttons} == {"walk", "walk#1"}


def test_a_quote_marker_stays_but_other_angle_brackets_are_escaped():
    (block,) = to_blocks((Text("> een citaat met a > b\n>geen citaat"),))
    assert block["text"]["text"] == "> een citaat met a &gt; b\n&gt;geen citaat"


def test_repeated_action_ids_are_made_unique_and_read_back():
    blocks = to_blocks(
        (Buttons((Button("Regel 1", "show_rule", "1"), Button("Regel 6", "show_rule", "6"))),)
    )
    ids = [e["action_id"] for e in blocks[0]["elements"]]
    assert ids == ["show_rule", "show_rule#1"]
    body = payload("block_actions_button")
    body["actions"][0]["action_id"] = ids[1]
    action = action_to_core(body)
    assert action is not None and action.action_id == "show_rule"


def test_more_than_five_options_become_a_select():
    options = tuple(Option(f"Optie {i}", f"v{i}") for i in range(7))
    blocks = to_blocks((Choice("Welke rol?", "role", options),))
    assert_valid(blocks)
    (select,) = blocks[1]["elements"]
    assert select["type"] == "static_select" and select["action_id"] == "role"
    assert [o["value"] for o in select["options"]] == [f"v{i}" for i in range(7)]


def test_button_styles_and_lengths():
    blocks = to_blocks(
        (
            Buttons(
                (
                    Button("Akkoord", "esc_approved", "e1", "primary"),
                    Button("Afwijzen", "esc_declined", "e1", "danger"),
                    Button("Overleggen", "esc_discuss", "e1", "default"),
                    Button("x" * 200, "long", "v" * 5000),
                )
            ),
        )
    )
    assert_valid(blocks)
    approve, decline, discuss, long = blocks[0]["elements"]
    assert approve["style"] == "primary" and decline["style"] == "danger"
    assert "style" not in discuss and "value" in discuss
    assert len(long["text"]["text"]) <= 75 and long["text"]["text"].endswith("…")
    assert len(long["value"]) == 2000


def test_many_buttons_are_spread_over_actions_blocks():
    buttons = tuple(Button(f"B{i}", f"b{i}", str(i)) for i in range(30))
    blocks = to_blocks((Buttons(buttons),))
    assert_valid(blocks)
    assert [len(b["elements"]) for b in blocks] == [25, 5]


def test_a_long_header_is_shortened():
    (block,) = to_blocks((Header("Kop " * 100),))
    assert len(block["text"]["text"]) <= 150


def test_long_text_is_split_on_line_boundaries():
    lines = [f"Regel {i}: " + "woord " * 20 for i in range(100)]
    text = "\n".join(line.strip() for line in lines)
    blocks = to_blocks((Text(text),))
    assert_valid(blocks)
    assert len(blocks) > 1
    for block in blocks:
        assert block["text"]["text"].startswith("Regel ")  # every section starts at a line
    assert "\n".join(b["text"]["text"] for b in blocks) == text


def test_a_long_line_is_split_between_words_and_keeps_links_whole():
    link = "<https://example.org/a|een link met spaties>"
    words = ("woord " * 300 + link + " ") * 3
    chunks = split_text(words.strip(), 1000)
    assert all(len(c) <= 1000 for c in chunks)
    assert " ".join(chunks).split() == words.split()  # no word cut
    assert sum(c.count(link) for c in chunks) == 3
    one_word = split_text("x" * 7000)
    assert [len(c) for c in one_word] == [3000, 3000, 1000]


def test_escaping_keeps_mentions_and_links():
    text = "Q&A <b> met <@U0PETRA>, <#C0COMMS|comms>, <!here> en <https://x.org/?a=1&b=2|A & B>"
    assert escape(text) == (
        "Q&amp;A &lt;b&gt; met <@U0PETRA>, <#C0COMMS|comms>, <!here> en "
        "<https://x.org/?a=1&b=2|A & B>"
    )
    assert escape("3 > 2 < 4") == "3 &gt; 2 &lt; 4"
    (block,) = to_blocks((Text("Tom & Jerry bij <@U0ANN>"),))
    assert block["text"]["text"] == "Tom &amp; Jerry bij <@U0ANN>"


def test_more_than_fifty_blocks_are_shortened_with_a_note():
    blocks = to_blocks(tuple(Text(f"Alinea {i}") for i in range(80)))
    assert_valid(blocks)
    assert len(blocks) == 50
    assert blocks[48]["text"]["text"] == "Alinea 48"
    assert blocks[-1]["type"] == "context"
    assert "ingekort" in blocks[-1]["elements"][0]["text"]
    assert len(to_blocks(tuple(Text(f"Alinea {i}") for i in range(50)))) == 50  # not shortened


def test_empty_texts_make_no_empty_blocks():
    assert to_blocks((Text(""), Header(" "), Context(""), Text("Hallo"))) == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Hallo"}}
    ]


def test_the_message_text_is_the_fallback_or_the_first_header_or_text():
    reply = Reply("D0ANN", (Divider(), Header("🔴 STOP"), Text("Niet plaatsen")), fallback="")
    message = reply_to_message(reply)
    assert message["text"] == "🔴 STOP"
    assert_valid(message["blocks"])
    with_fallback = reply_to_message(Reply("D0ANN", (Text("x"),), fallback="Kort & goed"))
    assert with_fallback["text"] == "Kort &amp; goed"
    note = Notification("slack", user_id="U0PETRA", elements=(Text("a " * 4000),))
    derived = reply_to_message(note)["text"]
    assert len(derived) <= 3000 and derived.endswith("…")


# -- real answers -------------------------------------------------------------------------------

PROTOCOL_ARGS = (
    [()]
    + [(str(n),) for n in range(1, 16)]
    + [("casus",), ("tips",), ("incident",), ("help",), ("rol", "employee"), ("zoek", "ontslag")]
)

LONG_STOP = (
    "Mag ik dit posten: off the record, het Masterplan Havenkwartier gaat door! Mijn baas is een "
    "klootzak en de klant Jan Jansen (06-12345678, jan.jansen@example.org) weet van niks. "
) * 6


@pytest.fixture(scope="module")
def bot():
    from bot.conversation import Bot
    from bot.source import KnowledgeSource
    from bot.store import open_store

    with open_store("sqlite:///:memory:") as store:
        yield Bot(KnowledgeSource(), store)


def test_every_real_answer_stays_within_slacks_limits(bot):
    messages = []
    for i, args in enumerate(PROTOCOL_ARGS):
        origin = Origin("slack", "U0ANN", "D0ANN", "", "T0TEST", f"Ev{i}")
        messages += bot.handle(Command(origin, "protocol", args))
    origin = Origin("slack", "U0BOB", "D0BOB", "", "T0TEST", "EvStop")
    review = bot.handle(DirectMessage(origin, LONG_STOP))
    assert review and "STOP" in reply_to_message(review[0])["text"]
    messages += review
    assert len(messages) >= len(PROTOCOL_ARGS) + 1
    for message in messages:
        rendered = reply_to_message(message)
        assert 0 < len(rendered["text"]) <= 3000
        assert_valid(rendered["blocks"])


def test_a_mention_becomes_a_core_mention_answered_in_its_thread():
    from adapters.slack.convert import mention_to_core
    from bot.messages import Mention

    body = json.loads((PAYLOADS / "app_mention.json").read_text(encoding="utf-8"))
    event, thread_ts = mention_to_core(body)
    assert isinstance(event, Mention)
    assert event.origin.conversation_id == body["event"]["channel"]
    assert event.origin.user_id == body["event"]["user"]
    assert event.origin.event_id == body["event_id"]
    assert thread_ts == (body["event"].get("thread_ts") or body["event"]["ts"])
    assert mention_to_core({"type": "event_callback", "event": {"type": "message"}}) is None
