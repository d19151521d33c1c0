"""The built-in contexts that signals may require: their names, and how a draft shows them."""

from __future__ import annotations

import regex

from bot.analysis import EN_WORDS, NL_WORDS, Analysis, Occurrence
from bot.knowledge.schema import Organisation

SENIOR_ROLES = frozenset({"manager", "executive", "policy_advisor"})

BUILTIN_CONTEXTS: dict[str, str] = {
    "org": "the organisation's name or one of its aliases occurs",
    "org_topic": "a word built on the kind of body the organisation is ('waterschapslasten')",
    "internal_channel": (
        "the draft is headed as a post on the organisation's own channel ('[Intranet van …]')"
    ),
    "own_product": "one of the organisation's own products or services is named",
    "client": "a client from the profile is named",
    "partner": "a partner from the profile is named",
    "supplier": "a supplier from the profile is named",
    "relation": "a client, partner or supplier from the profile is named",
    "competitor": "a competitor from the profile is named",
    "confidential_term": "a confidential term from the profile occurs",
    "senior_role": "the author is a manager, executive or policy adviser",
    "voice_role": "the author speaks for the organisation by function (communications)",
    "public_sector": "the organisation is in the public sector",
    "private_sector": "the organisation is in the private sector",
    "reply": "the draft is a reply to someone (starts with an @handle)",
    "address": "a street address or postcode with house number occurs",
    "phone": "a Dutch phone number occurs",
    "bsn": "a valid BSN (citizen service number) occurs",
    "iban": "a valid IBAN occurs",
    "email": "an e-mail address occurs",
    "named_person": "a person is named (a capitalised first name or initials with a surname)",
    "bio_format": "the draft reads like a profile text: short segments separated by '|'",
    "quote": "the draft quotes someone's words (four or more words between quotation marks)",
    "long_copy": "the draft holds a long passage copied from elsewhere",
}


def add_builtin_contexts(analysis: Analysis, profile: Organisation, *, role: str) -> None:
    occ = analysis.occurrences
    whole = Occurrence(0, 0, -1)
    if role in SENIOR_ROLES:
        occ["senior_role"].append(whole)
    if role == "communications":
        occ["voice_role"].append(whole)
    occ[f"{profile.sector}_sector"].append(whole)
    tokens = analysis.tokens
    if tokens and tokens[0].handle:
        occ["reply"].append(Occurrence(tokens[0].start, tokens[0].end, 0))
    for name in ("client", "partner", "supplier"):
        occ["relation"].extend(occ.get(name, ()))
    _named_persons(analysis)
    _internal_channel(analysis)
    if len(analysis.text) <= 400 and analysis.text.count("|") >= 2:
        occ["bio_format"].append(Occurrence(0, analysis.text.index("|"), -1))
    for qs, qe in analysis.quotes:
        if len(analysis.text[qs:qe].split()) >= 4:
            occ["quote"].append(Occurrence(qs, qe, analysis.sentence_at(qs)))
    if len(analysis.text) > 900 and (
        regex.search(r"(?m)^\s*(-{3,}|_{3,}|\*{3,})\s*$", analysis.text)
        or any(qe - qs > 400 for qs, qe in analysis.quotes)
    ):
        occ["long_copy"].append(Occurrence(0, min(len(analysis.text), 80), 0))


_NAMED_ELSEWHERE = frozenset(
    {
        "org",
        "client",
        "partner",
        "supplier",
        "competitor",
        "own_product",
        "confidential_term",
        "address",
        "email",
    }
)
# after these words a capitalised word is a place, a date or a thing rather than a person
_PLACE_WORDS = frozenset(
    "in op naar uit bij via te aan de het van at from to on near via the of for by".split()
)


HEADER = regex.compile(r"^\s*\[([^\]\n]{1,160})\]")
_OWN_CHANNEL_MARKS = ("org", "org_topic")
# words that, right after the organisation's name, make it the organisation's own channel
_CHANNEL_WORDS = frozenset(
    "blog intranet community netwerk kennisnetwerk kennisblog yammer platform forum nieuwsbrief"
    " network newsletter".split()
)


def _internal_channel(analysis: Analysis) -> None:
    """A draft headed '[Intranetblog van X]' or '[X Community]', or saying it is posted 'on the X
    blog', is posted on X's own channel."""
    tokens = analysis.tokens
    ends = {o.end for o in analysis.occurrences.get("org", ())}
    for i, token in enumerate(tokens[:-1]):
        if token.end in ends and tokens[i + 1].text in _CHANNEL_WORDS:
            analysis.occurrences["internal_channel"].append(Occurrence(token.start, token.end, -1))
            return
    header = HEADER.match(analysis.text)
    if not header:
        return
    start, end = header.span()

    def inside(name: str) -> bool:
        return any(start <= o.start and o.end <= end for o in analysis.occurrences.get(name, ()))

    if inside("outside_site"):
        return  # '[Reactie op een forum over X]' is someone else's site
    if inside("internal_blog"):
        analysis.occurrences["internal_channel"].append(Occurrence(start, end, -1))
        return
    for name in _OWN_CHANNEL_MARKS:
        if any(start <= o.start and o.end <= end for o in analysis.occurrences.get(name, ())):
            analysis.occurrences["internal_channel"].append(Occurrence(start, end, -1))
            return


def _named_persons(analysis: Analysis) -> None:
    """A capitalised word inside a sentence (not a place, not a profile name) is likely a name."""
    tokens = analysis.tokens
    taken = [
        (o.start, o.end)
        for key, occs in analysis.occurrences.items()
        if key in _NAMED_ELSEWHERE
        for o in occs
    ]
    for i, token in enumerate(tokens):
        if not token.upper_initial or token.handle or token.hashtag or i == 0:
            continue
        previous = tokens[i - 1]
        if (
            previous.sentence != token.sentence
            or previous.text in _PLACE_WORDS
            or not previous.text[:1].isalnum()  # after an emoji a new thought starts
            or token.text in NL_WORDS
            or token.text in EN_WORDS
        ):
            continue
        raw = analysis.text[token.start : token.end]
        if raw.isupper() or not raw.isalpha() or raw == "I" or len(raw) < 3:
            continue
        if any(start <= token.start < end for start, end in taken):
            continue
        analysis.occurrences["named_person"].append(
            Occurrence(token.start, token.end, token.sentence, label=raw)
        )
