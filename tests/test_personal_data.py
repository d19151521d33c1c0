"""Tests for bot.personal_data: validators, each detector, spans and adversarial input."""

from __future__ import annotations

import dataclasses
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.personal_data import (
    PersonalData,
    find_personal_data,
    is_valid_bsn,
    is_valid_iban,
)

# --------------------------------------------------------------------------------------------
# helpers: build valid test data from the rules themselves, not from the web


def make_bsn(first8: str) -> str | None:
    """Complete eight digits to a BSN by the 11-proef (None when no check digit fits)."""
    total = sum(int(d) * w for d, w in zip(first8, range(9, 1, -1), strict=True))
    check = total % 11  # need total - check == 0 (mod 11)
    return None if check == 10 else first8 + str(check)


def valid_bsns() -> list[str]:
    out = []
    for first8 in ("12345678", "23456789", "31415926", "10000000", "98765432", "55555555"):
        bsn = make_bsn(first8)
        if bsn is not None and bsn != "000000000":
            out.append(bsn)
    return out


BSNS = valid_bsns()


def make_iban(country: str, bban: str) -> str:
    """An IBAN with correct ISO 7064 mod-97 check digits."""
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{country}{98 - number % 97:02d}{bban}"


def kinds(text: str) -> list[tuple[str, str]]:
    return [(d.kind, d.value) for d in find_personal_data(text)]


def values_of(text: str, kind: str) -> list[str]:
    return [d.value for d in find_personal_data(text) if d.kind == kind]


# --------------------------------------------------------------------------------------------
# BSN


def test_helper_produces_bsns() -> None:
    assert len(BSNS) >= 4


@pytest.mark.parametrize("bsn", BSNS)
def test_valid_bsn(bsn: str) -> None:
    assert is_valid_bsn(bsn)


def test_eight_digits_get_a_leading_zero() -> None:
    bsn = make_bsn("01234567")
    assert bsn is not None
    assert is_valid_bsn(bsn)
    assert is_valid_bsn(bsn[1:])  # the same number written without its leading zero


@pytest.mark.parametrize("bsn", BSNS)
def test_corrupted_bsn_is_invalid(bsn: str) -> None:
    last = int(bsn[-1])
    assert not is_valid_bsn(bsn[:-1] + str((last + 1) % 10))
    swapped = bsn[1] + bsn[0] + bsn[2:]
    if swapped != bsn:
        assert not is_valid_bsn(swapped)


@pytest.mark.parametrize(
    "digits",
    ["000000000", "00000000", "", "1234567", "1234567890", "12345678a", "１２３４５６７８２"],
)
def test_invalid_bsn_shapes(digits: str) -> None:
    assert not is_valid_bsn(digits)


@pytest.mark.parametrize("bsn", BSNS)
def test_bsn_detected_in_three_notations(bsn: str) -> None:
    dotted = f"{bsn[:3]}.{bsn[3:6]}.{bsn[6:]}"
    spaced = f"{bsn[:3]} {bsn[3:6]} {bsn[6:]}"
    for written in (bsn, dotted, spaced):
        text = f"Mijn BSN is {written}, graag vertrouwelijk."
        found = find_personal_data(text)
        assert [(d.kind, d.value) for d in found] == [("bsn", written)]
        assert text[found[0].start : found[0].end] == written


@pytest.mark.parametrize("bsn", BSNS)
def test_bsn_not_part_of_a_longer_number(bsn: str) -> None:
    spaced = f"{bsn[:3]} {bsn[3:6]} {bsn[6:]}"
    for text in (
        f"nummer 1{bsn}",
        f"nummer {bsn}7",
        f"bedrag {bsn},50",
        f"waarde 4.{bsn}",
        f"reeks {spaced} 123",
        f"reeks 12 {spaced}",
        f"ordernr AB{bsn}",
        f"kost €{bsn}",
    ):
        assert values_of(text, "bsn") == [], text


@pytest.mark.parametrize("bsn", BSNS)
def test_number_failing_the_11_proef_is_not_a_bsn(bsn: str) -> None:
    wrong = bsn[:-1] + str((int(bsn[-1]) + 3) % 10)
    assert find_personal_data(f"BSN {wrong}") == []


# --------------------------------------------------------------------------------------------
# IBAN

EXAMPLE_IBAN = "NL91ABNA0417164300"

FOREIGN_IBANS = [
    make_iban("BE", "539007547034"),
    make_iban("DE", "370400440532013000"),
    make_iban("FR", "20041010050500013M02606"),
    make_iban("GB", "WEST12345698765432"),
    make_iban("ES", "21000418450200051332"),
    make_iban("IT", "X0542811101000000123456"),
    make_iban("LU", "0019400644750000"),
    make_iban("NL", "RABO0123456789"),
]


