"""Write crisis_management/README.rst from the fragments in readme/.

The fragments are written in the subset of Markdown that is also valid
reStructuredText (paragraphs, ``-`` lists, ``*emphasis*``, ``**strong**``), so
they are copied as they are under their headings. ``--check`` exits 1 when
README.rst is not up to date.
"""

import sys
from pathlib import Path

ADDON = Path(__file__).resolve().parent.parent / "crisis_management"
SECTIONS = [
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
]


def heading(text, char, over=False):
    line = char * len(text)
    return f"{line}\n{text}\n{line}\n" if over else f"{text}\n{line}\n"


def render():
    parts = [
        heading("Crisis Management", "=", over=True),
        (ADDON / "readme" / "DESCRIPTION.md").read_text(encoding="utf-8"),
        "**Table of contents**\n\n.. contents::\n   :local:\n",
    ]
    for fragment, title in SECTIONS:
        text = (ADDON / "readme" / fragment).read_text(encoding="utf-8")
        parts.append(heading(title, "=") + "\n" + text)
    contributors = (ADDON / "readme" / "CONTRIBUTORS.md").read_text(encoding="utf-8")
    credits = heading("Credits", "=") + "\n" + heading("Contributors", "-")
    parts.append(credits + "\n" + contributors)
    return "\n".join(parts)


def main(argv):
    target = ADDON / "README.rst"
    text = render()
    if "--check" in argv:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is out of date: run 'make readme'", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
