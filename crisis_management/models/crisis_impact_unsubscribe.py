"""The customer's unsubscribe from the notices of one crisis (RFC 8058).

Every notice emailed to the customer of a line (updates, stage notices,
satisfaction requests: the messages of the customer-email subtype) carries a
``List-Unsubscribe`` header, with ``List-Unsubscribe-Post`` for the one-click
unsubscribe of mail clients, and a link in its footer. The header lists the
signed link and, when the crisis has an inbox, a ``mailto:`` to that inbox
whose subject carries the line and the same signature
(``<https://…/crisis/unsubscribe/<id>/<sig>>, <mailto:inbox?subject=unsubscribe-<id>-<sig>>``):
the mail clients that unsubscribe by email send it there, and the inbox
unsubscribes the line (``crisis_impact_inbox.py``). A crisis without an inbox
has the link alone: the company's catchall address would bounce such an
email. ``ir_mail_server.py`` writes the header unencoded, as mail clients parse
it. Both are added where
Odoo builds each email of a message, for the message_post path and the batch
path alike (``_notify_by_email_render_layout`` and
``_notify_by_email_get_final_mail_values``): a template edited by a user
cannot drop them, and an internal user's notification never has them.

An unsubscribed line gets no more notices of its crisis: it is skipped and
counted as ``unsubscribed`` (see ``crisis.impact._crisis_recipient_state``).
The address is not blacklisted: other crises, and the emails an agent writes
to the customer, still reach them.
"""

import ast
import logging
import re
from urllib.parse import quote

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.tools import consteq

from .crisis_impact import CUSTOMER_EMAIL_SUBTYPE
from .crisis_workflow_mixin import as_workflow

_logger = logging.getLogger(__name__)

# the scope of the signature of the unsubscribe links (tools.hmac)
UNSUBSCRIBE_SCOPE = "crisis_management-impact-unsubscribe"
UNSUBSCRIBE_FIELDS = ("is_unsubscribed", "date_unsubscribed")
# the subject of the unsubscribe email: the line and the signature of its link
UNSUBSCRIBE_SUBJECT = re.compile(
    r"(?<![\w-])unsubscribe-([0-9]{1,32})-([0-9a-f]{64})(?![\w-])", re.I
)
# the largest id PostgreSQL's integer column holds
MAX_ID = 2**31 - 1


