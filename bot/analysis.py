"""What the engine knows about one draft: tokens, languages, quotes, negation and occurrences."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import regex

from bot.normalize import Token

NEGATORS = frozenset(
    {
        "niet",
        "geen",
        "nooit",
        "nergens",
        "niemand",
        "not",
        "no",
        "never",
        "nobody",
        "none",
        "isn't",
        "aren't",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "can't",
        "cannot",
        "wasn't",
        "weren't",
        "shouldn't",
        "wouldn't",
        "haven't",
        "hasn't",
        "nor",
        "neither",
        "zonder",
        "without",
    }
)
NEGATION_WINDOW = 3

NL_WORDS = frozenset(
    "de het een en van ik je jij we wij ze zij is zijn niet dat die dit wat voor met op aan bij "
    "ook maar naar om te er nog al als heb heeft hebben was werd wordt mijn onze ons hun geen "
    "echt wel zo dan of hoe kan kunnen moet gaan gaat weer vandaag uit door over nu al wie waar "
    "mag jullie hier daar even alles iets niets u uw".split()
)
EN_WORDS = frozenset(
    "the a an and of i you we they he she is are was were not that this what for with on at by "
    "also but to it my our your their no be been have has had will would can do does just so if "
    "how who where here there today from about all any every some more when than then them us "
    "me him her its it's i'm don't".split()
)

# Quotation: an opening mark after a space or line start, a closing one before a non-letter.
_QUOTE = regex.compile(
    r"(?:(?<![\p{L}\p{N}])['‘`](?!\s)((?:[^'‘’`\n]|(?<=\p{L})['’](?=\p{L})){1,400}?)['’`]"
    r"(?![\p{L}\p{N}]))"
    r"|(?:[\"“„«]([^\"“”„«»\n]{1,600}?)[\"”»])"
)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where a context holds in the draft: a token range (or a character span for data)."""

    start: int  # character span in the original text
    end: int
    sentence: int
    negated: bool = False
    quoted: bool = False
    label: str = ""  # the term or name that matched


@dataclass
class Analysis:
    text: str
    tokens: list[Token]
    language: str
    sentence_langs: list[frozenset[str]]
    quotes: list[tuple[int, int]]
    occurrences: dict[str, list[Occurrence]] = field(default_factory=lambda: defaultdict(list))

    def holds(self, name: str, *, sentences: tuple[int, ...] | None = None) -> bool:
        """Whether the context occurs (not negated), anywhere or in one of `sentences`."""
        for occ in self.occurrences.get(name, ()):
            if occ.negated:
                continue
            if sentences is None or occ.sentence == -1 or occ.sentence in sentences:
                return True
        return False

    def in_quote(self, start: int, end: int) -> bool:
        """Whether words starting at `start` stand inside quotation marks."""
        return any(qs <= start < qe for qs, qe in self.quotes)

    def sentence_at(self, char: int) -> int:
        best = 0
        for token in self.tokens:
            if token.start > char:
                break
            best = token.sentence
        return best


def detect_languages(tokens: list[Token]) -> tuple[str, list[frozenset[str]]]:
    """The draft's main language and, per token, the languages its sentence may be in."""
    per_sentence: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    total = [0, 0]
    for token in tokens:
        word = token.text
        counts = per_sentence[token.sentence]
        if word in NL_WORDS:
            counts[0] += 1
            total[0] += 1
        if word in EN_WORDS:
            counts[1] += 1
            total[1] += 1
    both = frozenset({"nl", "en"})
    langs_of: dict[int, frozenset[str]] = {}
    for sentence, (nl, en) in per_sentence.items():
        if nl >= en + 2 or (nl > en and en == 0):
            langs_of[sentence] = frozenset({"nl"})
        elif en >= nl + 2 or (en > nl and nl == 0):
            langs_of[sentence] = frozenset({"en"})
        else:
            langs_of[sentence] = both
    language = "en" if total[1] > total[0] else "nl"
    return language, [langs_of.get(t.sentence, both) for t in tokens]


def find_quotes(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for match in _QUOTE.finditer(text, timeout=0.2):
        spans.append((match.start(), match.end()))
    return spans


def is_negated(
    tokens: list[Token], first: int, last: int | None = None, term: str = "", text: str = ""
) -> bool:
    """A negation just before the words, or inside a phrase ('are not ... vermin').

    A comma between the negation and the words ends its reach: in 'dat je níet verzekerd bent,
    eikel' the insult is not negated.
    """
    sentence = tokens[first].sentence
    for j in range(max(0, first - NEGATION_WINDOW), first):
        if (
            tokens[j].sentence == sentence
            and tokens[j].text in NEGATORS
            and not (text and "," in text[tokens[j].end : tokens[first].start])
        ):
            return True
    own = set(term.lower().split())
    for j in range(first + 1, (last if last is not None else first) + 1):
        if tokens[j].text in NEGATORS and tokens[j].text not in own:
            return True
    return False
