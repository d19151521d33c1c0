"""Turning a review into advice for a person in a terminal, and into the JSON contract."""

from __future__ import annotations

from typing import Any

from bot.models import Finding, Review

LIGHTS = {
    "nl": {
        "go": "🟢 GO: niets in het protocol staat dit bericht in de weg.",
        "caution": "🟠 LET OP: dit kan prima zijn na een aanpassing of een check.",
        "stop": "🔴 STOP: plaats dit niet zo; overleg eerst (regel 15).",
    },
    "en": {
        "go": "🟢 GO: nothing in the protocol stands against this post.",
        "caution": "🟠 CAUTION: this may be fine after a change or a check.",
        "stop": "🔴 STOP: don't post this as it is; talk to someone first (rule 15).",
    },
}
WORDS = {
    "nl": {
        "rule": "Regel",
        "words": "Woorden",
        "tip": "Tip",
        "case": "Precedent",
        "doubt": "Twijfel je? Regel 15: vraag je leidinggevende of de afdeling communicatie "
        "of integriteit om advies. Uiteindelijk beslis je zelf wat je plaatst.",
        "empty": "Er staat niets in dit concept.",
        "truncated": "Alleen het begin van dit lange concept is beoordeeld.",
    },
    "en": {
        "rule": "Rule",
        "words": "Words",
        "tip": "Tip",
        "case": "Precedent",
        "doubt": "In doubt? Rule 15: ask your manager or the communications or integrity "
        "contact for advice. In the end what you post is your own decision.",
        "empty": "This draft is empty.",
        "truncated": "Only the start of this long draft was reviewed.",
    },
}


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "also": list(finding.also),
        "severity": finding.severity,
        "signal": finding.signal,
        "span": [finding.start, finding.end],
        "trigger": finding.trigger,
        "explanation": finding.explanation,
        "suggestion": finding.suggestion,
        "case": finding.case,
    }


def review_json(review: Review, *, draft_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {} if draft_id is None else {"id": draft_id}
    out.update(
        verdict=review.verdict,
        rules=list(review.rules),
        findings=[finding_json(f) for f in review.findings],
        language=review.language,
    )
    if review.notes:
        out["notes"] = list(review.notes)
    return out


def group_findings(findings) -> list[tuple[int, list[list[Finding]]]]:
    """Findings per rule, and within a rule per signal, most severe first; the same words are
    shown once per rule, under the most severe signal that found them."""
    by_rule: dict[int, dict[str, list[Finding]]] = {}
    shown: dict[int, set[tuple[int, int]]] = {}
    for finding in findings:  # the engine orders them most severe first
        spans = shown.setdefault(finding.rule, set())
        if (finding.start, finding.end) in spans:
            continue
        spans.add((finding.start, finding.end))
        by_rule.setdefault(finding.rule, {}).setdefault(finding.signal, []).append(finding)
    return [(rule, list(groups.values())) for rule, groups in sorted(by_rule.items())]


def review_text(review: Review, knowledge, *, lang: str | None = None) -> str:
    """Advice for a person: the traffic light, then the findings grouped per rule."""
    lang = lang or review.language
    words = WORDS[lang]
    lines = [LIGHTS[lang][review.verdict]]
    for note in review.notes:
        lines.append(words.get(note, note))
    for number, groups in group_findings(review.findings):
        rule = knowledge.rules.get(number)
        title = rule.title.get(lang) if rule else ""
        lines.append("")
        lines.append(f"{words['rule']} {number}: {title}")
        for group in groups:
            first = group[0]
            marker = {"stop": "✖", "caution": "▲", "note": "·"}[first.severity]
            quoted = ", ".join(f"“{f.trigger}”" for f in group)
            lines.append(f"  {marker} {words['words']}: {quoted}")
            lines.append(f"    {first.explanation}")
            lines.append(f"    {words['tip']}: {first.suggestion}")
            case = knowledge.cases.get(first.case) if first.case else None
            if case:
                lines.append(f"    {words['case']}: {case.title.get(lang)} ({case.date})")
    if review.verdict != "go":
        lines.append("")
        lines.append(words["doubt"])
    return "\n".join(lines)
