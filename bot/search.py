"""Ranked search over the knowledge (rules, cases, tips, the playbook, the legal frame), in Dutch
and English, tolerant of word forms, compounds and one typo.

Scoring is BM25 over Snowball stems, with the title counting three times. Each query word is
looked up in both languages (a manager may search in English in a Dutch workspace); a document
scores its better language. A query word also finds, at a lower weight, words that start with
it ('portret' finds 'portretrecht', 'beledigd' finds 'belediging'), and a word of five letters or
more that the knowledge doesn't hold finds the words one edit away ('beledging'). 'regel 8' or
'rule 8' puts rule 8 first.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.analysis import EN_WORDS, NL_WORDS
from bot.knowledge.loader import Knowledge
from bot.knowledge.schema import RULE_NUMBERS
from bot.knowledge.schema import Text as LangText
from bot.lexicon import stem
from bot.normalize import fold, tokenize

Kind = Literal["rule", "case", "tip", "playbook", "legal"]
LANGS = ("nl", "en")

_K1 = 1.2
_B = 0.75
_TITLE_WEIGHT = 3.0
_PREFIX_WEIGHT = 0.5  # a longer word that starts with the query word: a compound or word form
_FUZZY_WEIGHT = 0.8  # a word one edit away from a query word the knowledge doesn't hold
_FUZZY_MIN = 5  # shorter words have too many neighbours one edit away
_PREFIX_MIN = 5
_SPLIT_MIN = 4  # each part of a compound split for the search
_MAX_EXPANSIONS = 40
_MIN_STEM_WORD = 4  # as in bot.lexicon: stems of short words collide too often
_RULE_BOOST = 100.0  # 'regel 8' puts rule 8 above any text match
_CITES_RULE_BONUS = 1.0  # ... and lifts what cites rule 8 a little
_SNIPPET_CHARS = 180
_STOP_WORDS = (
    NL_WORDS
    | EN_WORDS
    | frozenset(
        "der des den deze hem haar hij zich ook toch wanneer welke zonder tot tegen "
        "or as into been its which while should could".split()
    )
)
_RULE_NUMBER = re.compile(r"\b(?:regel|rule|r|nr|no)\s*[.#]?\s*(\d{1,3})\b|^\s*#?(\d{1,3})\s*$")


@dataclass(frozen=True, slots=True)
class Hit:
    kind: Kind
    id: str  # the rule's number ('8'), or the id of the case, tip, playbook step or legal item
    title: str
    score: float
    snippet: str


@dataclass(frozen=True, slots=True)
class _Field:
    text: str
    weight: float
    words: tuple[tuple[str, int, int], ...]  # (stem key, start, end) of each indexed word


@dataclass(frozen=True, slots=True)
class _Doc:
    kind: Kind
    id: str
    titles: dict[str, str]
    body: dict[str, tuple[_Field, ...]]  # per language: the fields a snippet is taken from
    rules: frozenset[int]  # the rules it is, or cites
    applies_to: str = "both"


def _key(word: str, lang: str) -> str:
    return stem(word, lang) if len(word) >= _MIN_STEM_WORD and word.isalpha() else word


def _words(text: str) -> list[tuple[str, int, int]]:
    """Folded words worth indexing, with their spans: no stop words, no single letters."""
    out = []
    for token in tokenize(text):
        word = token.forms[0]
        if word in _STOP_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        if not any(c.isalnum() for c in word):
            continue
        out.append((word, token.start, token.end))
    return out


class _LangIndex:
    """BM25 postings of one language, with the vocabulary for prefix and typo look-ups."""

    def __init__(self, lang: str, docs: list[list[tuple[str, float]]]) -> None:
        """`docs[i]` holds (folded word, weight) for every word of document i."""
        self.lang = lang
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.stem_of: dict[str, str] = {}
        lengths = []
        for i, words in enumerate(docs):
            tf: dict[str, float] = defaultdict(float)
            for word, weight in words:
                key = self.stem_of.setdefault(word, _key(word, lang))
                tf[key] += weight
            lengths.append(sum(weight for _, weight in words))
            for key, freq in tf.items():
                self.postings[key].append((i, freq))
        count = max(len(docs), 1)
        average = (sum(lengths) / count) or 1.0
        self.norm = [_K1 * (1 - _B + _B * length / average) for length in lengths]
        self.idf = {
            key: math.log(1 + (count - len(p) + 0.5) / (len(p) + 0.5))
            for key, p in self.postings.items()
        }
        self.vocabulary = sorted(self.stem_of)
        self.prefixes = frozenset(  # so a typo is checked against word beginnings in O(1)
            word[:n]
            for word in self.vocabulary
            if word.isalpha()
            for n in range(_PREFIX_MIN, len(word))
        )

    def knows(self, word: str) -> bool:
        return word in self.stem_of or _key(word, self.lang) in self.postings

    def expand(self, word: str, *, fuzzy: bool) -> dict[str, float]:
        """Index keys a query word stands for, each with its weight."""
        keys: dict[str, float] = {}
        own = _key(word, self.lang)
        if own in self.postings:
            keys[own] = 1.0
        roots = {own, word}
        if len(word) >= _PREFIX_MIN + 1 and word.isalpha():
            roots.add(word[:-1])  # 'beledigd' -> 'beledig...', 'regels' -> 'regel...'
        for root in roots:
            if len(root) >= _PREFIX_MIN:
                for found in self._starting_with(root):
                    keys.setdefault(self.stem_of[found], _PREFIX_WEIGHT)
        if fuzzy and not keys:
            for variant in _one_edit(word):
                if variant in self.stem_of:
                    key = self.stem_of[variant]
                    keys[key] = max(keys.get(key, 0.0), _FUZZY_WEIGHT)
                elif variant in self.prefixes:
                    # a typo in a word form the knowledge only holds longer ('beledging' is
                    # 'belediging', which stands in the rules as 'beledigingen')
                    for found in self._starting_with(variant):
                        keys.setdefault(self.stem_of[found], _FUZZY_WEIGHT * _PREFIX_WEIGHT)
        return keys

    def _starting_with(self, root: str) -> list[str]:
        start = bisect.bisect_left(self.vocabulary, root)
        found = []
        for word in self.vocabulary[start : start + _MAX_EXPANSIONS]:
            if not word.startswith(root):
                break
            found.append(word)
        return found

    def score(self, keys: dict[str, float]) -> dict[int, float]:
        """Per document: the best of the query word's keys (a word counts once, however spelt)."""
        best: dict[int, float] = {}
        for key, weight in keys.items():
            idf = self.idf[key]
            for doc, tf in self.postings[key]:
                value = weight * idf * tf * (_K1 + 1) / (tf + self.norm[doc])
                if value > best.get(doc, 0.0):
                    best[doc] = value
        return best


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _one_edit(word: str) -> set[str]:
    """Every word one letter added, left out, changed, or two neighbours swapped away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    variants = {a + b[1:] for a, b in splits if b}
    variants |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    variants |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    variants |= {a + c + b for a, b in splits for c in _LETTERS}
    variants.discard(word)
    return variants


class SearchIndex:
    """Built once from the knowledge; `search()` is read-only and safe to share between threads."""

    def __init__(self, knowledge: Knowledge, *, organisation: str | None = None) -> None:
        """`organisation` fills in '{organisation}' in snippets (default: the knowledge's own)."""
        name = organisation or knowledge.organisation.name
        self._docs: list[_Doc] = []
        words: dict[str, list[list[tuple[str, float]]]] = {lang: [] for lang in LANGS}

        def add(
            kind: Kind,
            id_: str,
            title: LangText,
            body: Iterable[tuple[LangText, float]],
            rules: Iterable[int],
            applies_to: str = "both",
        ) -> None:
            body = list(body)
            fields: dict[str, tuple[_Field, ...]] = {}
            for lang in LANGS:
                doc_words = [(w, _TITLE_WEIGHT) for w, _, _ in _words(title.get(lang))]
                lang_fields = []
                for text, weight in body:
                    shown, found = _fill_in(text.get(lang), name)
                    doc_words += [(w, weight) for w, _, _ in found]
                    spans = tuple((_key(w, lang), start, end) for w, start, end in found)
                    lang_fields.append(_Field(shown, weight, spans))
                words[lang].append(doc_words)
                fields[lang] = tuple(lang_fields)
            titles = {lang: title.get(lang) for lang in LANGS}
            self._docs.append(_Doc(kind, id_, titles, fields, frozenset(rules), applies_to))

        for number, rule in knowledge.rules.items():
            body = [(rule.text, 1.5), (rule.explanation, 1.0)]
            add("rule", str(number), rule.title, body, [number])
        for case in knowledge.cases.values():
            body = [(case.what_happened, 1.0), (case.lesson, 1.5), (case.outcome, 1.0)]
            add("case", case.id, case.title, body, case.rules)
        for tip in knowledge.tips:
            add("tip", tip.id, tip.title, [(tip.text, 1.0)], tip.rules)
        for step in knowledge.playbook:
            add("playbook", step.id, step.title, [(step.text, 1.0)], ())
        for item in knowledge.legal:
            add("legal", item.id, item.title, [(item.summary, 1.0)], item.rules, item.applies_to)
        self._rule_doc = {int(d.id): i for i, d in enumerate(self._docs) if d.kind == "rule"}
        self._langs = {lang: _LangIndex(lang, words[lang]) for lang in LANGS}

    def __len__(self) -> int:
        return len(self._docs)

    def search(
        self, query: str, *, lang: str, limit: int = 5, sector: str | None = None
    ) -> list[Hit]:
        """The best `limit` hits for a query in Dutch or English, titles and snippets in `lang`.

        With `sector` ('public' or 'private'), legal items of the other sector are left out.
        """
        lang = "en" if lang.startswith("en") else "nl"
        folded = fold(query)
        numbers = set()
        for match in _RULE_NUMBER.finditer(folded):
            number = int(match.group(1) or match.group(2))
            if number in RULE_NUMBERS:
                numbers.add(number)
                folded = folded.replace(match.group(0), " ", 1)
        query_words: list[str] = []
        for word, _, _ in _words(folded):
            query_words += self._split(word) if not self._knows(word) else [word]
        query_words = list(dict.fromkeys(query_words))
        known = {w for w in query_words if self._knows(w)}
        expansions = {
            code: [ix.expand(w, fuzzy=w not in known and len(w) >= _FUZZY_MIN) for w in query_words]
            for code, ix in self._langs.items()
        }
        scores: dict[int, float] = defaultdict(float)
        for code, ix in self._langs.items():
            totals: dict[int, float] = defaultdict(float)
            for keys in expansions[code]:
                for doc, value in ix.score(keys).items():
                    totals[doc] += value
            for doc, total in totals.items():
                scores[doc] = max(scores[doc], total)
        for number in numbers:
            scores[self._rule_doc[number]] += _RULE_BOOST
            for i, doc in enumerate(self._docs):
                if doc.kind != "rule" and number in doc.rules:
                    scores[i] += _CITES_RULE_BONUS
        ranked = sorted(
            (
                (score, i)
                for i, score in scores.items()
                if score > 0 and (sector is None or self._docs[i].applies_to in ("both", sector))
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )
        highlight = {key for keys in expansions[lang] for key in keys}
        hits = []
        for score, i in ranked[: max(limit, 0)]:
            doc = self._docs[i]
            snippet = _snippet(doc.body[lang], highlight)
            hits.append(Hit(doc.kind, doc.id, doc.titles[lang], round(score, 4), snippet))
        return hits

    def _knows(self, word: str) -> bool:
        return any(ix.knows(word) for ix in self._langs.values())

    def _split(self, word: str) -> list[str]:
        """A Dutch compound the knowledge only holds in parts: 'profielfoto' -> 'profiel', 'foto';
        'integriteitsbeleid' -> 'integriteit', 'beleid' (the linking 's' dropped)."""
        if len(word) < 2 * _SPLIT_MIN or not word.isalpha():
            return [word]
        for i in sorted(
            range(_SPLIT_MIN, len(word) - _SPLIT_MIN + 1), key=lambda i: abs(len(word) / 2 - i)
        ):
            left, right = word[:i], word[i:]
            if not self._knows(right):
                continue
            if self._knows(left):
                return [left, right]
            if left.endswith("s") and len(left) > _SPLIT_MIN and self._knows(left[:-1]):
                return [left[:-1], right]
        return [word]


def _fill_in(text: str, name: str) -> tuple[str, list[tuple[str, int, int]]]:
    """The text with the organisation's name filled in, and its words without that name: the
    name is no topic of a rule ('gemeente' should not find every rule)."""
    parts = text.split("{organisation}")
    shown = name.join(parts)
    names, at = [], 0
    for part in parts[:-1]:
        at += len(part)
        names.append((at, at + len(name)))
        at += len(name)
    found = [
        (word, start, end)
        for word, start, end in _words(shown)
        if not any(a <= start < b for a, b in names)
    ]
    return shown, found


def _snippet(fields: tuple[_Field, ...], keys: set[str]) -> str:
    """About _SNIPPET_CHARS characters around the first word the query found, cut at spaces."""
    for field in fields:
        for key, start, _end in field.words:
            if key in keys:
                return _cut(field.text, start)
    return _cut(fields[0].text, 0) if fields else ""


def _cut(text: str, at: int) -> str:
    text = text.replace("\n", " ")  # same length: the spans stay right
    begin = max(0, at - _SNIPPET_CHARS // 3)
    if begin:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < at else begin
    end = begin + _SNIPPET_CHARS
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > at else end
    snippet = text[begin:end].strip()
    return ("…" if begin else "") + snippet + ("…" if end < len(text) else "")
