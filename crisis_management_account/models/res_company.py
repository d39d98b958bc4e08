from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    crisis_credit_note_product_id = fields.Many2one(
        "product.product",
        string="Credit Note Product",
        check_company=True,
        domain="[('sale_ok', '=', True)]",
        help="The product of the credit note lines made for refund and credit compensations: "
        "its income account and customer taxes (mapped by the customer's fiscal position) are "
        "used. Empty: the income account below.",
    )
    crisis_credit_note_account_id = fields.Many2one(
        "account.account",
        string="Credit Note Income Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other')), ('deprecated', '=', False)]",
        help="Used without a credit note product, with its default taxes. Empty: the default "
        "account of the journal.",
    )
    crisis_credit_note_journal_id = fields.Many2one(
        "account.journal",
        string="Credit Note Journal",
        check_company=True,
        domain="[('type', '=', 'sale')]",
        help="The sales journal of the credit notes. Empty: the company's first sales journal.",
    )
    crisis_credit_note_post = fields.Boolean(
        string="Post Credit Notes at Once",
        help="Delivering a refund or credit compensation posts its credit note, and the "
        "compensation is delivered. Otherwise the credit note stays a draft: the compensation "
        "is delivered when an accountant posts it.",
    )
    crisis_credit_note_group_by_customer = fields.Boolean(
        string="One Credit Note per Customer",
        help="When many compensations are delivered at once, those of the same customer and "
        "currency share one credit note, a line for each.",
    )
    crisis_credit_note_background_threshold = fields.Integer(
        string="Make Credit Notes in the Background Above",
        default=100,
        help="Delivering more refund and credit compensations than this at once makes their "
        "credit notes in the background, in batches; fewer at once.",
    )

    @api.constrains(
        "crisis_credit_note_product_id",
        "crisis_credit_note_account_id",
        "crisis_credit_note_journal_id",
    )
    def _check_crisis_credit_note_settings(self):
        """The credit note settings of a company are its own records (or
        shared ones): another company's journal would make every delivery of
        this one fail. Checked at the model layer, whoever writes them."""
        self._check_company(
            [
                "crisis_credit_note_product_id",
                "crisis_credit_note_account_id",
                "crisis_credit_note_journal_id",
            ]
        )
        for company in self.sudo():
            journal = company.crisis_credit_note_journal_id
            if journal and journal.type != "sale":
                raise ValidationError(
                    self.env._(
                        "%(journal)s is not a sales journal: credit notes to customers are "
                        "made in a sales journal.",
                        journal=journal.display_name,
                    )
                )
            account = company.crisis_credit_note_account_id
            if account and (
                account.deprecated or account.account_type not in ("income", "income_other")
            ):
                raise ValidationError(
                    self.env._(
                        "%(account)s is not an income account in use: the credit note lines "
                        "are booked on an income account.",
                        account=account.display_name,
                    )
                )
