from odoo import fields, models


class CrisisConfigSettings(models.TransientModel):
    _inherit = "crisis.config.settings"

    crisis_stage_sms = fields.Boolean(related="company_id.crisis_stage_sms", readonly=False)
    crisis_update_channel = fields.Selection(
        related="company_id.crisis_update_channel", readonly=False, required=True
    )
