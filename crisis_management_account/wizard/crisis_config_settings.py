from odoo import fields, models


class CrisisConfigSettings(models.TransientModel):
    _inherit = "crisis.config.settings"

    crisis_credit_note_product_id = fields.Many2one(
        related="company_id.crisis_credit_note_product_id", readonly=False
    )
    crisis_credit_note_account_id = fields.Many2one(
        related="company_id.crisis_credit_note_account_id", readonly=False
    )
    crisis_credit_note_journal_id = fields.Many2one(
        related="company_id.crisis_credit_note_journal_id", readonly=False
    )
    crisis_credit_note_post = fields.Boolean(
        related="company_id.crisis_credit_note_post", readonly=False
    )
    crisis_credit_note_group_by_customer = fields.Boolean(
        related="company_id.crisis_credit_note_group_by_customer", readonly=False
    )
    crisis_credit_note_background_threshold = fields.Integer(
        related="company_id.crisis_credit_note_background_threshold", readonly=False
    )
