"""Emails to the inbox of a crisis (its alias, see ``crisis_crisis_inbox.py``).

Odoo's mail gateway routes an email sent to the alias of a crisis to
``crisis.impact`` with ``crisis_id`` in the alias defaults:

- from a customer who has a line on the crisis: ``message_new`` returns that
  line and Odoo posts the email on it (attachments included, the customer as
  author, its followers notified: the agent and the crisis lead);
- from another address: the contact with that address in the crisis'
  company (or shared) or a new contact of that company, and a new line for it,
  flagged **self-reported** (impact low, to contact), with a To-Do for the
  crisis lead to verify it; Odoo then posts the email on it. Anyone can write
  with any From: a self-reported line gets no customer notice (email or SMS)
  until an agent verifies it (``crisis.impact._crisis_recipient_state``);
- one line per sender address and crisis (a second email lands on it), and at
  most ``crisis_inbox_hourly_limit`` new self-reported lines per crisis per
  hour (company setting): beyond it, the email creates neither contact nor
  line, it is kept on the crisis as an internal note (nobody notified) for
  the team to add the sender if they are affected;
- an email whose From is empty, ``<>``, several addresses or not one valid
  address creates nothing: dropped with a log line;
- from our own staff (internal users, companies): never a customer, the email
  goes to the chatter of the crisis itself (its followers are notified);
- an email whose subject is ``unsubscribe-<line id>-<signature>`` (the
  ``mailto:`` of the ``List-Unsubscribe`` header of the notices, see
  ``crisis_impact_unsubscribe.py``) unsubscribes that line of the crisis as
  the one-click link does, when the signature is the line's; it creates
  nothing else and notifies nobody; a wrong signature does nothing;
- automatic emails (out-of-office replies, auto-responders, lists: see
  ``_crisis_is_auto_reply``) never notify anyone nor create a line or a
  contact: from a customer of the crisis, recorded quietly on their line
  (``_crisis_log_auto_reply``); from anyone else, dropped with a log line.
  Bounces never get here (Odoo's gateway handles them before any alias);
- a closed crisis takes no new customer: others get Odoo's bounce email
  (``crisis.crisis._alias_get_error``);
- drills take emails as real crises do: a rehearsal of the inbox too.

Replies to the notices of a line still go to the line through Odoo's reply
routing (the References of the notice), whatever their address. Odoo's
gateway flags automatic emails only when they start a thread: the automatic
replies to a notice (or to a compensation email), and unsubscribe emails that
carry its References, are taken by ``_crisis_take_email`` (from
``mail.thread._message_route_process``, see ``mail_thread.py``) before Odoo
posts them as a customer's reply.

Automatic emails are recognised by their headers: ``Auto-Submitted`` other
than ``no`` (RFC 3834), ``X-Autoreply``, ``X-Autorespond``,
``X-Autoreply-From``, ``X-Mail-Autoreply`` (vacation programs, Postfix,
Exim, Yandex…), ``Precedence: auto_reply|bulk|junk|list``; and, for the mail
servers that set none of them (older Microsoft Exchange), by the subject
prefix of their out-of-office replies ("Automatic reply:", "Out of Office:",
"自动回复:", …). Not by ``X-Auto-Response-Suppress`` (Outlook puts it on
messages people write too) nor by ``X-MS-Exchange-Inbox-Rules-Loop`` (also on
customer emails forwarded by a mailbox rule).
"""

import logging
import operator as py_operator
import re
from datetime import timedelta
from email.utils import getaddresses

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, clean_context, email_normalize, parse_contact_from_email
from odoo.tools.mail import decode_message_header

from .crisis_email import normalize_email
from .crisis_workflow_mixin import as_workflow
from .mail_mail import CUSTOMER_DOCUMENTS

_logger = logging.getLogger(__name__)

