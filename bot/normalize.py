"""Tokenising a draft into normalised words that see through obfuscation, keeping original spans.

Each token carries its span in the original text and a set of folded forms: lower case without
accents, look-alike letters mapped to Latin, zero-width characters dropped, leetspeak decoded
(`k@nker`), letters spaced out (`k u t`) joined, masked letters (`f***`, `k🤬t`) marked, and
stretched letters (`kuuuut`) read both ways.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

import regex

MAX_CHARS = 20_000  # a draft longer than this is reviewed on its first MAX_CHARS characters

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)

# Look-alike letters from other scripts that obfuscators use instead of Latin ones.
_CONFUSABLES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "һ": "h",
        "к": "k",
        "м": "m",
        "т": "t",
        "в": "b",
        "н": "h",
        "ɡ": "g",
        "α": "a",
        "ο": "o",
        "ν": "v",
        "ρ": "p",
        "τ": "t",
        "κ": "k",
        "ι": "i",
        "ε": "e",
        "υ": "u",
        "χ": "x",
        "μ": "m",
        "ß": "ss",
        "ø": "o",
        "æ": "ae",
        "ł": "l",
        "đ": "d",
        "ı": "i",
    }
)

_LEET = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "3": "e",
        "1": "i",
        "!": "i",
        "|": "l",
        "0": "o",
        "$": "s",
        "5": "s",
        "7": "t",
        "€": "e",
        "8": "b",
        "9": "g",
    }
)

# A run of word material: letters, digits, and symbols that obfuscators put inside words.
_RAW_TOKEN = regex.compile(
    r"[@#]?[\p{L}\p{M}\p{N}@$€*!|'’_\-\u200b-\u200d\u2060\ufeff\u00ad]+|\p{Extended_Pictographic}"
)
# a sentence ends at . ! ? ; : followed by a space or the end, and at every line break
# ('t.e.r.i.n.g' and 'zuiderveen.nl' are no sentence ends)
_SENTENCE_END = regex.compile(r"[.!?;:]+(?=\s|$)|\n")
_EMOJI_GAP = regex.compile(r"(?<=\p{L})[\p{So}\p{Sk}\uFE0F]+(?=\p{L})")


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the draft: its folded forms and where it stands in the original text."""

    forms: tuple[str, ...]  # first: the plain folded form; then decoded variants
    plain: int  # how many of `forms` are plain readings; the rest decode obfuscation
    start: int
    end: int
    sentence: int  # index of the sentence (clause) the token belongs to
    masked: bool = False  # holds '*' standing for hidden letters
    handle: bool = False  # an @mention
    hashtag: bool = False
    upper_initial: bool = False  # written with a capital first letter in the original
    obfuscated: bool = False  # only readable after decoding (spaced, leet, masked, look-alikes)

    @property
    def text(self) -> str:
        return self.forms[0]


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lower case, accents stripped, look-alikes mapped, zero-width characters removed."""
    word = word.translate(_ZERO_WIDTH).translate(_CONFUSABLES)
    decomposed = unicodedata.normalize("NFKD", word)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.casefold().translate(_CONFUSABLES).replace("’", "'")


_ELONGATED = regex.compile(r"(.)\1{2,}")
_LEET_INSIDE = regex.compile(r"(?<=\p{L})[@$€!|0-9]+(?=\p{L})")


@lru_cache(maxsize=65536)
def unstretch(word: str) -> tuple[str, ...]:
    """Readings of a word with letters stretched for effect: 'kuuuut' -> 'kut', 'kuut'.

    Only runs of three or more are folded, so real words with double letters ('stellen') are
    never confused with others ('stelen').
    """
    if not _ELONGATED.search(word):
        return ()
    return (_ELONGATED.sub(r"\1", word), _ELONGATED.sub(r"\1\1", word))


# Letters dressed as emoji or symbols: 🅰 (negative squared), 🄰 (squared), regional indicators.
_LETTER_EMOJI = {
    **{0x1F170 + i: chr(ord("a") + i) for i in range(26)},
    **{0x1F130 + i: chr(ord("a") + i) for i in range(26)},
    **{0x1F150 + i: chr(ord("a") + i) for i in range(26)},
    **{0x1F1E6 + i: chr(ord("a") + i) for i in range(26)},
}


# same length, so offsets are kept: the variation selector after a letter emoji becomes a
# zero-width space, which fold() drops
_LETTER_EMOJI_KEEP = {**_LETTER_EMOJI, 0xFE0F: "\u200b"}


def _deleet(word: str) -> str | None:
    """Decode leetspeak when symbols stand between or beside letters ('k@nker', '1diot')."""
    if not any(c in "@4310!|$57€89" for c in word):
        return None
    letters = sum(c.isalpha() for c in word)
    if letters < 2 or letters < len(word) / 2:
        return None
    decoded = word.translate(_LEET)
    return decoded if decoded != word else None


def _variants(word: str) -> tuple[tuple[str, ...], int]:
    """The word's readings, and how many of them (at the front) are plain, not decoded."""
    forms = [word, *unstretch(word)]
    stripped = word.strip("'-_")
    if stripped.endswith("'s"):
        stripped = stripped[:-2]
    if stripped and stripped != word:
        forms.append(stripped)
    plain = len(forms)
    for form in list(forms):
        decoded = _deleet(form)
        if decoded and decoded not in forms:
            forms.append(decoded)
    return tuple(forms), plain


