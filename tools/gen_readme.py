"""Write each addon's README.rst (crisis_management, the bridges) from the
fragments in its readme/.

The fragments are written in the subset of Markdown that is also valid
reStructuredText (paragraphs, ``-`` lists, ``*emphasis*``, ``**strong**``), so
they are copied as they are under their headings. ``--check`` exits 1 when
README.rst is not up to date.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = [
    ROOT / "crisis_management",
    ROOT / "spreadsheet_dashboard_crisis_management",
    ROOT / "crisis_management_sms",
    ROOT / "crisis_management_account",
    ROOT / "crisis_management_loyalty",
]
SECTIONS = [
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
]


def heading(text, char, over=False):
    line = char * len(text)
    return f"{line}\n{text}\n{line}\n" if over else f"{text}\n{line}\n"


def render(addon):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))
    parts = [
        heading(manifest["name"], "=", over=True),
        (addon / "readme" / "DESCRIPTION.md").read_text(encoding="utf-8"),
        "**Table of contents**\n\n.. contents::\n   :local:\n",
    ]
    for fragment, title in SECTIONS:
        if not (addon / "readme" / fragment).exists():
            continue
        text = (addon / "readme" / fragment).read_text(encoding="utf-8")
        parts.append(heading(title, "=") + "\n" + text)
    contributors = (addon / "readme" / "CONTRIBUTORS.md").read_text(encoding="utf-8")
    credits = heading("Credits", "=") + "\n" + heading("Contributors", "-")
    parts.append(credits + "\n" + contributors)
    return "\n".join(parts)


def main(argv):
    status = 0
    for addon in ADDONS:
        target = addon / "README.rst"
        text = render(addon)
        if "--check" in argv:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                print(f"{target} is out of date: run 'make readme'", file=sys.stderr)
                status = 1
            continue
        target.write_text(text, encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
