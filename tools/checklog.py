"""Fail on WARNING, ERROR and CRITICAL log lines, like OCA's checklog-odoo.

Two uses:

* ``python tools/checklog.py LOGFILE``: scans an Odoo log file (the install
  of the addon) and exits 1, listing the offending lines, if there are any.
* ``pytest -p pytest_checklog``: fails every test during which such a
  record was logged (see ``pytest_checklog.py``).

``IGNORED`` lists the few messages of Odoo itself that are not the addon's
doing; keep it short and explain each entry.
"""

import re
import sys

IGNORED = [
    # Odoo's HTTP server, started by pytest-odoo for the browser tests, says
    # it has no master password worth the name: a test setting.
    re.compile(r"odoo\.tools\.config: .*admin_passwd"),
]

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>WARNING|ERROR|CRITICAL) "
    r"\S+ (?P<logger>[\w.]+): (?P<message>.*)$"
)


def is_ignored(logger_name, message):
    text = f"{logger_name}: {message}"
    return any(pattern.search(text) for pattern in IGNORED)


def scan(path):
    bad = []
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = LINE.match(line.rstrip("\n"))
            if match and not is_ignored(match["logger"], match["message"]):
                bad.append(line.rstrip("\n"))
    return bad


def main(path):
    bad = scan(path)
    if bad:
        print(f"{len(bad)} warning/error line(s) in {path}:", file=sys.stderr)
        for line in bad:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
