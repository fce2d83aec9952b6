"""Loading and validating a scenario: YAML checked against the JSON Schema, problems reported with file, line and field."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema
import yaml

from agent_assist.coach.scenario.model import (
    DEFAULT,
    Branch,
    Goal,
    IntentDetector,
    Persona,
    Scenario,
    ScenarioError,
    Turn,
    VoiceSpec,
)

# -- loading and validation ------------------------------------------------------------------------

def _fmt_path(path: Sequence[Any]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _node_at(root: yaml.Node, path: Sequence[Any], *, key: bool = False) -> yaml.Node:
    """The deepest YAML node along ``path`` (so a bad value points at its own line)."""
    node = root
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == str(part):
                    node = k if (key and last) else v
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def _line(root: yaml.Node | None, path: Sequence[Any], *, key: bool = False) -> int | None:
    if root is None:
        return None
    return _node_at(root, path, key=key).start_mark.line + 1


def _schema_problem(err: jsonschema.ValidationError, root: yaml.Node | None) -> tuple[int | None, str, str]:
    """(line, field, message) of a jsonschema error, pointing at the field itself where possible."""
    path = list(err.absolute_path)
    message = err.message
    if err.validator == "additionalProperties":
        m = re.search(r"\('([^']+)'", err.message)
        if m:
            path.append(m.group(1))
            sub = err.schema if isinstance(err.schema, Mapping) else {}
            allowed = sorted(sub.get("properties", {}))
            close = difflib.get_close_matches(m.group(1), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return (_line(root, path, key=True), _fmt_path(path),
                    f"unknown field {m.group(1)!r} ({hint}allowed: {', '.join(allowed)})")
    if err.validator == "required":
        m = re.match(r"'([^']+)' is a required property", err.message)
        if m:
            line = _line(root, path)
            return line, _fmt_path([*path, m.group(1)]), f"missing required field {m.group(1)!r}"
    return _line(root, path), _fmt_path(path), message


def parse_scenario(text: str, source: str, schema: Mapping[str, Any], detector: IntentDetector,
                   name: str | None = None) -> Scenario:
    """Parse and validate a scenario (YAML or JSON text). ``source`` names the file in messages.

    Raises :class:`ScenarioError` whose message is ``"<source>:<line>: <field>: <problem>"``.
    """
    stem = name or re.sub(r"\.(ya?ml|json)$", "", source.rsplit("/", 1)[-1])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = e.problem or e.context or "syntax error"
        if e.context and e.context_mark and e.problem_mark and e.context_mark.line != e.problem_mark.line:
            what += f"; {e.context} started on line {e.context_mark.line + 1}"
        raise ScenarioError(f"{source}:{line}: not valid YAML ({what})", source=source, line=line) from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"{source}: not valid YAML ({e})", source=source) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}:1: a scenario must be a mapping of fields (title, persona, ...)",
                            source=source, line=1)

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (_line(root, list(e.absolute_path)) or 0))
    if errors:
        problems = [_schema_problem(e, root) for e in errors]
        # A misspelt field shows up twice (unknown 'sya', missing 'say'): the typo is the cause.
        typos = [e for e in errors if e.validator == "additionalProperties"]
        first = typos[0] if typos else jsonschema.exceptions.best_match(errors)
        line, fld, msg = _schema_problem(first, root) if first is not None else problems[0]
        raise ScenarioError(f"{source}:{line}: {fld}: {msg}", source=source, line=line, field=fld,
                            problems=[f"{source}:{ln}: {f}: {m}" for ln, f, m in problems])

    def fail(path: Sequence[Any], msg: str, *, key: bool = False) -> ScenarioError:
        line = _line(root, path, key=key)
        return ScenarioError(f"{source}:{line}: {_fmt_path(path)}: {msg}", source=source, line=line,
                             field=_fmt_path(path))

    extra = {str(k): tuple(str(p) for p in v) for k, v in (data.get("intents") or {}).items()}
    try:
        det = detector.extended(extra, source)
    except ScenarioError as e:
        raise fail(["intents"], str(e).split(": ", 1)[-1]) from None
    known = det.names

    def intents_of(value: Any, path: list[Any], allow_default: bool) -> tuple[str, ...]:
        names = (value,) if isinstance(value, str) else tuple(value)
        for i, n in enumerate(names):
            p = path if isinstance(value, str) else [*path, i]
            if n == DEFAULT and not allow_default:
                raise fail(p, "'default' is only allowed in a turn's branches")
            if n != DEFAULT and n not in known:
                raise fail(p, f"unknown intent {n!r} (known: {', '.join(sorted(known))})")
        return tuple(str(n) for n in names)

    def branch(d: Mapping[str, Any], path: list[Any], allow_default: bool) -> Branch:
        return Branch(when=intents_of(d["when"], [*path, "when"], allow_default), say=str(d["say"]).strip(),
                      mood=d.get("mood"), next=d.get("next"), end=bool(d.get("end", False)))

    turns: list[Turn] = []
    seen: set[str] = set()
    for ti, t in enumerate(data["turns"]):
        if t["id"] in seen:
            raise fail(["turns", ti, "id"], f"turn id {t['id']!r} is used twice")
        seen.add(t["id"])
        branches = tuple(branch(b, ["turns", ti, "branches", bi], True) for bi, b in enumerate(t["branches"]))
        defaults = [bi for bi, b in enumerate(branches) if b.is_default]
        if not defaults:
            raise fail(["turns", ti, "branches"],
                       f"turn {t['id']!r} needs a branch with 'when: default' (what the customer says "
                       "when no other branch fits)")
        if len(defaults) > 1:
            raise fail(["turns", ti, "branches", defaults[1], "when"],
                       f"turn {t['id']!r} has more than one default branch")
        turns.append(Turn(id=t["id"], branches=branches, note=str(t.get("note", ""))))
    reactions = tuple(branch(b, ["reactions", i], False) for i, b in enumerate(data.get("reactions") or []))
    for ti, t in enumerate(turns):
        for bi, b in enumerate(t.branches):
            if b.next is not None and b.next not in seen:
                raise fail(["turns", ti, "branches", bi, "next"], f"no turn has the id {b.next!r}")
    for ri, b in enumerate(reactions):
        if b.next is not None and b.next not in seen:
            raise fail(["reactions", ri, "next"], f"no turn has the id {b.next!r}")

    goals: list[Goal] = []
    goal_ids: set[str] = set()
    for gi, g in enumerate(data["goals"]):
        if g["id"] in goal_ids:
            raise fail(["goals", gi, "id"], f"goal id {g['id']!r} is used twice")
        goal_ids.add(g["id"])
        goals.append(Goal(id=g["id"], label=g["label"],
                          intents=intents_of(g["intent"], ["goals", gi, "intent"], False),
                          avoid=bool(g.get("avoid", False)), within_replies=g.get("within_replies")))

    persona = data["persona"]
    v = data.get("voice") or {}
    return Scenario(
        name=stem,
        title=data["title"],
        description=str(data.get("description", "")).strip(),
        persona=Persona(persona["name"], str(persona["summary"]).strip(), persona["mood"]),
        voice=VoiceSpec(rate=int(v.get("rate", 175)), pitch=int(v.get("pitch", 50)),
                        prefer=tuple(v.get("prefer", ("en-us", "en"))), gender=v.get("gender", "any")),
        opening=str(data["opening"]).strip(),
        turns=tuple(turns),
        reactions=reactions,
        goals=tuple(goals),
        time_limit_s=float(data["time_limit_s"]),
        timeout_line=str(data.get("timeout_line") or
                         "Look, I've run out of time. I'll have to call back another day.").strip(),
        hangup_line=str(data.get("hangup_line") or
                        "You know what, forget it. I'm done with this call.").strip(),
        intents=extra,
        source=source,
    )


def load_schema(text: str) -> dict[str, Any]:
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return dict(schema)
