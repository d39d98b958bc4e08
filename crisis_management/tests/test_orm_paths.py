import importlib.util
from unittest.mock import patch

from freezegun import freeze_time
from markupsafe import Markup

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import file_path

from odoo.addons.mail.tests.common import MockEmail

from ..models import crisis_compensation, crisis_compensation_bulk, crisis_impact
from .common import CrisisCase

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"


@tagged("post_install", "-at_install")
class TestOrmPaths(CrisisCase, MockEmail):
    """Bulk additions go through ``create()``: what Odoo does on creation happens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls.user_crisis
        cls.agent = cls.user_crisis_2
        cls.crisis = cls._create_crisis(user=cls.lead, public_statement=STATEMENT)
        cls.crisis.with_user(cls.user_manager).action_approve_statement()

    def _followers(self, impacts):
        return {impact.partner_id: impact.message_partner_ids for impact in impacts}

    def _spy_create(self, model):
        """Patch ``create`` of ``model``, calling the real one; the mock records the calls."""
        cls = type(self.env[model])
        return patch.object(cls, "create", autospec=True, side_effect=cls.create)

    # ------------------------------------------------------------------
    # Adding customers
    # ------------------------------------------------------------------

    def test_wizard_creates_the_lines_through_create_in_batches(self):
        Impact = self.env["crisis.impact"]
        Impact._link_partners(self.crisis, self.customers[:1].ids)
        crisis = self.crisis.with_user(self.lead)
        self.assertEqual(len(crisis.impact_ids), 1, "the lines are in the cache")
        wizard = (
            self.env["crisis.impact.wizard"]
            .with_user(self.lead)
            .create(
                {
                    "crisis_id": self.crisis.id,
                    "selection_mode": "partners",
                    "partner_ids": [(6, 0, self.customers.ids)],
                    "impact_level": "high",
                    "user_id": self.agent.id,
                }
            )
        )
        with (
            patch.object(crisis_impact, "LINK_BATCH_SIZE", 3),
            self._spy_create("crisis.impact") as create,
        ):
            result = wizard.action_add()
        self.assertIn("4 affected customers added, 1 already linked", result["params"]["message"])
        # every new line, and only them, went through create(), at most 3 at a time
        created = [vals for call in create.call_args_list for vals in call.args[1]]
        self.assertEqual([len(call.args[1]) for call in create.call_args_list], [3, 1])
        self.assertEqual(
            sorted(vals["partner_id"] for vals in created), sorted(self.customers[1:].ids)
        )
        # at once in the crisis' lines, without invalidating anything
        self.assertEqual(crisis.impact_ids.partner_id, self.customers)
        self.assertEqual(crisis.affected_count, 5)
        new = crisis.impact_ids.filtered(lambda i: i.partner_id != self.customers[0])
        self.assertEqual(set(new.mapped("impact_level")), {"high"})
        self.assertEqual(new.user_id, self.agent)
        self.assertEqual(new.create_uid, self.lead)
        # the agent and the lead follow the new lines; the first line has no agent
        for partner, followers in self._followers(new).items():
            self.assertEqual(followers, (self.agent | self.lead).partner_id, partner.name)
        self.assertEqual(
            crisis.impact_ids.filtered(
                lambda i: i.partner_id == self.customers[0]
            ).message_partner_ids,
            self.lead.partner_id,
        )

    def test_agent_and_customers_of_another_company_are_refused(self):
        wizard = self.env["crisis.impact.wizard"].create(
            {
                "crisis_id": self.crisis.id,
                "selection_mode": "partners",
                "partner_ids": [(6, 0, self.customers.ids)],
                "user_id": self.user_manager_2.id,
            }
        )
        with self.assertRaises(UserError) as error:
            wizard.action_add()
        self.assertIn(
            f"{self.user_manager_2.name} cannot be the agent of these customers",
            str(error.exception),
        )
        self.assertIn(self.company.name, str(error.exception))

        foreign = self.env["res.partner"].create(
            {"name": "Company two's customer", "company_id": self.company_2.id}
        )
        with self.assertRaises(UserError) as error:
            self.env["crisis.impact"]._link_partners(self.crisis, (self.customers | foreign).ids)
        self.assertIn("Company two's customer", str(error.exception))
        self.assertFalse(self.crisis.impact_ids, "nobody was added")

        # and a plain create checks the agent's company too
        with self.assertRaises(UserError):
            self.env["crisis.impact"].create(
                {
                    "crisis_id": self.crisis.id,
                    "partner_id": self.customers[0].id,
                    "user_id": self.user_manager_2.id,
                }
            )

    def test_customer_reply_notifies_the_agent_and_the_lead(self):
        # a plain create, with mail tracking on, by someone else than the agent and the lead
        env = self.env(
            user=self.user_manager, context=dict(self.env.context, tracking_disable=False)
        )
        with self.mock_mail_gateway():
            line = env["crisis.impact"].create(
                {
                    "crisis_id": self.crisis.id,
                    "partner_id": self.customers[0].id,
                    "user_id": self.agent.id,
                }
            )
        self.assertTrue(self.agent.partner_id | self.lead.partner_id <= line.message_partner_ids)
        # an email to the customer, and their reply
        with self.mock_mail_gateway():
            message = line.with_user(self.lead).message_post(
                body="We are on it.",
                partner_ids=self.customers[0].ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
            reply = (
                "From: Customer 0 <customer0@example.com>\r\n"
                "To: support@example.com\r\n"
                f"Subject: Re: {message.subject or 'news'}\r\n"
                "Message-Id: <reply-orm-paths-customer0@example.com>\r\n"
                f"In-Reply-To: {message.message_id}\r\n"
                f"References: {message.message_id}\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "\r\n"
                "Is my order safe?\r\n"
            )
            self.env["mail.thread"].message_process(None, reply)
        answer = line.message_ids.filtered(lambda m: "Is my order safe?" in (m.body or ""))
        self.assertEqual(len(answer), 1)
        self.assertEqual(answer.author_id, self.customers[0])
        notified = answer.notification_ids.res_partner_id
        self.assertIn(self.agent.partner_id, notified)
        self.assertIn(self.lead.partner_id, notified)

    def test_new_agent_and_new_lead_follow_the_lines(self):
        impacts = self.env["crisis.impact"]._link_partners(self.crisis, self.customers.ids)
        self.assertEqual(impacts.message_partner_ids, self.lead.partner_id)
        impacts[:2].with_user(self.lead).user_id = self.agent
        self.assertEqual(impacts[:2].message_partner_ids, (self.lead | self.agent).partner_id)
        self.assertEqual(impacts[2:].message_partner_ids, self.lead.partner_id)

        new_lead = self.user_manager
        self.crisis.with_user(self.user_manager).user_id = new_lead
        for partner, followers in self._followers(impacts[:2]).items():
            self.assertEqual(
                followers, (self.lead | self.agent | new_lead).partner_id, partner.name
            )
        for partner, followers in self._followers(impacts[2:]).items():
            self.assertEqual(followers, (self.lead | new_lead).partner_id, partner.name)

    def test_duplicate_customer_is_refused_without_a_database_error(self):
        Impact = self.env["crisis.impact"]
        Impact.create({"crisis_id": self.crisis.id, "partner_id": self.customers[0].id})
        for vals_list in (
            [{"crisis_id": self.crisis.id, "partner_id": self.customers[0].id}],
            [
                {"crisis_id": self.crisis.id, "partner_id": self.customers[1].id},
                {"crisis_id": self.crisis.id, "partner_id": self.customers[1].id},
            ],
        ):
            with (
                self.assertNoLogs("odoo.sql_db", "ERROR"),
                self.assertRaises(ValidationError) as error,
            ):
                Impact.create(vals_list)
            customer = self.env["res.partner"].browse(vals_list[0]["partner_id"])
            self.assertIn(customer.name, str(error.exception))
            self.assertIn(self.crisis.reference, str(error.exception))
        # through the crisis form's default too
        with self.assertNoLogs("odoo.sql_db", "ERROR"), self.assertRaises(ValidationError):
            Impact.with_context(default_crisis_id=self.crisis.id).create(
                {"partner_id": self.customers[0].id}
            )
        self.assertEqual(self.crisis.impact_ids.partner_id, self.customers[0])

    # ------------------------------------------------------------------
    # Compensations
    # ------------------------------------------------------------------

    def test_bulk_compensations_through_create(self):
        impacts = self.env["crisis.impact"]._link_partners(self.crisis, self.customers.ids)
        crisis = self.crisis.with_user(self.lead)
        self.assertFalse(crisis.compensation_ids)
        self.assertFalse(impacts.with_user(self.lead).compensation_ids)
        Compensation = self.env["crisis.compensation"].with_user(self.lead)
        values = {"type": "voucher", "amount": 20.0, "currency_id": self.company.currency_id.id}
        approvers = (
            self.env.ref("crisis_management.group_crisis_manager").users.filtered(
                lambda user: self.company in user.company_ids and not user.share
            )
            - self.lead
        )
        self.assertIn(self.user_manager, approvers)
        with (
            patch.object(crisis_compensation_bulk, "PROPOSE_BATCH_SIZE", 2),
            self._spy_create("crisis.compensation") as create,
        ):
            compensations = Compensation._propose_to(impacts, values, submit=True)
        self.assertEqual([len(call.args[1]) for call in create.call_args_list], [2, 2, 1])
        # fresh in the same transaction
        self.assertEqual(crisis.compensation_ids, compensations)
        self.assertEqual(impacts.with_user(self.lead).compensation_ids, compensations)
        self.assertEqual(crisis.compensation_count, 5)
        self.assertEqual(set(compensations.mapped("state")), {"to_approve"})
        self.assertEqual(compensations.submitted_by_id, self.lead)
        self.assertTrue(all(compensations.mapped("date_submitted")))
        self.assertEqual(compensations.user_id, self.lead)
        self.assertEqual(len(set(compensations.mapped("reference"))), 5)
        self.assertEqual(
            compensations.message_partner_ids - approvers.partner_id, self.lead.partner_id
        )
        # each chatter logs the creation, as create() does
        for compensation in compensations:
            self.assertEqual(
                compensation.message_ids.mapped("body"),
                [Markup("<p>Crisis Compensation created</p>")],
            )
        # the approvers get one activity each for them all, on the crisis
        batch_type = self.env.ref(crisis_compensation.BATCH_TO_APPROVE)
        activities = self.crisis.activity_ids.filtered(
            lambda activity: activity.activity_type_id == batch_type
        )
        self.assertEqual(activities.user_id, approvers)
        self.assertEqual(set(activities.mapped("summary")), {"5 compensations to approve"})
        self.assertFalse(compensations.activity_ids, "none per compensation")
        # the manager approves them all at once (the list's Approve): nobody
        # approves their own; the activities end with the requests
        compensations.with_user(self.user_manager).action_approve()
        self.assertEqual(set(compensations.mapped("state")), {"approved"})
        self.assertFalse(
            self.crisis.activity_ids.filtered(
                lambda activity: activity.activity_type_id == batch_type
            )
        )

        drafts = Compensation._propose_to(impacts[:2], values)
        self.assertEqual(set(drafts.mapped("state")), {"draft"})
        self.assertFalse(drafts.submitted_by_id)
        self.assertEqual(crisis.compensation_ids, compensations | drafts)

        # the caller's values cannot hold workflow fields
        with self.assertRaises(UserError):
            Compensation._propose_to(impacts[:1], dict(values, state="approved"))
        with self.assertRaises(UserError):
            Compensation._propose_to(impacts[:1], dict(values, approved_by_id=self.lead.id))
        self.assertEqual(len(crisis.compensation_ids), 7)

    def _company_2_lines(self, count=3):
        crisis = self._create_crisis(user=self.user_manager_2, company_id=self.company_2.id)
        return self.env["crisis.impact"]._link_partners(crisis, self.customers[:count].ids)

    def test_compensation_numbers_restart_each_year(self):
        impacts = self._company_2_lines()
        Compensation = self.env["crisis.compensation"].with_user(self.user_manager_2)
        values = {"type": "gift", "amount": 5.0, "currency_id": self.company_2.currency_id.id}
        with freeze_time("2025-12-31 12:00:00"):
            last_year = Compensation._propose_to(impacts[:2], values)
        with freeze_time("2026-01-01 08:00:00"):
            this_year = Compensation._propose_to(impacts, values)
        self.assertEqual(
            last_year.sorted("id").mapped("reference"), ["CMP/2025/0001", "CMP/2025/0002"]
        )
        self.assertEqual(
            this_year.sorted("id").mapped("reference"),
            ["CMP/2026/0001", "CMP/2026/0002", "CMP/2026/0003"],
        )
        # one by one, the year of the request date, whenever it is made
        backdated = Compensation.create(
            [
                {"impact_id": impacts[0].id, "amount": 1.0, "date_requested": "2025-12-31"},
                {"impact_id": impacts[1].id, "amount": 1.0, "date_requested": "2026-01-01"},
            ]
        )
        self.assertEqual(backdated.mapped("reference"), ["CMP/2025/0003", "CMP/2026/0004"])

    def test_next_references_drawn_in_one_query(self):
        company = self.company_2
        # the sequence and the year's range are made on first use
        first = company._crisis_next_references("crisis.compensation", 1, date="2024-03-01")
        self.assertEqual(first, ["CMP/2024/0001"])
        counts = []
        for count in (10, 1000):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            references = company._crisis_next_references(
                "crisis.compensation", count, date="2024-11-01"
            )
            counts.append(self.cr.sql_log_count - before)
            self.assertEqual(len(set(references)), count)
        self.assertEqual(counts[0], counts[1], "the same queries for 10 or 1,000 numbers")
        self.assertEqual(references[0], "CMP/2024/0012")
        self.assertEqual(references[-1], "CMP/2024/1011")

    def test_migration_to_yearly_compensation_counters(self):
        sequence = self.company_2._crisis_sequence("crisis.compensation")
        # the sequence as 18.0.1.0.0 made it: one counter, today's year
        sequence.write({"use_date_range": False, "prefix": "CMP/%(year)s/"})
        impacts = self._company_2_lines()
        Compensation = self.env["crisis.compensation"].with_user(self.user_manager_2)

        def request(impact, day):
            return Compensation.create(
                {"impact_id": impact.id, "amount": 1.0, "date_requested": day}
            )

        with freeze_time("2025-06-01 10:00:00"):
            old = request(impacts[0], "2025-06-01") | request(impacts[1], "2025-06-01")
        with freeze_time("2026-02-01 10:00:00"):
            old |= request(impacts[2], "2026-02-01")
        self.assertEqual(
            old.sorted("id").mapped("reference"),
            ["CMP/2025/0001", "CMP/2025/0002", "CMP/2026/0003"],
        )
        spec = importlib.util.spec_from_file_location(
            "post_migrate",
            file_path("crisis_management/migrations/18.0.1.1.0/post-migrate.py"),
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        self.env.flush_all()
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertTrue(sequence.use_date_range)
        self.assertEqual(sequence.prefix, "CMP/%(range_year)s/")
        # the years with references go on after the old numbers, the others start at 1
        new = [
            request(impacts[0], "2025-12-30"),
            request(impacts[1], "2026-03-01"),
            request(impacts[2], "2024-05-01"),
            request(impacts[0], "2026-03-02"),
        ]
        self.assertEqual(
            [compensation.reference for compensation in new],
            ["CMP/2025/0004", "CMP/2026/0004", "CMP/2024/0001", "CMP/2026/0005"],
        )
        # run twice, it changes nothing
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(request(impacts[1], "2025-01-05").reference, "CMP/2025/0005")
