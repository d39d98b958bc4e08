from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crisis_sla_critical_hours = fields.Float(
        related="company_id.crisis_sla_critical_hours", readonly=False
    )
    crisis_sla_high_hours = fields.Float(
        related="company_id.crisis_sla_high_hours", readonly=False
    )
    crisis_sla_medium_hours = fields.Float(
        related="company_id.crisis_sla_medium_hours", readonly=False
    )
    crisis_sla_low_hours = fields.Float(related="company_id.crisis_sla_low_hours", readonly=False)