def test_well_known_example_iban() -> None:
    assert is_valid_iban(EXAMPLE_IBAN)
    assert is_valid_iban("NL91 ABNA 0417 1643 00")
    assert is_valid_iban("nl91abna0417164300")
    assert make_iban("NL", "ABNA0417164300") == EXAMPLE_IBAN  # the helper agrees


@pytest.mark.parametrize("iban", FOREIGN_IBANS)
def test_valid_ibans_per_country(iban: str) -> None:
    assert is_valid_iban(iban)
    grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    assert is_valid_iban(grouped)


@pytest.mark.parametrize(
    "iban",
    [
        "NL91ABNA0417164301",  # corrupted last digit
        "NL19ABNA0417164300",  # swapped check digits
        "NL91ABNA041716430",  # too short for NL
        "NL91ABNA04171643000",  # too long for NL
        "XX91ABNA0417164300",  # unknown country
        "NL91ABNA041716430Ä",
        "",
        "NL",
        "1234ABNA0417164300",
    ],
)
def test_invalid_ibans(iban: str) -> None:
    assert not is_valid_iban(iban)


def test_iban_length_table_is_checked() -> None:
    # a BBAN of German length under the Dutch code fails even with correct check digits
    assert not is_valid_iban(make_iban("NL", "370400440532013000"))
    assert is_valid_iban(make_iban("DE", "370400440532013000"))


@pytest.mark.parametrize(
    "written", [EXAMPLE_IBAN, "NL91 ABNA 0417 1643 00", "nl91abna0417164300", *FOREIGN_IBANS]
)
def test_iban_detected(written: str) -> None:
    text = f"Maak het over naar {written}. Dank!"
    found = find_personal_data(text)
    assert [(d.kind, d.value) for d in found] == [("iban", written)]


def test_corrupted_iban_not_detected() -> None:
    assert find_personal_data("rekening NL91ABNA0417164301 graag") == []
    assert find_personal_data("rekening NL91 ABNA 0417 1643 01 graag") == []


def test_iban_glued_into_a_longer_token_not_detected() -> None:
    assert find_personal_data(f"code {EXAMPLE_IBAN}X7 ok") == []
    assert find_personal_data(f"code Q{EXAMPLE_IBAN} ok") == []


def test_iban_followed_by_words() -> None:
    text = f"{EXAMPLE_IBAN} en NL91 ABNA 0417 1643 00 ten name van"
    assert values_of(text, "iban") == [EXAMPLE_IBAN, "NL91 ABNA 0417 1643 00"]


# --------------------------------------------------------------------------------------------
# phone numbers


@pytest.mark.parametrize(
    "number",
    [
        "06-12345678",
        "06 1234 5678",
        "0612345678",
        "06 12 34 56 78",
        "+31 6 12345678",
        "+31612345678",
        "+31(0)6-12345678",
        "+31 (0)6 1234 5678",
        "0031 6 12345678",
        "010-1234567",
        "020 123 4567",
        "020-1234567",
        "(020) 123 4567",
        "0111-123456",
        "+31 20 123 4567",
        "0800-1234",
        "0900-1234567",
        "0800 0543",
    ],
)
def test_phone_positive(number: str) -> None:
    text = f"Bel me op {number} na vijven."
    found = find_personal_data(text)
    assert [(d.kind, d.value) for d in found] == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        "Bel de gemeente via 14 0123.",
        "Bel 14 020 voor vragen.",
        "Het kost €2,3 miljoen.",
        "We zien elkaar 12 november.",
        "Om 14:30 of 09:30 begint het.",
        "In 2023 en 2024 groeide het.",
        "Postcode 3511 AB.",
        "Op 06-12-2023 om 14:00.",
        "Op 06-12-2023 14:00 uur.",
        "06/12/2023",
        "Open van 0900-1700.",
        "010-12345678 heeft een cijfer te veel.",
        "06-1234567 heeft een cijfer te weinig.",
        "1234567890 begint niet met een nul.",
        "06 1234 5678 90 is te lang.",
        "Versie 0.612345678 van de meting.",
        "De kans is 0,612345678.",
        "ordernummer AB0612345678",
    ],
)
def test_phone_negative(text: str) -> None:
    assert values_of(text, "phone") == []


def test_phone_with_trailing_count_in_other_style() -> None:
    assert values_of("Bel 0612345678 3 keer per dag.", "phone") == ["0612345678"]


# --------------------------------------------------------------------------------------------
# postcodes and addresses


