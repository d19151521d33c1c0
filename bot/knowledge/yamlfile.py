"""One YAML file read into plain Python values, keeping every node's line and column.

The file is composed into ruamel.yaml's node graph (each node carries its start mark), and the
plain values are built from that graph by hand. Compared with round-trip loading this keeps every
position, sees every duplicate key instead of stopping at the first, and can use the C parser of
ruamel.yaml.clib when it is installed (several times faster); syntax errors are always reported
from the pure-Python parser, so their wording does not depend on what is installed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from bot.knowledge.errors import KnowledgeError

_TAG = "tag:yaml.org,2002:"
_SAFE = YAML(typ="safe", pure=True)
_CONSTRUCTOR = _SAFE.constructor
_SCALARS = {
    _TAG + "int": _CONSTRUCTOR.construct_yaml_int,
    _TAG + "float": _CONSTRUCTOR.construct_yaml_float,
    _TAG + "bool": _CONSTRUCTOR.construct_yaml_bool,
    _TAG + "null": lambda node: None,
    _TAG + "str": lambda node: node.value,
    # keep dates as written: the schema holds them as text ("2017-08-10", "2012-02", "2014")
    _TAG + "timestamp": lambda node: node.value,
}
_SYNTAX_HINTS = (
    ("quoted scalar", "close the quote that starts here"),
    ("tab", "indent with spaces, never with tabs"),
    ("'\\t'", "indent with spaces, never with tabs"),
    ("mapping values are not allowed", "put a text that holds ': ' in quotes"),
    ("expected ':'", "check that every key ends in ':' and that quotes are closed"),
    ("single document", "a knowledge file holds one document: remove the extra '---'"),
    ("found undefined alias", "define the anchor ('&name') before using it ('*name')"),
    ("unhashable", "a key must be a plain word, not a list or mapping"),
)


@dataclass(frozen=True)
class Duplicate:
    """A key that occurs a second time in one mapping; the first value is the one kept."""

    mapping: tuple[Any, ...]  # path of the mapping that holds the key
    key: str
    node: Node  # the second occurrence's key node
    first_line: int  # 1-based


@dataclass
class YamlFile:
    path: Path
    name: str  # relative to the knowledge directory, e.g. "signals/base.yaml"
    raw: bytes = b""
    text: str = ""
    root: Node | None = None
    data: Any = None
    readable: bool = False  # decoded and parsed, so `data` can be checked
    duplicates: list[Duplicate] = field(default_factory=list)
    errors: list[KnowledgeError] = field(default_factory=list)

    def error(
        self, path: tuple[Any, ...], message: str, hint: str, *, at: str = "value"
    ) -> KnowledgeError:
        line, col = position(self.root, path, at=at)
        return KnowledgeError(str(self.path), line, col, message, hint)

    def error_at(self, line: int, col: int, message: str, hint: str) -> KnowledgeError:
        return KnowledgeError(str(self.path), line, col, message, hint)

    def node(self, path: tuple[Any, ...]) -> Node | None:
        return find_node(self.root, path)


def read_yaml(path: Path, name: str) -> YamlFile:
    """Read, decode and parse one file; problems end up in `.errors`, never as exceptions."""
    yf = YamlFile(path=path, name=name)
    try:
        yf.raw = path.read_bytes()
    except OSError as exc:
        yf.errors.append(
            yf.error_at(
                1, 1, f"cannot read {name}: {exc.strerror}", "check that it is a readable file"
            )
        )
        return yf
    try:
        text = yf.raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        yf.errors.append(_decode_error(yf, exc))
        return yf
    yf.text = text.removeprefix("\ufeff")
    try:
        yf.root = YAML(typ="safe").compose(yf.text)  # the C parser when installed
    except YAMLError as fast_error:
        try:  # report from the pure parser, so the wording is the same everywhere
            YAML(typ="safe", pure=True).compose(yf.text)
            error: YAMLError = fast_error
        except YAMLError as pure_error:
            error = pure_error
        yf.errors.append(_syntax_error(yf, error))
        return yf
    yf.data = _Builder(yf).build(yf.root, (), set())
    yf.readable = not yf.errors
    return yf


def find_node(root: Node | None, path: tuple[Any, ...]) -> Node | None:
    node, _key, complete = _walk(root, path)
    return node if complete else None


def position(root: Node | None, path: tuple[Any, ...], *, at: str = "value") -> tuple[int, int]:
    """1-based (line, col) of the node at `path` (or of the deepest node found on the way).

    at="key": the key that names the last step (for an unknown or duplicate key);
    at="value": the value itself (for a value of the wrong type, a bad reference).
    """
    node, key, complete = _walk(root, path)
    if at == "key" and complete and key is not None:
        node = key
    if node is None:
        return 1, 1
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def _walk(root: Node | None, path: tuple[Any, ...]) -> tuple[Node | None, Node | None, bool]:
    node, key = root, None
    for step in path:
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value == str(step):
                    node, key = value_node, key_node
                    break
            else:
                return node, key, False
        elif (
            isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value)
        ):
            node, key = node.value[step], None
        else:
            return node, key, False
    return node, key, True


class _Builder:
    """Builds plain values from nodes and records duplicate keys and unsupported tags."""

    def __init__(self, yf: YamlFile) -> None:
        self.yf = yf

    def build(self, node: Node | None, path: tuple[Any, ...], active: set[int]) -> Any:
        if node is None:
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if id(node) in active:
            self._complain(
                node,
                "an alias refers to the list or mapping that holds it",
                "remove the '*alias' that points back into itself",
            )
            return None
        active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i), active) for i, item in enumerate(node.value)]
            return self._mapping(node, path, active)
        finally:
            active.discard(id(node))

    def _mapping(self, node: MappingNode, path: tuple[Any, ...], active: set[int]) -> dict:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._complain(
                    key_node,
                    "a key must be a plain word, not a list or mapping",
                    "write the key as a single word followed by ':'",
                )
                continue
            key = key_node.value
            if key in first_line:
                self.yf.duplicates.append(Duplicate(path, key, key_node, first_line[key]))
                continue
            first_line[key] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, (*path, key), active)
        return out

    def _scalar(self, node: ScalarNode) -> Any:
        construct = _SCALARS.get(node.tag)
        if construct is None:
            self._complain(
                node,
                f"the YAML tag {node.tag!r} is not supported here",
                "remove the tag ('!' or '!!' before the value)",
            )
            return node.value
        try:
            return construct(node)
        except (ValueError, YAMLError):
            return node.value

    def _complain(self, node: Node, message: str, hint: str) -> None:
        mark = node.start_mark
        self.yf.errors.append(self.yf.error_at(mark.line + 1, mark.column + 1, message, hint))


def _decode_error(yf: YamlFile, exc: UnicodeDecodeError) -> KnowledgeError:
    offset = exc.start
    line_start = yf.raw.rfind(b"\n", 0, offset) + 1
    line = yf.raw.count(b"\n", 0, offset) + 1
    col = len(yf.raw[line_start:offset].decode("utf-8", "replace")) + 1
    byte = yf.raw[offset]
    return yf.error_at(
        line,
        col,
        f"{yf.name} is not valid UTF-8: byte 0x{byte:02X} at offset {offset} cannot be read",
        "save the file with UTF-8 encoding (in most editors: 'Save with encoding' → UTF-8)",
    )


def _syntax_error(yf: YamlFile, error: YAMLError) -> KnowledgeError:
    if isinstance(error, ReaderError):
        line = yf.text.count("\n", 0, error.position) + 1
        col = error.position - (yf.text.rfind("\n", 0, error.position) + 1) + 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        return yf.error_at(
            line,
            col,
            f"YAML does not allow the control character U+{code:04X} here",
            "remove it; it is often pasted in by accident",
        )
    problem, mark = str(error), None
    if isinstance(error, MarkedYAMLError):
        parts = [error.context, error.problem]
        problem = ", ".join(p for p in parts if p) or "the YAML cannot be read"
        mark = error.problem_mark or error.context_mark
        if "end of stream" in problem and error.context_mark is not None:
            mark = error.context_mark  # where the unclosed quote or bracket was opened
    message = f"YAML syntax error: {problem}"
    hint = next(
        (h for needle, h in _SYNTAX_HINTS if needle in message),
        "check the indentation and the quotes around this place",
    )
    if mark is None:
        return yf.error_at(1, 1, message, hint)
    return yf.error_at(mark.line + 1, mark.column + 1, message, hint)
