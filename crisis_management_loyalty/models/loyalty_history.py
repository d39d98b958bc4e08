from odoo import models


class LoyaltyHistory(models.Model):
    _inherit = "loyalty.history"

    def _get_order_portal_url(self):
        """The line of a compensation links the customer's crisis page."""
        if self.order_model == "crisis.compensation" and self.order_id:
            # sudo: Odoo's portal shows the history of a card to its customer only
            compensation = self.env["crisis.compensation"].sudo().browse(self.order_id).exists()
            if (
                compensation
                and not compensation.is_drill
                and compensation.partner_id == self.card_id.partner_id
            ):
                return compensation.impact_id.get_portal_url(anchor="crisis_compensations")
        return super()._get_order_portal_url()
