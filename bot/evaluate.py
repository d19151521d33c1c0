"""Scoring judged drafts against labels with the rubric's metrics (shared/eval/RUBRIC.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

VERDICTS = ("go", "caution", "stop")
SCORED_RULES = frozenset(range(1, 15))  # rule 15 is never scored


@dataclass(frozen=True)
class Judged:
    id: str
    expected_verdict: str
    expected_rules: frozenset[int]
    verdict: str
    rules: frozenset[int]


@dataclass
class Scores:
    total: int = 0
    accuracy: float = 0.0
    stop_recall: float = 0.0
    concern_recall: float = 0.0
    false_alarms: float = 0.0
    rule_precision: float = 0.0
    rule_recall: float = 0.0
    rule_f1: float = 0.0
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)
    misjudged: list[Judged] = field(default_factory=list)


def _ratio(part: int, whole: int, empty: float) -> float:
    return part / whole if whole else empty


def score(items: Iterable[Judged]) -> Scores:
    items = list(items)
    s = Scores(total=len(items))
    s.confusion = {(e, j): 0 for e in VERDICTS for j in VERDICTS}
    correct = stops = stops_hit = concerns = concerns_hit = goes = false_alarms = 0
    tp = fp = fn = 0
    for item in items:
        s.confusion[(item.expected_verdict, item.verdict)] += 1
        correct += item.verdict == item.expected_verdict
        if item.expected_verdict == "stop":
            stops += 1
            stops_hit += item.verdict == "stop"
        if item.expected_verdict in ("stop", "caution"):
            concerns += 1
            concerns_hit += item.verdict != "go"
        else:
            goes += 1
            false_alarms += item.verdict != "go"
        expected = item.expected_rules & SCORED_RULES
        got = item.rules & SCORED_RULES
        tp += len(expected & got)
        fp += len(got - expected)
        fn += len(expected - got)
        if item.verdict != item.expected_verdict or expected != got:
            s.misjudged.append(item)
    s.accuracy = _ratio(correct, len(items), 0.0)
    s.stop_recall = _ratio(stops_hit, stops, 1.0)
    s.concern_recall = _ratio(concerns_hit, concerns, 1.0)
    s.false_alarms = _ratio(false_alarms, goes, 0.0)
    s.rule_precision = _ratio(tp, tp + fp, 1.0)
    s.rule_recall = _ratio(tp, tp + fn, 1.0)
    p, r = s.rule_precision, s.rule_recall
    s.rule_f1 = 2 * p * r / (p + r) if p + r else 0.0
    return s


def report(s: Scores) -> str:
    lines = [
        f"drafts:           {s.total}",
        f"verdict accuracy: {s.accuracy:.3f}",
        f"stop recall:      {s.stop_recall:.3f}",
        f"concern recall:   {s.concern_recall:.3f}",
        f"false alarms:     {s.false_alarms:.3f}",
        f"rule F1:          {s.rule_f1:.3f} (precision {s.rule_precision:.3f}, "
        f"recall {s.rule_recall:.3f})",
        "",
        "confusion (rows: expected, columns: judged)",
        "            " + "".join(f"{v:>9}" for v in VERDICTS),
    ]
    for e in VERDICTS:
        lines.append(f"  {e:<10}" + "".join(f"{s.confusion[(e, j)]:>9}" for j in VERDICTS))
    if s.misjudged:
        lines.append("")
        lines.append("misjudged (verdict or rules differ):")
        for item in s.misjudged:
            mark = "" if item.verdict == item.expected_verdict else "  <- verdict"
            lines.append(
                f"  {item.id}: expected {item.expected_verdict} {sorted(item.expected_rules)}, "
                f"judged {item.verdict} {sorted(item.rules & SCORED_RULES)}{mark}"
            )
    return "\n".join(lines)


def side_by_side(engine: Scores, merged: Scores, statuses: dict[str, int]) -> str:
    """The engine's scores beside engine + language model's, and how the model answered."""
    rows = [
        ("drafts", engine.total, merged.total, "d"),
        ("verdict accuracy", engine.accuracy, merged.accuracy, ".3f"),
        ("stop recall", engine.stop_recall, merged.stop_recall, ".3f"),
        ("concern recall", engine.concern_recall, merged.concern_recall, ".3f"),
        ("false alarms", engine.false_alarms, merged.false_alarms, ".3f"),
        ("rule F1", engine.rule_f1, merged.rule_f1, ".3f"),
    ]
    lines = [f"{'':<18}{'engine':>10}{'+ model':>10}"]
    lines += [f"{name:<18}{a:>10{f}}{b:>10{f}}" for name, a, b, f in rows]
    answered = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
    lines.append(f"model answers: {answered}")
    return "\n".join(lines)
