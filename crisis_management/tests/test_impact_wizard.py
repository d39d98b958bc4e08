from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged, users

from .common import CrisisCase

# adding customers: SQL queries per 100 customers, and those that do not
# depend on their number (access rules, the crisis message, ...)
QUERIES_PER_100 = 8
FIXED_QUERIES = 30


@tagged("post_install", "-at_install")
class TestImpactWizard(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag = cls.env["res.partner.category"].create({"name": "Bought lamp L-2611"})
        cls.customers[:3].category_id = cls.tag
        cls.crisis = cls._create_crisis(user=cls.user_crisis)

    def _wizard(self, crisis=None, **context):
        crisis = crisis or self.crisis
        return Form(
            self.env["crisis.impact.wizard"].with_context(default_crisis_id=crisis.id, **context)
        )

    @users("crisis_user")
    def test_add_by_tag_then_skip_existing(self):
        form = self._wizard()
        form.selection_mode = "tags"
        form.category_ids.add(self.tag)
        form.impact_level = "high"
        form.is_priority = True
        form.user_id = self.env.user
        self.assertEqual(form.match_count, 3)
        result = form.save().action_add()
        self.assertIn("3 affected customers added, 0 already linked", result["params"]["message"])
        crisis = self.crisis.with_env(self.env)
        self.assertEqual(crisis.impact_ids.partner_id, self.customers[:3])
        self.assertEqual(set(crisis.impact_ids.mapped("impact_level")), {"high"})
        self.assertTrue(all(crisis.impact_ids.mapped("is_priority")))
        self.assertEqual(crisis.impact_ids.user_id, self.env.user)
        self.assertEqual(crisis.affected_count, 3)
        self.assertEqual(crisis.priority_count, 3)

        # again, with a filter matching two more: the three linked ones are skipped
        form = self._wizard()
        form.selection_mode = "domain"
        form.partner_domain = repr([("id", "in", self.customers.ids)])
        self.assertEqual(form.match_count, 5)
        result = form.save().action_add()
        self.assertIn("2 affected customers added, 3 already linked", result["params"]["message"])
        self.assertEqual(crisis.affected_count, 5)
        self.assertIn("2 affected customers added", crisis.message_ids[0].body)

    @users("crisis_user")
    def test_add_from_contacts_selection(self):
        form = Form(
            self.env["crisis.impact.wizard"].with_context(
                active_model="res.partner", active_ids=self.customers[3:].ids
            )
        )
        self.assertEqual(form.selection_mode, "partners")
        form.crisis_id = self.crisis.with_env(self.env)
        form.save().action_add()
        self.assertEqual(self.crisis.impact_ids.partner_id, self.customers[3:])

    def test_refusals(self):
        foreign = self.env["res.partner"].create(
            {"name": "Company two's customer", "company_id": self.company_2.id}
        )
        wizard = self._wizard().save()
        wizard.write({"selection_mode": "partners", "partner_ids": [(6, 0, foreign.ids)]})
        with self.assertRaises(UserError) as error:
            wizard.action_add()
        self.assertIn("another company", str(error.exception))
        self.assertIn("Company two's customer", str(error.exception))

        wizard.write({"selection_mode": "domain", "partner_domain": "[('id', '=', -1)]"})
        with self.assertRaises(UserError):
            wizard.action_add()
        wizard.write({"partner_domain": "not a domain("})
        with self.assertRaises(UserError) as error:
            wizard.action_add()
        self.assertIn("not valid", str(error.exception))
        wizard.write({"selection_mode": "tags", "category_ids": [(5,)]})
        with self.assertRaises(UserError):
            wizard.action_add()
        self.assertFalse(self.crisis.impact_ids)

        # a user who may not change the crisis may not add customers to it
        wizard = (
            self.env["crisis.impact.wizard"]
            .with_user(self.user_crisis_2)
            .create(
                {
                    "crisis_id": self.crisis.id,
                    "selection_mode": "partners",
                    "partner_ids": [(6, 0, self.customers.ids)],
                    # naming oneself agent does not open someone else's crisis
                    "user_id": self.user_crisis_2.id,
                }
            )
        )
        with self.assertRaises(AccessError):
            wizard.action_add()

    def test_duplicate_customer_is_refused(self):
        self.env["crisis.impact"].create(
            {"crisis_id": self.crisis.id, "partner_id": self.customers[0].id}
        )
        # refused before the database's unique constraint: no "bad query" in the log
        with self.assertNoLogs("odoo.sql_db", "ERROR"), self.assertRaises(ValidationError):
            self.env["crisis.impact"].create(
                {"crisis_id": self.crisis.id, "partner_id": self.customers[0].id}
            )
            self.env.flush_all()


@tagged("post_install", "-at_install")
class TestImpactWizardScale(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners_small = cls.env["res.partner"].create(
            [{"name": f"Small {i}"} for i in range(100)]
        )
        cls.partners_large = cls.env["res.partner"].create(
            [{"name": f"Large {i}"} for i in range(1000)]
        )

    def _wizard_for(self, partners):
        crisis = self._create_crisis(user=self.user_crisis)
        wizard = (
            self.env["crisis.impact.wizard"]
            .with_user(self.user_crisis)
            .create(
                {
                    "crisis_id": crisis.id,
                    "selection_mode": "domain",
                    "partner_domain": repr([("id", "in", partners.ids)]),
                    "impact_level": "high",
                    # the agent and the lead follow every line
                    "user_id": self.user_crisis_2.id,
                }
            )
        )
        self.env.flush_all()
        self.env.invalidate_all()
        return wizard

    def _cost(self, partners):
        """Queries of adding ``partners`` through the wizard, flush included."""
        wizard = self._wizard_for(partners)
        before = self.cr.sql_log_count
        wizard.action_add()
        self.env.flush_all()
        cost = self.cr.sql_log_count - before
        self.assertEqual(wizard.crisis_id.affected_count, len(partners))
        followers = wizard.crisis_id.impact_ids.message_follower_ids
        self.assertEqual(len(followers), 2 * len(partners), "the agent and the lead")
        return cost

    def test_query_budget_per_100_customers(self):
        # warm the caches the first call fills (rules, sequences, ...)
        self._wizard_for(self.partners_small[:5]).action_add()
        small = self._cost(self.partners_small)
        large = self._cost(self.partners_large)
        # create() inserts 100 rows per query, the followers too: the cost grows
        # with the customers, within a budget per 100 of them
        self.assertLessEqual(small, QUERIES_PER_100 + FIXED_QUERIES, (small, large))
        self.assertLessEqual(large, 10 * QUERIES_PER_100, (small, large))
        self.assertLessEqual(large - small, 9 * QUERIES_PER_100, (small, large))
