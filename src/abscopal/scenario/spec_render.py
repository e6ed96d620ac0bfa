"""The JSON Schema and the key tables of docs/format.md, generated from :mod:`abscopal.scenario.spec`.

No key is named here: both outputs walk the table of ``spec.py``. ``python -m abscopal.scenario.spec --write`` writes both.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .. import vocabulary as vocab
from .spec import (
    DAY_PATTERN,
    ID_PATTERN,
    QUANTITY_KINDS,
    QUANTITY_PATTERN,
    SCHEMA_DIALECT,
    SPECIES,
    Key,
    override_keys,
    scenario,
    sections,
    trial,
)

# --------------------------------------------------------------------------- JSON Schema


def _describe(key: Key) -> str:
    text = key.about
    if key.kind == "quantity":
        what, unit, others = QUANTITY_KINDS[key.unit] if key.unit in QUANTITY_KINDS else ("quantity", key.unit, "")
        text += f" [{what} with a unit, e.g. {key.example!r}" + (f"; canonical unit {unit}]" if unit else "]")
    if key.limits:
        text += f" ({key.limits})"
    if key.default_text:
        text += f"; default: {key.default_text}"
    return text.strip()


def _choices(key: Key, species: str | None) -> tuple[str, ...]:
    if isinstance(key.choices, dict):
        if species is not None:
            return key.choices[species]
        return tuple(dict.fromkeys(c for s in SPECIES for c in key.choices[s]))
    return tuple(key.choices or ())


def _bounds(key: Key) -> dict:
    out = {}
    if key.low is not None:
        out["exclusiveMinimum" if key.low_open else "minimum"] = key.low
    if key.high is not None:
        out["maximum"] = key.high
    return out


def _def_name(section: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", section).strip("_")


def key_schema(key: Key, defs: dict | None = None) -> dict:
    """The JSON Schema of one key (species-independent: names that depend on the species are the union).

    With ``defs``, a mapping that has a section of its own is written once into ``defs`` and referenced."""
    if defs is not None and key.kind == "mapping" and key.section and key.section not in ("scenario", "trial"):
        name = _def_name(key.section)
        if name not in defs:
            defs[name] = {}
            defs[name] = key_schema(Key(**{**key.__dict__, "section": ""}), defs)
        ref: dict[str, Any] = {"$ref": f"#/$defs/{name}"}
        if key.about:
            ref = {"description": _describe(key), **ref}
        return ref
    s: dict[str, Any] = {}
    kind = key.kind
    if kind == "version":
        s["const"] = 1
    elif kind == "text":
        s["type"] = "string"
    elif kind == "id":
        s.update(type="string", pattern=ID_PATTERN, **{"not": {"enum": list(vocab.SELECTORS)}})
    elif kind == "choice":
        s["enum"] = list(_choices(key, None))
    elif kind in ("integer", "number"):
        s["type"] = kind
        s.update(_bounds(key))
    elif kind == "boolean":
        s["type"] = "boolean"
    elif kind == "quantity":
        s.update(type="string", pattern=QUANTITY_PATTERN)
    elif kind == "day":
        s.update(type="string", pattern=DAY_PATTERN)
    elif kind == "list":
        s["type"] = "array"
        if key.item is not None:
            s["items"] = key_schema(key.item, defs)
        if key.min_items is not None:
            s["minItems"] = key.min_items
        if key.max_items is not None:
            s["maxItems"] = key.max_items
    elif kind == "mapping":
        s.update(type=["object", "null"] if key.nullable else "object",
                 properties={k.name: key_schema(k, defs) for k in key.keys}, additionalProperties=False)
        required = [k.name for k in key.keys if k.required is True]
        if required:
            s["required"] = required
        rules = [r.schema() for r in key.rules] + [dict(c) for c in key.conditions]
        if rules:
            s["allOf"] = rules
    elif kind == "table":
        s["type"] = "object"
        if key.choices is not None:
            s["propertyNames"] = {"enum": list(_choices(key, None))}
        s["additionalProperties"] = key_schema(key.value, defs) if key.value is not None else True
        if key.min_items is not None:
            s["minProperties"] = key.min_items
    elif kind == "any_of":
        s["anyOf"] = [key_schema(o, defs) for o in key.options]
    else:  # pragma: no cover - a typo in the table above
        raise ValueError(f"unknown kind {kind!r} for key {key.name!r}")
    description = _describe(key)
    if description:
        s = {"description": description, **s}
    if key.default is not None:
        s["default"] = key.default
    if key.example is not None:
        s["examples"] = [key.example]
    return s


def _species_overlay(key: Key, species: str) -> dict | None:
    """Only the constraints that differ by species (names of tumours, sites, agents), at their place in ``key``."""
    if key.kind == "choice" and isinstance(key.choices, dict):
        return {"enum": list(key.choices[species])}
    if key.kind == "mapping":
        props = {k.name: o for k in key.keys if (o := _species_overlay(k, species)) is not None}
        return {"properties": props} if props else None
    if key.kind == "list" and key.item is not None:
        o = _species_overlay(key.item, species)
        return {"items": o} if o else None
    if key.kind == "table":
        out = {}
        if isinstance(key.choices, dict):
            out["propertyNames"] = {"enum": list(key.choices[species])}
        if key.value is not None and (o := _species_overlay(key.value, species)):
            out["additionalProperties"] = o
        return out or None
    return None


def _file_schema(key: Key, defs: dict) -> dict:
    s = key_schema(key, defs)
    s.pop("examples", None)
    s.setdefault("allOf", [])
    for species in SPECIES:
        s["allOf"].append({"if": {"properties": {"species": {"const": species}}, "required": ["species"]},
                           "then": _species_overlay(key, species)})
    return s


def json_schema() -> dict:
    """The JSON Schema of scenario and trial files (a file with ``arms`` is a trial)."""
    defs: dict[str, Any] = {}
    files = {"scenario": _file_schema(scenario(), defs), "trial": _file_schema(trial(), defs)}
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "abscopal scenario or trial file (format version 1)",
        "description": "Generated by `python -m abscopal.scenario.spec --write` from abscopal/scenario/spec.py; "
                       "docs/format.md explains every key. A file with `arms` is a trial file, otherwise a scenario "
                       "file. The schema checks names, types, forms and fixed limits; the loader also checks "
                       "units, species-specific sizes and how keys fit together, and has the last word.",
        "type": "object",
        "if": {"required": ["arms"]},
        "then": {"$ref": "#/$defs/trial"},
        "else": {"$ref": "#/$defs/scenario"},
        "$defs": {**files, **dict(sorted(defs.items()))},
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=1, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- Markdown


def _code(value: Any) -> str:
    if isinstance(value, str):
        return f"`{value}`"
    return f"`{json.dumps(value)}`"


def _num(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:g}"


def _range(key: Key) -> str:
    unit = f" {QUANTITY_KINDS[key.unit][1]}" if key.kind == "quantity" and key.unit in QUANTITY_KINDS else ""
    parts = []
    if key.low is not None:
        parts.append(("> " if key.low_open else ">= ") + _num(key.low))
    if key.high is not None:
        parts.append(f"<= {_num(key.high)}{unit}")
    return ", ".join(parts)


def value_text(key: Key) -> str:
    """What a key takes, in a few words (the docs' "value" column)."""
    kind = key.kind
    if kind == "version":
        return "`1`"
    if kind == "text":
        return "text"
    if kind == "id":
        return "name: letters, digits, `_`, `-`"
    if kind == "choice":
        if isinstance(key.choices, dict):
            return _by_species(key.choices)
        return "one of " + ", ".join(f"`{c}`" for c in key.choices) if len(key.choices) > 1 else f"`{key.choices[0]}`"
    if kind in ("integer", "number"):
        word = "whole number" if kind == "integer" else "number"
        r = _range(key)
        return f"{word}, {r}" if r else word
    if kind == "boolean":
        return "`true` or `false`"
    if kind == "quantity":
        what, unit, others = QUANTITY_KINDS.get(key.unit, ("quantity", key.unit, ""))
        text = f"{what} ({unit}" + (f"; also {others}" if others else "") + ")"
        r = _range(key)
        return f"{text}, {r}" if r else text
    if kind == "day":
        return "`day N`, N >= 0"
    if kind == "list":
        if key.item is not None and key.item.kind == "mapping":
            inner = f"[`{key.item.section}`](#{_anchor(key.item.section)})" if key.item.section else "mappings"
        else:
            inner = (key.item.about or value_text(key.item)) if key.item is not None else "values"
        count = ""
        if key.min_items is not None and key.max_items is not None:
            count = f", {key.min_items} to {key.max_items} items" if key.min_items != key.max_items else f", {key.min_items} items"
        elif key.min_items is not None:
            count = f", at least {key.min_items}"
        elif key.max_items is not None:
            count = f", at most {key.max_items}"
        return f"list of {inner}{count}"
    if kind == "mapping":
        return "mapping" + (f" ([`{key.section}`](#{_anchor(key.section)}))" if key.section else "")
    if kind == "table":
        inner = key.value.section if key.value is not None and key.value.section else None
        if inner:
            target = f"[`{inner}`](#{_anchor(inner)})"
        else:
            target = (key.value.about or value_text(key.value)) if key.value is not None else "value"
        return f"mapping of {key.names} to {target}"
    if kind == "any_of":
        return " or ".join(o.about or value_text(o) for o in key.options)
    return kind


def _by_species(choices: dict[str, tuple[str, ...]]) -> str:
    """Choices per species; a list that extends another is written as the other plus what it adds."""
    listed: dict[str, tuple[str, ...]] = {}
    parts = []
    for s in SPECIES:
        base = next((b for b, names in listed.items() if set(names) < set(choices[s])), None)
        if base is not None:
            extra = [c for c in choices[s] if c not in listed[base]]
            parts.append(f"{s}: the {base} ones and " + ", ".join(f"`{c}`" for c in extra))
        else:
            parts.append(f"{s}: " + ", ".join(f"`{c}`" for c in choices[s]))
        listed[s] = choices[s]
    return "; ".join(parts)


def _anchor(section: str) -> str:
    return "keys-" + re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-")


def _required_text(key: Key) -> str:
    if key.required is True:
        return "yes"
    if key.required:
        return str(key.required)
    return "no"


def _default_text(key: Key) -> str:
    if key.default_text:
        return key.default_text
    if key.default is None or key.default in ({}, []):
        return "-" if key.default is None else "none"
    return _code(key.default)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(key: Key) -> str:
    """The table of one mapping's keys."""
    lines = [f'<a id="{_anchor(key.section)}"></a>', ""]
    rules = [r.text() for r in key.rules]
    lines += ["| key | required | value | default | meaning | example |", "|---|---|---|---|---|---|"]
    for k in key.keys:
        about = k.about + (f" ({k.limits})" if k.limits else "")
        example = _code(k.example) if k.example is not None else ""
        lines.append("| " + " | ".join(_cell(c) for c in (f"`{k.name}`", _required_text(k), value_text(k),
                                                           _default_text(k), about, example)) + " |")
    if rules:
        lines += ["", "Give " + "; ".join(rules) + "."]
    return "\n".join(lines)


def overrides_table() -> str:
    lines = [f'<a id="{_anchor("overrides")}"></a>', "", "| parameter | value | meaning |", "|---|---|---|"]
    for k in override_keys():
        value = ("plain number" if k.kind == "number" else f"quantity in `{k.unit}`") + (f", {_range(k)}" if _range(k) else "")
        about = k.about + (f" ({k.limits})" if k.limits else "")
        lines.append(f"| `{k.name}` | {value} | {_cell(about)} |")
    return "\n".join(lines)


def markdown_blocks() -> dict[str, str]:
    """Generated text of each ``<!-- keys:NAME -->`` block of docs/format.md."""
    blocks = {name: (overrides_table() if name == "overrides" else markdown_table(key)) for name, key in sections().items()}
    return blocks


_BLOCK = re.compile(r"(<!-- keys:(?P<name>[^ ]+) begin[^>]*-->\n)(?P<body>.*?)(<!-- keys:(?P=name) end -->)", re.S)


def render_markdown(text: str) -> str:
    """``text`` (docs/format.md) with every generated block replaced by its current content.

    Every section must have exactly one block; a missing or unknown block is an error, so a new key section
    cannot be left out of the docs."""
    blocks = markdown_blocks()
    found = [m.group("name") for m in _BLOCK.finditer(text)]
    missing = sorted(set(blocks) - set(found))
    unknown = sorted(set(found) - set(blocks))
    repeated = sorted({n for n in found if found.count(n) > 1})
    if missing or unknown or repeated:
        raise ValueError(f"docs/format.md blocks: missing {missing}, unknown {unknown}, repeated {repeated}")
    return _BLOCK.sub(lambda m: m.group(1) + blocks[m.group("name")] + "\n" + m.group(4), text)
