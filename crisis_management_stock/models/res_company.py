from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    crisis_replacement_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Replacement Warehouse",
        check_company=True,
        help="The warehouse that ships replacement compensations (its delivery operation "
        "type) and receives the affected units back. Empty: the company's first warehouse.",
    )
    crisis_replacement_return = fields.Boolean(
        string="Return the Affected Units",
        default=True,
        help="Delivering a replacement also makes the return of the units the customer "
        "received (Odoo's return of their deliveries), by default. Each compensation may "
        "say otherwise.",
    )
