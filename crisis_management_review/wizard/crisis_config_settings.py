from odoo import fields, models


class CrisisConfigSettings(models.TransientModel):
    _inherit = "crisis.config.settings"

    crisis_review_required_severity = fields.Selection(
        related="company_id.crisis_review_required_severity",
        readonly=False,
        string="Approved review required to close",
        help="Closing a crisis of this severity or above needs an approved post-incident "
        "review. Drills never need one.",
    )
