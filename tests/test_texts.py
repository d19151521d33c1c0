"""texts.yaml: the bot's own phrases as knowledge, checked against the keys the code needs."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pytest

from bot.knowledge.errors import KnowledgeInvalid
from bot.knowledge.loader import load_knowledge
from bot.texts import PROTOCOL, REQUIRED, Phrases, t

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "minimal"
SHIPPED = Path(__file__).resolve().parent.parent / "knowledge"


def knowledge_with_texts(tmp_path: Path, texts: Path | str | None) -> Path:
    """The minimal set copied to tmp_path/knowledge, with `texts` as its texts.yaml."""
    target = tmp_path / "knowledge"
    shutil.copytree(MINIMAL, target)
    if isinstance(texts, Path):
        shutil.copy(texts, target / "texts.yaml")
    elif isinstance(texts, str):
        (target / "texts.yaml").write_text(texts, encoding="utf-8")
    else:
        (target / "texts.yaml").unlink()
    return target


def load_errors(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeInvalid) as caught:
        load_knowledge(directory)
    return [str(error) for error in caught.value.errors]


def shipped_with(old: str, new: str) -> str:
    text = (SHIPPED / "texts.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new)


# --- the shipped texts ---------------------------------------------------------------------------


def test_the_shipped_texts_load_cleanly_and_fit_the_code() -> None:
    texts = load_knowledge(SHIPPED).texts
    assert texts.keys() == REQUIRED.keys()
    for key, names in REQUIRED.items():
        for lang in ("nl", "en"):
            text = texts[key].get(lang)
            used = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            assert used == names, (key, lang)
            text.format(**dict.fromkeys(names, "x"))


def test_phrases_come_from_the_knowledge() -> None:
    texts = load_knowledge(SHIPPED).texts
    assert t(texts, "nl", "fixed", rules="1, 6") == "Opgelost: 1, 6"
    assert t(texts, "en-GB", "fixed", rules="1, 6") == "Opgelost: 1, 6"  # only 'en' is English
    assert Phrases(texts, "en")("rule", n=8, title="Respect") == "Rule 8: Respect"
    say = Phrases(texts, "nl", PROTOCOL)
    assert say("share") == "Deel in het kanaal"
    assert say.has("open_case") and not say.has("open_legal")


# --- mistakes, with their exact messages ---------------------------------------------------------


def test_a_broken_texts_file_reports_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    knowledge_with_texts(tmp_path, FIXTURES / "texts" / "broken.yaml")
    expected = (FIXTURES / "texts" / "expected.txt").read_text(encoding="utf-8").splitlines()
    monkeypatch.chdir(tmp_path)
    assert load_errors(Path("knowledge")) == [x for x in expected if x and not x.startswith("#")]


def test_a_missing_texts_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    knowledge_with_texts(tmp_path, None)
    monkeypatch.chdir(tmp_path)
    assert load_errors(Path("knowledge")) == [
        "knowledge/texts.yaml:1:1: texts.yaml is missing — copy it from the shipped "
        "knowledge/texts.yaml; it holds the bot's own phrases"
    ]


def test_texts_yml_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = knowledge_with_texts(tmp_path, None)
    shutil.copy(SHIPPED / "texts.yaml", directory / "texts.yml")
    monkeypatch.chdir(tmp_path)
    assert load_errors(Path("knowledge")) == [
        "knowledge/texts.yml:1:1: texts.yml is not read: the texts file is called texts.yaml — "
        "rename it to texts.yaml"
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            '"Tip: {}"',
            "'texts.tip.nl' has '{}', which is not a placeholder — write a placeholder as its "
            "name in braces, e.g. {n}; for a brace as text write {{ or }}",
        ),
        (
            '"Tip: {text.upper}"',
            "'texts.tip.nl' has '{text.upper}', which is not a placeholder — write it as {text}",
        ),
        (
            '"Tip: {{text}}"',
            "'texts.tip.nl' does not hold the placeholder {text} — put {text} back in the text: "
            "the bot fills it in there",
        ),
        (
            '"Tip {n}: {text}"',
            "'texts.tip.nl' holds the unknown placeholder {n} — remove it: this text takes {text}",
        ),
        ("", "'texts.tip.nl' is empty — write 'nl:' with a text"),
    ],
)
def test_placeholder_and_brace_mistakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str, message: str
) -> None:
    knowledge_with_texts(tmp_path, shipped_with('nl: "Tip: {text}"', f"nl: {written}"))
    monkeypatch.chdir(tmp_path)
    [error] = load_errors(Path("knowledge"))
    assert error.split(": ", 1)[1] == message


def test_duplicate_and_misshapen_texts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    words = '  words:\n    nl: "Woorden: {words}"\n    en: "Words: {words}"\n'
    again = '  words: "Woorden: {words}"\n  stop:\n    nl: "Ho!"\n    en: "Stop!"\n'
    knowledge_with_texts(tmp_path, shipped_with(words, again))
    monkeypatch.chdir(tmp_path)
    assert load_errors(Path("knowledge")) == [
        "knowledge/texts.yaml:27:10: 'texts.words' must be a mapping with the keys nl, en, not "
        "the text 'Woorden: {words}' — write 'words:' with 'nl: ...' and 'en: ...' indented "
        "below it",
        "knowledge/texts.yaml:28:3: 'texts': duplicate key 'stop' (first at line 21) — remove "
        "one of the two; only the first one is used",
    ]
