from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.crisis_impact import RECEIVED


class CrisisImpactWizard(models.TransientModel):
    """*Add Affected Customers* from what they received: the customers of
    the done deliveries of some products or lots (dropshipping included),
    less what they returned before the crisis began."""

    _inherit = "crisis.impact.wizard"

    selection_mode = fields.Selection(
        selection_add=[(RECEIVED, "Customers who received products or lots")],
        ondelete={RECEIVED: "set default"},
    )
    received_product_ids = fields.Many2many(
        "product.product",
        "crisis_impact_wizard_received_product_rel",
        string="Products",
        domain="[('type', '=', 'consu')]",
        help="The customers who received any of these products (of the lots below, when "
        "some are chosen).",
    )
    received_lot_ids = fields.Many2many(
        "stock.lot",
        "crisis_impact_wizard_received_lot_rel",
        string="Lots/Serial Numbers",
        domain="[('product_id', 'in', received_product_ids)] if received_product_ids else []",
        help="The customers who received units of these lots or serial numbers.",
    )
    received_date_from = fields.Date(string="Delivered From")
    received_date_to = fields.Date(string="Delivered Until")

    # the core's dependencies and those of this selection
    @api.depends(
        "selection_mode",
        "partner_domain",
        "category_ids",
        "partner_ids",
        "received_product_ids",
        "received_lot_ids",
        "received_date_from",
        "received_date_to",
    )
    def _compute_match_count(self):
        return super()._compute_match_count()

    def _crisis_selection_details(self):
        self.ensure_one()
        if self.selection_mode != RECEIVED:
            return super()._crisis_selection_details()
        return {
            "mode": RECEIVED,
            "product_ids": self.received_product_ids.ids,
            "lot_ids": self.received_lot_ids.ids,
            "date_from": fields.Date.to_string(self.received_date_from),
            "date_to": fields.Date.to_string(self.received_date_to),
        }

    def _selected_domain(self):
        self.ensure_one()
        if self.selection_mode != RECEIVED:
            return super()._selected_domain()
        if not self.crisis_id or not (self.received_product_ids or self.received_lot_ids):
            return None
        if (
            self.received_date_from
            and self.received_date_to
            and self.received_date_from > self.received_date_to
        ):
            raise UserError(self.env._("The delivery period ends before it starts."))
        partner_ids = self.env["crisis.impact.receipt"]._crisis_received_partner_ids(
            self.crisis_id, self._crisis_selection_details()
        )
        if not partner_ids:
            raise UserError(self._crisis_nothing_received_message())
        return [("id", "in", partner_ids)]

    def _crisis_nothing_received_message(self):
        goods = ", ".join(
            (self.received_lot_ids or self.received_product_ids).mapped("display_name")
        )
        if self.received_lot_ids:
            return self.env._(
                "No customer of %(company)s still had units of %(goods)s when the crisis began: "
                "no done delivery to a customer in the period, or every unit was returned "
                "before. Nobody to add.",
                company=self.crisis_id.company_id.name,
                goods=goods,
            )
        return self.env._(
            "No customer of %(company)s still had %(goods)s when the crisis began: no done "
            "delivery to a customer in the period, or every unit was returned before. Nobody "
            "to add.",
            company=self.crisis_id.company_id.name,
            goods=goods,
        )

    def _partner_domains(self):
        if (
            self.selection_mode == RECEIVED
            and not self.received_product_ids
            and not self.received_lot_ids
        ):
            raise UserError(self.env._("Choose at least one product or lot."))
        return super()._partner_domains()
