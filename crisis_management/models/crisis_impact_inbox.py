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
- auto-replies (``Auto-Submitted``, ``X-Autoreply``, ``Precedence: bulk``…)
  are dropped with a log line; bounces never get here (Odoo's gateway handles
  them before any alias);
- a closed crisis takes no new customer: others get Odoo's bounce email
  (``crisis.crisis._alias_get_error``);
- drills take emails as real crises do: a rehearsal of the inbox too.

Replies to the notices of a line still go to the line through Odoo's reply
routing (the References of the notice), whatever their address.
"""

import logging
from datetime import timedelta
from email.utils import getaddresses

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import clean_context, email_normalize, parse_contact_from_email
from odoo.tools.mail import decode_message_header

from .crisis_workflow_mixin import as_workflow

_logger = logging.getLogger(__name__)

VERIFY_SELF_REPORTED = "crisis_management.mail_act_crisis_verify_self_reported"
# Precedence values of automatic emails (RFC 3834 §3.1.8 and common practice)
AUTO_PRECEDENCES = {"bulk", "auto_reply", "junk", "list"}


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

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded["is_self_reported"] = True
        return guarded

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
        an out-of-office, an auto-responder, a list (RFC 3834)."""
        auto_submitted = (message.get("Auto-Submitted") or "").strip().lower()
        if auto_submitted and auto_submitted != "no":
            return True
        if message.get("X-Autoreply") or message.get("X-Autorespond"):
            return True
        precedence = (message.get("Precedence") or "").strip().lower()
        return precedence in AUTO_PRECEDENCES

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
        address = self.env["crisis.subscription"]._crisis_normalize_email(addresses[0])
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
        """The routes of new emails to a crisis inbox: none for auto-replies
        and senders without a valid address, the crisis itself for our staff
        and, as an internal note, for new senders beyond the hourly limit."""
        model, thread_id, _values, _uid, alias = route
        crisis = self.env["crisis.crisis"]
        if model == self._name and not thread_id and alias:
            alias = alias.sudo()
            if alias.alias_parent_model_id.model == "crisis.crisis":
                crisis = crisis.sudo().browse(alias.alias_parent_thread_id).exists()
        if crisis and self._crisis_is_auto_reply(message):
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
            if not self.env["crisis.subscription"]._crisis_normalize_email(email):
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
