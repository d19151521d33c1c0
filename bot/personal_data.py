"""Find personal data in a draft (BSN, IBAN, Dutch phone number, postcode, address, e-mail).

Every detector is a bounded regular expression that finds candidates in linear time, followed by
plain Python checks (checksums, digit counts, context) on the short candidate. Spans always refer to
the original text; the text itself is never logged.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Kind = Literal["bsn", "iban", "phone", "postcode", "address", "email"]


@dataclass(frozen=True, slots=True)
class PersonalData:
    """One piece of personal data: its kind and where it sits in the original text."""

    kind: Kind
    start: int  # span in the ORIGINAL text, end exclusive
    end: int
    value: str  # text[start:end]


# When two candidates overlap, the lower number wins (then the longer span, then the earlier one).
_PRIORITY: dict[Kind, int] = {
    "email": 0,
    "iban": 1,
    "postcode": 2,
    "address": 2,
    "phone": 3,
    "bsn": 4,
}

_CURRENCY_BEFORE = re.compile(r"[€$£][ \u00a0]?$")
_YEAR_MIN, _YEAR_MAX = 1900, 2099
_DIGITS = "0123456789"


def _is_year(number: str) -> bool:
    """A four-digit number that reads as a year (1900-2099) is not taken for a house number."""
    digits = number[: len(number) - len(number.lstrip(_DIGITS))]
    return len(digits) == 4 and _YEAR_MIN <= int(digits) <= _YEAR_MAX


# --------------------------------------------------------------------------------------------
# BSN (burgerservicenummer)

_BSN_DIGITS = re.compile(r"[0-9]{8,9}")
_BSN_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?=([0-9]{9}|[0-9]{3}([. ])[0-9]{3}\2[0-9]{3}|[0-9]{4}\.[0-9]{2}\.[0-9]{3})"
    r"(?![0-9A-Za-z]))"
)


def is_valid_bsn(digits: str) -> bool:
    """The 11-proef: 9 digits (8 get a leading zero), weighted 9..2 and -1, divisible by 11."""
    if not _BSN_DIGITS.fullmatch(digits):
        return False
    digits = digits.zfill(9)
    if digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    total -= int(digits[8])
    return total % 11 == 0


def _find_bsns(text: str) -> Iterator[tuple[Kind, int, int]]:
    for m in _BSN_CANDIDATE.finditer(text):
        start, end = m.span(1)
        before = text[max(0, start - 2) : start]
        after = text[end : end + 2]
        # Not part of a longer number: '1.123456782', '123456782,50', '123 456 782 123'.
        glue = ".,-" + (m.group(2) or "")
        if len(before) == 2 and before[0] in _DIGITS and before[1] in glue:
            continue
        if len(after) == 2 and after[0] in glue and after[1] in _DIGITS:
            continue
        if _CURRENCY_BEFORE.search(before):
            continue
        if is_valid_bsn(m.group(1).replace(".", "").replace(" ", "")):
            yield "bsn", start, end


# --------------------------------------------------------------------------------------------
# IBAN

# ISO 13616 registry: total IBAN length per country.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30,
    "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29,
    "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip

_IBAN_SHAPE = re.compile(r"[A-Za-z]{2}[0-9]{2}[A-Za-z0-9]{11,30}")
_IBAN_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?=([A-Za-z]{2}[0-9]{2}(?: ?[0-9A-Za-z]){11,30}))")
_WORD_CHAR = re.compile(r"\w")


def is_valid_iban(s: str) -> bool:
    """ISO 13616: known country, the right length for it, and the mod-97 check equal to 1."""
    compact = s.replace(" ", "")
    if not _IBAN_SHAPE.fullmatch(compact):  # ASCII only, so upper() cannot change the length
        return False
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    if compact[2:4] in ("00", "01", "99"):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _find_ibans(text: str) -> Iterator[tuple[Kind, int, int]]:
    for m in _IBAN_CANDIDATE.finditer(text):
        start = m.start(1)
        candidate = m.group(1)
        length = IBAN_LENGTHS.get(candidate[:2].upper())
        if length is None:
            continue
        seen = 0
        cut = 0
        for i, ch in enumerate(candidate):
            if ch != " ":
                seen += 1
                if seen == length:
                    cut = i + 1
                    break
        if not cut:
            continue
        end = start + cut
        if _WORD_CHAR.match(text, end):
            continue  # the IBAN-like run goes on: part of a longer token
        if is_valid_iban(candidate[:cut]):
            yield "iban", start, end


# --------------------------------------------------------------------------------------------
# Dutch phone numbers

_PHONE_CANDIDATE = re.compile(r"(?<![0-9A-Za-z+(])(?=((?:\+31|0031|\(0|0)[0-9()/ \-]{0,22}[0-9]))")
_PHONE_BAD_BEFORE = re.compile(r"(?:[0-9][ \-/.,:]|[€$£][ ]?)$")
_PHONE_BAD_AFTER = re.compile(r"[:.,][0-9]|[0-9A-Za-z]")
_SEP = r"(?: ?[-/] ?| )"
_REST = r"[0-9]{2,8}(?:(?P<rs>[ -])[0-9]{2,8}(?:(?P=rs)[0-9]{2,8}){0,3})?"
_PHONE_COMPACT = re.compile(r"0[1-9][0-9]{6,9}")
_PHONE_SPLIT = re.compile(rf"(?P<p>0[1-9][0-9]{{0,2}}){_SEP}(?P<rest>{_REST})")
_PHONE_PAREN = re.compile(rf"\((?P<p>0[1-9][0-9]{{0,2}})\) ?(?P<rest>{_REST})")
_PHONE_INTL = re.compile(
    r"(?:\+31|0031)[ -]?(?:\(0\)[ -]?)?"
    rf"(?:(?P<c>[1-9][0-9]{{8}})|(?P<p>[1-9][0-9]{{0,2}}){_SEP}(?P<rest>{_REST}))"
)
_SERVICE_PREFIXES = frozenset({"0800", "0900", "0906", "0909"})
_NON_DIGIT = re.compile(r"[^0-9]")
_GROUP_SEP = re.compile(r"[ -]")
# How the subscriber part after the area code or 06 is grouped in practice.
_USUAL_GROUPINGS = frozenset(
    {
        (8,), (4, 4), (2, 2, 2, 2), (3, 3, 2), (2, 3, 3),  # mobile
        (7,), (3, 4), (4, 3), (3, 2, 2),  # three-digit area code, 0900 + 7
        (6,), (3, 3), (2, 2, 2), (2, 4),  # four-digit area code
        (4,),  # 0800/0900 + 4
    }
)  # fmt: skip


def _looks_like_time_range(rest: str) -> bool:
    """'0900-1700' is office hours, not the service number 0900-1700."""
    return len(rest) == 4 and int(rest[:2]) <= 23 and rest[2:] in ("00", "15", "30", "45")


def _usual_grouping(rest: str) -> bool:
    return tuple(len(group) for group in _GROUP_SEP.split(rest)) in _USUAL_GROUPINGS


def _is_phone(s: str) -> bool:
    if _PHONE_COMPACT.fullmatch(s):
        if s[:4] in _SERVICE_PREFIXES:
            return len(s) == 11 or (len(s) == 8 and not _looks_like_time_range(s[4:]))
        return len(s) == 10
    m = _PHONE_SPLIT.fullmatch(s) or _PHONE_PAREN.fullmatch(s)
    if m:
        prefix = m["p"]
        if not _usual_grouping(m["rest"]):
            return False  # e.g. the '0417 1643 01' inside a corrupted IBAN
        rest = _NON_DIGIT.sub("", m["rest"])
        n = len(prefix) + len(rest)
        if prefix in _SERVICE_PREFIXES:
            return n == 11 or (n == 8 and not _looks_like_time_range(rest))
        if len(prefix) == 2 and prefix != "06":
            return False  # 01..05, 07..09 are not complete area codes
        return n == 10
    m = _PHONE_INTL.fullmatch(s)
    if m:
        if m["c"]:
            return True
        prefix = m["p"]
        if (len(prefix) == 1 and prefix != "6") or not _usual_grouping(m["rest"]):
            return False
        return len(prefix) + len(_NON_DIGIT.sub("", m["rest"])) == 9
    return False


def _find_phones(text: str) -> Iterator[tuple[Kind, int, int]]:
    for m in _PHONE_CANDIDATE.finditer(text):
        start = m.start(1)
        if _PHONE_BAD_BEFORE.search(text[max(0, start - 3) : start]):
            continue  # glued to a preceding number, e.g. the government number '14 0123'
        candidate = m.group(1)
        if len(_NON_DIGIT.sub("", candidate)) < 8:
            continue  # too few digits for any Dutch number
        cuts = [
            i
            for i in range(len(candidate), 0, -1)
            if candidate[i - 1].isdigit() and (i == len(candidate) or not candidate[i].isdigit())
        ]
        for cut in cuts:
            sub = candidate[:cut]
            follow = candidate[cut : cut + 2]
            if len(follow) == 2 and follow[1].isdigit() and follow[0] in sub:
                # The digit groups go on in the number's own style ('06 1234 5678 90'): not a
                # phone number. Another style may follow ('0612345678 3 keer', '06-12345678 / ').
                continue
            end = start + cut
            if _PHONE_BAD_AFTER.match(text, end):
                continue
            if _is_phone(sub):
                yield "phone", start, end
                break


# --------------------------------------------------------------------------------------------
# E-mail

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9\-]|@)"
)


def _find_emails(text: str) -> Iterator[tuple[Kind, int, int]]:
    for m in _EMAIL.finditer(text):
        local = m.group().split("@", 1)[0]
        if ".." in local or local.endswith("."):
            continue
        yield "email", m.start(), m.end()


# --------------------------------------------------------------------------------------------
# Addresses and postcodes

_DUTCH_SUFFIXES = (
    "straatje", "straat", "boulevard", "plantsoen", "gracht", "singel", "pleintje", "plein",
    "laantje", "laan", "kade", "dijk", "dreef", "steeg", "markt", "haven", "weide", "allee",
    "park", "ring", "baan", "veld", "hoek", "kamp", "donk", "oord", "weg", "hof", "pad", "wal",
    "erf",
)  # fmt: skip
_ENGLISH_STREET_WORDS = frozenset({"street", "road", "avenue", "lane"})
_ENGLISH_SUFFIXES = ("street", "road", "avenue", "lane")
# Strong suffixes may be written in lower case ('kerkstraat 3'); weaker ones need a capital.
_LOWERCASE_OK = frozenset(
    {"straat", "straatje", "laan", "gracht", "plein", "kade", "singel", "dreef", "steeg", "dijk"}
)
_NOT_STREET_ENDINGS = (
    "woord", "koord", "moord", "boord", "ering", "aring", "iring", "oring", "uring", "yring",
    "kring", "verf", "notepad", "keypad", "touchpad", "launchpad",
)  # fmt: skip
_NOT_STREET_WORDS = frozenset(
    {"onderweg", "halfweg", "spring", "string", "renewal", "withdrawal", "ipad"}
)
_PARTICLES = frozenset({"van", "de", "der", "den", "het", "'t", "ter", "ten", "von", "la", "le"})
_STOP_CAPITALISED = frozenset(
    {
        "De", "Het", "Een", "In", "Op", "Aan", "Naar", "Bij", "Ik", "Wij", "We", "Mijn", "Ons",
        "Onze", "Adres", "Hij", "Zij", "Ze", "Je", "Jij", "U", "Uw", "Deze", "Dit", "Die", "Dat",
        "Naast", "Tegenover", "Vanaf", "Via", "Tot", "Langs", "Over", "Woon", "Bezoek", "The",
        "At", "On", "To", "My", "Our", "Address", "From", "Near", "Visit", "Live",
    }
)  # fmt: skip
# Words that begin many street names and may stand at the start of a sentence.
_STREET_PREFIX_WORDS = frozenset(
    {
        "Van", "Prins", "Prinses", "Koning", "Koningin", "Keizer", "Keizerin", "Graaf", "Hertog",
        "Nieuwe", "Oude", "Lange", "Korte", "Hoge", "Lage", "Grote", "Kleine", "Groot", "Klein",
        "Sint", "St.", "Burgemeester", "Burg.", "Dokter", "Dr.", "Generaal", "Gen.", "Admiraal",
        "Pastoor", "Professor", "Prof.", "Eerste", "Tweede", "Derde", "Noorder", "Zuider",
        "Ooster", "Wester", "Binnen", "Buiten", "Jan", "Willem", "Johan", "Pieter",
    }
)  # fmt: skip
_PRE_TOKEN = re.compile(r"[^\W\d_][^\W\d_'\-]{0,30}\.?|'t")

_HOUSE_NUMBER = (
    r"[1-9][0-9]{0,4}"
    r"(?:[A-Za-z](?![^\W\d_])|-[0-9A-Za-z]{1,4}(?!\w)| (?:bis|hs|huis|[A-Z])(?!\w))?"
)
_NUMBER_END = r"(?![0-9]|[.,:][0-9]|%|[^\W\d_])"
_STREET_NUMBER = re.compile(
    r"(?<![\w'\-])(?P<street>[^\W\d_](?:[^\W\d_]|['\-](?=[^\W\d_])){1,48})"
    rf" (?P<num>{_HOUSE_NUMBER}){_NUMBER_END}"
)
_NUMBER_STREET = re.compile(
    r"(?<![\w\-])(?P<num>[1-9][0-9]{0,4}[A-Za-z]?),? "
    r"(?P<street>(?:[A-Z][a-z'\-]{1,20} ){1,3}(?:Street|Road|Avenue|Lane))(?!\w)"
)
# 'Laan van Meerdervoort 12', 'Kade van de Nieuwe Haven 3': the street word comes first.
_STREET_OF_NAME = re.compile(
    r"(?<![\w'\-])(?:Laan|Kade|Plein|Singel|Dreef|Weg|Straat|Gracht|Hof|Park|Ring|Dijk)"
    r" (?:van|der|de|den|op|ten|ter)(?: (?:van|der|de|den|het|'t))?"
    r" [A-Z][^\W\d_]{1,30}"
    rf" (?P<num>{_HOUSE_NUMBER}){_NUMBER_END}"
)
_POSTCODE = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{3} ?(?!S[ADS])[A-Z]{2}(?![0-9A-Za-z\-])")
_POSTCODE_BAD_BEFORE = re.compile(r"(?:[0-9][.,]|[€$£][ ]?)$")
_POSTCODE_HOUSE_NUMBER = re.compile(rf" (?P<num>{_HOUSE_NUMBER}){_NUMBER_END}")
_ADDRESS_POSTCODE_GLUE = re.compile(r",? ?")


def _street_ok(word: str) -> tuple[bool, bool]:
    """(is a street name, is an English '... Street' word that needs a name before it)."""
    low = word.lower()
    if low in _ENGLISH_STREET_WORDS:
        return word[0].isupper(), True
    if low in _NOT_STREET_WORDS or low.endswith(_NOT_STREET_ENDINGS):
        return False, False
    for suffix in (*_DUTCH_SUFFIXES, *_ENGLISH_SUFFIXES):
        if low.endswith(suffix):
            break
    else:
        return False, False
    if len(low) < len(suffix) + 2:
        return False, False
    if not word[0].isupper() and suffix not in _LOWERCASE_OK:
        return False, False
    return True, False


def _at_sentence_start(text: str, index: int) -> bool:
    before = text[max(0, index - 20) : index].rstrip()
    return not before or not (before[-1].isalnum() or before[-1] == ",")


def _extend_street_backwards(text: str, start: int, *, keep_first: bool) -> tuple[int, int]:
    """Take in preceding words of a multi-word street name; returns (new start, words taken)."""
    if start == 0 or text[start - 1] != " ":
        return start, 0
    window_start = max(0, start - 160)
    parts = text[window_start : start - 1].split(" ")
    taken: list[str] = []
    for i in range(len(parts) - 1, -1, -1):
        token = parts[i]
        if i == 0 and window_start > 0:
            break  # possibly cut off by the window
        if len(taken) == 4 or not _PRE_TOKEN.fullmatch(token):
            break
        if token in _PARTICLES or (token[0].isupper() and token not in _STOP_CAPITALISED):
            taken.insert(0, token)
        else:
            break
    while taken and taken[0] in _PARTICLES:
        taken.pop(0)

    def new_start(words: list[str]) -> int:
        return start - sum(len(w) + 1 for w in words)

    if (
        taken
        and not keep_first
        and taken[0] not in _STREET_PREFIX_WORDS
        and _at_sentence_start(text, new_start(taken))
    ):
        taken.pop(0)
        while taken and taken[0] in _PARTICLES:
            taken.pop(0)
    return new_start(taken), len(taken)


def _find_addresses(text: str) -> list[tuple[int, int, int]]:
    """(start, end, start of the house number) of street + house number."""
    found: list[tuple[int, int, int]] = []
    for m in _STREET_NUMBER.finditer(text):
        ok, english = _street_ok(m["street"])
        if not ok or _is_year(m["num"]):
            continue
        start, words = _extend_street_backwards(text, m.start(), keep_first=english)
        if english and not words:
            continue
        found.append((start, m.end(), m.start("num")))
    for m in _STREET_OF_NAME.finditer(text):
        if not _is_year(m["num"]):
            found.append((m.start(), m.end(), m.start("num")))
    for m in _NUMBER_STREET.finditer(text):
        if not _is_year(m["num"]):
            found.append((m.start(), m.end(), m.start()))
    return found


def _find_postcodes_and_addresses(text: str) -> Iterator[tuple[Kind, int, int]]:
    addresses = _find_addresses(text)
    by_end = {end: (start, num) for start, end, num in addresses}
    by_number = {num: start for start, _end, num in addresses}
    merged: set[int] = set()  # starts of addresses absorbed into a postcode span
    for m in _POSTCODE.finditer(text):
        start, end = m.span()
        if _POSTCODE_BAD_BEFORE.search(text[max(0, start - 2) : start]):
            continue
        span_start = start
        if start in by_number:  # 'Kerkstraat 1234 AB': the street directly before the postcode
            span_start = by_number[start]
        else:
            for glue in (2, 1):
                if start - glue in by_end and _ADDRESS_POSTCODE_GLUE.fullmatch(
                    text[start - glue : start]
                ):
                    span_start = by_end[start - glue][0]
                    break
        if span_start == start:
            number = _POSTCODE_HOUSE_NUMBER.match(text, end)
            if number and not _is_year(number["num"]):
                end = number.end()
        if span_start != start:
            merged.add(span_start)
        yield "postcode", span_start, end
    for start, end, _num in addresses:
        if start not in merged:
            yield "address", start, end


# --------------------------------------------------------------------------------------------
# Putting it together


def find_personal_data(text: str) -> list[PersonalData]:
    """All personal data in ``text``, sorted by start and non-overlapping."""
    if not text:
        return []
    candidates: list[tuple[int, int, int, int, Kind]] = []
    for finder in (
        _find_emails,
        _find_ibans,
        _find_postcodes_and_addresses,
        _find_phones,
        _find_bsns,
    ):
        for kind, start, end in finder(text):
            if 0 <= start < end <= len(text):
                candidates.append((_PRIORITY[kind], start - end, start, end, kind))
    candidates.sort()
    starts: list[int] = []
    chosen: list[tuple[int, int, Kind]] = []
    for _priority, _neg_length, start, end, kind in candidates:
        i = bisect_left(starts, start)
        if i > 0 and chosen[i - 1][1] > start:
            continue
        if i < len(chosen) and chosen[i][0] < end:
            continue
        starts.insert(i, start)
        chosen.insert(i, (start, end, kind))
    return [
        PersonalData(kind=kind, start=start, end=end, value=text[start:end])
        for start, end, kind in chosen
    ]