def _make(raw: str, start: int, end: int, sentence: int, *, obfuscated: bool = False) -> Token:
    # numbers and e-mail-like words are read afresh each time rather than cached
    reader = _read.__wrapped__ if any(c.isdigit() or c == "@" for c in raw) else _read
    forms, plain, masked, handle, hashtag, upper, hidden = reader(raw)
    return Token(
        forms=forms,
        plain=plain,
        start=start,
        end=end,
        sentence=sentence,
        masked=masked,
        handle=handle,
        hashtag=hashtag,
        upper_initial=upper,
        obfuscated=obfuscated or hidden,
    )


@lru_cache(maxsize=65536)
def _read(raw: str) -> tuple[tuple[str, ...], int, bool, bool, bool, bool, bool]:
    """A raw word's readings and marks; cached, since drafts repeat their words."""
    handle = raw.startswith("@")
    hashtag = raw.startswith("#")
    body = raw[1:] if (handle or hashtag) else raw
    folded = fold(body)
    hidden = folded != body.lower()
    folded = folded.strip("'!|-_") or folded
    if folded.startswith("*") and any(c.isalpha() for c in folded):
        # '*dansje*' is emphasis, not a hidden letter; a mask hides letters inside or at the end
        folded = folded.lstrip("*")
    core = folded.rstrip("*")
    if core != folded and "*" not in core and sum(c.isalpha() for c in core) >= 4:
        folded = core  # 'uniform*' closes emphasis; 'f***' keeps its mask
    masked = "*" in folded and any(c.isalpha() for c in folded)
    if not masked:
        folded = folded.replace("*", "")
    if not folded:
        folded = "*"
    variants, plain = _variants(folded)
    if not masked and _LEET_INSIDE.search(folded):
        # 'kl@@tzak': a symbol between letters may stand for any letter, not only its leet one
        variants = (*variants, _LEET_INSIDE.sub(lambda m: "*" * len(m.group()), folded))
        masked = True
    hidden = hidden or masked or (len(variants) > 1 and variants[-1] != folded)
    return variants, plain, masked, handle, hashtag, body[:1].isupper(), hidden


def tokenize(text: str) -> list[Token]:
    """Split a draft into tokens; join spaced-out letters and split compounds on hyphens."""
    text = text[:MAX_CHARS]
    # Letter emoji read as letters ('f🅰️ggot'); other emoji between two letters hide a letter:
    # 'k💩t' reads as 'k*t'. Both keep every character's position.
    lettered = text.translate(_LETTER_EMOJI_KEEP)
    masked_text = _EMOJI_GAP.sub(lambda m: "*" * len(m.group()), lettered)
    sentence_starts = [m.end() for m in _SENTENCE_END.finditer(masked_text)]
    tokens: list[Token] = []
    sentence = 0
    boundary = 0
    for match in _RAW_TOKEN.finditer(masked_text):
        while boundary < len(sentence_starts) and sentence_starts[boundary] <= match.start():
            boundary += 1
            sentence += 1
        raw = match.group()
        start = match.start()
        # trailing punctuation ('Hoera!', "zo'n'") is no part of the word's span
        trimmed = raw.rstrip("'’!|-_")
        if trimmed and trimmed != raw and any(c.isalnum() or c == "*" for c in trimmed):
            raw = trimmed
        if len(raw) == 1 and regex.match(r"\p{Extended_Pictographic}", raw):
            tokens.append(Token((raw,), 1, start, match.end(), sentence))  # emoji are words
            continue
        if not any(c.isalnum() or c == "*" for c in raw):
            continue
        # hyphenated compounds ('kut-Marokkanen') count as their parts and as a whole
        if "-" in raw.strip("-") and not raw.startswith(("@", "#")):
            offset = start
            parts = raw.split("-")
            for part in parts:
                if part.strip("'!|*_"):
                    tokens.append(_make(part, offset, offset + len(part), sentence))
                offset += len(part) + 1
            continue
        tokens.append(_make(raw, start, start + len(raw), sentence))
    return _join_spaced(tokens, text)


def _join_spaced(tokens: list[Token], text: str) -> list[Token]:
    """Join runs of three or more single letters ('k u t', 'l u l l o') into one token."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        j = i
        while (
            j < len(tokens)
            and len(tokens[j].text) == 1
            and tokens[j].text.isalpha()
            and (j == i or tokens[j].start - tokens[j - 1].end <= 2)
            and (j == i or tokens[j].sentence == tokens[i].sentence)
        ):
            j += 1
        if j - i >= 3:
            word = "".join(t.text for t in tokens[i:j])
            # a trailing "'s" after the letters ('l u l l o ' s') is the plural
            end = tokens[j - 1].end
            token = _make(word, tokens[i].start, end, tokens[i].sentence, obfuscated=True)
            if j - i >= 4 and tokens[i].text in "aie":  # 'a f a g': the article is no letter
                token = replace(token, forms=(*token.forms, *_variants(word[1:])[0]))
            out.append(token)
            if j < len(tokens) and tokens[j].text in {"'s", "s"} and tokens[j].start - end <= 3:
                j += 1
            i = j
            continue
        out.append(tokens[i])
        i += 1
    return out