class CrisisImpact(models.Model):
    _inherit = "crisis.impact"  # pylint: disable=consider-merging-classes-inherited

    is_unsubscribed = fields.Boolean(
        string="Unsubscribed",
        readonly=True,
        copy=False,
        tracking=True,
        help="The customer asked to stop receiving the notices of this crisis (the link in "
        "its emails, or one click in their mail client). Their address is not blacklisted: "
        "other crises and the emails you write to them still reach them.",
    )
    date_unsubscribed = fields.Datetime(
        string="Unsubscribed On",
        readonly=True,
        copy=False,
        help="When the customer unsubscribed from the notices of this crisis.",
    )

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(dict.fromkeys(UNSUBSCRIBE_FIELDS, True))
        return guarded

    # ------------------------------------------------------------------
    # The link
    # ------------------------------------------------------------------

    def _crisis_unsubscribe_token(self):
        """The signature of this line's unsubscribe link (Odoo's ``tools.hmac``).

        Signed with the database secret, for this line and its customer: it
        unsubscribes and shows the unsubscribe page, nothing else (the line's
        portal token is not given to mail providers that follow the link).
        """
        self.ensure_one()
        return tools.hmac(self.env(su=True), UNSUBSCRIBE_SCOPE, (self.id, self.partner_id.id))

    def _crisis_check_unsubscribe_token(self, token):
        """Whether ``token`` is this line's signature (constant time)."""
        self.ensure_one()
        # Python's constant-time comparison takes ASCII strings only
        return (
            isinstance(token, str)
            and bool(token)
            and token.isascii()
            and consteq(self._crisis_unsubscribe_token(), token)
        )

    def _crisis_unsubscribe_url(self):
        """The unsubscribe page of this line, absolute (for emails)."""
        self.ensure_one()
        token = self._crisis_unsubscribe_token()
        return f"{self.get_base_url()}/crisis/unsubscribe/{self.id}/{token}"

    def _crisis_unsubscribe_subject(self):
        """The subject of the email that unsubscribes this line: its id and the
        signature of its link (the inbox checks it, see ``_crisis_unsubscribe_by_email``)."""
        self.ensure_one()
        return f"unsubscribe-{self.id}-{self._crisis_unsubscribe_token()}"

    def _crisis_unsubscribe_mailto(self):
        """The ``mailto:`` URI that unsubscribes this line (RFC 6068), or False.

        The inbox of the crisis, with the subject that names the line and
        signs it. False when the crisis has no inbox (with its domain): the
        company's catchall address would bounce the email. The address must
        be ASCII, as the header it goes in.
        """
        self.ensure_one()
        inbox = self.sudo().crisis_id.alias_email
        if not inbox or not inbox.isascii():
            return False
        local, _at, domain = inbox.rpartition("@")
        address = f"{quote(local, safe='!$&*+-.^_`{|}~')}@{quote(domain, safe='-.')}"
        return f"mailto:{address}?subject={self._crisis_unsubscribe_subject()}"

    def _crisis_list_unsubscribe(self):
        """The value of the ``List-Unsubscribe`` header of this line's notices
        (RFC 2369): the signed link first (RFC 8058 needs an HTTPS URI for the
        one-click POST), then the ``mailto:`` of the crisis inbox if any."""
        self.ensure_one()
        uris = [self._crisis_unsubscribe_url(), self._crisis_unsubscribe_mailto()]
        return ", ".join(f"<{uri}>" for uri in uris if uri)

    # ------------------------------------------------------------------
    # Unsubscribe and subscribe again
    # ------------------------------------------------------------------

    def _crisis_unsubscribe(self, one_click=False, by_user=False, by_email=False):
        """The customers of these lines stop receiving the notices of their crisis.

        A tracked change, logged on each line with a message saying how
        (its followers, the agent and the crisis lead, see it in the chatter).
        Lines already unsubscribed are left as they are. The email blacklist
        is not touched.

        :param one_click: the customer's mail client unsubscribed (RFC 8058)
        :param by_user: the current user recorded the customer's request (a
            call, a letter) rather than the customer themselves
        :param by_email: the email to the ``mailto:`` of ``List-Unsubscribe``
            reached the crisis inbox (sent by the customer's mail client)
        """
        lines = self.filtered(lambda line: not line.is_unsubscribed)
        for line in lines:
            env = line.with_context(lang=line._crisis_log_lang()).env
            customer = line.partner_id.display_name
            if by_user:
                note = env._(
                    "%(user)s stopped the notices of this crisis at the request of "
                    "%(customer)s. They are not blacklisted: other crises still reach them.",
                    user=self.env.user.name,
                    customer=customer,
                )
            elif by_email:
                note = env._(
                    "%(customer)s unsubscribed from the notices of this crisis by email (the "
                    "unsubscribe address of their notices). They are not blacklisted: other "
                    "crises still reach them.",
                    customer=customer,
                )
            elif one_click:
                note = env._(
                    "%(customer)s unsubscribed from the notices of this crisis with one click "
                    "in their mail client. They are not blacklisted: other crises still reach "
                    "them.",
                    customer=customer,
                )
            else:
                note = env._(
                    "%(customer)s unsubscribed from the notices of this crisis on their "
                    "unsubscribe page. They are not blacklisted: other crises still reach them.",
                    customer=customer,
                )
            if not by_user:
                line._track_set_author(line.partner_id)
            line._track_set_log_message(Markup("<p>%s</p>") % note)
        as_workflow(lines).write(
            {"is_unsubscribed": True, "date_unsubscribed": fields.Datetime.now()}
        )
        return True

    def _crisis_resubscribe(self, by_user=False):
        """The customers of these lines receive the notices of their crisis again.

        :param by_user: the current user recorded the customer's request
        """
        lines = self.filtered("is_unsubscribed")
        for line in lines:
            env = line.with_context(lang=line._crisis_log_lang()).env
            customer = line.partner_id.display_name
            if by_user:
                note = env._(
                    "%(user)s resumed the notices of this crisis at the request of %(customer)s.",
                    user=self.env.user.name,
                    customer=customer,
                )
            else:
                line._track_set_author(line.partner_id)
                note = env._(
                    "%(customer)s subscribed again to the notices of this crisis.",
                    customer=customer,
                )
            line._track_set_log_message(Markup("<p>%s</p>") % note)
        as_workflow(lines).write({"is_unsubscribed": False, "date_unsubscribed": False})
        return True

    @api.model
    def _crisis_unsubscribe_request(self, subject):
        """The (line id, signature) an unsubscribe email's ``subject`` names, or
        None when it is no unsubscribe email. The id may be no line's."""
        match = UNSUBSCRIBE_SUBJECT.search(subject or "")
        if not match:
            return None
        return int(match.group(1)), match.group(2).lower()

    @api.model
    def _crisis_unsubscribe_by_email(self, crisis, line_id, token, message_id=None):
        """An email to the inbox of ``crisis`` asks to unsubscribe the line
        ``line_id``, signed ``token``: the line is unsubscribed as by the
        one-click POST if the signature is its own and the line is on
        ``crisis``; otherwise nothing happens. Either way the email itself
        creates nothing (see ``crisis_impact_inbox.py``).

        :return: the line unsubscribed (superuser), or an empty recordset
        """
        line = self.sudo().browse(line_id if 0 < line_id <= MAX_ID else ()).exists()
        if not (line and line.crisis_id == crisis and line._crisis_check_unsubscribe_token(token)):
            _logger.info(
                "Crisis inbox %s: unsubscribe email with a wrong signature (Message-Id %s) "
                "ignored",
                crisis.reference,
                message_id,
            )
            return self.sudo().browse()
        line._crisis_unsubscribe(by_email=True)
        _logger.info(
            "Crisis inbox %s: line %s unsubscribed by email (Message-Id %s)",
            crisis.reference,
            line.id,
            message_id,
        )
        return line

    def action_stop_notices(self):
        """The customer asked the team (on the phone, in a letter) to stop the
        notices of this crisis: recorded by whoever may change their line."""
        self.check_access("write")
        return self._crisis_unsubscribe(by_user=True)

    def action_resume_notices(self):
        """The customer asked the team to receive the notices of this crisis again."""
        self.check_access("write")
        return self._crisis_resubscribe(by_user=True)

    def _crisis_log_lang(self):
        """The language of the notes the team reads on this line: the crisis
        lead's (the customer's request may come in any language)."""
        self.ensure_one()
        return self.sudo().crisis_id.user_id.lang or self.env.lang

    # ------------------------------------------------------------------
    # The headers and the footer of the notices
    # ------------------------------------------------------------------

    def _crisis_is_customer_notice(self, message, recipient_ids):
        """Whether the email of ``message`` to ``recipient_ids`` is a notice to
        this line's customer: a message of the customer-email subtype, to the
        customer alone (Odoo's portal puts them in a group of their own, see
        ``portal`` ``_notify_get_recipients_groups``). Followers of those
        emails, internal users and other recipients get theirs without the
        unsubscribe link. Nothing is read from the database: the message was
        just created, its subtype is in the cache.
        """
        if len(self) != 1 or not recipient_ids:
            return False
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id(
            CUSTOMER_EMAIL_SUBTYPE, raise_if_not_found=False
        )
        return (
            bool(subtype_id)
            and message.sudo().subtype_id.id == subtype_id
            and set(recipient_ids) == {self.partner_id.id}
        )

    def _notify_by_email_render_layout(
        self, message, recipients_group, msg_vals=False, render_values=None
    ):
        body = super()._notify_by_email_render_layout(
            message, recipients_group, msg_vals=msg_vals, render_values=render_values
        )
        if not self._crisis_is_customer_notice(message, recipients_group.get("recipients")):
            return body
        lang = (render_values or {}).get("lang") or self.env.lang
        # below the layout, on the grey of its background
        footer = Markup(
            '<div class="o_crisis_unsubscribe" style="margin: 0px; padding: 8px 0px 16px 0px;'
            " background-color: #F1F1F1; text-align: center;"
            ' font-family: Verdana, Arial, sans-serif; font-size: 11px;">'
            '<a href="%s" style="color: #555555;">%s</a></div>'
        ) % (
            self._crisis_unsubscribe_url(),
            self.with_context(lang=lang).env._("Stop receiving updates about this incident"),
        )
        body = str(body)
        end = body.rfind("</body>")
        if end == -1:
            return Markup(body) + footer
        return Markup(body[:end]) + footer + Markup(body[end:])

    def _notify_by_email_get_final_mail_values(
        self, recipient_ids, mail_values, additional_values=None
    ):
        values = super()._notify_by_email_get_final_mail_values(
            recipient_ids, mail_values, additional_values=additional_values
        )
        message = self.env["mail.message"].browse(values.get("mail_message_id"))
        if not (message and self._crisis_is_customer_notice(message, recipient_ids)):
            return values
        headers = ast.literal_eval(values["headers"]) if values.get("headers") else {}
        headers.update(
            {
                "List-Unsubscribe": self._crisis_list_unsubscribe(),
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        )
        values["headers"] = repr(headers)
        return values


class CrisisUpdateRecipient(models.Model):
    """A customer of an update skipped because they unsubscribed from the
    notices of its crisis (see ``crisis.impact._crisis_recipient_state``)."""

    _inherit = "crisis.update.recipient"

    state = fields.Selection(
        selection_add=[("unsubscribed", "Unsubscribed"), ("failed",)],
        ondelete={"unsubscribed": "cascade"},
    )
