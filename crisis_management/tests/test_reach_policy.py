"""The reach policy: the customers a customer update did not reach get the
next channel (without the SMS app, or without a mobile number: a call task in
the call campaign), once, in the background."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.base.tests.test_ir_cron import CronMixinCase
from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase
from .test_reach import UNDELIVERABLE

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
CALL = "mail.mail_activity_data_call"


@tagged("post_install", "-at_install")
class TestReachPolicy(CrisisCase, MockEmail, CronMixinCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # no mobile number: whether the SMS app is installed or not, the next
        # channel after the email is a call
        cls.kunde = cls.env["res.partner"].create({"name": "Kunde", "email": UNDELIVERABLE})
        cls.others = cls.customers[:2]

    def _crisis_with(self, **values):
        crisis = self._create_crisis(user=self.user_crisis, public_statement=STATEMENT, **values)
        crisis.with_user(self.user_manager).action_approve_statement()
        self.env["crisis.impact"]._link_partners(crisis, (self.others | self.kunde).ids)
        return crisis

    def _send(self, crisis):
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=crisis.id)
            .create({"kind": "progress"})
        )
        wizard.action_send()
        self._crisis_send_mail_queue()
        return crisis.update_ids.sorted("id")[-1]

    def _reach_the_others(self):
        self.env["crisis.update.recipient"].sudo()._cron_reach_fallback()

    def _calls(self, crisis):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crisis.impact"),
                ("res_id", "in", crisis.impact_ids.ids),
                ("activity_type_id", "=", self.env.ref(CALL).id),
            ]
        )

    def _line(self, crisis, partner):
        return crisis.impact_ids.filtered(lambda line: line.partner_id == partner)

    def test_policy_by_severity(self):
        self.assertTrue(self._crisis_with(severity="critical").reach_fallback)
        self.assertTrue(self._crisis_with(severity="high").reach_fallback)
        self.assertFalse(self._crisis_with(severity="low").reach_fallback)
        self.company.crisis_reach_fallback_severity = "low"
        self.assertTrue(self._crisis_with(severity="low").reach_fallback)
        with self.assertRaises(ValidationError):
            self.company.crisis_reach_fallback_hours = 0

    def test_failed_email_gets_a_call(self):
        crisis = self._crisis_with(severity="high")
        with self.capture_triggers("crisis_management.ir_cron_crisis_reach_fallback") as capture:
            update = self._send(crisis)
        self.assertTrue(capture.records, "the failure wakes the reach policy job up")
        line = self._line(crisis, self.kunde)
        recipient = update.recipient_ids.filtered(lambda r: r.impact_id == line)
        self.assertEqual((recipient.email_state, line.contact_status), ("failed", "unreachable"))
        self.assertEqual(
            (crisis.reach_email_count, crisis.reach_phone_count, crisis.reach_none_count),
            (2, 0, 1),
        )

        self._reach_the_others()
        calls = self._calls(crisis)
        self.assertEqual(calls.mapped("res_id"), line.ids, "only the customer not reached")
        self.assertEqual(recipient.fallback_state, "call")
        self.assertEqual(recipient.fallback_call_activity_id, calls)
        self.assertIn("Kunde", calls.summary)
        self.assertEqual(calls.user_id, self.user_crisis, "the crisis lead, without a team")
        self.assertFalse(recipient.date_fallback_sms)
        # the emails accepted and not opened yet are not followed before the hours
        self.assertFalse(any((update.recipient_ids - recipient).mapped("fallback_state")))

        # twice: nothing more
        self._reach_the_others()
        self.assertEqual(self._calls(crisis), calls)

        # the agent reaches them on the phone: the summary says so
        line.with_user(self.user_crisis).action_call_reached()
        crisis.invalidate_recordset(["reach_phone_count", "reach_none_count"])
        self.assertEqual(
            (crisis.reach_email_count, crisis.reach_phone_count, crisis.reach_none_count),
            (2, 1, 0),
        )
        self._reach_the_others()
        self.assertFalse(self._calls(crisis), "no new call once the call was made")

    def test_not_opened_after_the_hours(self):
        crisis = self._crisis_with(severity="critical")
        update = self._send(crisis)
        opened = self._line(crisis, self.others[0])
        opened._crisis_portal_opened()
        self._crisis_apply_reach()
        self._reach_the_others()
        self.assertEqual(len(self._calls(crisis)), 1, "the failed email only, at first")

        with freeze_time(fields.Datetime.now() + timedelta(hours=13)):
            self._reach_the_others()
        called = self._calls(crisis)
        self.assertEqual(
            set(called.mapped("res_id")),
            set((crisis.impact_ids - opened).ids),
            "the customer who did not open it in 12 hours is called too; not the one who did",
        )
        self.assertEqual(set(update.recipient_ids.mapped("fallback_state")), {"call", False})

    def test_nothing_without_the_policy(self):
        crisis = self._crisis_with(severity="low")
        self._send(crisis)
        self._reach_the_others()
        self.assertFalse(self._calls(crisis))
        # the manager turns it on for this crisis: the next run catches up
        crisis.with_user(self.user_manager).reach_fallback = True
        self._reach_the_others()
        self.assertEqual(self._calls(crisis).mapped("res_id"), self._line(crisis, self.kunde).ids)

    def test_unsubscribed_unverified_drill_and_statement(self):
        crisis = self._crisis_with(severity="high")
        update = self._send(crisis)
        line = self._line(crisis, self.kunde)
        line.sudo().is_unsubscribed = True
        self._reach_the_others()
        self.assertFalse(self._calls(crisis), "the customer unsubscribed")

        line.sudo().write({"is_unsubscribed": False, "is_self_reported": True})
        self._reach_the_others()
        self.assertFalse(self._calls(crisis), "a self-reported customer not verified")

        line.sudo().is_self_reported = False
        crisis.with_user(self.user_crisis).action_reset_statement()
        self._reach_the_others()
        self.assertFalse(self._calls(crisis), "the statement went back to draft: it waits")

        crisis.sudo().is_drill = True
        crisis.with_user(self.user_manager).action_approve_statement()
        self._reach_the_others()
        self.assertFalse(self._calls(crisis), "never for a drill")
        self.assertFalse(any(update.recipient_ids.mapped("fallback_state")))

        crisis.sudo().is_drill = False
        self._reach_the_others()
        self.assertEqual(self._calls(crisis).mapped("res_id"), line.ids)

    def test_query_budget_does_not_grow_per_customer(self):
        def run(count):
            crisis = self._create_crisis(
                user=self.user_crisis, public_statement=STATEMENT, severity="high"
            )
            crisis.with_user(self.user_manager).action_approve_statement()
            partners = self.env["res.partner"].create(
                [{"name": f"Kunde {i}", "email": f"kunde{i}@bücher.example"} for i in range(count)]
            )
            self.env["crisis.impact"]._link_partners(crisis, partners.ids)
            self._send(crisis)
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            self._reach_the_others()
            self.env.flush_all()
            self.assertEqual(len(self._calls(crisis)), count)
            return self.env.cr.sql_log_count - start

        run(5)  # warm the caches (activity type, models, access rules)
        small, large = run(10), run(100)
        self.assertLessEqual(large, small + 10, f"10 customers: {small} queries, 100: {large}")
