from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestPartner(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis_open = cls._create_crisis()
        cls.crisis_done = cls._create_crisis(name="Old delay")
        cls.env["crisis.impact"].create(
            [
                {"crisis_id": cls.crisis_open.id, "partner_id": cls.customers[0].id},
                {"crisis_id": cls.crisis_done.id, "partner_id": cls.customers[0].id},
                {"crisis_id": cls.crisis_done.id, "partner_id": cls.customers[1].id},
            ]
        )
        cls.crisis_done.stage_id = cls.stage_resolved

    def test_counts_and_open_crisis_indicator(self):
        first, second, third = self.customers[:3].with_user(self.user_crisis)
        self.assertEqual((first.crisis_count, first.crisis_open_count), (2, 1))
        self.assertEqual((second.crisis_count, second.crisis_open_count), (1, 0))
        self.assertEqual(third.crisis_count, 0)
        self.assertTrue(first.in_open_crisis)
        self.assertFalse(second.in_open_crisis)
        Partner = self.env["res.partner"].with_user(self.user_crisis)
        in_crisis = Partner.search([("in_open_crisis", "=", True)])
        self.assertIn(self.customers[0], in_crisis)
        self.assertNotIn(self.customers[1], in_crisis)
        not_in_crisis = Partner.search(
            [("in_open_crisis", "=", False), ("id", "in", self.customers.ids)]
        )
        self.assertEqual(not_in_crisis, self.customers[1:])

    def test_smart_button_lists_the_customer_impacts(self):
        action = self.customers[0].with_user(self.user_crisis).action_view_crisis_impacts()
        impacts = self.env["crisis.impact"].search(action["domain"])
        self.assertEqual(impacts.crisis_id, self.crisis_open | self.crisis_done)

    def test_fields_hidden_from_other_employees(self):
        partner = self.customers[0].with_user(self.user_internal)
        self.assertTrue(partner.name)
        with self.assertRaises(AccessError):
            partner.read(["crisis_count"])
