"""The `protocolbot` command as a user and the rubric's tooling call it, in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROFILE = """\
name: Zorggroep Meerzicht
aliases: [Meerzicht, "@ZGMeerzicht"]
sector: public
clients: []
partners: [Thuiszorg Aan Zee]
suppliers: [MediSoft]
competitors: []
confidential_terms: [Project Lotus]
"""


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROTOCOLBOT_KNOWLEDGE")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


@pytest.fixture()
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(PROFILE, encoding="utf-8")
    return path


def test_review_text_prints_a_traffic_light_and_rules():
    out = run("review", "Mijn baas is een k@nkerlijer, echt waar.")
    assert out.returncode == 0
    text = out.stdout.decode()
    assert text.startswith("🔴 STOP")
    assert "Regel 8" in text and "k@nkerlijer" in text
    assert "Regel 15" in text or "regel 15" in text.lower()


def test_review_reads_stdin_and_answers_in_english():
    out = run("review", stdin=b"Sharing the slides of today's public webinar, enjoy!")
    assert out.returncode == 0
    assert out.stdout.decode().startswith("🟢 GO")


def test_review_json_for_one_text(profile):
    out = run("review", "--org", str(profile), "--format", "json", "Project Lotus start in mei!")
    assert out.returncode == 0
    result = json.loads(out.stdout)
    assert result["verdict"] == "stop"
    assert {1, 6} <= set(result["rules"])
    finding = next(f for f in result["findings"] if f["rule"] == 6)
    assert finding["trigger"] == "Project Lotus"
    assert finding["span"] == [0, 13]


def test_review_jsonl_follows_the_rubric_contract_and_names_bad_lines(profile, tmp_path):
    drafts = tmp_path / "drafts.jsonl"
    lines = [
        json.dumps(
            {
                "id": "a",
                "text": "Vandaag de open dag van Meerzicht, kom langs!",
                "role": "communications",
            }
        ),
        "this is not json",
        json.dumps(
            {"id": "b", "text": "Die idioten van MediSoft hebben ons systeem weer plat gelegd."}
        ),
        json.dumps({"id": "c", "text": "hallo", "role": "ceo"}),
        json.dumps({"id": "d", "text": 42}),
        json.dumps(
            {"id": "e", "text": "Ik loop morgen de halve marathon!", "platform": "instagram"}
        ),
    ]
    drafts.write_bytes("\n".join(lines).encode() + b"\n" + b'{"id": "f", "text": "caf\xe9"}\n')
    out = run("review", "--org", str(profile), "--format", "jsonl", str(drafts))
    assert out.returncode != 0
    results = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [r["id"] for r in results] == ["a", "b", "e"]
    for r in results:
        assert set(r) >= {"id", "verdict", "rules", "findings"}
        assert r["verdict"] in ("go", "caution", "stop")
    by_id = {r["id"]: r for r in results}
    assert by_id["a"]["verdict"] == "go"
    assert by_id["b"]["verdict"] == "stop" and 8 in by_id["b"]["rules"]
    assert by_id["e"]["verdict"] == "go"
    errors = out.stderr.decode()
    assert f"{drafts}:2:" in errors and "not JSON" in errors
    assert f"{drafts}:4:" in errors and "unknown role 'ceo'" in errors
    assert f"{drafts}:5:" in errors and "'text'" in errors
    assert f"{drafts}:7:" in errors and "UTF-8" in errors


def test_eval_reports_the_rubric_metrics(profile, tmp_path):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {
                    "id": "1",
                    "text": "Project Lotus gaat door, zeg het niet door!",
                    "verdict": "stop",
                    "rules": [1, 6],
                },
                {
                    "id": "2",
                    "text": "Zondag pannenkoeken met de kids 🥞",
                    "verdict": "go",
                    "rules": [],
                },
                {
                    "id": "3",
                    "text": "Wat een sukkels bij de receptie.",
                    "verdict": "stop",
                    "rules": [8],
                },
            ]
        ),
        encoding="utf-8",
    )
    out = run("eval", "--org", str(profile), str(labelled))
    assert out.returncode == 0, out.stderr.decode()
    report = out.stdout.decode()
    for metric in ("verdict accuracy", "stop recall", "concern recall", "false alarms", "rule F1"):
        assert metric in report
    assert "verdict accuracy: 1.000" in report
    assert "confusion" in report


def test_broken_profile_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "org.yaml"
    bad.write_text("name: X\nsector: semi-public\n", encoding="utf-8")
    out = run("review", "--org", str(bad), "hallo")
    assert out.returncode == 2
    assert f"{bad.name}:2:" in out.stderr.decode()


def test_knowledge_check_passes_on_the_shipped_knowledge():
    out = run("knowledge", "check")
    assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()
    assert "knowledge OK" in out.stdout.decode()


@pytest.mark.parametrize("text", ["", "   \n\t", "\x00\x07\x1b[31m", "a" * 100_000])
def test_bad_drafts_get_an_answer_not_a_crash(text):
    out = run("review", "--format", "json", stdin=text.encode())
    assert out.returncode == 0, out.stderr.decode()
    assert json.loads(out.stdout)["verdict"] in ("go", "caution", "stop")


def test_invalid_utf8_on_stdin_is_named():
    out = run("review", stdin=b"caf\xe9 \xff")
    assert out.returncode == 1
    assert "UTF-8" in out.stderr.decode()


def test_bench_reports_every_row_on_the_store_it_is_given(url):
    """What the README's benchmark documents is what the command prints (not how fast)."""
    out = run("bench", "--rounds", "1", "--database", url, "--teams")
    assert out.returncode == 0, out.stderr.decode()
    text = out.stdout.decode()
    store = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    rows = ("280-char post", "1500-char post", f"DM turn, {store}", f"walk start, {store}")
    for row in (*rows, f"Teams DM, {store}", f"Teams click, {store}"):
        line = next(x for x in text.splitlines() if x.startswith(row))
        assert int(line[len(row) :].split()[0]) > 0  # runs measured
