from datetime import date, timedelta

from freezegun import freeze_time

import odoo
from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestReminders(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the demo data may hold due records too: only ours count here
        cls.step_due = cls.env.ref("crisis_management.mail_act_crisis_step_due")
        with freeze_time("2026-04-01 08:00:00"):
            cls.playbook = cls.env["crisis.playbook"].create(
                {
                    "name": "Outage response",
                    "user_id": cls.user_manager.id,
                    "review_interval": 6,
                    "date_last_review": "2025-10-01",
                    "step_ids": [
                        (0, 0, {"name": "Open the bridge", "role": "lead", "deadline_hours": 1}),
                        (0, 0, {"name": "Write the report", "role": "lead", "deadline_hours": 72}),
                    ],
                }
            )
            cls.crisis = cls._create_crisis(
                user=cls.user_crisis, playbook_id=cls.playbook.id, severity="high"
            )
        cls.first, cls.second = cls.crisis.action_ids.sorted("sequence")

    def _activities(self, records):
        return self.env["mail.activity"].search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        )

    def _set_step_lead_time(self, user, hours):
        """``user`` sets the step reminder lead time of their company in the
        Crisis Settings (24 h until then)."""
        settings = self.env["crisis.config.settings"].with_user(user).create({})
        self.assertEqual(settings.crisis_step_reminder_hours, 24)
        settings.crisis_step_reminder_hours = hours
        settings.action_save()

    def _remind_steps(self, env):
        """Run the step reminders' cron in ``env``; return the steps it reminded."""
        Activity = env["mail.activity"]
        last = Activity.search([], order="id desc", limit=1).id or 0
        env["crisis.action"]._cron_remind_steps()
        return Activity.search([("id", ">", last), ("res_model", "=", "crisis.action")]).mapped(
            "res_id"
        )

    def test_step_reminders_once_per_deadline(self):
        Action = self.env["crisis.action"]
        with freeze_time("2026-04-01 08:30:00"):
            Action._cron_remind_steps()
            # 08:30: the first step is due within 24 h, the second (due in 72 h) not yet
            self.assertEqual(self._activities(self.first).user_id, self.user_crisis)
            self.assertEqual(self._activities(self.first).activity_type_id, self.step_due)
            self.assertFalse(self._activities(self.second))
            Action._cron_remind_steps()
            self.assertEqual(len(self._activities(self.first)), 1, "not twice")
        with freeze_time("2026-04-03 09:00:00"):
            Action._cron_remind_steps()
            self.assertEqual(len(self._activities(self.second)), 1)
            # a moved deadline is reminded again (the reminder of the old one
            # goes); a done step is not, and its reminder is done
            self.first.date_deadline = fields.Datetime.now() + timedelta(hours=2)
            self.second.action_done()
            self.second.date_deadline = fields.Datetime.now() + timedelta(hours=3)
            Action._cron_remind_steps()
            self.assertEqual(len(self._activities(self.first)), 1)
            self.assertEqual(self._activities(self.first).date_deadline, date(2026, 4, 3))
            self.assertFalse(self._activities(self.second))

    def test_step_reminders_in_the_assignee_language(self):
        """Each reminder is written in its assignee's language, not the cron's."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crisis_management"], ["zh_CN"])
        self.user_crisis.lang = "en_US"
        self.user_crisis_2.lang = "zh_CN"
        self.second.user_id = self.user_crisis_2
        with freeze_time("2026-04-03 09:00:00"):  # both steps due within 24 h
            self.env["crisis.action"]._cron_remind_steps()
        english, chinese = self._activities(self.first), self._activities(self.second)
        self.assertEqual(english.user_id, self.user_crisis)
        self.assertEqual(english.summary, "Crisis step due: Open the bridge")
        self.assertEqual(chinese.user_id, self.user_crisis_2)
        self.assertEqual(chinese.summary, "危机步骤到期：Write the report")
        self.assertEqual(chinese.note, english.note, "the crisis, named alike")

    def test_step_reminder_lead_time_setting(self):
        """The lead time is each company's, from the Crisis Settings: both
        companies have a step due 72 h after declaration, reminded at once
        where the lead time is 96 h, not where it is 24 h."""
        with freeze_time("2026-04-01 08:00:00"):
            crisis_2 = self._create_crisis(
                user=self.user_manager_2, company_id=self.company_2.id, name="Other company's"
            )
            plan_2 = self.env["crisis.action.plan"].create(
                {"name": "Outage response", "crisis_id": crisis_2.id}
            )
            step_2 = self.env["crisis.action"].create(
                {
                    "name": "Write the report",
                    "plan_id": plan_2.id,
                    "user_id": self.user_manager_2.id,
                    "date_deadline": "2026-04-04 08:00:00",
                }
            )
        self.assertEqual(self.second.date_deadline, step_2.date_deadline)
        Action = self.env["crisis.action"]
        self._set_step_lead_time(self.user_manager_2, 96)
        self.assertEqual(self.company_2.crisis_step_reminder_hours, 96)
        with freeze_time("2026-04-01 08:30:00"):
            Action._cron_remind_steps()
        self.assertEqual(len(self._activities(step_2)), 1)
        self.assertFalse(self._activities(self.second), "24 h in the main company")
        self._set_step_lead_time(self.user_manager, 96)
        self.assertEqual(self.company.crisis_step_reminder_hours, 96)
        with freeze_time("2026-04-01 08:30:00"):
            Action._cron_remind_steps()
        self.assertEqual(len(self._activities(self.second)), 1)
        with self.assertRaises(ValidationError):
            self.company.crisis_step_reminder_hours = -1

    def test_two_workers_at_once(self):
        """A second worker skips the steps the first one holds.

        It runs on a real second connection, which sees only committed data:
        the steps of the demo data, installed with the addon, due by now
        (within their company's lead time).
        """
        with odoo.sql_db.db_connect(self.env.cr.dbname).cursor() as other_cr:
            other = odoo.api.Environment(other_cr, odoo.SUPERUSER_ID, {})
            # alone, the second worker reminds the committed steps due by now
            committed_due = self._remind_steps(other)
            other_cr.rollback()
            self.assertTrue(committed_due, "the demo data holds due steps")

            # the first worker (this test's transaction) takes them
            self.env["crisis.action"]._cron_remind_steps()
            steps = self.env["crisis.action"].browse(committed_due)
            self.assertEqual(len(self._activities(steps)), len(steps))

            # the second worker, at the same time, finds them locked (were it to
            # wait for them instead, it would fail after 5 s instead of hanging)
            other_cr.execute("SET lock_timeout = '5s'")
            self.assertFalse(self._remind_steps(other), "nothing reminded twice")
            other_cr.rollback()

    def test_sla_escalation_once(self):
        Crisis = self.env["crisis.crisis"]
        with freeze_time("2026-04-01 10:00:00"):  # high: 4 h, deadline 12:00
            Crisis._cron_escalate_sla()
            self.assertFalse(self.crisis.date_escalated)
        with freeze_time("2026-04-01 12:30:00"):
            Crisis._cron_escalate_sla()
            self.assertTrue(self.crisis.date_escalated)
            activities = self._activities(self.crisis)
            self.assertIn(self.user_manager, activities.user_id)
            self.assertNotIn(self.user_manager_2, activities.user_id, "another company")
            self.assertIn("Escalated", self.crisis.message_ids[0].body)
            Crisis._cron_escalate_sla()
            self.assertEqual(self._activities(self.crisis), activities, "not twice")
        acknowledged = self._create_crisis(
            severity="critical", date_declared="2026-04-01 08:00:00"
        )
        acknowledged.date_acknowledged = "2026-04-01 08:10:00"
        with freeze_time("2026-04-02 00:00:00"):
            Crisis._cron_escalate_sla()
            self.assertFalse(acknowledged.date_escalated)

    def test_customer_followups_and_playbook_reviews(self):
        impact = self.env["crisis.impact"].create(
            {
                "crisis_id": self.crisis.id,
                "partner_id": self.customers[0].id,
                "user_id": self.user_crisis_2.id,
                "date_next_followup": "2026-04-05",
            }
        )
        Impact, Playbook = self.env["crisis.impact"], self.env["crisis.playbook"]
        with freeze_time("2026-03-30 09:00:00"):
            Impact._cron_remind_followups()
            Playbook._cron_remind_reviews()
            self.assertFalse(self._activities(impact))
            self.assertFalse(self._activities(self.playbook), "review due on 2026-04-01")
        with freeze_time("2026-04-05 09:00:00"):
            for _run in range(2):
                Impact._cron_remind_followups()
                Playbook._cron_remind_reviews()
            self.assertEqual(self._activities(impact).user_id, self.user_crisis_2)
            self.assertEqual(self._activities(self.playbook).user_id, self.user_manager)
            impact.date_next_followup = "2026-04-08"
            self.playbook.action_mark_reviewed()
            self.assertFalse(self._activities(impact), "the reminder of the old date goes")
            self.assertFalse(self._activities(self.playbook), "reviewed: the reminder is done")
        with freeze_time("2026-04-08 09:00:00"):
            Impact._cron_remind_followups()
            Playbook._cron_remind_reviews()
            self.assertEqual(
                self._activities(impact).date_deadline, date(2026, 4, 8), "the new date"
            )
            self.assertFalse(self._activities(self.playbook), "reviewed: next in October")
