"""Only the system writes the sales figures; the button answers over XML-RPC;
the customer's page names their orders."""

from datetime import timedelta
from xmlrpc.client import Fault

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import CrisisSaleCase

GUARD_MESSAGE = "cannot be set directly"


@tagged("post_install", "-at_install")
class TestSaleSecurity(HttpCase, CrisisSaleCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis,
            date_declared=cls.env.cr.now() - timedelta(days=10),
            public_title="Kettles recalled",
            public_statement="<p>Some kettles overheat: we replace them.</p>",
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Portal Buyer", "email": "buyer@example.com"}
        )
        cls.order = cls._order(cls.customer, 70.0, cls.env.cr.now() - timedelta(days=20))
        cls.impact = cls.env["crisis.impact"]._link_partners(cls.crisis, cls.customer.ids)
        cls.env["crisis.impact"]._crisis_link_details(
            cls.crisis,
            cls.customer.ids,
            {"mode": "ordered", "product_ids": cls.product.ids, "date_from": None},
        )

    def _call(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
        )

    def test_crisis_user_cannot_write_the_figures(self):
        crisis = self.crisis.with_user(self.user_crisis)
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            crisis.write({"retention_diff_points": 5.0})
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            crisis.write({"revenue_at_risk": 0.0, "retention_date": "2024-01-01 00:00:00"})
        impact = self.impact.with_user(self.user_crisis)
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            impact.write({"sale_churn_warning": True})
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            impact.write({"date_sale_churn_warning": False, "sale_usual_interval_days": 3})
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            impact.write({"sale_order_ids": [(5, 0, 0)]})
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            self.env["crisis.impact"].with_user(self.user_crisis).create(
                {
                    "crisis_id": self.crisis.id,
                    "partner_id": self.customers[0].id,
                    "sale_churn_warning": True,
                }
            )
        self.assertEqual(self.impact.sale_order_ids, self.order)

    def test_over_xmlrpc(self):
        user = self.user_crisis
        with self.assertRaisesRegex(Fault, GUARD_MESSAGE):
            self._call(user, "crisis.impact", "write", self.impact.ids, {"sale_churn_warning": 1})
        with self.assertRaisesRegex(Fault, GUARD_MESSAGE):
            self._call(user, "crisis.crisis", "write", self.crisis.ids, {"revenue_at_risk": 1})
        # the button: something XML-RPC can carry
        self.assertIs(
            self._call(user, "crisis.crisis", "action_refresh_retention", self.crisis.ids), True
        )
        self.assertEqual(self.crisis.retention_window_days, 10)

    def test_other_company_cannot_read_or_refresh(self):
        crisis = self.crisis.with_user(self.user_manager_2)
        with self.assertRaises(AccessError):
            crisis.action_refresh_retention()
        with self.assertRaises(AccessError):
            crisis.read(["retention_diff_points"])

    def test_orders_need_sales_rights(self):
        # a Crisis User without sales rights does not read the orders of a line
        with self.assertRaises(AccessError):
            self.impact.with_user(self.user_crisis_2).read(["sale_order_ids"])

    def test_customer_page_names_the_orders(self):
        response = self.url_open(self.impact.get_portal_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your orders concerned", response.text)
        self.assertIn(self.order.name, response.text)
