"""Rewrite README.md's rules table and rule count from the registry (``txfirewall rules --markdown``).

Run after adding or changing a rule: ``.venv/bin/python tools/update_readme_rules.py``. The docs
test fails until the README matches.
"""

from __future__ import annotations

import re
from pathlib import Path

from txfirewall.cli.rules import describe_rules, markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- rules:start -->\n", "<!-- rules:end -->"


def main() -> None:
    rules = describe_rules()
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    text = head + START + markdown_table(rules) + "\n" + END + tail
    text = re.sub(r"\| evaluate \| \d+ declared rules", f"| evaluate | {len(rules)} declared rules", text)
    README.write_text(text, encoding="utf-8")
    print(f"README: {len(rules)} rules")


if __name__ == "__main__":
    main()
