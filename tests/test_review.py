"""The review engine, detector by detector, on organisations it has never seen."""

from __future__ import annotations

import pytest

from bot.knowledge.schema import Organisation


def review(engine, text, profile, **kw):
    return engine.review(text, profile=profile, **kw)


def triggers(result, rule):
    return [f.trigger for f in result.findings if f.rule == rule or rule in f.also]


# -- verdict basics ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n", "☀️🚲🌷", "."])
def test_empty_or_emoji_only_drafts_are_go(engine, bakery, text):
    result = review(engine, text, bakery)
    assert result.verdict == "go"
    assert result.rules == ()


def test_private_life_is_go(engine, bakery):
    result = review(
        engine, "Eindelijk mijn rijbewijs gehaald! Zaterdag eerste rit naar zee 🚗🌊", bakery
    )
    assert result.verdict == "go"


def test_every_caution_or_stop_cites_rule_15(engine, bakery):
    result = review(engine, "Onze directie is een stel klootzakken.", bakery)
    assert result.verdict == "stop"
    assert 15 in result.rules


# -- insults and obfuscation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Wat een k@nkerbedrijf is dit zeg", "k@nkerbedrijf"),
        ("Die t y f u s lijers van de planning", "t y f u s"),
        ("Mijn baas is een kl00tzak", "kl00tzak"),
        ("Mijn baas is een kloooootzak", "kloooootzak"),
        ("Onze manager is een id\u200biot", "id\u200biot"),
        ("Onze manager is een іdіоt", "іdіоt"),  # Cyrillic look-alikes
        ("The whole board can f*** off", "f***"),
        ("Wat een k🤬t organisatie", "k🤬t"),
    ],
)
def test_obfuscated_insults_are_stop_with_the_original_words(engine, bakery, text, word):
    result = review(engine, text, bakery)
    assert result.verdict == "stop"
    assert 8 in result.rules
    assert word in triggers(result, 8)


@pytest.mark.parametrize(
    "text",
    [
        "Hoera! Vandaag tien jaar in dienst, dank aan de catering voor de taart.",
        "Dit weekend fietsen we mee voor KWF Kankerbestrijding. Steun ons!",
        "We stellen vier bakwagens beschikbaar voor de optocht.",
        "Scunthorpe and Sussex are lovely this time of year.",
        "Ik heb een verbetering voorgesteld voor het ladingzekeren.",
    ],
)
def test_curse_like_substrings_do_not_fire(engine, bakery, text):
    assert review(engine, text, bakery).verdict == "go"


def test_quoting_a_slur_to_condemn_it_is_caution(engine, water_board):
    text = "Op de training besproken hoe een politicus ooit 'kut-Marokkanen' zei. Dat doet nog steeds pijn."
    result = review(engine, text, water_board)
    assert result.verdict == "caution"
    assert 8 in result.rules


@pytest.mark.parametrize(
    "text",
    [
        "Die Turken in de fabriek zijn allemaal lui en dom.",
        "Refugees are vermin and should be deported.",
        "Moslims horen hier niet, ze moeten oprotten.",
    ],
)
def test_group_derogation_is_stop(engine, bakery, text):
    result = review(engine, text, bakery)
    assert result.verdict == "stop"
    assert 8 in result.rules


@pytest.mark.parametrize(
    "text",
    [
        "Refugees are not vermin, they are people like you and me.",
        "Ik ben trots op mijn Turkse collega's, wat een team.",
        "Saying that Muslims are dangerous is racist nonsense and we should call it out.",
    ],
)
def test_negation_and_counter_speech_are_not_stop(engine, bakery, text):
    assert review(engine, text, bakery).verdict != "stop"


def test_wishing_harm_is_stop(engine, water_board):
    result = review(
        engine,
        "Die demonstranten op de dijk mogen van mij allemaal verzuipen, hoop dat ze doodgaan.",
        water_board,
    )
    assert result.verdict == "stop"
    assert 8 in result.rules


# -- the organisation's profile ---------------------------------------------------------------


def test_confidential_term_from_the_profile_is_stop(engine, water_board):
    result = review(
        engine, "Spannend: volgende maand start Operatie Kievit eindelijk! 🤫", water_board
    )
    assert result.verdict == "stop"
    assert {1, 6} <= set(result.rules)
    assert "Operatie Kievit" in triggers(result, 6)


def test_the_same_words_are_harmless_for_another_organisation(engine, bakery):
    assert (
        review(engine, "Spannend: volgende maand start Operatie Kievit eindelijk!", bakery).verdict
        == "go"
    )


def test_harmful_news_about_a_named_client_is_stop(engine, bakery):
    text = "Sodexo betaalt al maanden niet en bij ons liggen de facturen opgestapeld. Rommel."
    result = review(engine, text, bakery)
    assert result.verdict == "stop"
    assert 7 in result.rules


def test_neutral_public_news_about_a_client_is_go(engine, bakery):
    text = (
        "Mooi nieuws: Albert Heijn opent in maart een nieuwe winkel in Zwolle. https://ah.nl/nieuws"
    )
    assert review(engine, text, bakery).verdict == "go"


def test_one_word_client_names_must_be_written_as_names(engine):
    profile = Organisation(name="Fietsfabriek Trap", sector="private", clients=["Plus"])
    assert (
        review(engine, "Dat is een plus van het nieuwe rooster, chaos voorbij.", profile).verdict
        == "go"
    )


def test_promotion_without_disclosure_is_caution_12(engine, bakery):
    text = "Op zoek naar echt goed brood? Bakkerij Korenaar, altijd vers. Echt een aanrader!"
    result = review(engine, text, bakery)
    assert result.verdict == "caution"
    assert 12 in result.rules


