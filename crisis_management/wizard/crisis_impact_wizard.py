from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.crisis_type import SEVERITIES


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
    partner_domain = fields.Char(
        string="Filter",
        default="[]",
        help="Every contact matching this filter is added to the crisis.",
    )
    category_ids = fields.Many2many("res.partner.category", string="Contact Tags")
    partner_ids = fields.Many2many("res.partner", string="Customers")
    impact_level = fields.Selection(SEVERITIES, string="Impact", required=True, default="medium")
    is_priority = fields.Boolean(string="Priority Customers")
    user_id = fields.Many2one(
        "res.users", string="Agent", domain="[('share', '=', False)]", check_company=True
    )
    match_count = fields.Integer(string="Matching Contacts", compute="_compute_match_count")
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
        for wizard in self:
            wizard.filter_error = False
            try:
                domain = wizard._partner_domain()
            except UserError as error:
                wizard.match_count = 0
                if wizard.selection_mode == "domain":
                    wizard.filter_error = error.args[0]
                continue
            wizard.match_count = self.env["res.partner"].search_count(domain)

    def _partner_domain(self):
        self.ensure_one()
        if self.selection_mode == "tags":
            if not self.category_ids:
                raise UserError(self.env._("Choose at least one contact tag."))
            return [("category_id", "in", self.category_ids.ids)]
        if self.selection_mode == "partners":
            return [("id", "in", self.partner_ids.ids)]
        return self._crisis_parse_domain(self.partner_domain, "res.partner")

    def action_add(self):
        self.ensure_one()
        crisis = self.crisis_id
        domain = self._partner_domain()
        total = self.env["res.partner"].search_count(domain)
        if not total:
            raise UserError(self.env._("No contact matches: nobody was added."))
        if total > crisis.company_id.crisis_add_background_threshold:
            return self._crisis_add_in_background(domain, total)
        partner_ids = list(self.env["res.partner"]._search(domain))
        # _link_partners refuses customers and an agent of another company
        added = self.env["crisis.impact"]._link_partners(
            crisis,
            partner_ids,
            impact_level=self.impact_level,
            is_priority=self.is_priority,
            user=self.user_id,
        )
        message = self.env._(
            "%(added)s affected customers added, %(skipped)s already linked and skipped.",
            added=len(added),
            skipped=len(partner_ids) - len(added),
        )
        crisis.message_post(body=message)
        return self._crisis_notification(message, "success" if added else "warning")

    def _crisis_add_in_background(self, domain, total):
        """Queue the adding of ``total`` contacts; the crisis shows its progress."""
        crisis = self.crisis_id
        crisis.check_access("write")
        # what _link_partners refuses, said now rather than by the job
        self.env["crisis.impact"]._crisis_check_link_companies(
            crisis, [], self.user_id, domain=domain
        )
        self.env["crisis.impact.job"]._crisis_queue(
            crisis, domain, total, self.impact_level, self.is_priority, self.user_id
        )
        message = self.env._(
            "%(count)s contacts match: they are being added in the background. The crisis "
            "shows the progress, and its chatter says when they are all added.",
            count=total,
        )
        return self._crisis_notification(message, "info")

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
