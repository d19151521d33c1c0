"""The review engine: a draft, an organisation profile, a role and a platform in; a verdict out.

Signals, word lists and patterns come from the knowledge files and are compiled once per
`Engine`; everything about the organisation comes from its profile. The engine keeps nothing
and logs nothing about the draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex

from bot.analysis import (
    Analysis,
    Occurrence,
    detect_languages,
    find_quotes,
    is_negated,
)
from bot.contexts import HEADER, add_builtin_contexts
from bot.knowledge.schema import Organisation, Signal
from bot.lexicon import Hit, LexiconIndex, Term, parse_term
from bot.models import VERDICT_ORDER, Finding, Review
from bot.normalize import MAX_CHARS, fold, tokenize
from bot.personal_data import find_personal_data
from bot.profile import ProfileMatcher

PATTERN_TIMEOUT = 0.05  # seconds per pattern; a pattern that needs longer is skipped
MAX_FINDINGS_PER_SIGNAL = 3


@dataclass(frozen=True)
class _CompiledSignal:
    signal: Signal
    patterns: tuple[regex.Pattern[str], ...]
    precedent: dict[str, str | None]  # sector -> the case to point to


class Engine:
    """Compiled knowledge: build once (at load or reload), call `review` many times."""

    def __init__(self, knowledge) -> None:  # bot.knowledge.loader.Knowledge
        self.knowledge = knowledge
        terms: list[Term] = []
        excludes: dict[str, frozenset[str]] = {}
        for lexicon in knowledge.lexicons.values():
            for lang in ("nl", "en"):
                for text in getattr(lexicon.terms, lang):
                    terms.append(parse_term(lexicon.id, text, lang, masked=lexicon.masked))
            if lexicon.exclude:
                excludes[lexicon.id] = frozenset(
                    fold(w[:-1]) + "*" if w.endswith("*") else fold(w) for w in lexicon.exclude
                )
        self._index = LexiconIndex(terms, excludes)
        self._always_positive = frozenset(
            x.id for x in knowledge.lexicons.values() if not x.negatable
        )
        self._signals = tuple(
            _CompiledSignal(
                s,
                tuple(regex.compile(p, regex.IGNORECASE) for p in s.patterns),
                {sector: _precedent(knowledge, s, sector) for sector in ("public", "private")},
            )
            for s in knowledge.signals
        )
        self._profiles: dict[int, tuple[Organisation, ProfileMatcher]] = {}

    # -- public -------------------------------------------------------------------------------

    def review(
        self,
        text: str,
        *,
        profile: Organisation | None = None,
        role: str = "employee",
        platform: str = "other",
    ) -> Review:
        profile = profile or self.knowledge.organisation
        notes: list[str] = []
        if not text or not text.strip():
            return Review("go", (), (), "nl", ("empty",))
        if len(text) > MAX_CHARS:
            notes.append("truncated")
        analysis = self._analyse(text, profile, role=role)
        findings = self._findings(analysis, profile, role=role, platform=platform)
        return _verdict(findings, analysis.language, tuple(notes))

    # -- analysis -----------------------------------------------------------------------------

    def _matcher(self, profile: Organisation) -> ProfileMatcher:
        cached = self._profiles.get(id(profile))
        if cached is None or cached[0] is not profile:
            if len(self._profiles) > 64:
                self._profiles.clear()
            cached = (profile, ProfileMatcher(profile))
            self._profiles[id(profile)] = cached
        return cached[1]

    def _analyse(self, text: str, profile: Organisation, *, role: str) -> Analysis:
        text = text[:MAX_CHARS]
        tokens = tokenize(text)
        language, langs = detect_languages(tokens)
        analysis = Analysis(text, tokens, language, langs, find_quotes(text))
        occ = analysis.occurrences
        header = HEADER.match(text)
        header_end = header.end() if header else 0
        named: set[int] = set()  # token starts inside the profile's names
        for name, start, end, sentence, label in self._matcher(profile).find(tokens):
            occ[name].append(Occurrence(start, end, sentence, label=label))
            if name != "org_topic":  # 'verzekeringsfraude' is a topic word, not a name
                named.update(t.start for t in tokens if start <= t.start < end)
        for hit in self._index.find(tokens, langs):
            if _inside_proper_name(tokens, hit, named, header_end):
                continue
            if all(t.start in named for t in tokens[hit.first : hit.last + 1]):
                continue  # 'Ziekenhuis' in 'Ziekenhuis Holtervelde' is a name, not a topic
            occ[hit.lexicon].append(
                _occurrence(analysis, hit, negatable=hit.lexicon not in self._always_positive)
            )
        for data in find_personal_data(text):
            occ[data.kind if data.kind != "postcode" else "address"].append(
                Occurrence(data.start, data.end, analysis.sentence_at(data.start), label=data.kind)
            )
        add_builtin_contexts(analysis, profile, role=role)
        return analysis

    # -- signals ------------------------------------------------------------------------------

    def _findings(
        self, analysis: Analysis, profile: Organisation, *, role: str, platform: str
    ) -> list[Finding]:
        findings: list[Finding] = []
        lang = analysis.language
        guidance = self.knowledge.roles.get(role)
        values = {
            "organisation": profile.name,
            "role_name": guidance.title.get(lang).lower() if guidance else role,
            "lang": lang,
        }
        for compiled in self._signals:
            signal = compiled.signal
            if signal.roles and role not in signal.roles:
                continue
            if signal.platforms and platform not in signal.platforms:
                continue
            if signal.sector and signal.sector != profile.sector:
                continue
            taken: list[tuple[int, int]] = []
            for trigger in sorted(
                self._triggers(compiled, analysis), key=lambda o: (o.start, -(o.end - o.start))
            ):
                if any(trigger.start < e and s < trigger.end for s, e in taken):
                    continue  # one finding for 'hernia-operatie', not three
                if signal.quoted == "exclude" and trigger.quoted:
                    continue
                if signal.quoted == "only" and not trigger.quoted:
                    continue
                if not _conditions_hold(signal, analysis, trigger.sentence):
                    continue
                findings.append(
                    _finding(
                        signal, trigger, analysis.text, values, compiled.precedent[profile.sector]
                    )
                )
                taken.append((trigger.start, trigger.end))
                if len(taken) >= MAX_FINDINGS_PER_SIGNAL:
                    break
        return findings

    def _triggers(self, compiled: _CompiledSignal, analysis: Analysis) -> Iterable[Occurrence]:
        signal = compiled.signal
        for name in (*signal.lexicons, *signal.on):
            for occ in analysis.occurrences.get(name, ()):
                if occ.negated and signal.negatable:
                    continue
                yield occ
        if compiled.patterns:
            yield from _pattern_hits(compiled.patterns, analysis)


def _inside_proper_name(tokens, hit: Hit, named: set[int], header_end: int) -> bool:
    """'Operatie Kievit', 'Brand Security': capitalised words inside a sentence, next to another
    capitalised word, are a name, not the common word they spell. Capitals at the start of a
    sentence and the profile's own names don't count as such a neighbour."""
    first = tokens[hit.first]
    span = tokens[hit.first : hit.last + 1]
    if not all(t.upper_initial and not t.obfuscated for t in span):
        return False
    if _starts_sentence(tokens, hit.first) or first.start < header_end:
        return False  # capitals at a sentence start or in a '[Title Case Header]' are style
    for index in (hit.first - 1, hit.last + 1):
        if 0 <= index < len(tokens):
            neighbour = tokens[index]
            if (
                neighbour.upper_initial
                and neighbour.sentence == first.sentence
                and not _starts_sentence(tokens, index)
                and neighbour.start not in named
            ):
                return True
    return False


def _starts_sentence(tokens, index: int) -> bool:
    return index == 0 or tokens[index - 1].sentence != tokens[index].sentence


def _occurrence(analysis: Analysis, hit: Hit, *, negatable: bool = True) -> Occurrence:
    tokens = analysis.tokens
    start, end = tokens[hit.first].start, tokens[hit.last].end
    return Occurrence(
        start,
        end,
        tokens[hit.first].sentence,
        negated=negatable and is_negated(tokens, hit.first, hit.last, hit.term, analysis.text),
        quoted=analysis.in_quote(start, end),
        label=hit.term,
    )


def _pattern_hits(patterns: Iterable[regex.Pattern[str]], analysis: Analysis):
    norm, starts = _normalised_text(analysis)
    for pattern in patterns:
        try:
            for match in pattern.finditer(norm, timeout=PATTERN_TIMEOUT):
                first = _token_at(starts, match.start())
                last = _token_at(starts, max(match.start(), match.end() - 1))
                if first is None or last is None:
                    continue
                tokens = analysis.tokens
                start, end = tokens[first].start, tokens[last].end
                yield Occurrence(
                    start,
                    end,
                    tokens[first].sentence,
                    negated=is_negated(tokens, first, last, text=analysis.text),
                    quoted=analysis.in_quote(start, end),
                    label=pattern.pattern,
                )
        except TimeoutError:
            continue


def _normalised_text(analysis: Analysis) -> tuple[str, list[int]]:
    """Tokens' decoded forms joined by spaces, sentences by ' . '; and each token's offset."""
    cached = getattr(analysis, "_norm", None)
    if cached is not None:
        return cached
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    previous_sentence = 0
    for token in analysis.tokens:
        if token.sentence != previous_sentence:
            parts.append(". ")
            pos += 2
            previous_sentence = token.sentence
        starts.append(pos)
        word = token.forms[-1]
        parts.append(word + " ")
        pos += len(word) + 1
    result = ("".join(parts), starts)
    analysis._norm = result  # type: ignore[attr-defined]
    return result


def _token_at(starts: list[int], char: int) -> int | None:
    import bisect

    index = bisect.bisect_right(starts, char) - 1
    return index if index >= 0 else None


def _conditions_hold(signal: Signal, analysis: Analysis, sentence: int) -> bool:
    scope: tuple[int, ...] | None = None
    if signal.within == "sentence":
        scope = (sentence,)
    elif signal.within == "nearby":
        scope = (sentence - 1, sentence)
    if any(analysis.holds(name, sentences=scope) for name in signal.unless):
        return False
    if not all(analysis.holds(name, sentences=scope) for name in signal.requires):
        return False
    return not signal.requires_any or any(
        analysis.holds(name, sentences=scope) for name in signal.requires_any
    )


def _precedent(knowledge, signal: Signal, sector: str) -> str | None:
    """The signal's own case, else a case of its rule, from the same sector where there is one."""
    if signal.case:
        return signal.case
    rule = knowledge.rules.get(signal.rule)
    ids = [c for c in (rule.cases if rule else ()) if c in knowledge.cases]
    same = [c for c in ids if knowledge.cases[c].sector == sector]
    return (same or ids or [None])[0]


def _finding(
    signal: Signal, trigger: Occurrence, text: str, values: dict[str, str], case: str | None
) -> Finding:
    words = text[trigger.start : trigger.end]
    lang = values.get("lang", "nl")
    values = {**values, "trigger": words}
    return Finding(
        rule=signal.rule,
        severity=signal.severity,
        signal=signal.id,
        start=trigger.start,
        end=trigger.end,
        trigger=words,
        explanation=_fill(signal.explanation.get(lang), values),
        suggestion=_fill(signal.suggestion.get(lang), values),
        also=tuple(signal.also),
        case=case,
    )


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _verdict(findings: list[Finding], language: str, notes: tuple[str, ...]) -> Review:
    level = max((VERDICT_ORDER[f.severity] for f in findings), default=0)
    verdict = ("go", "caution", "stop")[level]
    rules: set[int] = set()
    for finding in findings:
        if finding.severity != "note":
            rules.update(finding.rules)
    if verdict != "go":
        rules.add(15)
    ordered = sorted(findings, key=lambda f: (-VERDICT_ORDER[f.severity], f.start, f.rule))
    return Review(verdict, tuple(sorted(rules)), tuple(ordered), language, notes)  # type: ignore[arg-type]
