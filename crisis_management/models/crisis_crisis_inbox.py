"""The crisis inbox: an email alias of its own per crisis (optional).

An email sent to the alias of a crisis (e.g. ``crisis-cri-2026-0001@yourcompany``)
is routed by Odoo's mail gateway to ``crisis.impact.message_new`` (see
``crisis_impact_inbox.py``): it lands on the sender's line, or makes a
self-reported line to verify. The alias is also the Reply-To of the emails of
the crisis' lines, so that customers answering a notice reach the same inbox.

Odoo's ``mail.alias.mixin.optional``: crises without an alias have none (no
empty alias record). Only the Crisis Managers and the lead of the crisis set
or change it, whatever the path (form, external API).
"""

import ast
import re

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.mail.tools.alias_error import AliasError

# the alias fields a user may write through the crisis (the mixin writes them as superuser)
INBOX_FIELDS = ("alias_name", "alias_domain_id", "alias_bounced_content")
# the alias fields only the addon sets: where the emails go, who may write
INBOX_LOCKED_FIELDS = ("alias_id", "alias_defaults", "alias_contact")
# the marker of the mixin's own write of the alias it creates (a Python object:
# nothing that comes through the external API can be it)
INBOX_ALIAS = object()


class CrisisCrisis(models.Model):
    _name = "crisis.crisis"
    _inherit = ["mail.alias.mixin.optional", "crisis.crisis"]

    # a Crisis Manager, or the lead of the crisis, may set its inbox
    can_manage_inbox = fields.Boolean(compute="_compute_can_manage_inbox")
    auto_reply_count = fields.Integer(
        string="Automatic Replies",
        compute="_compute_auto_reply_count",
        help="Automatic emails (out-of-office replies, auto-responders) received from the "
        "affected customers: kept on their lines as internal notes, nobody is notified of them.",
    )

    def _compute_auto_reply_count(self):
        counts = {}
        subtype_id = self.env["crisis.impact"]._crisis_auto_reply_subtype_id()
        ids = [crisis_id for crisis_id in self._origin.ids if crisis_id]
        if ids and subtype_id:
            self.env["mail.message"].flush_model(["model", "res_id", "subtype_id"])
            self.env["crisis.impact"].flush_model(["crisis_id"])
            self.env.cr.execute(
                SQL(
                    """
                    SELECT impact.crisis_id, COUNT(*)
                      FROM mail_message message
                      JOIN crisis_impact impact ON impact.id = message.res_id
                     WHERE message.model = 'crisis.impact' AND message.subtype_id = %s
                       AND impact.crisis_id = ANY(%s)
                  GROUP BY impact.crisis_id
                    """,
                    subtype_id,
                    ids,
                )
            )
            counts = dict(self.env.cr.fetchall())
        for crisis in self:
            crisis.auto_reply_count = counts.get(crisis._origin.id, 0)

    @api.depends_context("uid")
    @api.depends("user_id")
    def _compute_can_manage_inbox(self):
        is_manager = self.env.user.has_group("crisis_management.group_crisis_manager")
        for crisis in self:
            crisis.can_manage_inbox = is_manager or (
                crisis._origin.user_id == self.env.user and not crisis._origin.is_closed
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if any(vals.get(name) for name in INBOX_LOCKED_FIELDS):
                self._crisis_check_inbox_locked()
            if vals.get("alias_name"):
                lead_id = vals.get(
                    "user_id", self.env.context.get("default_user_id", self.env.uid)
                )
                self._crisis_check_inbox_right(lead_id == self.env.uid)
        return super().create(vals_list)

    def write(self, vals):
        locked = vals.keys() & set(INBOX_LOCKED_FIELDS)
        if locked and not (
            locked == {"alias_id"} and self.env.context.get("crisis_inbox_alias") is INBOX_ALIAS
        ):
            self._crisis_check_inbox_locked()
        if vals.keys() & set(INBOX_FIELDS):
            self.check_access("write")
            self._crisis_check_inbox_right(
                all(crisis.user_id == self.env.user and not crisis.is_closed for crisis in self)
            )
            if vals.get("alias_name"):
                # the mixin creates the missing aliases and links them (alias_id)
                return super(
                    CrisisCrisis, self.with_context(crisis_inbox_alias=INBOX_ALIAS)
                ).write(vals)
        return super().write(vals)

    def _crisis_check_inbox_right(self, is_lead):
        """Only a Crisis Manager or the lead of the crisis sets its inbox.

        :raise AccessError: for anyone else (the superuser and the addon's
            own methods aside)
        """
        if (
            self._crisis_is_workflow()
            or is_lead
            or self.env.user.has_group("crisis_management.group_crisis_manager")
        ):
            return
        raise AccessError(
            self.env._(
                "Only a Crisis Manager or the crisis lead can set the inbox (email address) "
                "of a crisis."
            )
        )

    def _crisis_check_inbox_locked(self):
        if not self._crisis_is_workflow():
            raise AccessError(
                self.env._(
                    "The routing of a crisis inbox is set by the application: choose its "
                    "address only."
                )
            )

    # ------------------------------------------------------------------
    # Alias
    # ------------------------------------------------------------------

    def _alias_get_creation_values(self):
        """Emails to the alias make or reach affected customer lines of this crisis."""
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("crisis.impact")
        values["alias_contact"] = "everyone"
        if self.id:
            defaults = ast.literal_eval(self.alias_defaults or "{}")
            defaults["crisis_id"] = self.id
            values["alias_defaults"] = repr(defaults)
        return values

    def _crisis_inbox_suggested_name(self):
        """A free alias name made of the reference: ``crisis-cri-2026-0001``."""
        self.ensure_one()
        Alias = self.env["mail.alias"].sudo()
        reference = re.sub(r"[^0-9A-Za-z]+", "-", self.reference or "").strip("-")
        base = Alias._sanitize_alias_name(f"crisis-{reference}") or f"crisis-{self.id}"
        domain = self._alias_get_alias_domain_id()[self]
        name, suffix = base, 1
        while Alias.search_count(
            [("alias_name", "=", name), ("alias_domain_id", "=", domain.id)], limit=1
        ):
            suffix += 1
            name = f"{base}-{suffix}"
        return name

    def action_create_inbox(self):
        """Give the crisis its inbox, named after its reference (editable after)."""
        for crisis in self.filtered(lambda c: not c.alias_name):
            crisis.alias_name = crisis._crisis_inbox_suggested_name()
        return True

    def action_view_auto_replies(self):
        """The affected customers who answered with an automatic reply."""
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_impact_action",
            [("crisis_id", "=", self.id), ("auto_reply_count", ">", 0)],
            context={"default_crisis_id": self.id},
            name=self.env._("Automatic Replies of %s", self.reference),
        )

    def _alias_get_error(self, message, message_dict, alias):
        """A closed crisis takes no new customer: only the customers it has
        (their email lands on their line) and the staff (the crisis' chatter)
        still reach its inbox; the others get Odoo's bounce, with the text of
        ``mail.alias._get_alias_bounced_body_fallback``."""
        error = super()._alias_get_error(message, message_dict, alias)
        if error or len(self) != 1 or not self.sudo().is_closed:
            return error
        Impact = self.env["crisis.impact"].sudo()
        _customers, staff, line = Impact._crisis_inbox_sender(
            self.sudo(), message_dict.get("email_from")
        )
        if line or staff:
            return False
        return AliasError("crisis_closed", self.env._("the crisis is closed"))


class MailAlias(models.Model):
    _inherit = "mail.alias"

    def _get_alias_bounced_body_fallback(self, message_dict):
        """The answer to a new sender on a closed crisis: it is closed, and
        where to write instead (the company), rather than Odoo's "only some
        specific addresses are allowed"."""
        crisis = self.env["crisis.crisis"]
        if self.alias_parent_model_id.model == "crisis.crisis" and self.alias_parent_thread_id:
            crisis = crisis.sudo().browse(self.alias_parent_thread_id).exists()
        if not (crisis and crisis.is_closed):
            return super()._get_alias_bounced_body_fallback(message_dict)
        company = crisis.company_id
        contact = company.partner_id.email_formatted if company.email else company.name
        return Markup("<p>%(header)s<br/><br/>%(content)s<br/><br/>%(regards)s</p>") % {
            "header": self.env._("Dear Sender,"),
            "content": self.env._(
                "The incident %(title)s is closed: its address %(alias)s no longer takes new "
                "requests. If you still need help, please contact us at %(contact)s.",
                title=crisis.public_title or crisis.reference,
                alias=self.display_name,
                contact=contact,
            ),
            "regards": self.env._("Kind Regards"),
        }
