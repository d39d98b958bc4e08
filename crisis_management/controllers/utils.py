"""What the routes of the addon check of their input before it reaches the database.

``<int:...>`` in a route takes any number of digits, and query strings or
JSON-RPC parameters take any type: an id beyond PostgreSQL's integer fails
the query, a token with non-ASCII characters fails Python's constant-time
comparison. Both are no record and no token: the routes answer as for a
wrong one (a 404, a redirection, an error message), never with a traceback.
"""

# the largest id PostgreSQL's integer column holds
MAX_ID = 2**31 - 1
# longer than any token the addon or Odoo makes (uuid4, token_urlsafe(32), hmac sha256)
MAX_TOKEN_LENGTH = 256


def is_id(value):
    """Whether ``value`` may be the id of a record."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def is_token(value):
    """Whether ``value`` may be a token of a link (printable ASCII, not too long)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_TOKEN_LENGTH
        and value.isascii()
        and value.isprintable()
    )
