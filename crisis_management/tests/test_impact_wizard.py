import re

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged, users

from odoo.addons.crisis_management.models.crisis_impact import CONTACT_STATUSES
from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

from .common import CrisisCase

# adding customers: SQL queries per 100 customers, and those that do not
# depend on their number (access rules, the crisis message, its KPIs, ...)
QUERIES_PER_100 = 8
FIXED_QUERIES = 32


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

    @users("crisis_user")
    def test_default_filter_matches_nobody(self):
        form = self._wizard()
        self.assertEqual(form.selection_mode, "domain")
        self.assertFalse(form.partner_domain)
        self.assertTrue(form.filter_empty, "the wizard says the filter is empty")
        self.assertFalse(form.filter_error)
        self.assertEqual(form.match_count, 0)
        self.assertFalse(form.match_partner_ids)
        wizard = form.save()
        with self.assertRaisesRegex(UserError, "The filter is empty: it matches nobody"):
            wizard.action_add()
        # all its rules removed: the widget writes "[]", still nobody
        form = self._wizard()
        form.partner_domain = "[]"
        self.assertTrue(form.filter_empty)
        self.assertEqual(form.match_count, 0)
        with self.assertRaisesRegex(UserError, "The filter is empty"):
            form.save().action_add()
        # a rule: the count and the first matches
        form.partner_domain = repr([("id", "in", self.customers[:2].ids)])
        self.assertFalse(form.filter_empty)
        self.assertEqual(form.match_count, 2)
        self.assertFalse(self.crisis.impact_ids)

    def test_staff_and_companies_are_left_out(self):
        former = new_test_user(self.env, login="former_employee", name="Fred Former-Employee")
        former.active = False
        staff = (
            self.user_internal.partner_id
            | self.user_crisis.partner_id
            | former.partner_id
            | self.company.partner_id
            | self.company_2.partner_id
        )
        # a portal user is a customer
        wanted = self.customers[:2] | self.user_portal.partner_id
        form = Form(
            self.env["crisis.impact.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
        )
        form.partner_domain = repr([("id", "in", (wanted | staff).ids)])
        self.assertEqual(form.match_count, 3)
        self.assertEqual(form.excluded_count, 5)
        self.assertEqual(set(form.match_partner_ids.ids), set(wanted.ids))
        result = form.save().action_add()
        message = result["params"]["message"]
        self.assertIn("3 affected customers added", message)
        self.assertIn("5 of your staff or companies left out", message)
        self.assertEqual(self.crisis.impact_ids.partner_id, wanted)
        self.assertIn("5 of your staff or companies left out", self.crisis.message_ids[0].body)

        # by tags, and from a selection in Contacts: left out too
        staff.category_id = self.tag
        form = self._wizard()
        form.selection_mode = "tags"
        form.category_ids.add(self.tag)
        self.assertEqual((form.match_count, form.excluded_count), (3, 5))
        self.assertNotIn(self.company.partner_id, form.match_partner_ids)
        form = Form(
            self.env["crisis.impact.wizard"].with_context(
                active_model="res.partner",
                active_ids=(self.customers[4] | self.company.partner_id).ids,
                default_crisis_id=self.crisis.id,
            )
        )
        self.assertEqual((form.match_count, form.excluded_count), (1, 1))
        form.save().action_add()
        self.assertEqual(self.crisis.impact_ids.partner_id, wanted | self.customers[4])

        # only staff: a clear refusal, nobody added
        wizard = self._wizard().save()
        wizard.partner_domain = repr([("id", "in", staff.ids)])
        with self.assertRaisesRegex(UserError, r"Only your own staff or companies match \(5\)"):
            wizard.action_add()
        self.assertNotIn(staff[0], self.crisis.impact_ids.partner_id)

    def test_staff_left_out_of_a_background_add(self):
        self.company.crisis_add_background_threshold = 1
        form = self._wizard()
        form.partner_domain = repr(
            [("id", "in", (self.customers[:2] | self.user_manager.partner_id).ids)]
        )
        result = form.save().action_add()
        self.assertIn("2 contacts match", result["params"]["message"])
        self.assertIn("1 of your staff or companies left out", result["params"]["message"])
        self.env["crisis.impact.job"].sudo()._cron_add_customers()
        self.env.invalidate_all()
        self.assertEqual(self.crisis.impact_ids.partner_id, self.customers[:2])

    @users("crisis_user")
    def test_first_matches_are_shown(self):
        buyers = (
            self.env["res.partner"]
            .sudo()
            .create(
                [
                    {"name": f"Lamp buyer {i:02d}", "email": f"lamp{i}@example.com"}
                    for i in range(12)
                ]
            )
        )
        form = self._wizard()
        form.partner_domain = repr([("name", "ilike", "Lamp buyer")])
        self.assertEqual(form.match_count, 12)
        shown = self.env["res.partner"].browse(form.match_partner_ids.ids)
        self.assertEqual(len(shown), 10, "the first ten")
        self.assertLessEqual(shown, buyers)
        self.assertTrue(all(shown.mapped("email")), "with their email")
        form.partner_domain = repr([("name", "=", "Lamp buyer 03")])
        shown = self.env["res.partner"].browse(form.match_partner_ids.ids)
        self.assertEqual(
            [(p.display_name, p.email) for p in shown], [("Lamp buyer 03", "lamp3@example.com")]
        )

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


@tagged("post_install", "-at_install")
class TestImpactLines(CrisisCase):
    """Affected-customer lines: who may be one, and what stays fixed on a line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis()
        cls.impact = cls.env["crisis.impact"].create(
            {"crisis_id": cls.crisis.id, "partner_id": cls.customers[0].id}
        )

    @users("crisis_manager")
    def test_staff_and_companies_are_never_affected_customers(self):
        Impact = self.env["crisis.impact"]
        crisis = self.crisis.with_env(self.env)
        former = new_test_user(
            self.env(su=True), login="former_employee", name="Fred Former-Employee"
        )
        former.active = False
        for partner in (
            self.user_internal.partner_id,
            former.partner_id,
            self.company.partner_id,
            self.company_2.partner_id,
        ):
            with self.subTest(partner=partner.name):
                with self.assertRaises(UserError) as error:
                    Impact.create({"crisis_id": crisis.id, "partner_id": partner.id})
                self.assertIn(partner.name, str(error.exception))
                self.assertIn("your own staff and companies", str(error.exception))
        # in a batch, through the crisis' lines or the context's default
        with self.assertRaisesRegex(UserError, "Ivan Internal"):
            Impact.create(
                [
                    {"crisis_id": crisis.id, "partner_id": self.customers[1].id},
                    {"crisis_id": crisis.id, "partner_id": self.user_internal.partner_id.id},
                ]
            )
        with self.assertRaisesRegex(UserError, "Ivan Internal"):
            crisis.write(
                {"impact_ids": [Command.create({"partner_id": self.user_internal.partner_id.id})]}
            )
        with self.assertRaisesRegex(UserError, "Ivan Internal"):
            Impact.with_context(
                default_crisis_id=crisis.id, default_partner_id=self.user_internal.partner_id.id
            ).create({})
        # nor by the addon itself, or the superuser
        with self.assertRaisesRegex(UserError, re.escape(self.company.partner_id.name)):
            Impact._link_partners(crisis, (self.customers[1] | self.company.partner_id).ids)
        with self.assertRaisesRegex(UserError, "Ivan Internal"):
            Impact.sudo().create(
                {"crisis_id": crisis.id, "partner_id": self.user_internal.partner_id.id}
            )
        self.assertEqual(crisis.impact_ids.partner_id, self.customers[0])
        # a portal user is a customer
        Impact.create({"crisis_id": crisis.id, "partner_id": self.user_portal.partner_id.id})

    @users("crisis_manager")
    def test_customer_of_a_line_cannot_change(self):
        impact = self.impact.with_env(self.env)
        with self.assertRaisesRegex(UserError, "customer of an affected customer line cannot"):
            impact.write({"partner_id": self.customers[1].id})
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            self.crisis.with_env(self.env).write(
                {"impact_ids": [Command.update(impact.id, {"partner_id": self.customers[1].id})]}
            )
        self.assertEqual(impact.partner_id, self.customers[0])
        # the same customer again is no change; the other fields stay editable
        impact.write({"partner_id": self.customers[0].id, "impact_level": "high"})
        self.assertEqual(impact.impact_level, "high")
        # the workflow may (to a customer, never to our staff)
        with self.assertRaisesRegex(UserError, "Ivan Internal"):
            as_workflow(impact).write({"partner_id": self.user_internal.partner_id.id})
        as_workflow(impact).write({"partner_id": self.customers[1].id})
        self.assertEqual(impact.partner_id, self.customers[1])

    def test_kanban_columns_in_work_order(self):
        work_order = [status for status, _label in CONTACT_STATUSES]
        self.assertEqual(
            work_order,
            ["to_contact", "unreachable", "notified", "in_discussion", "resolved", "lost"],
        )
        other = self._create_crisis(name="Nobody affected yet")
        self.env["crisis.impact"].create(
            {"crisis_id": self.crisis.id, "partner_id": self.customers[1].id}
        ).contact_status = "resolved"
        Impact = self.env["crisis.impact"].with_user(self.user_manager)
        for crisis, counts in ((self.crisis, [1, 0, 0, 0, 1, 0]), (other, [0, 0, 0, 0, 0, 0])):
            with self.subTest(crisis=crisis.name):
                domain = [("crisis_id", "=", crisis.id)]
                groups = Impact.web_read_group(domain, ["contact_status"], ["contact_status"])[
                    "groups"
                ]
                self.assertEqual([group["contact_status"] for group in groups], work_order)
                self.assertEqual([group["contact_status_count"] for group in groups], counts)
                groups = Impact.read_group(domain, ["contact_status"], ["contact_status"])
                self.assertEqual([group["contact_status"] for group in groups], work_order)

    def test_lines_open_their_form_instead_of_editing_inline(self):
        # a click opens the form (emails, chatter, compensations); no delete in lists
        Impact = self.env["crisis.impact"]
        arch = Impact.get_view(view_type="list")["arch"]
        self.assertNotIn("editable=", arch)
        self.assertIn('delete="0"', arch)
        self.assertNotIn('delete="0"', Impact.get_view(view_type="form")["arch"])
        crisis_form = self.env["crisis.crisis"].get_view(view_type="form")["arch"]
        lines = crisis_form[crisis_form.index('name="impact_ids"') :]
        lines = lines[: lines.index("</list>")]
        self.assertNotIn("editable=", lines)
        self.assertIn('delete="0"', lines)
        self.assertIn('name="get_formview_action"', lines)
        action = self.impact.get_formview_action()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("crisis.impact", self.impact.id)
        )
