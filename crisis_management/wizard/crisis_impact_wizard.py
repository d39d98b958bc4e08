from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..models.crisis_type import SEVERITIES

# the matching contacts shown in the wizard before adding them
FIRST_MATCHES = 10


class CrisisImpactWizard(models.TransientModel):
    _name = "crisis.impact.wizard"
    _inherit = ["crisis.domain.mixin"]
    _description = "Add Affected Customers"

    crisis_id = fields.Many2one("crisis.crisis", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="crisis_id.company_id")
    selection_mode = fields.Selection(
        [
            ("domain", "Customers matching a filter"),
            ("tags", "Customers with tags"),
            ("partners", "Selected customers"),
        ],
        string="Add",
        required=True,
        default="domain",
    )
    # empty at first: an empty filter matches nobody (Odoo's "[]" would match
    # every contact, staff included, at the first click)
    partner_domain = fields.Char(
        string="Filter",
        help="Every contact matching this filter is added to the crisis. An empty filter "
        "matches nobody: add a rule to choose the contacts.",
    )
    category_ids = fields.Many2many("res.partner.category", string="Contact Tags")
    partner_ids = fields.Many2many("res.partner", string="Customers")
    impact_level = fields.Selection(SEVERITIES, string="Impact", required=True, default="medium")
    is_priority = fields.Boolean(string="Priority Customers")
    user_id = fields.Many2one(
        "res.users", string="Agent", domain="[('share', '=', False)]", check_company=True
    )
    match_count = fields.Integer(string="Matching Contacts", compute="_compute_match_count")
    excluded_count = fields.Integer(
        string="Staff Left Out",
        compute="_compute_match_count",
        help="Contacts matching that are your own staff (internal users) or companies: "
        "they are never affected customers.",
    )
    match_partner_ids = fields.Many2many(
        "res.partner",
        string="First Matches",
        compute="_compute_match_count",
        help="The first contacts that will be added.",
    )
    filter_empty = fields.Boolean(compute="_compute_match_count")
    filter_error = fields.Char(compute="_compute_match_count")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        # "Add to crisis..." from a selection in Contacts
        if context.get("active_model") == "res.partner" and context.get("active_ids"):
            values["selection_mode"] = "partners"
            values["partner_ids"] = [fields.Command.set(context["active_ids"])]
        return values

    @api.depends("selection_mode", "partner_domain", "category_ids", "partner_ids")
    def _compute_match_count(self):
        Partner = self.env["res.partner"]
        staff_ids = self.env["crisis.impact"]._crisis_staff_partners().ids
        for wizard in self:
            wizard.update(
                {
                    "match_count": 0,
                    "excluded_count": 0,
                    "match_partner_ids": False,
                    "filter_empty": False,
                    "filter_error": False,
                }
            )
            try:
                domain = wizard._selected_domain()
            except UserError as error:
                wizard.filter_error = error.args[0]
                continue
            if domain is None:
                wizard.filter_empty = wizard.selection_mode == "domain"
                continue
            matches, staff_matches = self._split_staff(domain, staff_ids)
            wizard.match_count = Partner.search_count(matches)
            wizard.excluded_count = Partner.search_count(staff_matches)
            wizard.match_partner_ids = Partner.search(matches, limit=FIRST_MATCHES)

    def _selected_domain(self):
        """The contacts chosen, staff included; None when nothing is chosen yet.

        :raise UserError: the filter is not valid
        """
        self.ensure_one()
        if self.selection_mode == "tags":
            return [("category_id", "in", self.category_ids.ids)] if self.category_ids else None
        if self.selection_mode == "partners":
            return [("id", "in", self.partner_ids.ids)] if self.partner_ids else None
        domain = self._crisis_parse_domain(self.partner_domain, "res.partner")
        # no rule (an empty filter, or all its rules removed): nobody, not everybody
        return domain or None

    def _crisis_selection_details(self):
        """What the selection tells about each customer beyond who they are
        (what they received, what they ordered), recorded on their lines by
        ``crisis.impact._crisis_link_details`` once they are linked: a
        JSON-able dict, empty for the contact selections of the core."""
        self.ensure_one()
        return {}

    def _partner_domains(self):
        """The contacts to add (those chosen, without our staff and companies),
        and our staff and companies among those chosen.

        :raise UserError: nothing chosen yet, or the filter is not valid
        """
        self.ensure_one()
        domain = self._selected_domain()
        if domain is None:
            if self.selection_mode == "tags":
                raise UserError(self.env._("Choose at least one contact tag."))
            if self.selection_mode == "partners":
                raise UserError(self.env._("Select at least one customer."))
            raise UserError(
                self.env._(
                    "The filter is empty: it matches nobody. Add a rule to choose the contacts."
                )
            )
        return self._split_staff(domain, self.env["crisis.impact"]._crisis_staff_partners().ids)

    @api.model
    def _split_staff(self, domain, staff_ids):
        """(the contacts of ``domain`` but our staff and companies, those of them)"""
        return (
            expression.AND([domain, [("id", "not in", staff_ids)]]),
            expression.AND([domain, [("id", "in", staff_ids)]]),
        )

    def action_add(self):
        self.ensure_one()
        crisis = self.crisis_id
        domain, staff_domain = self._partner_domains()
        total = self.env["res.partner"].search_count(domain)
        excluded = self.env["res.partner"].search_count(staff_domain)
        if not total:
            if excluded:
                raise UserError(
                    self.env._(
                        "Only your own staff or companies match (%(count)s): they are never "
                        "affected customers. Nobody was added.",
                        count=excluded,
                    )
                )
            raise UserError(self.env._("No contact matches: nobody was added."))
        if total > crisis.company_id.crisis_add_background_threshold:
            return self._crisis_add_in_background(domain, total, excluded)
        partner_ids = list(self.env["res.partner"]._search(domain))
        # _link_partners refuses customers and an agent of another company
        added = self.env["crisis.impact"]._link_partners(
            crisis,
            partner_ids,
            impact_level=self.impact_level,
            is_priority=self.is_priority,
            user=self.user_id,
        )
        details = self._crisis_selection_details()
        if details:
            self.env["crisis.impact"]._crisis_link_details(crisis, partner_ids, details)
        message = self.env._(
            "%(added)s affected customers added, %(skipped)s already linked and skipped.",
            added=len(added),
            skipped=len(partner_ids) - len(added),
        )
        if excluded:
            message += " " + self._excluded_message(excluded)
        crisis.message_post(body=message)
        return self._crisis_notification(message, "success" if added else "warning")

    def _crisis_add_in_background(self, domain, total, excluded=0):
        """Queue the adding of ``total`` contacts; the crisis shows its progress."""
        crisis = self.crisis_id
        crisis.check_access("write")
        # what _link_partners refuses, said now rather than by the job
        self.env["crisis.impact"]._crisis_check_link_companies(
            crisis, [], self.user_id, domain=domain
        )
        self.env["crisis.impact.job"]._crisis_queue(
            crisis,
            domain,
            total,
            self.impact_level,
            self.is_priority,
            self.user_id,
            details=self._crisis_selection_details(),
        )
        message = self.env._(
            "%(count)s contacts match: they are being added in the background. The crisis "
            "shows the progress, and its chatter says when they are all added.",
            count=total,
        )
        if excluded:
            message += " " + self._excluded_message(excluded)
        return self._crisis_notification(message, "info")

    def _excluded_message(self, count):
        return self.env._("%(count)s of your staff or companies left out.", count=count)

    def _crisis_notification(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Affected customers"),
                "message": message,
                "type": kind,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
