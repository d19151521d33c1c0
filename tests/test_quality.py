"""The issue's quality bar, held on the dev sets and the held-out sets (a regression guard)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.evaluate import Judged, score
from bot.knowledge.loader import load_organisation

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval"
SETS = [
    (DEV / "org-dev-public.yaml", DEV / "dev-public.jsonl"),
    (DEV / "org-dev-private.yaml", DEV / "dev-private.jsonl"),
    (ROOT / "tests/holdout/org-holdout-public.yaml", ROOT / "tests/holdout/holdout-public.jsonl"),
    (ROOT / "tests/holdout/org-holdout-private.yaml", ROOT / "tests/holdout/holdout-private.jsonl"),
    (ROOT / "tests/holdout2/org-public.yaml", ROOT / "tests/holdout2/public.jsonl"),
    (ROOT / "tests/holdout2/org-private.yaml", ROOT / "tests/holdout2/private.jsonl"),
    (ROOT / "tests/holdout3/org-public.yaml", ROOT / "tests/holdout3/public.jsonl"),
    (ROOT / "tests/holdout3/org-private.yaml", ROOT / "tests/holdout3/private.jsonl"),
    (ROOT / "tests/holdout4/org-public.yaml", ROOT / "tests/holdout4/public.jsonl"),
    (ROOT / "tests/holdout4/org-private.yaml", ROOT / "tests/holdout4/private.jsonl"),
    (ROOT / "tests/holdout5a/org-public.yaml", ROOT / "tests/holdout5a/public.jsonl"),
    (ROOT / "tests/holdout5a/org-private.yaml", ROOT / "tests/holdout5a/private.jsonl"),
    (ROOT / "tests/holdout5b/org-public.yaml", ROOT / "tests/holdout5b/public.jsonl"),
    (ROOT / "tests/holdout5b/org-private.yaml", ROOT / "tests/holdout5b/private.jsonl"),
    (ROOT / "tests/holdout6a/org-public.yaml", ROOT / "tests/holdout6a/public.jsonl"),
    (ROOT / "tests/holdout6a/org-private.yaml", ROOT / "tests/holdout6a/private.jsonl"),
    (ROOT / "tests/holdout6b/org-public.yaml", ROOT / "tests/holdout6b/public.jsonl"),
    (ROOT / "tests/holdout6b/org-private.yaml", ROOT / "tests/holdout6b/private.jsonl"),
    (ROOT / "tests/holdout7a/org-public.yaml", ROOT / "tests/holdout7a/public.jsonl"),
    (ROOT / "tests/holdout7a/org-private.yaml", ROOT / "tests/holdout7a/private.jsonl"),
    (ROOT / "tests/holdout7b/org-public.yaml", ROOT / "tests/holdout7b/public.jsonl"),
    (ROOT / "tests/holdout7b/org-private.yaml", ROOT / "tests/holdout7b/private.jsonl"),
    (ROOT / "tests/holdout8a/org-public.yaml", ROOT / "tests/holdout8a/public.jsonl"),
    (ROOT / "tests/holdout8a/org-private.yaml", ROOT / "tests/holdout8a/private.jsonl"),
    (ROOT / "tests/holdout8b/org-public.yaml", ROOT / "tests/holdout8b/public.jsonl"),
    (ROOT / "tests/holdout8b/org-private.yaml", ROOT / "tests/holdout8b/private.jsonl"),
    (ROOT / "tests/holdout9a/org-public.yaml", ROOT / "tests/holdout9a/public.jsonl"),
    (ROOT / "tests/holdout9a/org-private.yaml", ROOT / "tests/holdout9a/private.jsonl"),
    (ROOT / "tests/holdout9b/org-public.yaml", ROOT / "tests/holdout9b/public.jsonl"),
    (ROOT / "tests/holdout9b/org-private.yaml", ROOT / "tests/holdout9b/private.jsonl"),
]
# the newest round, learnt from only partly: its own floor, just under what it measures now
RECENT = {"holdout9a", "holdout9b"}


def judge(engine, org: Path, drafts: Path) -> list[Judged]:
    profile = load_organisation(org, strict=False)[0]
    judged = []
    for line in drafts.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        result = engine.review(
            item["text"],
            profile=profile,
            role=item.get("role") or "employee",
            platform=item.get("platform") or "other",
        )
        judged.append(
            Judged(
                item["id"],
                item["verdict"],
                frozenset(item["rules"]),
                result.verdict,
                frozenset(result.rules),
            )
        )
    return judged


@pytest.mark.parametrize(
    ("org", "drafts"), SETS, ids=[f"{d.parent.name}/{d.stem}" for _, d in SETS]
)
def test_quality_bar(engine, org, drafts):
    if not drafts.exists():
        pytest.skip(f"{drafts} is not here (the shared eval sets sit beside the repository)")
    s = score(judge(engine, org, drafts))
    if drafts.parent == DEV:  # the quality bar
        assert s.accuracy >= 0.85
        assert s.stop_recall >= 0.95
        assert s.concern_recall >= 0.95
        assert s.false_alarms <= 0.10
        assert s.rule_f1 >= 0.75
    elif drafts.parent.name in RECENT:
        assert s.accuracy >= 0.72
        assert s.stop_recall >= 0.65
        assert s.concern_recall >= 0.65
        assert s.false_alarms <= 0.12
        assert s.rule_f1 >= 0.60
    else:  # held-out sets: a floor that catches regressions (README has the actual figures)
        assert s.accuracy >= 0.80
        assert s.stop_recall >= 0.70
        assert s.concern_recall >= 0.75
        assert s.false_alarms <= 0.10
        assert s.rule_f1 >= 0.70


def test_functional_hate_and_insult_cases(engine, bakery):
    rows = [
        json.loads(x)
        for x in (ROOT / "tests/holdout/functional.jsonl").read_text().splitlines()
        if x.strip()
    ]
    judged = [
        Judged(
            r["id"],
            r["verdict"],
            frozenset(r["rules"]),
            (res := engine.review(r["text"], profile=bakery)).verdict,
            frozenset(res.rules),
        )
        for r in rows
    ]
    s = score(judged)
    assert s.accuracy >= 0.85
    assert s.false_alarms <= 0.10
