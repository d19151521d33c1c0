"""`protocolbot bench`: review throughput, latency percentiles and knowledge load time."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

# A 280-character and a 1,500-character post, built from ordinary work-related sentences with a
# few signals in them, so that the benchmark exercises matching rather than an empty path.
_SENTENCES = [
    "Vandaag met het team de nieuwe planning doorgenomen, en eerlijk gezegd ben ik er trots op.",
    "Our customers noticed the difference last week, and the feedback was mostly positive.",
    "Ik hoop dat we volgend jaar nog meer collega's kunnen verwelkomen op de open dag.",
    "Not everything went well: the system crashed twice and we lost an afternoon of work.",
    "Wie komt er zaterdag helpen met verhuizen? Pizza en koffie zijn geregeld, het adres volgt.",
    "Personal view: the sector should invest more in training before buying new software.",
]


def _draft(length: int) -> str:
    text = ""
    i = 0
    while len(text) < length:
        text += _SENTENCES[i % len(_SENTENCES)] + " "
        i += 1
    return text[:length]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _measure(engine, profile, drafts: list[tuple[str, str, str]], rounds: int) -> dict[str, float]:
    for text, role, platform in drafts[:5]:  # warm caches once
        engine.review(text, profile=profile, role=role, platform=platform)
    times: list[float] = []
    start = time.perf_counter()
    for _ in range(rounds):
        for text, role, platform in drafts:
            t0 = time.perf_counter()
            engine.review(text, profile=profile, role=role, platform=platform)
            times.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    return {
        "reviews": len(times),
        "per_second": len(times) / total if total else 0.0,
        "p50_ms": _percentile(times, 0.50) * 1000,
        "p99_ms": _percentile(times, 0.99) * 1000,
        "mean_ms": statistics.fmean(times) * 1000,
    }


def _measure_turns(database: str | None, knowledge_dir, turns: int) -> dict[str, dict[str, float]]:
    """Whole conversation turns through `Bot.handle` with the store: a draft reviewed and its
    state saved, then 'I'm still in doubt' (the walk's first question)."""
    import tempfile
    from itertools import count

    from bot.conversation import Bot
    from bot.messages import Action, DirectMessage, Origin
    from bot.source import KnowledgeSource
    from bot.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        url = database or f"sqlite:///{Path(folder) / 'bench.db'}"
        store = open_store(url)
        bot = Bot(KnowledgeSource(knowledge_dir), store)
        ids = count()
        timings: dict[str, list[float]] = {"draft": [], "walk": []}
        text = _draft(280)
        try:
            for n in range(turns):
                user = f"bench-{n % 50}"
                origin = Origin("bench", user, f"dm-{user}", "nl", "bench", f"b{next(ids)}")
                t0 = time.perf_counter()
                bot.handle(DirectMessage(origin, text))
                timings["draft"].append(time.perf_counter() - t0)
                origin = Origin("bench", user, f"dm-{user}", "nl", "bench", f"b{next(ids)}")
                t0 = time.perf_counter()
                bot.handle(Action(origin, "walk_start", ""))
                timings["walk"].append(time.perf_counter() - t0)
        finally:
            store.close()
    return {name: _summary(values) for name, values in timings.items()}


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "reviews": len(values),
        "per_second": len(values) / sum(values) if values else 0.0,
        "p50_ms": _percentile(values, 0.50) * 1000,
        "p99_ms": _percentile(values, 0.99) * 1000,
        "mean_ms": statistics.fmean(values) * 1000,
    }


def run_bench(args) -> int:
    from bot.knowledge.loader import load_knowledge, load_organisation
    from bot.review import Engine

    loads = []
    for _ in range(5):
        t0 = time.perf_counter()
        knowledge = load_knowledge(args.knowledge)
        engine = Engine(knowledge)
        loads.append(time.perf_counter() - t0)
    profile = load_organisation(args.org, strict=False)[0] if args.org else knowledge.organisation

    files = args.files or sorted(
        Path(__file__).resolve().parents[2].glob("shared/eval/dev-*.jsonl")
    )
    drafts: list[tuple[str, str, str]] = []
    for path in files:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                drafts.append(
                    (obj["text"], obj.get("role") or "employee", obj.get("platform") or "other")
                )

    print(
        f"knowledge load + compile: median {statistics.median(loads) * 1000:.1f} ms "
        f"(min {min(loads) * 1000:.1f} ms over {len(loads)} loads)"
    )
    rows = []
    if drafts:
        rows.append((f"dev drafts ({len(drafts)})", _measure(engine, profile, drafts, args.rounds)))
    for length in (280, 1500):
        rows.append(
            (
                f"{length}-char post",
                _measure(
                    engine, profile, [(_draft(length), "employee", "linkedin")], args.rounds * 50
                ),
            )
        )
    store = "PostgreSQL" if (args.database or "").startswith("postgres") else "SQLite"
    turns = _measure_turns(args.database, args.knowledge, args.rounds * 10)
    rows.append((f"DM turn, {store}", turns["draft"]))
    rows.append((f"walk start, {store}", turns["walk"]))
    if getattr(args, "teams", False):
        from adapters.teams.bench import measure

        teams = measure(args.database, args.knowledge, args.rounds * 10)
        rows.append((f"Teams DM, {store}", _summary(teams["dm"])))
        rows.append((f"Teams click, {store}", _summary(teams["click"])))
    print(f"{'input':<24}{'runs':>7}{'per s':>10}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for name, m in rows:
        print(
            f"{name:<24}{m['reviews']:>7.0f}{m['per_second']:>10.0f}{m['p50_ms']:>9.2f}"
            f"{m['p99_ms']:>9.2f}{m['mean_ms']:>9.2f}"
        )
    return 0
