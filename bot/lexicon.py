"""Word lists compiled into an index that finds words, word forms and phrases among tokens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import snowballstemmer

from bot.analysis import EN_WORDS, NL_WORDS
from bot.normalize import Token, fold

_STEMMERS = {"nl": snowballstemmer.stemmer("dutch"), "en": snowballstemmer.stemmer("english")}
GAP = "..."  # in a phrase: up to MAX_GAP arbitrary words
MAX_GAP = 4
FUZZY_MIN = 7  # masked words this long also match with one letter missing
_MIN_STEM_WORD = 4  # shorter words match exactly only: stems of short words collide too often


@lru_cache(maxsize=131072)
def stem(word: str, lang: str) -> str:
    return _STEMMERS[lang].stemWord(word)


_COMMON_IN_OTHER = {"en": NL_WORDS, "nl": EN_WORDS}


@dataclass(frozen=True, slots=True)
class WordSpec:
    kind: Literal["form", "exact", "prefix", "suffix", "gap"]
    key: str = ""
    stem: str = ""
    lang: str = ""


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity: it is hot
class Term:
    lexicon: str
    text: str  # as written in the knowledge file
    lang: str
    words: tuple[WordSpec, ...]
    masked: bool = False  # may match words whose letters are hidden ('f***')


@dataclass(frozen=True, slots=True)
class Hit:
    lexicon: str
    term: str
    first: int  # index of the first and last token matched
    last: int


def parse_term(lexicon: str, text: str, lang: str, *, masked: bool = False) -> Term:
    specs: list[WordSpec] = []
    for raw in text.split():
        if raw == GAP:
            specs.append(WordSpec("gap"))
        elif raw.startswith("="):
            specs.append(WordSpec("exact", fold(raw[1:])))
        elif raw.endswith("*"):
            specs.append(WordSpec("prefix", fold(raw[:-1])))
        elif raw.startswith("*") and len(raw) > 1:
            specs.append(WordSpec("suffix", fold(raw[1:])))
        else:
            word = fold(raw)
            word_stem = stem(word, lang) if len(word) >= _MIN_STEM_WORD else ""
            specs.append(WordSpec("form", word, word_stem, lang))
    while specs and specs[-1].kind == "gap":
        specs.pop()
    while specs and specs[0].kind == "gap":
        specs.pop(0)
    return Term(lexicon, text, lang, tuple(specs), masked)


class TokenKeys:
    """What one token can be matched on: its readings, and their stems per language."""

    __slots__ = ("exact", "stems", "forms", "masked", "sentence", "plain")

    def __init__(self, token: Token) -> None:
        self.forms = token.forms
        self.exact = frozenset(self.forms)
        self.stems = _stems(token.forms)
        self.masked = token.masked
        self.sentence = token.sentence
        # a word only readable by decoding ('k@nker') counts for curse lists alone: nobody
        # writes 'k@nker' meaning the illness
        self.plain = self if token.plain >= len(token.forms) else _PlainKeys(token)

    def matches(self, spec: WordSpec, langs: frozenset[str], masked_term: bool = True) -> bool:
        if not masked_term and self.plain is not self:
            return self.plain.matches(spec, langs)
        if spec.kind == "exact":
            return spec.key in self.exact or self.masked and _masked_equal(self.forms, spec.key)
        if spec.kind == "prefix":
            return any(f.startswith(spec.key) for f in self.forms) or (
                self.masked and _masked_equal(self.forms, spec.key, prefix=True)
            )
        if spec.kind == "suffix":
            return any(f.endswith(spec.key) for f in self.forms)
        if spec.key in self.exact:
            # 'die' is an English threat word and a Dutch pronoun: a word that is a common word
            # of the other language only counts in a sentence that may be in the term's language
            return spec.lang in langs or spec.key not in _COMMON_IN_OTHER.get(spec.lang, ())
        if self.masked and _masked_equal(self.forms, spec.key):
            return True
        return bool(spec.stem) and spec.lang in langs and (spec.lang, spec.stem) in self.stems


class _PlainKeys(TokenKeys):
    """The plain readings of a token whose other readings decode obfuscation."""

    def __init__(self, token: Token) -> None:  # noqa: D107 - deliberately not calling super
        self.forms = token.forms[: token.plain]
        self.exact = frozenset(self.forms)
        self.stems = _stems(self.forms)
        self.masked = False
        self.sentence = token.sentence
        self.plain = self


@lru_cache(maxsize=65536)
def _stems(forms: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    return frozenset((lang, stem(f, lang)) for f in forms for lang in ("nl", "en") if len(f) >= 3)


def _masked_equal(forms: Sequence[str], word: str, *, prefix: bool = False) -> bool:
    """'f***' and 'f*ck' stand for 'fuck': same length, visible letters in place."""
    for form in forms:
        if "*" not in form:
            continue
        # the visible letters must appear in order in the word, which is at least as long
        visible = [c for c in form if c != "*"]
        if not visible or form[0] == "*":
            continue
        if len(form) == 2 and form[1] == "*":  # 'f*' alone is too vague
            continue
        if (
            _wild_prefix(form, word)
            and (not prefix or len(visible) >= 3)
            and (prefix or len(form) == len(word))
        ):
            return True  # 'kl*otzak': the hidden letters stand exactly where the word has letters
        if prefix:
            if len(visible) >= 3 and form[0] == word[0] and _letters_in_order(visible, word):
                return True
        elif word[0] == form[0] and _letters_in_order(visible, word) and len(word) >= len(form):
            return True
    return False


def _anchored_on_second(term: Term) -> bool:
    if len(term.words) < 2 or term.masked:
        return False
    first, second = term.words[0], term.words[1]
    return (
        first.kind in ("form", "exact")
        and first.key in _COMMON_WORDS
        and second.kind in ("form", "exact")
        and second.key not in _COMMON_WORDS
    )


_COMMON_WORDS = NL_WORDS | EN_WORDS


def _deletions(word: str) -> set[str]:
    return {word[:k] + word[k + 1 :] for k in range(1, len(word))} - {word}


def _wild_prefix(form: str, word: str) -> bool:
    return len(form) >= len(word) and all(
        f == "*" or f == w for f, w in zip(form, word, strict=False)
    )


def _letters_in_order(letters: Sequence[str], word: str) -> bool:
    pos = 0
    for ch in letters:
        pos = word.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return True


class LexiconIndex:
    """All terms of many lexicons, indexed by what their first word can be looked up on."""

    def __init__(self, terms: Iterable[Term], excludes: dict[str, Iterable[str]] | None = None):
        self._by_key: dict[str, list[Term]] = defaultdict(list)
        self._by_stem: dict[tuple[str, str], list[Term]] = defaultdict(list)
        self._by_prefix: dict[str, list[Term]] = defaultdict(list)
        self._by_suffix: dict[str, list[Term]] = defaultdict(list)
        self._by_second: dict[str, list[Term]] = defaultdict(list)
        self._lookups: dict[tuple[tuple[str, ...], bool], tuple] = {}
        self._by_second_stem: dict[tuple[str, str], list[Term]] = defaultdict(list)
        self._masked_candidates: dict[str, list[Term]] = defaultdict(list)
        # per lexicon: excluded whole words, and excluded word starts ('kankerbestrijding*')
        self._excludes: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
            lexicon: (
                frozenset(w for w in words if not w.endswith("*")),
                tuple(w[:-1] for w in words if w.endswith("*")),
            )
            for lexicon, words in (excludes or {}).items()
        }
        # one-letter-missing spellings of long masked words ('wetbcks', 'spleetogn')
        self._fuzzy: dict[str, list[Term]] = defaultdict(list)
        self._fuzzy_prefix: dict[str, list[Term]] = defaultdict(list)
        self._fuzzy_prefix_lengths: set[int] = set()
        self._prefix_lengths: set[int] = set()
        self._suffix_lengths: set[int] = set()
        shared: dict[WordSpec, WordSpec] = {}  # equal word specs become one object (see find)
        for term in terms:
            if not term.words:
                continue
            term = replace(term, words=tuple(shared.setdefault(w, w) for w in term.words))
            first = term.words[0]
            if _anchored_on_second(term):
                # 'ik hoop', 'de directie': a phrase opening with a common word is looked up by
                # its second word, so that every 'ik' and 'de' doesn't bring dozens of candidates
                second = term.words[1]
                self._by_second[second.key].append(term)
                if second.kind == "form" and second.stem:
                    self._by_second_stem[(second.lang, second.stem)].append(term)
                continue
            if first.kind == "prefix":
                self._by_prefix[first.key].append(term)
                self._prefix_lengths.add(len(first.key))
            elif first.kind == "suffix":
                self._by_suffix[first.key].append(term)
                self._suffix_lengths.add(len(first.key))
            else:
                self._by_key[first.key].append(term)
                if first.kind == "form" and first.stem:
                    self._by_stem[(first.lang, first.stem)].append(term)
            if term.masked and first.key:
                self._masked_candidates[first.key[:1]].append(term)
            if term.masked and len(term.words) == 1 and len(first.key) >= FUZZY_MIN:
                table = self._fuzzy_prefix if first.kind == "prefix" else self._fuzzy
                for variant in _deletions(first.key):
                    table[variant].append(term)
                    if first.kind == "prefix":
                        self._fuzzy_prefix_lengths.add(len(variant))

    def find(self, tokens: Sequence[Token], langs: Sequence[frozenset[str]]) -> list[Hit]:
        """Every term occurrence; `langs[i]` are the languages token i's sentence may be in."""
        keys = [TokenKeys(t) for t in tokens]
        hits: list[Hit] = []
        for i, tk in enumerate(keys):
            candidates, fuzzy, seconds = self._lookup(tk)
            excluded: dict[str, bool] = {}
            nxt = keys[i + 1] if i + 1 < len(keys) else None
            if nxt is not None and nxt.sentence != tk.sentence:
                nxt = None
            second: dict[tuple[int, bool], bool] = {}  # many phrases share their second word
            for term in candidates:
                words = term.words
                if len(words) > 1 and words[1].kind != "gap":
                    # most phrases fail on their second word: the cheapest test first
                    if nxt is None:
                        continue
                    memo = (id(words[1]), term.masked)
                    ok = second.get(memo)
                    if ok is None:
                        ok = second[memo] = nxt.matches(words[1], langs[i + 1], term.masked)
                    if not ok:
                        continue
                if term.lexicon not in excluded:
                    excluded[term.lexicon] = self._excluded(term.lexicon, tk)
                if excluded[term.lexicon]:
                    continue
                last = _match_from(term.words, keys, langs, i, term.masked)
                if last is None and term in fuzzy and len(term.words) == 1:
                    last = i
                if last is not None:
                    hits.append(Hit(term.lexicon, term.text, i, last))
            if i > 0 and keys[i - 1].sentence == tk.sentence:
                prev = keys[i - 1]
                for term in seconds:
                    if not prev.matches(term.words[0], langs[i - 1], term.masked):
                        continue
                    if self._excluded(term.lexicon, prev):
                        continue
                    last = _match_from(term.words, keys, langs, i - 1, term.masked)
                    if last is not None:
                        hits.append(Hit(term.lexicon, term.text, i - 1, last))
        return hits

    def _lookup(self, tk: TokenKeys) -> tuple[tuple[Term, ...], frozenset[Term], tuple[Term, ...]]:
        """Candidate terms for a word; cached, since the same words come back in every draft."""
        key = (tk.forms, tk.masked)
        found = self._lookups.get(key)
        if found is None:
            fuzzy = self._fuzzy_terms(tk)
            candidates = dict.fromkeys(self._candidates(tk))  # ordered, without duplicates
            candidates.update(dict.fromkeys(fuzzy))
            seconds = tuple(dict.fromkeys(self._second_candidates(tk)))
            found = (tuple(candidates), frozenset(fuzzy), seconds)
            if len(self._lookups) > 50_000:
                self._lookups.clear()
            if not any(c.isdigit() or c == "@" for f in tk.forms for c in f):
                self._lookups[key] = found  # numbers and addresses are not kept, even as words
        return found

    def _second_candidates(self, tk: TokenKeys) -> list[Term]:
        found: list[Term] = []
        for form in tk.forms:
            found.extend(self._by_second.get(form, ()))
        for key in tk.stems:
            found.extend(self._by_second_stem.get(key, ()))
        return found

    def _candidates(self, tk: TokenKeys) -> list[Term]:
        found: list[Term] = []
        for form in tk.forms:
            found.extend(self._by_key.get(form, ()))
            for length in self._prefix_lengths:
                if len(form) >= length:
                    found.extend(self._by_prefix.get(form[:length], ()))
            for length in self._suffix_lengths:
                if len(form) >= length:
                    found.extend(self._by_suffix.get(form[-length:], ()))
        for key in tk.stems:
            found.extend(self._by_stem.get(key, ()))
        if tk.masked:
            for form in tk.forms:
                found.extend(self._masked_candidates.get(form[:1], ()))
        return found

    def _fuzzy_terms(self, tk: TokenKeys) -> list[Term]:
        found: list[Term] = []
        for form in tk.forms:
            if len(form) < FUZZY_MIN - 1:
                continue
            found.extend(self._fuzzy.get(form, ()))
            for length in self._fuzzy_prefix_lengths:
                if len(form) >= length:
                    found.extend(self._fuzzy_prefix.get(form[:length], ()))
        return found

    def _excluded(self, lexicon: str, tk: TokenKeys) -> bool:
        excluded = self._excludes.get(lexicon)
        if not excluded:
            return False
        words, prefixes = excluded
        return any(f in words or f.startswith(prefixes) for f in tk.forms)


def _match_from(
    words: Sequence[WordSpec],
    keys: Sequence[TokenKeys],
    langs: Sequence[frozenset[str]],
    i: int,
    masked: bool = True,
) -> int | None:
    """Match the phrase starting at token i; return the index of its last token or None."""
    if i >= len(keys) or not keys[i].matches(words[0], langs[i], masked):
        return None
    # most phrases fail on their second word: check it before recursing
    if (
        len(words) > 1
        and words[1].kind != "gap"
        and (i + 1 >= len(keys) or not keys[i + 1].matches(words[1], langs[i + 1], masked))
    ):
        return None
    if i + 1 < len(keys) and len(words) > 1 and keys[i + 1].sentence != keys[i].sentence:
        return None  # a phrase never runs across a sentence boundary
    if len(words) == 1:
        return i
    if words[1].kind == "gap":
        for skip in range(0, MAX_GAP + 1):
            j = i + 1 + skip
            if j >= len(keys) or keys[j].sentence != keys[i].sentence:
                return None
            end = _match_from(words[2:], keys, langs, j, masked)
            if end is not None:
                return end
        return None
    return _match_from(words[1:], keys, langs, i + 1, masked)