@pytest.mark.parametrize("postcode", ["1234 AB", "1234AB", "3511 EZ", "9999 ZZ"])
def test_postcode_positive(postcode: str) -> None:
    assert kinds(f"Mijn postcode is {postcode}, toch?") == [("postcode", postcode)]


@pytest.mark.parametrize(
    "text",
    [
        "0123 AB",  # first digit may not be 0
        "1234 SA",
        "1234 SD",
        "1234SS",
        "1234 ab",
        "1234 ABC",
        "12345 AB",
        "A1234 AB",
    ],
)
def test_postcode_negative(text: str) -> None:
    assert values_of(text, "postcode") == []


def test_postcode_takes_in_house_number() -> None:
    assert kinds("postcode 1234AB 12 graag") == [("postcode", "1234AB 12")]


def test_postcode_takes_in_the_address_before_it() -> None:
    text = "Molenstraat 12a, 1234 AB Utrecht"
    assert kinds(text) == [("postcode", "Molenstraat 12a, 1234 AB")]
    assert kinds("Kloosterweg 14 1234 AB") == [("postcode", "Kloosterweg 14 1234 AB")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kloosterweg 14", "Kloosterweg 14"),
        ("Ik woon op Kloosterweg 14.", "Kloosterweg 14"),
        ("Eikenlaan 7 in Waalwijk", "Eikenlaan 7"),
        ("Het feest is in de Kerkstraat 3.", "Kerkstraat 3"),
        ("Molenstraat 12a is verkocht", "Molenstraat 12a"),
        ("Ze woont op de Van Goghlaan 3.", "Van Goghlaan 3"),
        ("Prins Hendrikkade 12 is dicht.", "Prins Hendrikkade 12"),
        ("Nieuwe Binnenweg 140", "Nieuwe Binnenweg 140"),
        ("langs de Oudegracht 231 lopen", "Oudegracht 231"),
        ("Kerkstraat 12-II, derde etage", "Kerkstraat 12-II"),
        ("Dorpsstraat 3 bis", "Dorpsstraat 3 bis"),
        ("Marktplein 7a", "Marktplein 7a"),
        ("Stationsplein 1", "Stationsplein 1"),
        ("we gaan naar de kerkstraat 5", "kerkstraat 5"),
        ("Laan van Meerdervoort 12, Den Haag", "Laan van Meerdervoort 12"),
        ("Baker Street 221b", "Baker Street 221b"),
        ("at 10 Downing Street", "10 Downing Street"),
    ],
)
def test_address_positive(text: str, expected: str) -> None:
    assert kinds(text) == [("address", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "Er is een file op de Rijksstraatweg.",
        "We lopen door de Kerkstraat.",
        "Ongeluk op de A59 en de A2.",
        "Afgesloten bij Loods 3.",
        "Het duurde 12,5 jaar.",
        "De Kerkstraat 2023 editie",
        "Parkweg 1995 was een goed jaar",
        "Aflevering 3 van de serie",
        "Het antwoord 2 is fout, Antwoord 4 ook",
        "We zijn onderweg 3 uur",
        "De Kerkstraat 12,5 meter breed",
        "Eikenlaan 7km verderop",
        "Laan van Meerdervoort",
    ],
)
def test_address_negative(text: str) -> None:
    assert values_of(text, "address") == []


# --------------------------------------------------------------------------------------------
# e-mail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail jan@example.nl.", "jan@example.nl"),
        (
            "mail: j.de.vries+nieuws@mail.gemeente-utrecht.nl, of bel",
            "j.de.vries+nieuws@mail.gemeente-utrecht.nl",
        ),
        ("(info@bedrijf.co.uk)", "info@bedrijf.co.uk"),
        ("<a_b-c%d@x-y.com>!", "a_b-c%d@x-y.com"),
        ("mailto:test123@sub.domain.org?", "test123@sub.domain.org"),
    ],
)
def test_email_positive(text: str, expected: str) -> None:
    assert kinds(text) == [("email", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "@gemeente op sociale media",
        "jan@localhost",
        "jan@example.",
        "jan..piet@example.nl",
        "jan.@example.nl",
        "jan@-example.nl",
        "jan@example.n",
        "a @ b.nl",
        "jan@example.nl@evil",
    ],
)
def test_email_negative(text: str) -> None:
    assert values_of(text, "email") == []


# --------------------------------------------------------------------------------------------
# all together: exact spans, order, no overlap


