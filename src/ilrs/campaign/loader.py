"""Read roadmap and scenario YAML files, merge scenarios onto their base, and report errors
with the file, the line, the field and what was expected.

A scenario file extends a base roadmap without copying it::

    extends: builtin          # or a path, relative to this file
    missions:
      - id: ILRS-1            # an existing id: only the fields given here change
        vehicle: LM-10
      - id: ILRS-3
        payloads+:            # "key+" appends to a list instead of replacing it
          - {name: Seismometer, owner: pakistan, function: research}
      - id: Luna-28
        remove: true          # drop a record
      - id: My-Lander         # a new id: a new mission (all required fields)
        ...

Lists of records with an ``id`` (missions, vehicles, partners, facilities, phases, stages)
merge by id; other lists are replaced, or appended to with ``key+``; mappings merge key by
key.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ilrs.campaign.model import Roadmap
from ilrs.errors import ScenarioFileError

__all__ = ["BUILTIN", "load_raw", "load_roadmap"]

#: The name a scenario uses to extend the built-in roadmap.
BUILTIN = "builtin"

Mark = tuple[str, int]


class _Dict(dict):
    """A mapping read from YAML that remembers where each key was written."""

    def __init__(self, mark: Mark):
        super().__init__()
        self.mark = mark
        self.marks: dict[Any, Mark] = {}


class _List(list):
    """A sequence read from YAML that remembers where each item was written."""

    def __init__(self, mark: Mark):
        super().__init__()
        self.mark = mark
        self.marks: list[Mark] = []


def _builtin_text() -> tuple[str, str]:
    ref = resources.files("ilrs.campaign") / "data" / "ilrs.yaml"
    return str(ref), ref.read_text(encoding="utf-8")


def _construct(node: yaml.Node, loader: yaml.SafeLoader, file: str) -> Any:
    mark = (file, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out = _Dict(mark)
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
        out = _List(mark)
        for item in node.value:
            out.append(_construct(item, loader, file))
            out.marks.append((file, item.start_mark.line + 1))
        return out
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. the date 2031-02-30
        raise ScenarioFileError(file, "", mark[1], f"a valid value ({exc})", node.value) from None


def _parse(text: str, file: str) -> Any:
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


def load_raw(path: str | Path | None) -> Any:
    """The merged plain data of a file (``None``: the built-in roadmap), with marks."""
    if path is None or str(path) == BUILTIN:
        file, text = _builtin_text()
        return _parse(text, file)
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioFileError(file, "", None, "a readable file", exc.strerror) from None
    data = _parse(text, file)
    if not isinstance(data, dict):
        raise ScenarioFileError(file, "", 1, "a YAML mapping at the top", type(data).__name__)
    if "extends" not in data:
        return data
    base_ref = data.pop("extends")
    if base_ref == BUILTIN:
        base = load_raw(None)
    elif isinstance(base_ref, str):
        base = load_raw(Path(path).parent / base_ref)
    else:
        line = data.marks.get("extends", (file, None))[1]
        raise ScenarioFileError(file, "extends", line, "'builtin' or a path", base_ref)
    return _merge(base, data, file)


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value)


def _merge(base: _Dict, over: _Dict, file: str) -> _Dict:
    for key, value in over.items():
        mark = over.marks.get(key, over.mark)
        if isinstance(key, str) and key.endswith("+"):
            name = key[:-1]
            current = base.get(name, _List(mark))
            if not isinstance(current, list) or not isinstance(value, list):
                raise ScenarioFileError(file, key, mark[1], "a list to append to a list", value)
            merged = _List(current.mark)
            merged.extend(current)
            merged.marks.extend(current.marks)
            merged.extend(value)
            merged.marks.extend(value.marks)
            base[name] = merged
            base.marks[name] = mark
        elif key in base and _is_records(base[key]) and _is_records(value):
            base[key] = _merge_records(base[key], value, file)
            base.marks[key] = mark
        elif key in base and isinstance(base[key], dict) and isinstance(value, dict):
            base[key] = _merge(base[key], value, file)
            base.marks[key] = mark
        else:
            base[key] = value
            base.marks[key] = mark
    return base


def _merge_records(base: _List, over: _List, file: str) -> _List:
    out = _List(base.mark)
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
            out[index] = _merge(out[index], item, file)
    return out


def _locate(data: Any, loc: tuple) -> tuple[str, Mark | None]:
    """The readable path and the deepest known mark of a pydantic error location."""
    parts: list[str] = []
    mark = getattr(data, "mark", None)
    node = data
    for step in loc:
        if isinstance(node, dict) and step in node:
            parts.append(("." if parts else "") + str(step))
            mark = node.marks.get(step, mark) if isinstance(node, _Dict) else mark
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            item = node[step]
            # missions['ILRS-3'] (never [id=…]: a console would read that as markup)
            label = repr(item["id"]) if isinstance(item, dict) and "id" in item else step
            parts.append(f"[{label}]")
            mark = node.marks[step] if isinstance(node, _List) else mark
            node = item
        else:
            if isinstance(step, str) and not step.startswith("function-"):
                parts.append(("." if parts else "") + step)
            break
    return "".join(parts), mark


def _expected(error: dict) -> str:
    msg = error["msg"]
    if error["type"] == "missing":
        return "this required field"
    if error["type"] == "extra_forbidden":
        return "no such field (check the spelling)"
    for prefix in ("Input should be ", "Value error, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg[0].lower() + msg[1:]


def load_roadmap(path: str | Path | None) -> Roadmap:
    """Load and validate a roadmap file (``None``: the built-in one)."""
    data = load_raw(path)
    try:
        return Roadmap.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where, mark = _locate(data, tuple(error["loc"]))
        file = mark[0] if mark else str(path)
        value = None if error["type"] in ("missing",) else error.get("input")
        if isinstance(value, dict | list):
            value = None
        more = exc.error_count() - 1
        expected = _expected(error) + (f" (and {more} more problem(s))" if more else "")
        raise ScenarioFileError(file, where, mark[1] if mark else None, expected, value) from None
