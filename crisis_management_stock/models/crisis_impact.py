from odoo import api, fields, models

RECEIVED = "received"


class CrisisImpact(models.Model):
    _inherit = "crisis.impact"

    receipt_ids = fields.One2many(
        "crisis.impact.receipt",
        "impact_id",
        string="Received Goods",
        readonly=True,
        help="What the customer received that the crisis is about (products, lots or "
        "serial numbers, deliveries), recorded when they were added from their deliveries.",
    )
    receipt_count = fields.Integer(compute="_compute_receipt_count")

    @api.depends("receipt_ids")
    def _compute_receipt_count(self):
        counts = dict(
            self.env["crisis.impact.receipt"]._read_group(
                [("impact_id", "in", self.ids)], ["impact_id"], ["__count"]
            )
        )
        for impact in self:
            impact.receipt_count = counts.get(impact, 0)

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded["receipt_ids"] = True
        return guarded

    @api.model
    def _crisis_link_details(self, crisis, partner_ids, details):
        if details.get("mode") == RECEIVED:
            self.env["crisis.impact.receipt"]._crisis_record(crisis, partner_ids, details)
        return super()._crisis_link_details(crisis, partner_ids, details)

    def _crisis_received_lines(self):
        """What the customer of this line received, as the customer's page
        says it: a dict per delivery and lot (``self`` is sudo)."""
        self.ensure_one()
        return [
            {
                "product": receipt.product_id.with_context(lang=self.env.lang).display_name,
                "lot": receipt.lot_id.name or "",
                "quantity": receipt.quantity,
                "uom": receipt.uom_id.with_context(lang=self.env.lang).name or "",
                "order": receipt.origin or "",
                "delivery": receipt.picking_id.name or "",
                "date": receipt.date_done,
            }
            for receipt in self.receipt_ids
        ]
