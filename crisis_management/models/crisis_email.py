"""Email addresses typed by people: one address, or nothing."""

import re

from odoo.tools import email_normalize

# one address, nothing around it: a local part, one @, a domain with a dot
ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalize_email(email):
    """The normalized address of ``email``, or False if it is not one valid address.

    Odoo's ``email_normalize`` finds an address in a text (``a@@b.example``
    gives ``@b.example``): the address must be the whole of ``email``, with
    a local part, one ``@`` and a domain with a dot, printable characters
    only (no NUL).
    """
    if not isinstance(email, str):
        return False
    email = email.strip()
    if (
        not email
        or len(email) > 254
        or not email.isprintable()
        or any(char in email for char in " ,;<>\"'")
        or not ADDRESS.fullmatch(email)
    ):
        return False
    normalized = email_normalize(email)
    if not normalized or normalized.lower() != email.lower():
        return False
    return normalized
