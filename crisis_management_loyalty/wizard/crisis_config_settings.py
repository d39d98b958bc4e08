from odoo import fields, models


class CrisisConfigSettings(models.TransientModel):
    _inherit = "crisis.config.settings"

    crisis_voucher_loyalty = fields.Boolean(
        related="company_id.crisis_voucher_loyalty",
        readonly=False,
        string="Issue gift cards for vouchers",
    )
    crisis_voucher_program_id = fields.Many2one(
        related="company_id.crisis_voucher_program_id",
        readonly=False,
        string="Gift card or eWallet program",
        domain="[('program_type', 'in', ('gift_card', 'ewallet')), "
        "('company_id', 'in', (company_id, False))]",
    )
    crisis_voucher_validity_days = fields.Integer(
        related="company_id.crisis_voucher_validity_days",
        readonly=False,
        string="Gift cards valid for (days)",
    )
    crisis_voucher_background_threshold = fields.Integer(
        related="company_id.crisis_voucher_background_threshold",
        readonly=False,
        string="Deliver in the background above (compensations)",
    )
