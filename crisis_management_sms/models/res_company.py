from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    crisis_stage_sms = fields.Boolean(
        string="Stage Notices by SMS Too",
        help="The notices sent to the affected customers when a crisis enters a stage with an "
        "email template are also sent by SMS (the SMS template of the same kind of update), "
        "to the customers with a mobile number.",
    )
