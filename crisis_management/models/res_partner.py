from odoo import api, fields, models
from odoo.exceptions import UserError

from .crisis_compensation import COMMITTED_STATES


class ResPartner(models.Model):
    _inherit = "res.partner"

    crisis_impact_ids = fields.One2many(
        "crisis.impact",
        "partner_id",
        string="Crisis Impacts",
        groups="crisis_management.group_crisis_user",
    )
    crisis_count = fields.Integer(
        compute="_compute_crisis_counts",
        string="Crises",
        groups="crisis_management.group_crisis_user",
    )
    crisis_open_count = fields.Integer(
        compute="_compute_crisis_counts",
        string="Open Crises",
        groups="crisis_management.group_crisis_user",
    )
    crisis_compensation_total = fields.Monetary(
        compute="_compute_crisis_compensation_total",
        currency_field="crisis_currency_id",
        string="Crisis Compensations",
        groups="crisis_management.group_crisis_user",
        help="Approved and delivered compensations of this company, in its currency.",
    )
    crisis_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_crisis_compensation_total",
        groups="crisis_management.group_crisis_user",
    )
    in_open_crisis = fields.Boolean(
        compute="_compute_crisis_counts",
        search="_search_in_open_crisis",
        string="In an Open Crisis",
        groups="crisis_management.group_crisis_user",
        help="Affected by a crisis that is not resolved yet.",
    )

    @api.depends("crisis_impact_ids")
    def _compute_crisis_counts(self):
        groups = self.env["crisis.impact"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id", "crisis_id"], ["__count"]
        )
        total = dict.fromkeys(self.ids, 0)
        open_ = dict.fromkeys(self.ids, 0)
        for partner, crisis, count in groups:
            total[partner.id] += count
            if not crisis.is_resolved:
                open_[partner.id] += count
        for partner in self:
            partner.crisis_count = total.get(partner.id, 0)
            partner.crisis_open_count = open_.get(partner.id, 0)
            partner.in_open_crisis = bool(partner.crisis_open_count)

    def _compute_crisis_compensation_total(self):
        Compensation = self.env["crisis.compensation"]
        totals = Compensation._read_group(
            [
                ("partner_id", "in", self.ids),
                ("company_id", "=", self.env.company.id),
                ("state", "in", COMMITTED_STATES),
            ],
            ["partner_id"],
            ["amount_company:sum"],
        )
        totals = {partner.id: total for partner, total in totals}
        for partner in self:
            partner.crisis_compensation_total = totals.get(partner.id, 0.0)
            partner.crisis_currency_id = self.env.company.currency_id

    def action_view_crisis_compensations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management.crisis_compensation_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {}
        return action

    def _search_in_open_crisis(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on open crises."))
        impacts = self.env["crisis.impact"]._search(
            [("crisis_id.stage_id.is_resolved", "=", False)]
        )
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", impacts.subselect("partner_id"))]

    def action_view_crisis_impacts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management.crisis_impact_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    def signup_prepare(self, signup_type="signup"):
        """Odoo's portal writes the signup type on a customer each time it
        emails them a link to their page, even when they have it already:
        those are not written again (a notice to 100,000 customers wrote each
        of them, one write per email)."""
        todo = self.filtered(lambda partner: partner.sudo().signup_type != signup_type)
        if todo:
            return super(ResPartner, todo).signup_prepare(signup_type=signup_type)
        return True
