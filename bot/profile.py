"""Finding an organisation's own names, relations and confidential terms in a draft."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from bot.knowledge.schema import Organisation
from bot.lexicon import stem
from bot.normalize import Token, tokenize

# profile field -> built-in context name
_FIELDS = {
    "clients": "client",
    "partners": "partner",
    "suppliers": "supplier",
    "competitors": "competitor",
    "confidential_terms": "confidential_term",
    "products": "own_product",
}


# Words that say what kind of body a name is rather than which one; a short form of a
# multi-word name is never one of these ('Woningstichting Veenhof' is 'Veenhof', not the first).
GENERIC_NAME_WORDS = frozenset(
    """gemeente provincie waterschap stichting vereniging woningstichting woningcorporatie
    woonstichting wooncorporatie zorginstelling zorgorganisatie omgevingsdienst veiligheidsregio
    hoogheemraadschap ggd uwv
    ministerie project programma operatie plan dossier codenaam bedrijf bedrijven groep holding
    bv nv b v n v de het van der den
    en the of and transportbedrijf zorggroep ziekenhuis school hogeschool universiteit bank
    trucks logistiek logistics services group company noord zuid oost west nederland holland
    international benelux europe""".split()
)


class _Name:
    __slots__ = ("context", "label", "words", "proper")

    def __init__(self, context: str, label: str, words: tuple[str, ...] | None = None) -> None:
        self.context = context
        self.label = label
        self.words = words if words is not None else tuple(t.forms[-1] for t in tokenize(label))
        # a one-word proper name ('Bol', 'Shell') must be capitalised (or a tag) in the draft,
        # so that ordinary words ('een bol wol', 'shell script') don't count as the name
        self.proper = len(self.words) == 1 and label[:1].isupper()


def _short_form(context: str, label: str, own_words: frozenset[str]) -> _Name | None:
    """The distinctive word of a multi-word proper name: 'Havenbedrijf Rotterdam' -> 'Havenbedrijf'.

    Only for capitalised names; never a word of the organisation's own name; for confidential
    terms only after a generic first word ('Project Reiger' -> 'Reiger'), since a code name's
    first word is often the organisation's or a product's name. A confidential term with a
    lower-case head ('overname van Apotheek De Sterre') is also found by its capitalised tail when
    that is a name of several words ('Apotheek De Sterre'); one word ('sluiting vestiging Zwolle')
    could be a place anyone may name.
    """
    tokens = tokenize(label)
    if len(tokens) < 2 or " " not in label.strip():
        return None
    lowercase_head = not label[:1].isupper()
    if lowercase_head and context != "confidential_term":
        return None
    if lowercase_head:
        tail = [t for t in tokens if label[t.start : t.start + 1].isupper()]
        start = next((i for i, t in enumerate(tokens) if t in tail), len(tokens))
        words = tuple(t.forms[-1] for t in tokens[start:])
        if len(words) >= 2 and all(w not in own_words for w in words):
            return _Name(context, label[tokens[start].start :], words)
        return None
    if (
        context == "confidential_term"
        and not lowercase_head
        and tokens[0].forms[-1] not in GENERIC_NAME_WORDS
    ):
        return None
    if context != "confidential_term" and tokens[0].forms[-1] in TERRITORIAL_BODIES:
        return None
    for token in tokens:
        word = token.forms[-1]
        raw = label[token.start : token.end]
        if word in GENERIC_NAME_WORDS or not raw[:1].isupper():
            continue
        if len(word) < 3 or not word.isalpha() or word in own_words:
            return None
        return _Name(context, raw, (word,))
    return None


# Public bodies named after their territory: 'Gemeente Brakelwaard' is also a place, and 'de
# Zandplas bij Brakelwaard' is not about the municipality. Their short form is no name of them.
TERRITORIAL_BODIES = frozenset(
    """gemeente provincie waterschap hoogheemraadschap veiligheidsregio omgevingsdienst ggd
    regio""".split()
)

_OWN = ("de", "het", "onze", "ons", "mijn", "als", "our", "my")


def _kind_references(name: str) -> list[_Name]:
    """'Gemeente Zuiderveen' is also 'de gemeente', 'onze gemeente': the kind of body it is."""
    tokens = tokenize(name)
    if len(tokens) < 2 or " " not in name.strip():
        return []
    kind = tokens[0].forms[-1]
    if not kind.isalpha() or len(kind) < 4:
        return []
    return [_Name("org", f"{own} {kind}", (own, kind)) for own in _OWN]


_NOT_A_TOPIC = frozenset("voor van der den het and the of".split())


def _topic_words(name: str) -> tuple[str, ...]:
    """The words of the organisation's name, as topics: 'Van Dorsten Bouw' makes 'bouwplaats'
    and 'bouwbedrijf' work topics, 'Bosmolen Verzekeringen' makes 'verzekeraars' one (by the
    part the word shares with its Dutch stem, 'verzeke', when that part is long enough)."""
    topics = []
    for word in (t.forms[-1] for t in tokenize(name)):
        if word.isalpha() and len(word) >= 4 and word not in _NOT_A_TOPIC:
            root = os.path.commonprefix([word, stem(word, "nl")])
            topics.append(root if len(root) >= 6 else word)
    return tuple(topics)


class ProfileMatcher:
    """Matches every name in a profile, as whole words, whatever their spelling or case."""

    def __init__(self, profile: Organisation) -> None:
        labelled = [("org", profile.name)] + [("org", alias) for alias in profile.aliases]
        for field, context in _FIELDS.items():
            labelled += [(context, value) for value in getattr(profile, field)]
        names = [_Name(context, label) for context, label in labelled]
        names += [  # written as one word or tag: '#Winterplan2026', 'ProjectReiger'
            _Name(n.context, n.label, ("".join(n.words),)) for n in names if len(n.words) > 1
        ]
        names += _kind_references(profile.name)
        own_words = frozenset(
            t.forms[-1] for label in (profile.name, *profile.aliases) for t in tokenize(label)
        )
        names += [
            n for n in (_short_form(c, label, own_words) for c, label in labelled) if n is not None
        ]
        self._kinds = _topic_words(profile.name)
        self._by_first: dict[str, list[_Name]] = {}
        for name in names:
            if name.words:
                self._by_first.setdefault(name.words[0], []).append(name)

    def find(self, tokens: Sequence[Token]) -> Iterator[tuple[str, int, int, int, str]]:
        for i, token in enumerate(tokens):
            for kind in self._kinds:
                if any(f.startswith(kind) for f in token.forms):
                    yield "org_topic", token.start, token.end, token.sentence, kind
            forms = set(token.forms)
            for form in forms:
                for name in self._by_first.get(form, ()):
                    end = i + len(name.words)
                    if end > len(tokens):
                        continue
                    if any(
                        name.words[k] not in tokens[i + k].forms for k in range(1, len(name.words))
                    ):
                        continue
                    if name.proper and not (token.upper_initial or token.hashtag or token.handle):
                        continue
                    yield name.context, token.start, tokens[end - 1].end, token.sentence, name.label
