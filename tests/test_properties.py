"""Properties that hold for every draft: no exception, spans inside the text, no hang."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.normalize import tokenize

WORDS = st.sampled_from(
    [
        "kut",
        "k@nker",
        "k u t",
        "f***",
        "Project",
        "Zuurdesem",
        "niet",
        "'",
        '"',
        "📸",
        "🤬",
        "-",
        "06-12345678",
        "111222333",
        "NL91ABNA0417164300",
        "Dorpsstraat 12",
        "@handle",
        "#tag",
        "\u200b",
        "іdіоt",
        "...",
        "\n",
        "ik",
        "hoop",
        "dat",
        "ze",
        "doodgaan",
        "...",
        "op persoonlijke titel",
    ]
)
DRAFTS = st.one_of(
    st.text(max_size=400),
    st.lists(WORDS, max_size=60).map(" ".join),
    st.lists(st.one_of(WORDS, st.text(max_size=8)), max_size=40).map("".join),
)
ROLES = st.sampled_from(["employee", "manager", "communications", "policy_advisor", "executive"])
PLATFORMS = st.sampled_from(["x", "linkedin", "facebook", "instagram", "tiktok", "blog", "other"])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=DRAFTS, role=ROLES, platform=PLATFORMS)
def test_review_never_raises_and_spans_lie_inside_the_text(engine, bakery, text, role, platform):
    result = engine.review(text, profile=bakery, role=role, platform=platform)
    assert result.verdict in ("go", "caution", "stop")
    assert all(1 <= r <= 15 for r in result.rules)
    assert (result.verdict == "go") == (15 not in result.rules)
    for finding in result.findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert text[finding.start : finding.end] == finding.trigger


@settings(max_examples=300, deadline=None)
@given(text=DRAFTS)
def test_tokens_are_ordered_spans_of_the_text(text):
    previous_end = 0
    for token in tokenize(text):
        assert 0 <= token.start < token.end <= len(text)
        assert token.start >= previous_end or token.obfuscated
        previous_end = max(previous_end, token.end)


def test_adversarial_inputs_finish(engine, bakery):
    """Inputs built to make backtracking patterns explode; each must simply complete."""
    nasty = [
        "a" * 100_000,
        "k u " * 25_000,
        "@" * 100_000,
        "'" + "x " * 30_000,
        '"' * 50_000,
        "a.a." * 25_000,
        "1" * 100_000,
        "niet " * 20_000,
        "hoop dat " * 10_000 + "dood",
        "\u200b" * 50_000 + "kut",
        "📸" * 30_000,
        "-" * 100_000,
        ("Dorpsstraat " + "1" * 10 + " ") * 5_000,
    ]
    for text in nasty:
        result = engine.review(text, profile=bakery)
        assert result.verdict in ("go", "caution", "stop")
