"""Write each addon's README.rst (crisis_management, the bridges) from the
fragments in its readme/.

The fragments are Markdown. What is also valid reStructuredText (paragraphs,
``-`` and ``1.`` lists, ``*emphasis*``, ``**strong**``, ````code````) is copied
as it is; these Markdown forms are converted:

- ``## Title`` / ``### Title`` / ``#### Title``: headings under the section
  of the fragment (not in DESCRIPTION.md, which has no section);
- ``[text](url)``: a link (``text`` is shown plain);
- ```code```: inline code (````code````);
- ``![alt](path)`` alone on its line: an image;
- pipe tables (a header row, then ``|---|``): a ``list-table``;
- fenced code (three backticks, optionally a language): a code block.

Relative links and images are relative to the addon's folder (e.g.
``../docs/screenshots/NAME.png``) and must exist. When docutils is available,
each README.rst is also parsed and any warning or error of docutils fails.
``--check`` exits 1 when a README.rst is not up to date.
"""

import ast
import re
import sys
import unicodedata
from pathlib import Path

try:
    from docutils import nodes
    from docutils.core import publish_doctree
except ImportError:  # the check of the RST is skipped without docutils
    nodes = publish_doctree = None

ROOT = Path(__file__).resolve().parent.parent
ADDONS = [
    ROOT / "crisis_management",
    ROOT / "crisis_management_status",
    ROOT / "crisis_management_signal",
    ROOT / "crisis_management_review",
    ROOT / "spreadsheet_dashboard_crisis_management",
    ROOT / "crisis_management_sms",
    ROOT / "crisis_management_account",
    ROOT / "crisis_management_loyalty",
    ROOT / "crisis_management_stock",
    ROOT / "crisis_management_sale",
    ROOT / "crisis_management_livechat",
]
SECTIONS = [
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("HISTORY.md", "Changelog"),
]
# the title uses "=" above and below, the sections "=" below, "Contributors"
# (under "Credits") "-": the headings of a fragment go below its section
HEADING_CHARS = {2: "-", 3: "~", 4: "^"}

FENCE = re.compile(r"^```\s*([\w+-]*)\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
IMAGE = re.compile(r"^!\[([^\]]*)\]\(([^)\s]+)\)\s*$")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
TABLE_SEPARATOR = re.compile(r"^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$")
INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<text>.+?)(?<!`)(?P=ticks)(?!`))"
    r"|(?P<link>\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\))",
    re.DOTALL,
)


class FragmentError(Exception):
    pass


def width(text):
    """Columns the text takes, as docutils counts them for heading lines."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def heading(text, char, over=False):
    line = char * width(text)
    return f"{line}\n{text}\n{line}\n" if over else f"{text}\n{line}\n"


def check_target(url, addon, where):
    """A relative link or image must point to a file or folder that exists."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", url) or url.startswith("#"):
        return
    path = url.split("#", 1)[0]
    if not (addon / path).exists():
        raise FragmentError(f"{where}: {url} does not exist (relative to {addon.name}/)")


def inline(text, addon, where):
    """Markdown links and inline code of a paragraph (or a table cell) in RST."""

    def convert(match):
        if match["code"]:
            code = match["text"]
            if code.startswith(" ") and code.endswith(" ") and code.strip():
                code = code[1:-1]
            return f"``{code}``"
        check_target(match["url"], addon, where)
        label = re.sub(r"[`*]", "", match["label"])
        return f"`{label} <{match['url']}>`__"

    return INLINE.sub(convert, text)


def table(rows, addon, where):
    """A Markdown pipe table as an RST list-table (the first row is the header)."""
    lines = [".. list-table::", "   :header-rows: 1", ""]
    columns = len(rows[0])
    for row in rows:
        if len(row) != columns:
            raise FragmentError(f"{where}: a table row has {len(row)} cells, not {columns}")
        for index, cell in enumerate(row):
            bullet = "   * -" if index == 0 else "     -"
            cell = inline(cell, addon, where)
            lines.append(f"{bullet} {cell}" if cell else bullet)
    return lines


