"""`protocolbot knowledge check`: every load problem, then the golden examples through the engine.

A rule's 'dont' examples must make the engine cite the rule, its 'do' examples must not; each
example is tried in Dutch and in English, with {organisation} filled in from the profile.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot.knowledge.errors import KnowledgeError, KnowledgeInvalid
from bot.knowledge.loader import Knowledge, default_knowledge_dir, load_knowledge

EngineFactory = Callable[[Knowledge], Any]  # returns an object with .review(text, *, profile, ...)


@dataclass
class CheckResult:
    errors: list[KnowledgeError] = field(default_factory=list)
    knowledge: Knowledge | None = None
    golden_passed: int = 0


def default_engine_factory(knowledge: Knowledge) -> Any:
    from bot.review import Engine  # imported late: the engine depends on this package

    return Engine(knowledge)


def check(
    directory: Path | str | None = None, *, engine_factory: EngineFactory | None = None
) -> CheckResult:
    """Load the knowledge and, when it loads, run its golden examples."""
    result = CheckResult()
    try:
        result.knowledge = load_knowledge(directory)
    except KnowledgeInvalid as exc:
        result.errors = exc.errors
        return result
    knowledge = result.knowledge
    rules_file = str(knowledge.directory / "rules.yaml")
    try:
        engine = (engine_factory or default_engine_factory)(knowledge)
    except ImportError as exc:
        result.errors.append(
            KnowledgeError(
                rules_file,
                1,
                1,
                f"the review engine (bot.review) is not available, so the golden examples were not "
                f"checked: {exc}",
                "finish bot/review.py (class Engine), then run the check again",
            )
        )
        return result
    except Exception as exc:  # a broken engine build is reported, not raised, by a checker
        result.errors.append(
            KnowledgeError(
                rules_file,
                1,
                1,
                f"the review engine could not be built from this knowledge: "
                f"{type(exc).__name__}: {exc}",
                "fix what the message names, or report it as a bug in the engine",
            )
        )
        return result
    errors, result.golden_passed = golden_errors(knowledge, engine)
    result.errors += errors
    return result


def golden_errors(knowledge: Knowledge, engine: Any) -> tuple[list[KnowledgeError], int]:
    """Every golden example the engine gets wrong, and how many it gets right."""
    errors: list[KnowledgeError] = []
    passed = 0
    profile = knowledge.organisation
    for number, rule in sorted(knowledge.rules.items()):
        file_name, path = knowledge.positions.find("rule", number)
        file = str(knowledge.positions.path(file_name))
        for kind in ("do", "dont"):
            for j, example in enumerate(getattr(rule, kind)):
                for language in ("nl", "en"):
                    text = getattr(example, language).replace("{organisation}", profile.name)
                    line, col = knowledge.positions.of(file_name, (*path, kind, j, language))
                    what = f"rule {number} '{kind}' example {j + 1} ({language})"
                    try:
                        review = engine.review(
                            text, profile=profile, role=example.role, platform=example.platform
                        )
                    except Exception as exc:  # report, and go on with the other examples
                        errors.append(
                            KnowledgeError(
                                file,
                                line,
                                col,
                                f"the engine failed on {what}: {type(exc).__name__}: {exc}",
                                "this is a bug in the engine or in the signals it uses",
                            )
                        )
                        continue
                    cited = tuple(review.rules)
                    flagged = number in cited
                    if flagged == (kind == "dont"):
                        passed += 1
                        continue
                    state = "is flagged" if flagged else "is not flagged"
                    listed = ", ".join(str(n) for n in cited)
                    errors.append(
                        KnowledgeError(
                            file,
                            line,
                            col,
                            f"{what} {state} for rule {number} (engine cited [{listed}])",
                            "adjust the example or the signals for this rule",
                        )
                    )
    return errors, passed


def check_knowledge(
    directory: Path | str | None = None, *, engine_factory: EngineFactory | None = None
) -> list[KnowledgeError]:
    """All load errors; when the files load, also the golden examples that fail."""
    return check(directory, engine_factory=engine_factory).errors


def run_check(
    directory: Path | str | None = None,
    *,
    out: TextIO | None = None,
    engine_factory: EngineFactory | None = None,
) -> int:
    """Print every problem and a summary line; 0 when all is well, 1 otherwise."""
    out = out if out is not None else sys.stdout
    result = check(
        directory if directory is not None else default_knowledge_dir(),
        engine_factory=engine_factory,
    )
    for error in result.errors:
        print(error, file=out)
    if result.errors:
        count = len(result.errors)
        print(f"{count} problem{'s' if count != 1 else ''} found", file=out)
        return 1
    k = result.knowledge
    assert k is not None
    print(
        f"knowledge OK: {len(k.rules)} rules, {len(k.cases)} cases, {len(k.signals)} signals, "
        f"{len(k.lexicons)} lexicons; {result.golden_passed} golden examples pass",
        file=out,
    )
    return 0
