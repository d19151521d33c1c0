"""The organisation's names in a draft, from the profile alone."""

from __future__ import annotations

from bot.knowledge.schema import Organisation
from bot.normalize import tokenize
from bot.profile import ProfileMatcher

PROFILE = Organisation(
    name="Gemeente Dalwijk",
    aliases=["Dalwijk", "@GemDalwijk"],
    sector="public",
    partners=["Havenbedrijf Noordzee", "Woonstichting De Linde"],
    suppliers=["Plus"],
    competitors=["Kuehne+Nagel"],
    confidential_terms=["Project Spreeuw", "Dalwijk Connect"],
)


def found(text: str) -> list[tuple[str, str]]:
    tokens = tokenize(text)
    return [(ctx, text[s:e]) for ctx, s, e, _, _ in ProfileMatcher(PROFILE).find(tokens)]


def test_names_aliases_and_handles():
    assert ("org", "Gemeente Dalwijk") in found("Werken bij Gemeente Dalwijk")
    assert ("org", "GemDalwijk") in [(c, t.lstrip("@")) for c, t in found("Dank @GemDalwijk!")]


def test_the_kind_of_body_counts_as_the_organisation():
    assert ("org", "onze gemeente") in found("Ik vind dat onze gemeente meer moet doen")
    assert ("org_topic", "gemeentebelasting") in found("De gemeentebelasting stijgt")


def test_distinctive_short_forms():
    assert ("partner", "Havenbedrijf") in found("Vandaag overleg met het Havenbedrijf")
    assert ("partner", "Linde") in found("De Linde reageert niet")
    assert ("confidential_term", "Spreeuw") in found("Spreeuw start in mei")


def test_short_forms_never_take_the_organisations_own_name():
    assert all(ctx != "confidential_term" for ctx, _ in found("Dalwijk zoekt collega's"))


def test_one_word_names_must_be_written_as_names():
    assert found("een plus van het rooster") == []
    assert ("supplier", "Plus") in found("Plus levert weer te laat")


def test_a_body_named_after_its_territory_is_not_its_place():
    """'Gemeente Brakelwaard' is a partner; 'de Zandplas bij Brakelwaard' is a place."""
    profile = Organisation(
        name="Waterschap De Wijde Dijken",
        sector="public",
        partners=["Gemeente Brakelwaard", "Provincie Merelland", "Havenbedrijf Noordzee"],
    )

    def relations(text: str) -> list[str]:
        matches = ProfileMatcher(profile).find(tokenize(text))
        return [text[s:e] for ctx, s, e, _, _ in matches if ctx == "partner"]

    assert relations("Het strand bij Brakelwaard is weer open") == []
    assert relations("Morgen fietsen door Merelland") == []
    assert relations("Overleg met de gemeente Brakelwaard") == ["gemeente Brakelwaard"]
    assert relations("Het Havenbedrijf doet mee") == ["Havenbedrijf"]  # other names keep theirs
