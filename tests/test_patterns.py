"""Signals with regular expressions: spans map back to the draft, and no pattern can hang it."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.knowledge.loader import load_knowledge
from bot.review import Engine

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"

PATTERN_SIGNALS = """
  - id: money-amount
    rule: 6
    severity: caution
    patterns: ['\\beuro \\d+ miljoen\\b']
    explanation: {nl: "Een bedrag.", en: "An amount."}
    suggestion: {nl: "Laat het weg.", en: "Leave it out."}
  - id: catastrophic
    rule: 8
    severity: stop
    patterns: ['(a+)+$']
    explanation: {nl: "Test.", en: "Test."}
    suggestion: {nl: "Test.", en: "Test."}
"""


def engine_with_patterns(tmp_path: Path) -> Engine:
    target = tmp_path / "knowledge"
    shutil.copytree(MINIMAL, target)
    base = target / "signals" / "base.yaml"
    base.write_text(base.read_text(encoding="utf-8") + PATTERN_SIGNALS, encoding="utf-8")
    return Engine(load_knowledge(target))


def test_pattern_hits_map_to_the_original_words(tmp_path):
    engine = engine_with_patterns(tmp_path)
    text = "Wist je dat het om EURO   12 Miljoen ging?"
    result = engine.review(text)
    finding = next(f for f in result.findings if f.signal == "money-amount")
    assert finding.trigger == "EURO   12 Miljoen"
    assert result.verdict == "caution"


def test_a_backtracking_pattern_times_out_instead_of_hanging(tmp_path):
    engine = engine_with_patterns(tmp_path)
    result = engine.review("a" * 5000 + "!b")
    assert result.verdict in ("go", "caution", "stop")
