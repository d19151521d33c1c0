"""The Slack app manifests: one import creates a working app (HTTP mode or Socket Mode)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

SLACK = Path(__file__).resolve().parents[1] / "adapters" / "slack"
SCOPES = {
    "app_mentions:read",
    "chat:write",
    "commands",
    "im:history",
    "im:write",
}


def load(name: str) -> dict:
    return YAML(typ="safe").load((SLACK / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest.socket.yaml"])
def test_a_manifest_declares_everything_the_adapter_handles(name):
    manifest = load(name)
    info = manifest["display_information"]
    assert 174 <= len(info["long_description"]) <= 4000  # Slack refuses shorter or longer
    assert len(info["description"]) <= 140 and len(info["name"]) <= 35
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]
    assert home["messages_tab_read_only_enabled"] is False  # users must be able to DM a draft
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/protocol"
    [shortcut] = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == "protocol_check"
    assert len(shortcut["name"]) <= 24 and len(shortcut["description"]) <= 80
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == SCOPES  # minimal, nothing more
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.im",
        "app_mention",
        "app_home_opened",
    }
    assert settings["interactivity"]["is_enabled"]


def test_http_mode_sends_everything_to_one_route():
    manifest = load("manifest.yaml")
    settings = manifest["settings"]
    urls = [
        manifest["features"]["slash_commands"][0]["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert all(url.startswith("https://") and url.endswith("/slack/events") for url in urls)
    assert len({url.rsplit("/slack/", 1)[0] for url in urls}) == 1
    assert settings["socket_mode_enabled"] is False


def test_socket_mode_differs_only_in_transport():
    http, socket = load("manifest.yaml"), load("manifest.socket.yaml")
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in socket["features"]["slash_commands"][0]
    assert "request_url" not in socket["settings"]["event_subscriptions"]
    assert "request_url" not in socket["settings"]["interactivity"]
    for manifest in (http, socket):  # strip the transport; the rest must be the same app
        manifest["features"]["slash_commands"][0].pop("url", None)
        manifest["settings"]["event_subscriptions"].pop("request_url", None)
        manifest["settings"]["interactivity"].pop("request_url", None)
        manifest["settings"].pop("socket_mode_enabled")
    assert http == socket