VERIFY_SELF_REPORTED = "crisis_management.mail_act_crisis_verify_self_reported"
# the subtype of the automatic replies recorded on a line: internal, hidden,
# followed by nobody (nobody is notified of them)
AUTO_REPLY_SUBTYPE = "crisis_management.mt_impact_auto_reply"
# Precedence values of automatic emails (RFC 3834 §3.1.8 and common practice)
AUTO_PRECEDENCES = {"bulk", "auto_reply", "junk", "list"}
# headers only auto-responders set, whatever their value
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoreply-From", "X-Mail-Autoreply")
# the subject prefixes of the out-of-office replies of mail servers that set
# no header above (Microsoft Exchange and Outlook, in the shipped languages
# and a few common others)
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto[- ]?reply|autoreply|out of (?:the )?office(?: autoreply)?"
    r"|自动回复|自動回覆|自动答复|réponse automatique|automatische antwort|abwesenheitsnotiz"
    r"|respuesta automática)\s*[:：]",
    re.IGNORECASE,
)
# the values of the gateway's message_dict that are no message_post parameters
# (as mail.thread._message_route_process removes them)
GATEWAY_ONLY_KEYS = (
    "from",
    "to",
    "cc",
    "recipients",
    "references",
    "in_reply_to",
    "is_bounce",
    "bounced_email",
    "bounced_message",
    "bounced_msg_ids",
    "bounced_partner",
    "partner_ids",
)
COMPARISONS = {
    "=": py_operator.eq,
    "!=": py_operator.ne,
    "<": py_operator.lt,
    "<=": py_operator.le,
    ">": py_operator.gt,
    ">=": py_operator.ge,
}


