from datetime import datetime, timedelta

from odoo import Command

from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.sale.tests.common import SaleCommon

# the moment the tests of figures are frozen at
NOW = datetime(2024, 6, 1, 12, 0, 0)
# a euro is worth half a dollar (company currency): 1 USD = 2 EUR
EUR_PER_USD = 2.0


class CrisisSaleCase(SaleCommon, CrisisCase):
    """Odoo's sales test base (products, a sales team, the main company in
    USD) with the crisis users of ``CrisisCase`` and its second company, a
    euro pricelist and a helper making confirmed orders."""

    @classmethod
    def default_env_context(cls):
        # tracking on: followers, messages and activities are behaviour too
        return {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2020-01-01", EUR_PER_USD)])
        cls.pricelist_eur = cls.env["product.pricelist"].create(
            {"name": "Euro prices", "currency_id": cls.eur.id}
        )
        cls.pricelist_2 = cls.env["product.pricelist"].create(
            {"name": "Prices of company two", "company_id": cls.company_2.id}
        )
        # a salesperson of the sales team, to read the orders on the lines
        cls.user_crisis.groups_id += cls.env.ref("sales_team.group_sale_salesman")

    @classmethod
    def _order(
        cls,
        partner,
        amount,
        date,
        product=None,
        company=None,
        pricelist=None,
        state="sale",
    ):
        """An order of ``partner`` of one line of ``amount`` (in the
        pricelist's currency, no tax), dated ``date``, in ``state``."""
        company = company or cls.company
        if not pricelist:
            pricelist = cls.pricelist_2 if company == cls.company_2 else cls.pricelist
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "pricelist_id": (
                        pricelist
                        or (cls.pricelist_2 if company == cls.company_2 else cls.pricelist)
                    ).id,
                    "date_order": date,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": (product or cls.product).id,
                                "product_uom_qty": 1.0,
                                "price_unit": amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        if state != "draft":
            order.write({"state": state, "date_order": date})
        return order

    @staticmethod
    def _days(moment, days):
        return moment + timedelta(days=days)
