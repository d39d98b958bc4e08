from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    crisis_review_required_severity = fields.Selection(
        [
            ("none", "Never"),
            ("low", "Every crisis"),
            ("medium", "Medium, high and critical crises"),
            ("high", "High and critical crises"),
            ("critical", "Critical crises"),
        ],
        string="Approved Review Required to Close",
        default="high",
        required=True,
        help="Closing a crisis of this severity or above needs an approved post-incident "
        "review. Drills never need one.",
    )
