from odoo import fields, models


class CrisisConfigSettings(models.TransientModel):
    _inherit = "crisis.config.settings"

    crisis_retention_days = fields.Integer(
        related="company_id.crisis_retention_days",
        readonly=False,
        string="Compare revenue over (days)",
    )