class CrisisImpact(models.Model):
    _inherit = "crisis.impact"  # pylint: disable=consider-merging-classes-inherited

    is_self_reported = fields.Boolean(
        string="Self-Reported",
        readonly=True,
        copy=False,
        tracking=True,
        help="The customer wrote to the inbox of the crisis without being one of its affected "
        "customers: an agent verifies that they are affected (Verify), or removes the line.",
    )

    auto_reply_count = fields.Integer(
        string="Automatic Replies",
        compute="_compute_auto_reply_count",
        search="_search_auto_reply_count",
        help="Automatic emails (out-of-office replies, auto-responders) received from this "
        "customer: kept in the chatter as internal notes, nobody is notified of them.",
    )

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded["is_self_reported"] = True
        return guarded

    def _compute_auto_reply_count(self):
        ids = [line_id for line_id in self._origin.ids if line_id]
        counts = {}
        subtype_id = self._crisis_auto_reply_subtype_id()
        if ids and subtype_id:
            counts = dict(
                self.env["mail.message"]
                .sudo()
                ._read_group(
                    [
                        ("model", "=", self._name),
                        ("res_id", "in", ids),
                        ("subtype_id", "=", subtype_id),
                    ],
                    ["res_id"],
                    ["__count"],
                )
            )
        for line in self:
            line.auto_reply_count = counts.get(line._origin.id, 0)

    def _search_auto_reply_count(self, operator, value):
        if value is False or value is None:
            value = 0
        if operator not in COMPARISONS or not isinstance(value, int) or isinstance(value, bool):
            raise UserError(
                self.env._("The automatic replies of a customer are compared with a number.")
            )
        subtype_id = self._crisis_auto_reply_subtype_id() or 0
        self.env["mail.message"].flush_model(["model", "res_id", "subtype_id"])
        # only the lines with automatic replies are in mail_message: when a
        # count of 0 matches, the lines match unless their count does not
        matching = COMPARISONS[operator](0, value)
        having = SQL("COUNT(*) %s %s", SQL(operator), value)
        query = SQL(
            "(SELECT res_id FROM mail_message WHERE model = %s AND subtype_id = %s"
            " GROUP BY res_id HAVING %s)",
            self._name,
            subtype_id,
            SQL("NOT (%s)", having) if matching else having,
        )
        return [("id", "not in" if matching else "in", query)]

    @api.model
    def _crisis_auto_reply_subtype_id(self):
        return self.env["ir.model.data"]._xmlid_to_res_id(
            AUTO_REPLY_SUBTYPE, raise_if_not_found=False
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_verify_self_reported(self):
        """The agent checked that the self-reported customer is affected."""
        self.check_access("write")
        lines = self.filtered("is_self_reported")
        for line in lines:
            line._track_set_log_message(
                Markup("<p>%s</p>")
                % self.env._(
                    "%(user)s verified this self-reported customer.", user=self.env.user.name
                )
            )
        as_workflow(lines).write({"is_self_reported": False})
        lines.activity_feedback([VERIFY_SELF_REPORTED])
        return True

    # ------------------------------------------------------------------
    # Mail gateway
    # ------------------------------------------------------------------

    @api.model
    def _crisis_inbox_sender(self, crisis, email_from):
        """Who wrote to the inbox of ``crisis``.

        :return: (customers, staff, line): the contacts with the sender's
            address in the crisis' company or shared, best first (staff aside);
            our staff with that address; the sender's line on the crisis
            (all as superuser, possibly empty)
        """
        Partner = self.env["res.partner"].sudo()
        email = email_normalize(email_from or "")
        if not email:
            return Partner, Partner, self.sudo().browse()
        partners = Partner.search([("email_normalized", "=", email)])
        staff = self._crisis_staff_partners(partners.ids)
        customers = (
            (partners - staff)
            .filtered(lambda p: not p.company_id or p.company_id == crisis.company_id)
            .sorted(lambda p: (not p.company_id, p.id))
        )
        line = self.sudo().browse()
        if customers:
            line = self.sudo().search(
                [("crisis_id", "=", crisis.id), ("partner_id", "in", customers.ids)], limit=1
            )
        return customers, staff, line

    @api.model
    def _crisis_is_auto_reply(self, message):
        """Whether ``message`` (an ``email.message``) was sent by a machine:
        an out-of-office, an auto-responder, a list (RFC 3834). The headers
        and subjects recognised are listed in the module's docstring."""
        if not message:
            return False
        # "auto-replied", "auto-generated", "auto-notified; owner-email=…" (RFC 3834 §5, RFC 5436)
        auto_submitted = str(message.get("Auto-Submitted") or "").split(";")[0].strip().lower()
        if auto_submitted and auto_submitted != "no":
            return True
        if any(str(message.get(name) or "").strip() for name in AUTO_REPLY_HEADERS):
            return True
        precedence = str(message.get("Precedence") or "").strip().lower()
        if precedence in AUTO_PRECEDENCES:
            return True
        subject = decode_message_header(message, "Subject") or ""
        return bool(AUTO_REPLY_SUBJECT.match(subject))

    def _crisis_log_auto_reply(self, message_dict, parent_id=False):
        """Record the automatic email ``message_dict`` (parsed by the gateway)
        on this line, quietly: an internal message of the automatic-reply
        subtype, which nobody follows, sent to nobody; its sender does not
        become a follower. It is counted (``auto_reply_count``).

        :param parent_id: the message it answers, when it is one of this line's
        """
        self.ensure_one()
        params = {
            key: value for key, value in message_dict.items() if key not in GATEWAY_ONLY_KEYS
        }
        params.update(
            subtype_id=self._crisis_auto_reply_subtype_id(),
            partner_ids=[],
            is_internal=True,
            parent_id=parent_id or False,
        )
        line = self.sudo().with_context(
            clean_context(self.env.context), mail_create_nosubscribe=True
        )
        message = line.message_post(**params)
        _logger.info(
            "Crisis %s: automatic email from %s (Message-Id %s) kept quietly on line %s",
            self.sudo().crisis_id.reference,
            message_dict.get("email_from"),
            message_dict.get("message_id"),
            self.id,
        )
        return message

    @api.model
    def _crisis_take_email(self, message, message_dict, route):
        """The emails to a line (or to a compensation) that Odoo must not post
        as a customer's reply, taken here: an unsubscribe email, an automatic
        reply (see the module's docstring). Called for each route of an
        incoming email, before Odoo processes it (``mail_thread.py``).

        :param route: (model, thread id, custom values, user id, alias)
        :return: the line that took the email (superuser), or an empty recordset
        """
        model, thread_id = route[0], route[1]
        nothing = self.sudo().browse()
        if model not in CUSTOMER_DOCUMENTS or not thread_id:
            return nothing
        record = self.env[model].sudo().browse(thread_id).exists()
        line = record if model == self._name else record.impact_id
        if not line:
            return nothing
        request = self._crisis_unsubscribe_request(message_dict.get("subject"))
        if request:
            self._crisis_unsubscribe_by_email(
                line.crisis_id, *request, message_id=message_dict.get("message_id")
            )
            return line
        if not self._crisis_is_auto_reply(message):
            return nothing
        parent_id = message_dict.get("parent_id") if model == self._name else False
        line._crisis_log_auto_reply(message_dict, parent_id=parent_id)
        return line

    @api.model
    def _crisis_inbox_address(self, message, message_dict):
        """The sender's address if the From of ``message`` (an ``email.message``)
        is one valid address, else False: an empty From, ``<>``, several
        addresses or a malformed one (``a@@b.example``, which Odoo's parsing
        would read as ``@b.example``) are no sender."""
        raw = decode_message_header(message, "From", separator=",") if message else None
        if raw is None:
            raw = message_dict.get("email_from") or ""
        addresses = [address for _name, address in getaddresses([raw]) if address]
        if len(addresses) != 1:
            return False
        address = normalize_email(addresses[0])
        if not address or address != email_normalize(message_dict.get("email_from") or ""):
            return False
        return address

    @api.model
    def _crisis_inbox_full(self, crisis):
        """Whether ``crisis`` took as many self-reported customers in the last
        hour as its company allows (``crisis_inbox_hourly_limit``).

        Counted from the stored lines (gateway workers share nothing else):
        lines verified since are not counted, and two workers fetching at the
        same moment may each take the last place.
        """
        limit = crisis.company_id.crisis_inbox_hourly_limit
        if limit <= 0:
            return True
        since = self.env.cr.now() - timedelta(hours=1)
        count = (
            self.sudo()
            .with_context(active_test=False)
            .search_count(
                [
                    ("crisis_id", "=", crisis.id),
                    ("is_self_reported", "=", True),
                    ("create_date", ">=", since),
                ],
                limit=limit,
            )
        )
        return count >= limit

    @api.model
    def _crisis_inbox_note(self, crisis):
        """The line above an email kept on ``crisis`` for want of room (in its lead's language)."""
        crisis = crisis.with_context(lang=crisis.user_id.lang or self.env.lang)
        return Markup("<p><b>%s</b></p>") % crisis.env._(
            "Not added as a self-reported customer: this inbox took %(limit)s new customers in "
            "the last hour (the limit of the Crisis Settings). If the sender is affected, add "
            "them to the crisis.",
            limit=crisis.company_id.crisis_inbox_hourly_limit,
        )

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        """The routes of new emails to a crisis inbox: none for unsubscribe
        emails (the line is unsubscribed here), for senders without a valid
        address and for automatic emails of anyone but a customer of the
        crisis (theirs go quietly to their line); the crisis itself for our
        staff and, as an internal note, for new senders beyond the hourly
        limit."""
        model, thread_id, _values, _uid, alias = route
        crisis = self.env["crisis.crisis"]
        if model == self._name and not thread_id and alias:
            alias = alias.sudo()
            if alias.alias_parent_model_id.model == "crisis.crisis":
                crisis = crisis.sudo().browse(alias.alias_parent_thread_id).exists()
        request = crisis and self._crisis_unsubscribe_request(message_dict.get("subject"))
        if request:
            self._crisis_unsubscribe_by_email(
                crisis, *request, message_id=message_dict.get("message_id")
            )
            return ()
        if crisis and self._crisis_is_auto_reply(message):
            line = self.browse()
            if self._crisis_inbox_address(message, message_dict):
                _customers, _staff, line = self._crisis_inbox_sender(
                    crisis, message_dict["email_from"]
                )
            if line:
                # kept quietly on the sender's line (_crisis_take_email)
                message_dict["author_id"] = line.partner_id.id
                return (self._name, line.id, route[2], route[3], route[4])
            _logger.info(
                "Crisis inbox %s: automatic email from %s (Message-Id %s) ignored",
                crisis.reference,
                message_dict.get("email_from"),
                message_dict.get("message_id"),
            )
            return ()
        if crisis and not self._crisis_inbox_address(message, message_dict):
            _logger.info(
                "Crisis inbox %s: email without a valid sender address (From %r, Message-Id %s) "
                "ignored",
                crisis.reference,
                message_dict.get("email_from"),
                message_dict.get("message_id"),
            )
            return ()
        route = super()._routing_check_route(
            message, message_dict, route, raise_exception=raise_exception
        )
        if not (route and crisis):
            return route
        customers, staff, line = self._crisis_inbox_sender(crisis, message_dict["email_from"])
        if staff and not customers:
            # our own staff are never customers: their email goes to the crisis
            staff_author = staff.filtered(lambda p: p.id == message_dict.get("author_id"))
            message_dict["author_id"] = (staff_author or staff[:1]).id
            return ("crisis.crisis", crisis.id, route[2], route[3], route[4])
        if not line and self._crisis_inbox_full(crisis):
            # a new sender beyond the limit: kept on the crisis, nobody notified
            _logger.info(
                "Crisis inbox %s: hourly limit of new customers reached, email from %s "
                "(Message-Id %s) kept on the crisis",
                crisis.reference,
                message_dict.get("email_from"),
                message_dict.get("message_id"),
            )
            message_dict["is_internal"] = True
            message_dict["body"] = self._crisis_inbox_note(crisis) + message_dict.get("body", "")
            return ("crisis.crisis", crisis.id, route[2], route[3], route[4])
        return route

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """An email to the inbox of a crisis: the sender's line (found or made).

        Odoo posts the email on the line returned (``_message_route_process``),
        authored by the customer (``msg_dict["author_id"]``, set here).
        """
        crisis_id = (custom_values or {}).get("crisis_id")
        crisis = self.env["crisis.crisis"].sudo().browse(crisis_id).exists() if crisis_id else None
        if not crisis:
            raise ValueError(
                f"Email {msg_dict.get('message_id')} to a crisis inbox without a crisis"
            )
        customers, staff, line = self._crisis_inbox_sender(crisis, msg_dict.get("email_from"))
        if line:
            msg_dict["author_id"] = line.partner_id.id
            return line
        if staff and not customers:
            raise ValueError(f"Email {msg_dict.get('message_id')}: staff are not customers")
        partner = customers[:1]
        if not partner:
            name, email = parse_contact_from_email(msg_dict.get("email_from"))
            if not normalize_email(email):
                raise ValueError(
                    f"Email {msg_dict.get('message_id')} to a crisis inbox without a valid sender"
                )
            partner = (
                self.env["res.partner"]
                .sudo()
                .with_context(clean_context(self.env.context))
                .create(
                    {
                        "name": name or email,
                        "email": email,
                        "company_id": crisis.company_id.id,
                        "lang": False,
                    }
                )
            )
        Impact = as_workflow(self.sudo().with_context(clean_context(self.env.context)))
        line = Impact.create(
            {
                "crisis_id": crisis.id,
                "partner_id": partner.id,
                "impact_level": "low",
                "contact_status": "to_contact",
                "is_self_reported": True,
            }
        )
        msg_dict["author_id"] = partner.id
        verifier = crisis.user_id or crisis.team_id.leader_id
        if verifier:
            self._crisis_schedule_activities(
                [(line, verifier)],
                summary_of=lambda impact: impact.env._(
                    "Verify self-reported customer %(customer)s",
                    customer=impact.partner_id.display_name,
                ),
                date_of=lambda impact: fields.Date.context_today(impact),
                note_of=lambda impact: impact.env._(
                    "%(customer)s wrote to the inbox of %(crisis)s: check that they are "
                    "affected, then Verify (or remove the line).",
                    customer=impact.partner_id.display_name,
                    crisis=impact.crisis_id.display_name,
                ),
                activity_type_xmlid=VERIFY_SELF_REPORTED,
            )
        return line

    def _notify_get_reply_to(self, default=None):
        """The Reply-To of the emails of a line is the inbox of its crisis
        when it has one (both Odoo's ``message_post`` and the batch poster
        ask here), named as Odoo names it for the line."""
        result = super()._notify_get_reply_to(default=default)
        for line in self.sudo():
            crisis = line.crisis_id
            if crisis.alias_email:
                result[line.id] = self._notify_get_reply_to_formatted_email(
                    crisis.alias_email, line.display_name, company=line.company_id
                )
        return result
