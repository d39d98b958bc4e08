"""The ``List-*`` headers of outgoing emails, written as mail clients parse them.

Python's email policy RFC 2047-encodes any header longer than 78 characters
that has no folding point: ``List-Unsubscribe: <https://…/crisis/unsubscribe/…>``
left Odoo as ``=?utf-8?q?=3Chttps=3A//…?=``, where strict parsers (Gmail,
Outlook) find no URI and show no unsubscribe button. Odoo protects only the
identification headers (Message-ID, References, see ``base``'s
``IdentificationFieldsNoFoldPolicy``).

``build_email`` gives the messages that carry one of the URI-list headers of
RFC 2369 (``List-Unsubscribe`` and its RFC 8058 companion
``List-Unsubscribe-Post`` among them) a policy of their own: those headers
are written as they are, ``<uri>, <uri>`` on one line (RFC 5322 allows 998
characters), folded only between two URIs when longer, never encoded nor
folded inside a URI. Every other header, and every other email, is written
by the policy Odoo gave the message, unchanged; no global state is touched.
The policy is the message's own (``msg.policy``): ``as_bytes()`` and
smtplib's ``send_message`` both use it.
"""

import re

from odoo import models

# the headers whose value is a list of <URI>s (RFC 2369 §3), and RFC 8058's
LIST_URI_HEADERS = frozenset(
    {
        "list-help",
        "list-unsubscribe",
        "list-subscribe",
        "list-post",
        "list-owner",
        "list-archive",
        "list-unsubscribe-post",
    }
)
# RFC 5322 §2.1.1: a line MUST NOT be longer than 998 characters (CRLF aside)
MAX_LINE_LENGTH = 998
# the separator of two URIs of a list: where a long value may be folded
URI_SEPARATOR = re.compile(r">\s*,\s*<")


class ListHeadersPolicyMixin:
    """Write the URI-list headers verbatim; the rest as the base policy does."""

    def _fold(self, name, value, *args, **kwargs):
        if name.lower() in LIST_URI_HEADERS:
            text = str(value)
            if text.isascii() and text.isprintable():
                return self._crisis_fold_uri_list(name, text)
        return super()._fold(name, value, *args, **kwargs)

    def _crisis_fold_uri_list(self, name, text):
        line = f"{name}: {text}"
        if len(line) > MAX_LINE_LENGTH:
            # fold between the URIs only: "<a>,CRLF <b>" unfolds to "<a>, <b>"
            line = f"{name}: " + URI_SEPARATOR.sub(f">,{self.linesep} <", text)
        return line + self.linesep


# one subclass per policy class met, made once
_POLICY_CLASSES = {}


def list_headers_policy(policy):
    """``policy`` (an ``email.policy.EmailPolicy``), writing the URI-list headers
    verbatim: an instance of a subclass of its own class, with its settings."""
    if isinstance(policy, ListHeadersPolicyMixin):
        return policy
    base = type(policy)
    cls = _POLICY_CLASSES.get(base)
    if cls is None:
        cls = _POLICY_CLASSES[base] = type(
            f"ListHeaders{base.__name__}", (ListHeadersPolicyMixin, base), {"__module__": __name__}
        )
    # a policy's settings are its instance attributes (see email._policybase.clone)
    return cls(**vars(policy))


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    def build_email(self, *args, **kwargs):
        msg = super().build_email(*args, **kwargs)
        if any(name.lower() in LIST_URI_HEADERS for name in msg.keys()):
            msg.policy = list_headers_policy(msg.policy)
        return msg
