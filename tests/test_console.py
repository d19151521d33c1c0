"""`protocolbot chat` with a dialogue piped through it, as a user would try the product."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def chat(lines: list[str], tmp_path: Path) -> str:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("PROTOCOLBOT_DATABASE_URL", None)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "chat",
            "--database",
            f"sqlite:///{tmp_path / 'chat.db'}",
        ],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_piped_dialogue_reviews_walks_and_escalates(tmp_path):
    text = chat(
        [
            "Mag ik dit posten: off the record, het Masterplan Havenkwartier gaat door!",
            "Ik twijfel nog",
            "1",  # yes, I can back it up
            "1",  # send only a summary
            "als p.vanleeuwen@hofstede.example.org: Liever niet plaatsen",
            "/protocol 15",
        ],
        tmp_path,
    )
    assert "STOP" in text
    assert "[1] Regel 1 bekijken" in text or "Regel 6 bekijken" in text
    assert "Petra van Leeuwen" in text
    assert "📨 bericht aan p.vanleeuwen@hofstede.example.org" in text
    assert "📨 bericht aan me" in text and "liever niet plaatsen" in text
    assert "Havenkwartier" not in text.split("📨 bericht aan p.vanleeuwen")[1].split("\n\n")[0]
    assert "Bij twijfel" in text


def test_the_default_store_needs_no_configuration(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("PROTOCOLBOT_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="Mijn baas is een klootzak\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "STOP" in out.stdout
    assert (tmp_path / "data" / "protocolbot" / "state.db").exists()


def _start(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("PROTOCOLBOT_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", *args],
        input="hoi\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_a_bad_store_address_is_named_without_a_traceback(tmp_path):
    bare = _start(["--database", str(tmp_path / "state.db")], tmp_path)
    assert bare.returncode == 1
    assert f"write sqlite:///{tmp_path / 'state.db'}" in bare.stderr
    assert "Traceback" not in bare.stderr

    unknown = _start(["--database", "mysql://db/x"], tmp_path)
    assert unknown.returncode == 1 and "'mysql'" in unknown.stderr

    down = _start(["--database", "postgresql://postgres@127.0.0.1:1/none"], tmp_path)
    assert down.returncode == 1
    assert "PostgreSQL unreachable" in down.stderr and "Traceback" not in down.stderr


def test_broken_knowledge_stops_the_chat_with_every_problem_named(tmp_path):
    knowledge = tmp_path / "knowledge"
    subprocess.run(["cp", "-r", str(ROOT / "knowledge"), str(knowledge)], check=True)
    texts = knowledge / "texts.yaml"
    texts.write_text(texts.read_text(encoding="utf-8").replace("{version}", "{versoin}", 1))
    out = _start(["--knowledge", str(knowledge)], tmp_path)
    assert out.returncode == 2
    assert "texts.yaml:" in out.stderr and "chat not started" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_terminal_gets_panels_with_the_same_numbered_options(store):
    import io
    import re

    from adapters.console.app import run
    from bot.conversation import Bot
    from bot.source import KnowledgeSource

    out = io.StringIO()

    def typed():
        yield "Mag ik dit posten: mijn baas is een *idioot*"
        numbered = re.search(r"\[(\d+)\] Ik twijfel nog", out.getvalue())
        assert numbered, out.getvalue()  # options keep their numbers
        yield numbered.group(1)  # choose by number, as a user would
        yield "/protocol 8"

    run(typed(), out, bot=Bot(KnowledgeSource(), store), rich=True)
    shown = out.getvalue()
    assert "╭─ 🔴 STOP" in shown  # the verdict is the panel's title
    assert "Bij twijfel: regel 15" in shown  # the number chose the walk
    assert "Regel 8 · Respect" in shown and "alleen voor jou" in shown  # /protocol is ephemeral
    assert "*" not in shown.split("╭─ Bij twijfel")[0].split("Woorden:")[0]  # markup, not stars
