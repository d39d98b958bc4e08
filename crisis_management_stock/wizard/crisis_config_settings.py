from odoo import fields, models


class CrisisConfigSettings(models.TransientModel):
    _inherit = "crisis.config.settings"

    crisis_replacement_warehouse_id = fields.Many2one(
        related="company_id.crisis_replacement_warehouse_id", readonly=False
    )
    crisis_replacement_return = fields.Boolean(
        related="company_id.crisis_replacement_return", readonly=False
    )
