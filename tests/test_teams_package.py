"""The Teams app package: the filled-in manifest is valid against Microsoft's manifest schema
1.19, the icons are what Teams asks for, and the commands it lists are ones the bot understands."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest

from adapters.teams import convert
from adapters.teams.package import PACKAGE_DIR, PackageError, PackageSettings, build, manifest
from bot.messages import Command

SCHEMAS = Path(__file__).parent / "schemas"
APP_ID = "8d7b0f6e-3a41-4c59-9f0e-2b1c6d5e4f30"
SETTINGS = PackageSettings(
    app_id=APP_ID,
    organisation='Gemeente "Hofstede" & Co — afdeling Communicatie en Integriteit',
    website="https://intranet.hofstede.example.org/social-media",
)


def _validator(name: str) -> jsonschema.Draft4Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _errors(validator, document) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_the_filled_manifest_is_valid_teams_manifest_1_19():
    filled = manifest(SETTINGS)
    assert _errors(_validator("teams-manifest-1.19.schema.json"), filled) == []
    assert "{{" not in json.dumps(filled)
    assert filled["id"] == APP_ID
    assert filled["bots"][0]["botId"] == APP_ID
    assert filled["composeExtensions"][0]["botId"] == APP_ID
    assert len(filled["developer"]["name"]) <= 32  # a long name is shortened, quotes kept safe
    assert filled["developer"]["privacyUrl"] == SETTINGS.website


def test_the_english_strings_are_valid_and_name_real_manifest_fields():
    strings = json.loads((PACKAGE_DIR / "en-us.json").read_text(encoding="utf-8"))
    assert _errors(_validator("teams-localization-1.19.schema.json"), strings) == []
    filled = manifest(SETTINGS)
    assert filled["localizationInfo"]["additionalLanguages"] == [
        {"languageTag": "en-us", "file": "en-us.json"}
    ]
    commands = filled["bots"][0]["commandLists"][0]["commands"]
    assert len(commands) == 2 and "bots[0].commandLists[0].commands[1].description" in strings


def test_every_listed_command_is_understood_as_teams_sends_it():
    filled = manifest(SETTINGS)
    assert "personal" in filled["bots"][0]["scopes"]
    for command in filled["bots"][0]["commandLists"][0]["commands"]:
        activity = {
            "type": "message",
            "id": "1",
            "from": {"id": "29:x", "aadObjectId": "aad-x"},
            "conversation": {"id": "a:x", "conversationType": "personal"},
            "recipient": {"id": "28:bot"},
            "text": command["title"],
        }
        assert isinstance(convert.activity_to_core(activity), Command), command["title"]
    [action] = filled["composeExtensions"][0]["commands"]
    assert action["context"] == ["message"] and action["type"] == "action"


def _png(path: Path) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6)  # RGBA
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    pixels = []
    stride = 1 + width * 4
    for y in range(height):
        row = raw[y * stride : (y + 1) * stride]
        assert row[0] == 0  # the drawing script writes unfiltered rows
        pixels += [tuple(row[1 + 4 * x : 5 + 4 * x]) for x in range(width)]
    return width, height, pixels


def test_the_icons_are_the_sizes_and_kinds_teams_asks_for():
    width, height, pixels = _png(PACKAGE_DIR / "color.png")
    assert (width, height) == (192, 192)
    assert all(p[3] == 255 for p in pixels)  # full colour, no transparency
    assert len(set(pixels)) > 10  # a drawing, not a flat square
    width, height, pixels = _png(PACKAGE_DIR / "outline.png")
    assert (width, height) == (32, 32)
    # white on transparent only
    assert all(p[3] == 0 or p[:3] == (255, 255, 255) for p in pixels)
    assert 0 < sum(p[3] > 0 for p in pixels) < 32 * 32 / 2


def test_the_command_builds_the_zip_with_the_files_at_its_root(tmp_path):
    out = tmp_path / "pkg" / "protocolbot.zip"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "teams-package",
            "--app-id",
            APP_ID,
            "--website",
            SETTINGS.website,
            "--app-version",
            "1.0.1",
            "--out",
            str(out),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [
            "color.png",
            "en-us.json",
            "manifest.json",
            "outline.png",
        ]
        shipped = json.loads(archive.read("manifest.json"))
    assert shipped["version"] == "1.0.1"
    assert shipped["developer"]["name"] == "Gemeente Hofstede"  # from the knowledge profile
    assert _errors(_validator("teams-manifest-1.19.schema.json"), shipped) == []


def test_bad_settings_are_named_and_build_nothing(tmp_path):
    bad = PackageSettings(app_id="my-bot", organisation=" ", website="http://x", version="1")
    with pytest.raises(PackageError) as caught:
        build(bad, tmp_path / "x.zip")
    message = str(caught.value)
    for part in ("GUID", "1.0.0", "organisation", "--website must be an https://"):
        assert part in message
    assert "--privacy" not in message  # it follows the website; one complaint is enough
    assert not (tmp_path / "x.zip").exists()
