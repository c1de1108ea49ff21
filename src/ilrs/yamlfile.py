"""Line-numbered YAML: parse keeping where each value was written, layer files with
``extends:``, and turn schema errors into one line naming the file, line, field and what
was expected.

A file may name a base with ``extends: NAME`` (a built-in name, or a path relative to the
file) and list only what changes: lists of records with an ``id`` merge by id (an existing
id changes only the fields given, a new id adds a record, ``remove: true`` drops one);
other lists, and an empty list (``rtgs: []`` clears them all), are replaced, or
appended to when the key ends in ``+``; mappings merge key by key. Used by the campaign
roadmaps and the station scenarios.

>>> data = parse("a: 1\\nitems:\\n  - {id: x, v: 1}\\n", "f.yaml")
>>> data.marks["items"], data["items"].marks[0]
(('f.yaml', 2), ('f.yaml', 3))
>>> over = parse("items:\\n  - {id: x, v: 2}\\n  - {id: y, v: 3}\\n", "g.yaml")
>>> merge(data, over, "g.yaml")["items"]
[{'id': 'x', 'v': 2}, {'id': 'y', 'v': 3}]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ilrs.errors import ScenarioFileError

__all__ = [
    "MarkedDict",
    "MarkedList",
    "expected_text",
    "load",
    "locate",
    "marked",
    "merge",
    "parse",
    "validate",
]

Mark = tuple[str, int | None]


class MarkedDict(dict):
    """A mapping read from YAML that remembers where each key was written."""

    def __init__(self, mark: Mark):
        super().__init__()
        self.mark = mark
        self.marks: dict[Any, Mark] = {}


class MarkedList(list):
    """A sequence read from YAML that remembers where each item was written."""

    def __init__(self, mark: Mark):
        super().__init__()
        self.mark = mark
        self.marks: list[Mark] = []


def _construct(node: yaml.Node, loader: yaml.SafeLoader, file: str) -> Any:
    mark = (file, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out = MarkedDict(mark)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise ScenarioFileError(
                    file, "", key_node.start_mark.line + 1, "a plain key", type(key).__name__
                )
            if key in out:
                raise ScenarioFileError(
                    file, str(key), key_node.start_mark.line + 1, "each key once", "a duplicate"
                )
            out[key] = _construct(value_node, loader, file)
            out.marks[key] = (file, key_node.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        out = MarkedList(mark)
        for item in node.value:
            out.append(_construct(item, loader, file))
            out.marks.append((file, item.start_mark.line + 1))
        return out
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. the date 2031-02-30
        raise ScenarioFileError(file, "", mark[1], f"a valid value ({exc})", node.value) from None


def parse(text: str, file: str) -> Any:
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise ScenarioFileError(file, "", 1, "a YAML mapping", "an empty file")
        return _construct(node, loader, file)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        if line is None and isinstance(exc, yaml.reader.ReaderError):
            line = text.count("\n", 0, exc.position) + 1
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        raise ScenarioFileError(file, "", line, f"valid YAML ({problem})") from None
    finally:
        if loader is not None:
            loader.dispose()


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value)


def merge(base: MarkedDict, over: MarkedDict, file: str) -> MarkedDict:
    for key, value in over.items():
        mark = over.marks.get(key, over.mark)
        if isinstance(key, str) and key.endswith("+"):
            name = key[:-1]
            current = base.get(name, MarkedList(mark))
            if not isinstance(current, list) or not isinstance(value, list):
                raise ScenarioFileError(file, key, mark[1], "a list to append to a list", value)
            merged = MarkedList(current.mark)
            merged.extend(current)
            merged.marks.extend(current.marks)
            merged.extend(value)
            merged.marks.extend(value.marks)
            base[name] = merged
            base.marks[name] = mark
        elif key in base and value and _is_records(base[key]) and _is_records(value):
            base[key] = _merge_records(base[key], value, file)
            base.marks[key] = mark
        elif key in base and isinstance(base[key], dict) and isinstance(value, dict):
            base[key] = merge(base[key], value, file)
            base.marks[key] = mark
        else:
            base[key] = value
            base.marks[key] = mark
    return base


def _merge_records(base: MarkedList, over: MarkedList, file: str) -> MarkedList:
    out = MarkedList(base.mark)
    out.extend(base)
    out.marks.extend(base.marks)
    for item, mark in zip(over, over.marks, strict=True):
        index = next((i for i, b in enumerate(out) if b["id"] == item["id"]), None)
        if item.get("remove") is True:
            if index is None:
                raise ScenarioFileError(file, f"id={item['id']}", mark[1], "an existing id")
            del out[index]
            del out.marks[index]
            continue
        if index is None:
            out.append(item)
            out.marks.append(mark)
        else:
            out[index] = merge(out[index], item, file)
    return out


def locate(data: Any, loc: tuple) -> tuple[str, Mark | None]:
    """The readable path and the deepest known mark of a pydantic error location."""
    parts: list[str] = []
    mark = getattr(data, "mark", None)
    node = data
    for step in loc:
        if isinstance(node, dict) and step in node:
            parts.append(("." if parts else "") + str(step))
            mark = node.marks.get(step, mark) if isinstance(node, MarkedDict) else mark
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            item = node[step]
            # missions['ILRS-3'] (never [id=…]: a console would read that as markup)
            label = repr(item["id"]) if isinstance(item, dict) and "id" in item else step
            parts.append(f"[{label}]")
            mark = node.marks[step] if isinstance(node, MarkedList) else mark
            node = item
        else:
            if isinstance(step, str) and not step.startswith("function-"):
                parts.append(("." if parts else "") + step)
            break
    return "".join(parts), mark


def expected_text(error: dict) -> str:
    msg = error["msg"]
    if error["type"] == "missing":
        return "this required field"
    if error["type"] == "extra_forbidden":
        return "no such field (check the spelling)"
    for prefix in ("Input should be ", "Value error, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg[0].lower() + msg[1:]


def marked(value: Any, mark: Mark) -> Any:
    """Plain data as marked mappings and lists, every part at ``mark`` (for merging)."""
    if isinstance(value, dict):
        out = MarkedDict(mark)
        for key, item in value.items():
            out[key] = marked(item, mark)
            out.marks[key] = mark
        return out
    if isinstance(value, list | tuple):
        items = MarkedList(mark)
        for item in value:
            items.append(marked(item, mark))
            items.marks.append(mark)
        return items
    return value


def load(path: str | Path, *, builtin_name: str, builtin_path: Path) -> MarkedDict:
    """A file's merged data: its ``extends:`` chain resolved (``builtin_name`` means the
    file at ``builtin_path``), with marks."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioFileError(file, "", None, "a readable file", exc.strerror) from None
    except UnicodeDecodeError:
        raise ScenarioFileError(file, "", None, "a YAML text file (UTF-8)",
                                "binary content") from None
    data = parse(text, file)
    if not isinstance(data, dict):
        raise ScenarioFileError(file, "", 1, "a YAML mapping at the top", type(data).__name__)
    if "extends" not in data:
        return data
    base_ref = data.pop("extends")
    if base_ref == builtin_name:
        base = load(builtin_path, builtin_name=builtin_name, builtin_path=builtin_path)
    elif isinstance(base_ref, str):
        base = load(Path(path).parent / base_ref, builtin_name=builtin_name,
                    builtin_path=builtin_path)
    else:
        line = data.marks.get("extends", (file, None))[1]
        raise ScenarioFileError(file, "extends", line, f"{builtin_name!r} or a path", base_ref)
    return merge(base, data, file)


def validate(model: type[BaseModel], data: Any, origin: str, /, **extra: Any):
    """``model.model_validate(data | extra)``; a schema error becomes one
    :class:`ScenarioFileError` naming the file (``origin`` where no line is known), the
    line, the field and what was expected."""
    payload = {**data, **extra} if extra else data
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        where, mark = locate(data, tuple(error["loc"]))
        value = None if error["type"] == "missing" else error.get("input")
        if isinstance(value, dict | list):
            value = None
        more = exc.error_count() - 1
        expected = expected_text(error) + (f" (and {more} more problem(s))" if more else "")
        raise ScenarioFileError(mark[0] if mark else origin, where, mark[1] if mark else None,
                                expected, value) from None
