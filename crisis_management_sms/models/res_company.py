from odoo import fields, models

from .crisis_update import CHANNELS


class ResCompany(models.Model):
    _inherit = "res.company"

    crisis_stage_sms = fields.Boolean(
        string="Stage Notices by SMS Too",
        help="The notices sent to the affected customers when a crisis enters a stage with an "
        "email template are also sent by SMS (the SMS template of the same kind of update), "
        "to the customers with a mobile number.",
    )
    crisis_update_channel = fields.Selection(
        CHANNELS,
        string="Customer Updates By",
        required=True,
        default="email",
        help="How the notify wizard sends the customer updates of this company's crises by "
        "default (the update cadence): email, SMS, both, or SMS to the customers without a "
        "valid email address. Each sending can still change it.",
    )
