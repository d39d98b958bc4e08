"""Add Affected Customers: the customers who ordered given products."""

from datetime import date, datetime

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import CrisisSaleCase


@tagged("post_install", "-at_install")
class TestOrderedSelection(CrisisSaleCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.kettle = cls._create_product(name="Kettle K2")
        cls.toaster = cls._create_product(name="Toaster T1")
        cls.buyer_a, cls.buyer_b, cls.toaster_buyer, cls.draft_buyer, cls.old_buyer = (
            Partner.create([{"name": name} for name in ("Ann", "Bob", "Toby", "Dora", "Olaf")])
        )
        may = datetime(2024, 5, 10, 9, 0)
        # Ann: two kettles (one in euros, confirmed as a user does) and a toaster
        cls.order_a1 = cls._order(
            cls.buyer_a, 50.0, may, cls.kettle, pricelist=cls.pricelist_eur, state="draft"
        )
        cls.order_a1.action_confirm()
        cls.order_a1.date_order = may
        cls.order_a2 = cls._order(cls.buyer_a, 30.0, datetime(2024, 5, 20), cls.kettle)
        cls.order_a3 = cls._order(cls.buyer_a, 10.0, datetime(2024, 5, 21), cls.toaster)
        cls.order_b = cls._order(cls.buyer_b, 30.0, datetime(2024, 5, 2), cls.kettle)
        cls._order(cls.toaster_buyer, 30.0, may, cls.toaster)
        cls._order(cls.draft_buyer, 30.0, may, cls.kettle, state="draft")
        cls._order(cls.old_buyer, 30.0, datetime(2023, 1, 5), cls.kettle)
        # the same customers ordered from the other company: not its crisis
        cls.other_buyer = Partner.create({"name": "Otto"})
        cls._order(cls.other_buyer, 30.0, may, cls.kettle, company=cls.company_2)
        # an employee bought a kettle too: staff are never affected customers
        cls._order(cls.user_internal.partner_id, 30.0, may, cls.kettle)
        cls.crisis = cls._create_crisis(user=cls.user_crisis)

    def _wizard(self, products, date_from=None, date_to=None, crisis=None):
        form = Form(
            self.env["crisis.impact.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=(crisis or self.crisis).id)
        )
        form.selection_mode = "ordered"
        for product in products:
            form.ordered_product_ids.add(product)
        form.ordered_date_from = date_from
        form.ordered_date_to = date_to
        return form

    def _lines(self, crisis=None):
        return self.env["crisis.impact"].search([("crisis_id", "=", (crisis or self.crisis).id)])

    def test_small_add_records_the_orders(self):
        form = self._wizard(self.kettle, date(2024, 5, 1), date(2024, 5, 31))
        self.assertEqual(form.match_count, 2)
        self.assertEqual(form.excluded_count, 1)
        self.assertFalse(form.filter_error)
        wizard = form.save()
        result = wizard.action_add()
        self.assertEqual(result["params"]["type"], "success")
        lines = self._lines()
        self.assertEqual(lines.partner_id, self.buyer_a | self.buyer_b)
        line_a = lines.filtered(lambda line: line.partner_id == self.buyer_a)
        # the kettles of the period, not the toaster
        self.assertEqual(line_a.sale_order_ids, self.order_a1 | self.order_a2)
        line_b = lines - line_a
        self.assertEqual(line_b.sale_order_ids, self.order_b)

    def test_period_leaves_out_other_orders(self):
        form = self._wizard(self.kettle, date(2024, 5, 15), None)
        self.assertEqual(form.match_count, 1)
        form.save().action_add()
        self.assertEqual(self._lines().partner_id, self.buyer_a)
        self.assertEqual(self._lines().sale_order_ids, self.order_a2)
        # without a period, every confirmed order counts (the 2023 one too)
        form = self._wizard(self.kettle)
        self.assertEqual(form.match_count, 3)

    def test_no_order_in_period_is_said(self):
        form = self._wizard(self.toaster, date(2024, 1, 1), date(2024, 1, 31))
        self.assertEqual(
            form.filter_error,
            "No confirmed order of Toaster T1 in the period: nobody to add.",
        )
        wizard = form.save()
        with self.assertRaisesRegex(UserError, "No confirmed order of Toaster T1 in the period"):
            wizard.action_add()
        self.assertFalse(self._lines())

    def test_period_ending_before_it_starts(self):
        form = self._wizard(self.kettle, date(2024, 5, 31), date(2024, 5, 1))
        self.assertIn("ends before it starts", form.filter_error)

    def test_choose_a_product(self):
        wizard = (
            self.env["crisis.impact.wizard"]
            .with_user(self.user_crisis)
            .create({"crisis_id": self.crisis.id, "selection_mode": "ordered"})
        )
        with self.assertRaisesRegex(UserError, "Choose at least one ordered product"):
            wizard.action_add()

    def test_other_company_counts_its_own_orders(self):
        crisis_2 = self.env["crisis.crisis"].create(
            {"name": "Kettles of company two", "company_id": self.company_2.id}
        )
        wizard = (
            self.env["crisis.impact.wizard"]
            .with_context(allowed_company_ids=[self.company_2.id, self.company.id])
            .create(
                {
                    "crisis_id": crisis_2.id,
                    "selection_mode": "ordered",
                    "ordered_product_ids": [(6, 0, self.kettle.ids)],
                }
            )
        )
        self.assertEqual(wizard.match_partner_ids, self.other_buyer)

    def test_large_add_in_background(self):
        self.company.crisis_add_background_threshold = 1
        wizard = self._wizard(self.kettle, date(2024, 5, 1), date(2024, 5, 31)).save()
        result = wizard.action_add()
        self.assertEqual(result["params"]["type"], "info")
        self.assertFalse(self._lines())
        job = self.env["crisis.impact.job"].search([("crisis_id", "=", self.crisis.id)])
        self.assertEqual(job.selection_details["mode"], "ordered")
        self.assertEqual(job.total_count, 2)
        self.env["crisis.impact.job"].sudo()._cron_add_customers(batch_size=1)
        self.env["crisis.impact.job"].sudo()._cron_add_customers(batch_size=1)
        self.env["crisis.impact.job"].sudo()._cron_add_customers(batch_size=1)
        self.env.invalidate_all()
        self.assertEqual(job.state, "done")
        lines = self._lines()
        self.assertEqual(lines.partner_id, self.buyer_a | self.buyer_b)
        self.assertEqual(lines.sale_order_ids, self.order_a1 | self.order_a2 | self.order_b)
