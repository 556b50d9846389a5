"""The Rules screen's edits to the policy file: a rule on or off, its parameters.

Only the ``[rules.<id>]`` table of the rule being changed is rewritten; every other line of the
file (comments, other rules, lists) is kept as it was. The result is parsed again and checked as
the Firewall checks a policy (``checked_policy``: known rules, parameters of their declared types)
before it replaces the file, atomically, keeping the file's permissions. A file that defines the
rule in a form this editor does not rewrite (``[rules]`` with dotted keys, an inline table) is
refused with a message rather than guessed at.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from txfirewall.decide.catalogue import checked_policy
from txfirewall.decide.policy import Policy, parse_policy_toml
from txfirewall.errors import InputFileError

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


def toml_value(value: Any) -> str:
    """A TOML literal for a policy value (bool, int, float, string, list, table)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string (escapes included)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise InputFileError(f"cannot write {value!r} to a policy file")


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def parse_toml_value(text: str) -> Any:
    """What a person typed for a parameter, read as a TOML value (``3``, ``0.5``, ``"x"``, ``[1, 2]``)."""
    try:
        return parse_policy_toml(f"v = {text}", "the value")["v"]
    except InputFileError:
        raise InputFileError(f"{text!r} is not a value (numbers as 3 or 0.5, text in quotes, lists in [ ])") from None


@dataclass(frozen=True)
class RuleSetting:
    """One rule's table in the policy: what the Rules screen shows and edits."""

    enabled: bool = True
    severity: str | None = None
    params: Mapping[str, Any] | None = None
    unconditional: bool | None = None

    def is_default(self) -> bool:
        return self.enabled and self.severity is None and not self.params and self.unconditional is None

    def lines(self) -> list[str]:
        out = []
        if not self.enabled:
            out.append("enabled = false")
        if self.severity is not None:
            out.append(f"severity = {toml_value(self.severity)}")
        if self.params:
            out.append(f"params = {toml_value(dict(self.params))}")
        if self.unconditional is not None:
            out.append(f"unconditional = {toml_value(self.unconditional)}")
        return out


class PolicyFile:
    """A policy file's text and what it says. A missing file is an empty policy (saving creates it)."""

    def __init__(self, path: Path, text: str = "") -> None:
        self.path = path
        self.text = text
        self.data: dict[str, Any] = parse_policy_toml(text, f"policy file {path}")
        self.policy: Policy = checked_policy(self.data, source=str(path))

    @classmethod
    def load(cls, path: Path) -> PolicyFile:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFileError(f"cannot read policy file {path}: {exc}") from exc
        return cls(path, text)

    def rule(self, rule_id: str) -> RuleSetting:
        table = self.data.get("rules", {}).get(rule_id, {})
        if not isinstance(table, Mapping):
            return RuleSetting()
        params = table.get("params")
        return RuleSetting(
            enabled=bool(table.get("enabled", True)),
            severity=table.get("severity"),
            params=dict(params) if isinstance(params, Mapping) else None,
            unconditional=table.get("unconditional"),
        )

    def with_rule(self, rule_id: str, setting: RuleSetting) -> PolicyFile:
        """A new file text with ``[rules.<rule_id>]`` replaced (or added, or removed when it is
        back to the defaults), checked; ``InputFileError`` when the result would not be right."""
        lines = self.text.splitlines()
        start, end = self._section(lines, rule_id)
        body = [f"[rules.{toml_key(rule_id)}]", *setting.lines()] if not setting.is_default() else []
        if start is None:
            if body:
                if lines and lines[-1].strip():
                    lines.append("")
                lines.extend(body)
        else:
            lines[start:end] = body
        text = "\n".join(lines).rstrip("\n") + "\n" if any(line.strip() for line in lines) else ""
        updated = PolicyFile(self.path, text)
        if updated.rule(rule_id) != (RuleSetting() if setting.is_default() else setting):
            raise InputFileError(
                f"{self.path} sets rule {rule_id} in a form this screen does not rewrite; edit the file by hand"
            )
        return updated

    @staticmethod
    def _section(lines: list[str], rule_id: str) -> tuple[int | None, int]:
        """The lines of ``[rules.<rule_id>]`` (and its sub-tables), without the blank and comment
        lines that lead into the next table (they belong to it)."""
        names = {f"rules.{rule_id}", f'rules."{rule_id}"', f"rules.'{rule_id}'"}
        start = None
        for i, line in enumerate(lines):
            match = _HEADER.match(line)
            if match is None:
                continue
            name = re.sub(r"\s*\.\s*", ".", match.group(1))
            if start is None:
                if name in names:
                    start = i
                continue
            if any(name.startswith(n + ".") for n in names):
                continue
            end = i
            while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
                end -= 1
            return start, end
        return start, len(lines)

    def save(self) -> None:
        """Replace the file atomically (created 0600 when new, its mode kept otherwise)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o600
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(self.text)
        os.replace(tmp, self.path)


def editable_policy_path(explicit: Path | None) -> Path:
    """The file the Rules screen saves to: the one given (``--policy``, ``$TXFIREWALL_POLICY``),
    else ``$XDG_CONFIG_HOME/txfirewall/policy.toml`` (``~/.config``), created on first save."""
    if explicit is not None:
        return explicit
    if os.environ.get("TXFIREWALL_POLICY"):
        return Path(os.environ["TXFIREWALL_POLICY"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "txfirewall" / "policy.toml"
