from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..models.crisis_impact import ORDERED


class CrisisImpactWizard(models.TransientModel):
    _inherit = "crisis.impact.wizard"

    selection_mode = fields.Selection(
        selection_add=[(ORDERED, "Customers who ordered products")],
        ondelete={ORDERED: "set default"},
    )
    ordered_product_ids = fields.Many2many(
        "product.product",
        string="Ordered Products",
        help="The customers of the confirmed sales orders of the crisis' company with one of "
        "these products are added; the orders are recorded on their lines.",
    )
    ordered_date_from = fields.Date(
        string="Ordered From", help="Orders of this day and later only (empty: any date)."
    )
    ordered_date_to = fields.Date(
        string="Ordered Until", help="Orders of this day and earlier only (empty: any date)."
    )

    @api.depends("ordered_product_ids", "ordered_date_from", "ordered_date_to", "crisis_id")
    def _compute_match_count(self):
        return super()._compute_match_count()

    def _selected_domain(self):
        self.ensure_one()
        if self.selection_mode != ORDERED:
            return super()._selected_domain()
        if not self.ordered_product_ids or not self.crisis_id:
            return None
        details = self._crisis_selection_details()
        self.env["crisis.impact"]._crisis_check_order_period(details)
        Order = self.env["sale.order"]
        Order.flush_model(["partner_id", "state", "company_id", "date_order"])
        self.env["sale.order.line"].flush_model(["order_id", "product_id"])
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT so.partner_id FROM sale_order so WHERE %s",
                self.env["crisis.impact"]._crisis_ordered_condition(self.crisis_id, details),
            )
        )
        partner_ids = [row[0] for row in self.env.cr.fetchall()]
        if not partner_ids:
            raise UserError(
                self.env._(
                    "No confirmed order of %(products)s in the period: nobody to add.",
                    products=", ".join(self.ordered_product_ids.mapped("display_name")),
                )
            )
        return [("id", "in", partner_ids)]

    def _crisis_selection_details(self):
        self.ensure_one()
        if self.selection_mode != ORDERED:
            return super()._crisis_selection_details()
        return {
            "mode": ORDERED,
            "product_ids": self.ordered_product_ids.ids,
            "date_from": fields.Date.to_string(self.ordered_date_from) or None,
            "date_to": fields.Date.to_string(self.ordered_date_to) or None,
            # the period's days are the user's days
            "tz": self.env.user.tz or "UTC",
        }

    def _partner_domains(self):
        self.ensure_one()
        if self.selection_mode == ORDERED and not self.ordered_product_ids:
            raise UserError(self.env._("Choose at least one ordered product."))
        return super()._partner_domains()
