"""Build the Teams app package: `manifest.json` with this organisation's ids filled in, the two
icons and the English strings, zipped as Teams' admin center and Developer Portal take it.

    protocolbot teams-package --app-id <GUID> --website https://intranet.example.org/social-media
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

PACKAGE_DIR = Path(__file__).resolve().parent / "appPackage"
FILES = ("manifest.json", "en-us.json", "color.png", "outline.png")
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
_VERSION = re.compile(r"^\d{1,9}\.\d{1,9}\.\d{1,9}$")
MAX_DEVELOPER_NAME = 32  # the manifest schema's limit


class PackageError(ValueError):
    """A value the package can't be built with; the message names it and how to fix it."""


@dataclass(frozen=True)
class PackageSettings:
    app_id: str
    organisation: str
    website: str
    privacy: str = ""
    terms: str = ""
    version: str = "1.0.0"


def _https(name: str, url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.netloc:
        raise PackageError(f"{name} must be an https:// address, not {url!r}")
    return url


def values(settings: PackageSettings) -> dict[str, str]:
    """What goes into the placeholders of manifest.json, checked."""
    problems = []
    try:
        app_id = str(uuid.UUID(settings.app_id.strip()))
    except ValueError:
        app_id = ""
        problems.append(
            "the app id must be the bot's Application (client) ID, a GUID "
            "(--app-id or MICROSOFT_APP_ID)"
        )
    if not _VERSION.match(settings.version):
        problems.append(f"the version must look like 1.0.0, not {settings.version!r}")
    organisation = " ".join(settings.organisation.split())
    if not organisation:
        problems.append("the organisation's name is empty (--organisation)")
    urls = {}
    for name, url in (
        ("--website", settings.website),
        ("--privacy", settings.privacy),
        ("--terms", settings.terms),
    ):
        if not url.strip() and name != "--website":
            continue  # the website stands in
        try:
            urls[name] = _https(name, url.strip())
        except PackageError as exc:
            problems.append(str(exc))
    if problems:
        raise PackageError("; ".join(problems))
    if len(organisation) > MAX_DEVELOPER_NAME:
        organisation = organisation[: MAX_DEVELOPER_NAME - 1].rstrip() + "…"
    return {
        "MICROSOFT_APP_ID": app_id,
        "APP_VERSION": settings.version,
        "ORGANISATION": organisation,
        "WEBSITE_URL": urls["--website"],
        "PRIVACY_URL": urls.get("--privacy", urls["--website"]),
        "TERMS_URL": urls.get("--terms", urls["--website"]),
    }


def manifest(settings: PackageSettings) -> dict:
    """manifest.json with every placeholder filled in (JSON-escaped, so any name is safe)."""
    filled = values(settings)
    template = (PACKAGE_DIR / "manifest.json").read_text(encoding="utf-8")

    def fill(match: re.Match) -> str:
        return json.dumps(filled[match.group(1)])[1:-1]

    return json.loads(_PLACEHOLDER.sub(fill, template))


def build(settings: PackageSettings, out: Path) -> Path:
    """Write the zip (files at its root, as Teams wants them) and return its path."""
    content = json.dumps(manifest(settings), ensure_ascii=False, indent=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", content)
        for name in FILES[1:]:
            archive.write(PACKAGE_DIR / name, arcname=name)
    return out