def test_mixed_text_spans_slice_the_original() -> None:
    bsn = BSNS[0]
    text = (
        f"Hoi! Ik ben jan@example.nl, BSN {bsn}, rekening NL91 ABNA 0417 1643 00.\n"
        "Bel 06-12345678 of kom langs op de Kerkstraat 3, 1234 AB Utrecht. Tot 12 november!"
    )
    found = find_personal_data(text)
    assert [(d.kind, d.value) for d in found] == [
        ("email", "jan@example.nl"),
        ("bsn", bsn),
        ("iban", "NL91 ABNA 0417 1643 00"),
        ("phone", "06-12345678"),
        ("postcode", "Kerkstraat 3, 1234 AB"),
    ]
    for d in found:
        assert text[d.start : d.end] == d.value
    assert [d.start for d in found] == sorted(d.start for d in found)


def test_unicode_before_the_data_keeps_spans_exact() -> None:
    text = "İstanbul 😀 ﬁ ß: bel 020 123 4567 of mail ö@x.nl en jan@x.nl"
    found = find_personal_data(text)
    for d in found:
        assert text[d.start : d.end] == d.value
    assert [(d.kind, d.value) for d in found] == [
        ("phone", "020 123 4567"),
        ("email", "jan@x.nl"),
    ]


def test_email_wins_over_digits_inside_it() -> None:
    text = "schrijf naar 0612345678@sms.example.com"
    assert kinds(text) == [("email", "0612345678@sms.example.com")]


def test_nothing_in_plain_text() -> None:
    assert find_personal_data("") == []
    assert find_personal_data("Mooi weer vandaag, 21 graden en 3 uur zon.") == []


def test_result_is_frozen() -> None:
    (item,) = find_personal_data("jan@example.nl")
    assert item == PersonalData(kind="email", start=0, end=14, value="jan@example.nl")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.start = 3  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# properties

FRAGMENTS = [
    " ", ".", ",", "-", "+", "@", "(0)", "06", "0031", "+31", "123", "456", "782", "NL91",
    "ABNA", "0417", "1643", "00", "straat", "Kerk", "weg", "laan", " 3", "7a", "1234", "AB",
    "jan", "example", ".nl", "\n", "€", "14", ":", "/", "Van ", *BSNS, "NL91ABNA0417164300",
]  # fmt: skip

data_like_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=40
).map("".join)


def check_invariants(text: str) -> None:
    found = find_personal_data(text)
    previous_end = 0
    for d in found:
        assert 0 <= d.start < d.end <= len(text)
        assert d.value == text[d.start : d.end]
        assert d.start >= previous_end  # sorted and non-overlapping
        previous_end = d.end
        assert d.kind in {"bsn", "iban", "phone", "postcode", "address", "email"}


@settings(max_examples=300)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    check_invariants(text)


@settings(max_examples=300)
@given(data_like_text)
def test_invariants_on_data_like_text(text: str) -> None:
    check_invariants(text)


@settings(max_examples=100)
@given(st.text(alphabet=string.digits + " .-+()/@", max_size=200))
def test_invariants_on_digit_soup(text: str) -> None:
    check_invariants(text)


@given(st.sampled_from(BSNS), st.text(alphabet=string.ascii_letters + " ,:", max_size=20))
def test_bsn_found_wherever_it_stands(bsn: str, prefix: str) -> None:
    text = f"{prefix} {bsn} "
    found = [d for d in find_personal_data(text) if d.kind == "bsn"]
    assert [d.value for d in found] == [bsn]
    assert found[0].start == len(prefix) + 1


# --------------------------------------------------------------------------------------------
# adversarial input: must complete (linear-time patterns); no timing asserts

SIZE = 100_000
ADVERSARIAL = {
    "digits": "1" * SIZE,
    "zeros": "0" * SIZE,
    "spaces": " " * SIZE,
    "at-signs": "@" * SIZE,
    "a-dot": "a." * (SIZE // 2),
    "letters": "a" * SIZE,
    "a-at": "a@" * (SIZE // 2),
    "long-local-parts": ("a" * 70 + "@") * (SIZE // 71),
    "zero-space": "0 " * (SIZE // 2),
    "mobile-prefixes": "06 " * (SIZE // 3),
    "country-codes": "+31 " * (SIZE // 4),
    "parenthesised-zeros": "(0)" * (SIZE // 3),
    "digit-groups": "123 " * (SIZE // 4),
    "dotted-groups": "123." * (SIZE // 4),
    "hyphens": "-" * SIZE,
    "iban-heads": "NL91 " * (SIZE // 5),
    "postcodes": "1234 AB " * (SIZE // 8),
    "addresses": "Kerkstraat 1 " * (SIZE // 13),
    "street-prefixes": "Van de " * (SIZE // 7) + "Kerkstraat 3",
    "domains": "x@y." * (SIZE // 4),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_input_completes(name: str) -> None:
    text = ADVERSARIAL[name]
    assert len(text) >= SIZE - 100
    check_invariants(text)