def split_row(line):
    return [cell.strip() for cell in line.strip()[1:-1].split("|")]


def to_rst(text, addon, fragment, headings=True):
    """The fragment's Markdown as reStructuredText."""
    lines = text.splitlines()
    out = []
    paragraph = []

    def flush():
        if paragraph:
            out.extend(inline("\n".join(paragraph), addon, where).split("\n"))
            paragraph.clear()

    def block(block_lines):
        flush()
        if out and out[-1] != "":
            out.append("")
        out.extend(block_lines)
        out.append("")

    index = 0
    while index < len(lines):
        line = lines[index]
        where = f"{addon.name}/readme/{fragment}:{index + 1}"
        if fence := FENCE.match(line):
            start = index
            index += 1
            code = []
            while index < len(lines) and not lines[index].startswith("```"):
                code.append(lines[index])
                index += 1
            if index == len(lines):
                raise FragmentError(f"{addon.name}/readme/{fragment}:{start + 1}: unclosed ```")
            index += 1
            language = fence.group(1)
            directive = f".. code-block:: {language}" if language else "::"
            block([directive, ""] + [f"   {code_line}".rstrip() for code_line in code])
            continue
        if match := HEADING.match(line):
            level = len(match.group(1))
            if not headings or level not in HEADING_CHARS:
                raise FragmentError(f"{where}: no heading of level {level} here")
            title = inline(match.group(2), addon, where)
            block([title, HEADING_CHARS[level] * width(title)])
        elif match := IMAGE.match(line):
            check_target(match.group(2), addon, where)
            block([f".. image:: {match.group(2)}", f"   :alt: {match.group(1)}"])
        elif (
            TABLE_ROW.match(line)
            and index + 1 < len(lines)
            and TABLE_SEPARATOR.match(lines[index + 1])
        ):
            rows = [split_row(line)]
            index += 2
            while index < len(lines) and TABLE_ROW.match(lines[index]):
                rows.append(split_row(lines[index]))
                index += 1
            block(table(rows, addon, where))
            continue
        elif not line.strip():
            flush()
            if out and out[-1] != "":
                out.append("")
        else:
            paragraph.append(line)
        index += 1
    flush()
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def fragment(addon, name, headings=True):
    text = (addon / "readme" / name).read_text(encoding="utf-8")
    return to_rst(text, addon, name, headings=headings)


def render(addon):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))
    parts = [
        heading(manifest["name"], "=", over=True),
        fragment(addon, "DESCRIPTION.md", headings=False),
        "**Table of contents**\n\n.. contents::\n   :local:\n",
    ]
    for name, title in SECTIONS:
        if not (addon / "readme" / name).exists():
            continue
        parts.append(heading(title, "=") + "\n" + fragment(addon, name))
    contributors = fragment(addon, "CONTRIBUTORS.md", headings=False)
    credits = heading("Credits", "=") + "\n" + heading("Contributors", "-")
    parts.append(credits + "\n" + contributors)
    return "\n".join(parts)


def docutils_problems(text, target):
    """docutils' warnings and errors on the text (none when it is missing)."""
    if publish_doctree is None:
        return []
    settings = {"report_level": 5, "halt_level": 5, "warning_stream": False}
    doctree = publish_doctree(text, source_path=str(target), settings_overrides=settings)
    return [
        message.astext()  # "<target>:<line>: (WARNING/2) <what>"
        for message in doctree.findall(nodes.system_message)
        if message["level"] >= 2
    ]


def main(argv):
    status = 0
    for addon in ADDONS:
        target = addon / "README.rst"
        try:
            text = render(addon)
        except FragmentError as error:
            print(f"error: {error}", file=sys.stderr)
            status = 1
            continue
        problems = docutils_problems(text, target.relative_to(ROOT))
        if problems:
            print("\n".join(problems), file=sys.stderr)
            status = 1
            continue
        if "--check" in argv:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                print(f"{target} is out of date: run 'make readme'", file=sys.stderr)
                status = 1
            continue
        target.write_text(text, encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
