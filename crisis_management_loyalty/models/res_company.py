from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# the longest validity of the gift cards issued for compensations: ten years
MAX_VALIDITY_DAYS = 3650


class ResCompany(models.Model):
    _inherit = "res.company"

    crisis_voucher_loyalty = fields.Boolean(
        string="Vouchers as Gift Cards or eWallet Credit",
        help="Delivering an approved voucher compensation with an amount issues a gift card "
        "(or credits the customer's eWallet) of the chosen program, and emails its code to "
        "the customer. Off: delivering a voucher only marks it delivered.",
    )
    crisis_voucher_program_id = fields.Many2one(
        "loyalty.program",
        string="Voucher Program",
        domain="[('program_type', 'in', ('gift_card', 'ewallet')), "
        "('company_id', 'in', (id, False))]",
        help="The gift card or eWallet program of the cards issued for voucher compensations "
        "(of this company, or shared by all companies).",
    )
    crisis_voucher_validity_days = fields.Integer(
        string="Gift Card Validity (days)",
        default=365,
        help="Gift cards issued for voucher compensations expire this many days after their "
        "issue; 0: they never expire. eWallet credit never expires.",
    )
    crisis_voucher_background_threshold = fields.Integer(
        string="Deliver in the Background Above",
        default=200,
        help="Bulk deliveries of more compensations than this run in the background, in "
        "batches, on Odoo's scheduler; smaller ones at once.",
    )

    @api.constrains("crisis_voucher_program_id")
    def _check_crisis_voucher_program_id(self):
        for company in self:
            program = company.sudo().crisis_voucher_program_id
            if not program:
                continue
            if program.program_type not in ("gift_card", "ewallet"):
                raise ValidationError(
                    self.env._(
                        "%(program)s is not a gift card or eWallet program: voucher "
                        "compensations cannot be issued with it.",
                        program=program.display_name,
                    )
                )
            if program.company_id and program.company_id != company:
                raise ValidationError(
                    self.env._(
                        "%(program)s belongs to %(other)s: %(company)s issues its vouchers "
                        "with a program of its own or shared by all companies.",
                        program=program.display_name,
                        other=program.company_id.name,
                        company=company.name,
                    )
                )

    @api.constrains("crisis_voucher_validity_days", "crisis_voucher_background_threshold")
    def _check_crisis_voucher_numbers(self):
        for company in self:
            if not 0 <= company.crisis_voucher_validity_days <= MAX_VALIDITY_DAYS:
                raise ValidationError(
                    self.env._(
                        "The validity of the gift cards is between 0 (no expiry) and "
                        "%(max)s days.",
                        max=MAX_VALIDITY_DAYS,
                    )
                )
            if company.crisis_voucher_background_threshold < 0:
                raise ValidationError(
                    self.env._(
                        "The numbers of compensations delivered at once cannot be negative."
                    )
                )

    def _crisis_voucher_program(self):
        """{company: the active program of its voucher cards}, or a ``UserError``
        telling where a Crisis Manager chooses it."""
        programs = {}
        for company in self:
            program = company.sudo().crisis_voucher_program_id
            if not (
                program.active
                and program.program_type in ("gift_card", "ewallet")
                and (not program.company_id or program.company_id == company)
            ):
                raise UserError(
                    self.env._(
                        "%(company)s issues its voucher compensations as gift cards or eWallet "
                        "credit, but has no active gift card or eWallet program for them. A "
                        "Crisis Manager chooses one in Crisis Management > Configuration > "
                        "Settings, under Compensation.",
                        company=company.name,
                    )
                )
            programs[company] = program
        return programs