def test_promotion_with_disclosure_is_go(engine, bakery):
    text = (
        "Trots op mijn team bij Bakkerij Korenaar: ons nieuwe speltbrood is er. Echt een aanrader!"
    )
    assert review(engine, text, bakery).verdict == "go"


# -- personal data ----------------------------------------------------------------------------


def test_a_valid_bsn_is_stop_and_an_invalid_one_is_not(engine, water_board):
    valid = review(engine, "Kan iemand dit BSN checken: 111222333?", water_board)
    invalid = review(engine, "Kan iemand dit nummer checken: 111222334?", water_board)
    assert valid.verdict == "stop" and 3 in valid.rules
    assert all(f.signal != "citizen-number" for f in invalid.findings)


def test_own_health_and_home_address_is_caution_3(engine, water_board):
    text = "Ik lig nog twee weken thuis na mijn operatie. Bloemen zijn welkom op de Dorpsstraat 12 in Ede!"
    result = review(engine, text, water_board)
    assert result.verdict == "caution"
    assert 3 in result.rules


# -- role and sector --------------------------------------------------------------------------


def test_the_same_view_needs_care_from_an_executive_not_from_an_employee(engine, bakery):
    text = "Persoonlijke mening: ik vind dat onze strategie meer op duurzaamheid moet sturen."
    assert review(engine, text, bakery, role="employee").verdict == "go"
    senior = review(engine, text, bakery, role="executive")
    assert senior.verdict == "caution"
    assert 13 in senior.rules


def test_communications_may_speak_on_behalf_an_employee_should_not(engine, water_board):
    text = "Namens Waterschap Lage Velden: excuses voor de overlast bij het gemaal vanochtend."
    assert review(engine, text, water_board, role="communications").verdict == "go"
    employee = review(engine, text, water_board, role="employee")
    assert employee.verdict == "caution" and 2 in employee.rules


def test_blog_about_work_without_disclaimer_cites_rule_4(engine, water_board):
    text = "Na tien jaar bij het waterschap durf ik het te zeggen: onze inspraakavonden zijn vaak schijn."
    result = review(engine, text, water_board, platform="blog")
    assert 4 in result.rules


# -- language and explanation -----------------------------------------------------------------


def test_answers_in_the_drafts_language(engine, bakery):
    nl = review(engine, "Mijn leidinggevende is een sukkel, echt waar.", bakery)
    en = review(engine, "My manager is an idiot, honestly.", bakery)
    assert nl.language == "nl" and en.language == "en"
    assert "regel" in nl.findings[0].explanation.lower()
    assert "rule" in en.findings[0].explanation.lower()


def test_every_finding_names_its_words_and_span(engine, bakery):
    text = "Off the record: Project Zuurdesem gaat door. Die klootzakken van Broodhuys kunnen inpakken."
    result = review(engine, text, bakery)
    assert result.findings
    for finding in result.findings:
        assert text[finding.start : finding.end] == finding.trigger
        assert finding.trigger.strip()
        assert finding.explanation and finding.suggestion


def test_every_finding_points_to_a_precedent_of_the_organisations_sector(
    engine, knowledge, water_board
):
    texts = [
        "Ik zit al de hele ochtend TikToks te kijken achter mijn bureau.",
        "Beterschap aan onze Sandra van de balie, die is opgenomen met een depressie.",
        "Heb mijn vorige post weggehaald, er stond een fout in.",
        "Nieuwe bio: 'party animal bij Waterschap Lage Velden, DM me voor vergunningen 😉'",
    ]
    for text in texts:
        result = engine.review(text, profile=water_board)
        assert result.findings, text
        for finding in result.findings:
            if knowledge.rules[finding.rule].cases:  # rules 4, 5 and 9 have no precedent yet
                assert finding.case in knowledge.cases
            signal = next(s for s in knowledge.signals if s.id == finding.signal)
            if not signal.case and finding.case:  # chosen from the rule: same sector first
                same = [
                    c
                    for c in knowledge.rules[finding.rule].cases
                    if knowledge.cases[c].sector == "public"
                ]
                assert not same or finding.case == same[0]


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("Onze kernwaarde is vertrouwelijkheid, en daar zijn we trots op.", "go"),
        ("Dit is vertrouwelijk: de fusie met de buren gaat door.", "stop"),
        ("Ik ben niet boos op mijn collega's, ze zijn geen idioten.", "go"),
        ("Mijn collega's zijn idioten.", "stop"),
    ],
)
def test_context_decides_not_the_word(engine, bakery, text, verdict):
    assert review(engine, text, bakery).verdict == verdict


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("I am going to shoot the next immigrant I see.", "stop"),
        ("Why are gay people so stupid?", "stop"),
        ("Muslims are not good people.", "stop"),
        ("Zwarte mensen zijn niet welkom hier.", "stop"),
        ("Ik haat vrouwen.", "stop"),
        ("I don't hate Muslims.", "go"),
        ("I live with two trans people.", "go"),
        ("Ik haat spruitjes.", "go"),
        ("Artists are parasites.", "go"),
        ("Saying that women are stupid is just wrong.", "go"),
        ("I love disabled people.", "go"),
    ],
)
def test_group_hate_and_its_harmless_neighbours(engine, bakery, text, verdict):
    assert review(engine, text, bakery).verdict == verdict


def test_an_obfuscated_word_is_read_as_a_curse_not_as_its_plain_meaning(engine, bakery):
    """'k@nker' is a curse; nobody writes the illness like that (no health finding)."""
    result = review(engine, "Die k@nker directie van ons snapt er echt niks van.", bakery)
    assert result.verdict == "stop"
    assert all(f.rule != 3 for f in result.findings)
