"""The review's result types: plain frozen values that cross every seam."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["go", "caution", "stop"]
VERDICT_ORDER: dict[str, int] = {"go": 0, "note": 0, "caution": 1, "stop": 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason the draft touches a rule, with the words that triggered it."""

    rule: int
    severity: Literal["stop", "caution", "note"]
    signal: str
    start: int  # span in the original text (end exclusive)
    end: int
    trigger: str  # the original words that triggered the finding
    explanation: str
    suggestion: str
    also: tuple[int, ...] = ()
    case: str | None = None

    @property
    def rules(self) -> tuple[int, ...]:
        return (self.rule, *self.also)


@dataclass(frozen=True, slots=True)
class Review:
    verdict: Verdict
    rules: tuple[int, ...]
    findings: tuple[Finding, ...]
    language: Literal["nl", "en"]
    notes: tuple[str, ...] = field(default=())  # e.g. "empty draft", "truncated"
