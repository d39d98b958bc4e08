"""Print the names of the Python packages Odoo needs, one per line.

Reads the ``requirements.txt`` of an Odoo source tree and keeps only the
package names that apply to this interpreter and platform; the versions come
from the project's ``constraints.txt`` (see the comment at its top).
"""

import re
import sys

from packaging.markers import Marker

# Packages renamed or left out in this development environment.
RENAMED = {
    # same ``psycopg2`` module, shipped as a wheel: no libpq headers needed
    "psycopg2": "psycopg2-binary",
}
SKIPPED = {
    # only for the ``auth_ldap`` addon, which this project does not use; its
    # sdist needs the OpenLDAP headers
    "python-ldap",
}


def main(path):
    names = []
    with open(path, encoding="utf-8") as requirements:
        for raw in requirements:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            spec, _, marker = line.partition(";")
            if marker.strip() and not Marker(marker.strip()).evaluate():
                continue
            name = re.match(r"[A-Za-z0-9._-]+", spec.strip()).group(0)
            name = RENAMED.get(name.lower(), name)
            if name.lower() in SKIPPED or name in names:
                continue
            names.append(name)
    print("\n".join(names))


if __name__ == "__main__":
    main(sys.argv[1])
