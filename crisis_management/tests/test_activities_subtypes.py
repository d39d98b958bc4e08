"""Reminders as Odoo's apps make them, and the events people follow.

Each scheduled reminder has its own activity type, is made by the system
(``automated``) and is closed when its reason ends: marked done when the work
is done, removed when it no longer applies. Followers choose the crisis
events they are told of with message subtypes, those of its compensations
included.
"""

from datetime import date

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow
from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase

STEP_DUE = "crisis_management.mail_act_crisis_step_due"
SLA_BREACH = "crisis_management.mail_act_crisis_sla_breach"
UPDATE_DUE = "crisis_management.mail_act_crisis_update_due"
FOLLOWUP = "crisis_management.mail_act_crisis_followup"
UNHAPPY = "crisis_management.mail_act_crisis_unhappy_customer"
REVIEW = "crisis_management.mail_act_crisis_playbook_review"


@tagged("post_install", "-at_install")
class TestReminderActivities(CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-04-01 08:00:00"):
            # high severity: acknowledge within 4 hours, an update every 12 hours
            cls.crisis = cls._create_crisis(user=cls.user_crisis, severity="high")
            plan = cls.env["crisis.action.plan"].create(
                {"name": "Restore checkout", "crisis_id": cls.crisis.id}
            )
            cls.steps = cls.env["crisis.action"].create(
                [
                    {
                        "name": f"Step {i}",
                        "plan_id": plan.id,
                        "user_id": cls.user_crisis.id,
                        "date_deadline": "2026-04-01 12:00:00",
                    }
                    for i in range(3)
                ]
            )
            cls.impacts = cls.env["crisis.impact"].create(
                [
                    {
                        "crisis_id": cls.crisis.id,
                        "partner_id": customer.id,
                        "user_id": cls.user_crisis_2.id,
                        "date_next_followup": "2026-04-02",
                    }
                    for customer in cls.customers[:4]
                ]
            )
            cls.playbook = cls.env["crisis.playbook"].create(
                {
                    "name": "Outage response",
                    "user_id": cls.user_manager.id,
                    "review_interval": 6,
                    "date_last_review": "2025-10-01",
                }
            )

    def _reminders(self, records, xmlid):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", records._name),
                ("res_id", "in", records.ids),
                ("activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def _all_activities(self, records):
        return self.env["mail.activity"].search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        )

    def _done(self, records, xmlid):
        """The chatter messages of the reminders of type ``xmlid`` marked done."""
        return self.env["mail.message"].search(
            [
                ("model", "=", records._name),
                ("res_id", "in", records.ids),
                ("mail_activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def _assert_reminders(self, reminders, xmlid, records, user):
        """One automated reminder of type ``xmlid`` per record, for ``user``, nothing else."""
        activity_type = self.env.ref(xmlid)
        self.assertEqual(sorted(reminders.mapped("res_id")), sorted(records.ids))
        self.assertEqual(reminders.activity_type_id, activity_type)
        self.assertEqual(activity_type.res_model, records._name)
        self.assertTrue(all(reminders.mapped("automated")), "made by the system")
        self.assertEqual(reminders.user_id, user)
        self.assertEqual(self._all_activities(records), reminders, "no To-Do besides")

    def test_step_due_closed_with_the_step_and_its_deadline(self):
        Action = self.env["crisis.action"]
        with freeze_time("2026-04-01 09:00:00"):
            Action._cron_remind_steps()
        self._assert_reminders(
            self._reminders(self.steps, STEP_DUE), STEP_DUE, self.steps, self.user_crisis
        )
        done, cancelled, moved = self.steps.with_user(self.user_crisis)
        with freeze_time("2026-04-01 10:00:00"):
            done.action_done()
            cancelled.action_cancel()
            moved.date_deadline = "2026-04-03 12:00:00"
        self.assertFalse(self._reminders(self.steps, STEP_DUE))
        self.assertEqual(
            self._done(self.steps, STEP_DUE).mapped("res_id"),
            done.ids,
            "done with the step; removed for the cancelled step and the old deadline",
        )
        with freeze_time("2026-04-03 09:00:00"):
            Action._cron_remind_steps()
        reminder = self._reminders(self.steps, STEP_DUE)
        self.assertEqual(reminder.res_id, moved.id, "the new deadline, not the closed steps")
        self.assertEqual(reminder.date_deadline, date(2026, 4, 3))
        # saving the step without moving its deadline keeps the reminder
        moved.write({"date_deadline": moved.date_deadline, "name": "Step 2, renamed"})
        self.assertTrue(reminder.exists())

    def test_sla_breach_closed_by_the_acknowledgement(self):
        with freeze_time("2026-04-01 12:30:00"):
            self.env["crisis.crisis"]._cron_escalate_sla()
        reminders = self._reminders(self.crisis, SLA_BREACH)
        self.assertIn(self.user_manager, reminders.user_id)
        self.assertEqual(reminders.activity_type_id.decoration_type, "danger")
        self.assertTrue(all(reminders.mapped("automated")))
        self.assertEqual(self._all_activities(self.crisis), reminders)
        with freeze_time("2026-04-01 13:00:00"):
            self.crisis.with_user(self.user_crisis).action_acknowledge()
        self.assertFalse(self._reminders(self.crisis, SLA_BREACH))
        self.assertEqual(len(self._done(self.crisis, SLA_BREACH)), len(reminders))

    def test_update_due_closed_when_an_update_is_sent(self):
        Crisis = self.env["crisis.crisis"]
        with freeze_time("2026-04-01 20:30:00"):
            Crisis._cron_escalate_sla()
            Crisis._cron_remind_updates()
        reminder = self._reminders(self.crisis, UPDATE_DUE)
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.user_id, self.user_crisis, "the communications owner")
        self.assertTrue(reminder.automated)
        escalation = self._reminders(self.crisis, SLA_BREACH)
        self.assertTrue(escalation)
        with freeze_time("2026-04-01 21:00:00"):
            # what sending an update does
            as_workflow(self.crisis).date_last_update = fields.Datetime.now()
        self.assertFalse(self._reminders(self.crisis, UPDATE_DUE))
        self.assertEqual(self._done(self.crisis, UPDATE_DUE).res_id, self.crisis.id)
        self.assertEqual(
            self._reminders(self.crisis, SLA_BREACH), escalation, "not acknowledged yet"
        )

    def test_followup_closed_when_its_date_changes_or_the_line_is_closed(self):
        Impact = self.env["crisis.impact"]
        with freeze_time("2026-04-02 09:00:00"):
            Impact._cron_remind_followups()
        self._assert_reminders(
            self._reminders(self.impacts, FOLLOWUP), FOLLOWUP, self.impacts, self.user_crisis_2
        )
        moved, cleared, resolved, lost = self.impacts.with_user(self.user_crisis_2)
        with freeze_time("2026-04-02 10:00:00"):
            moved.date_next_followup = "2026-04-06"
            cleared.date_next_followup = False
            resolved.contact_status = "resolved"
            lost.contact_status = "lost"
        self.assertFalse(self._reminders(self.impacts, FOLLOWUP))
        self.assertEqual(self._done(self.impacts, FOLLOWUP).mapped("res_id"), resolved.ids)
        with freeze_time("2026-04-06 09:00:00"):
            Impact._cron_remind_followups()
        reminder = self._reminders(self.impacts, FOLLOWUP)
        self.assertEqual(reminder.res_id, moved.id, "reminded of the new date")
        self.assertEqual(reminder.date_deadline, date(2026, 4, 6))
        # the same date written again keeps it
        moved.write({"date_next_followup": "2026-04-06", "feedback": "Left a message."})
        self.assertTrue(reminder.exists())

    def test_playbook_review_closed_when_reviewed(self):
        with freeze_time("2026-04-02 09:00:00"):
            self.env["crisis.playbook"]._cron_remind_reviews()
            self._assert_reminders(
                self._reminders(self.playbook, REVIEW), REVIEW, self.playbook, self.user_manager
            )
            self.playbook.with_user(self.user_manager).action_mark_reviewed()
        self.assertFalse(self._reminders(self.playbook, REVIEW))
        self.assertEqual(self._done(self.playbook, REVIEW).res_id, self.playbook.id)

    def test_unhappy_customer_call_closed_with_the_churn_risk(self):
        cleared, resolved, other = self.impacts[:3]
        with self.mock_mail_gateway():
            for impact in cleared | resolved:
                impact._rating_get_access_token()
                impact.rating_apply(1, rating=impact.rating_ids, feedback="Nobody called.")
        lines = cleared | resolved
        reminders = self._reminders(lines, UNHAPPY)
        self._assert_reminders(reminders, UNHAPPY, lines, self.user_crisis_2)
        self.assertEqual(reminders.activity_type_id.category, "phonecall")
        self.assertTrue(all(lines.mapped("churn_risk")))
        with self.mock_mail_gateway():
            cleared.with_user(self.user_crisis_2).churn_risk = False
            resolved.with_user(self.user_crisis_2).contact_status = "resolved"
            other.with_user(self.user_crisis_2).contact_status = "in_discussion"
        self.assertFalse(self._reminders(lines, UNHAPPY))
        self.assertEqual(sorted(self._done(lines, UNHAPPY).mapped("res_id")), sorted(lines.ids))


@tagged("post_install", "-at_install")
class TestSubtypes(CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # chatter as users see it: tracking on
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))

    def _flush_tracking(self):
        """Post the tracking messages, as the end of the transaction does."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _messages(self, record, xmlid):
        subtype = self.env.ref(xmlid)
        return record.message_ids.filtered(lambda message: message.subtype_id == subtype)

    def test_declaration_message(self):
        crisis = self._create_crisis(user=self.user_crisis)
        self._flush_tracking()
        creation = crisis.message_ids.sorted("id")[:1]
        self.assertEqual(creation.subtype_id, self.env.ref("crisis_management.mt_crisis_declared"))
        self.assertEqual(creation.author_id, self.user_crisis.partner_id)

    def test_resolution_and_statement_approval_messages(self):
        crisis = self._create_crisis(user=self.user_crisis, public_statement="<p>On it.</p>")
        # a follower with the default subtypes
        crisis.message_subscribe(partner_ids=self.user_crisis_2.partner_id.ids)
        self._flush_tracking()
        with self.mock_mail_gateway():
            crisis.with_user(self.user_manager).action_approve_statement()
            self._flush_tracking()
            crisis.with_user(self.user_crisis).stage_id = self.stage_responding
            self._flush_tracking()
            crisis.with_user(self.user_crisis).stage_id = self.stage_resolved
            self._flush_tracking()
        approval = self._messages(crisis, "crisis_management.mt_crisis_statement_approved")
        self.assertEqual(len(approval), 1)
        self.assertEqual(
            approval.tracking_value_ids.field_id.mapped("name"),
            ["statement_state", "statement_approved_by_id"],
        )
        self.assertIn(self.user_crisis_2.partner_id, approval.notified_partner_ids)
        resolution = self._messages(crisis, "crisis_management.mt_crisis_resolved")
        self.assertEqual(len(resolution), 1, "the move to Responding is no resolution")
        self.assertIn("stage_id", resolution.tracking_value_ids.field_id.mapped("name"))
        self.assertIn(self.user_crisis_2.partner_id, resolution.notified_partner_ids)

    def test_crisis_followers_follow_its_compensations(self):
        crisis = self._create_crisis(user=self.user_crisis)
        impacts = self.env["crisis.impact"].create(
            [{"crisis_id": crisis.id, "partner_id": p.id} for p in self.customers[:2]]
        )
        Compensation = self.env["crisis.compensation"].with_user(self.user_crisis)
        # one request drafted before the manager follows the crisis, one after
        before = Compensation.create({"impact_id": impacts[0].id, "amount": 20})
        crisis.message_subscribe(
            partner_ids=self.user_manager.partner_id.ids,
            subtype_ids=self.env.ref("crisis_management.mt_crisis_compensation_to_approve").ids,
        )
        # a follower with the default subtypes: not the compensations to approve
        crisis.message_subscribe(partner_ids=self.user_crisis_2.partner_id.ids)
        after = Compensation.create({"impact_id": impacts[1].id, "amount": 30})
        self._flush_tracking()
        with self.mock_mail_gateway():
            # one at a time: each tells its followers (many at once tell once,
            # see test_job_engine.py)
            before.action_submit()
            after.action_submit()
            self._flush_tracking()
        for compensation in before | after:
            submitted = self._messages(
                compensation, "crisis_management.mt_compensation_to_approve"
            )
            self.assertEqual(len(submitted), 1, compensation.reference)
            self.assertIn(self.user_manager.partner_id, submitted.notified_partner_ids)
            self.assertNotIn(self.user_crisis_2.partner_id, submitted.notified_partner_ids)

        # the approval tells the requester, who follows their request
        with self.mock_mail_gateway():
            before.with_user(self.user_manager).action_approve()
            self._flush_tracking()
        approval = self._messages(before, "crisis_management.mt_compensation_approved")
        self.assertEqual(len(approval), 1)
        self.assertIn(self.user_crisis.partner_id, approval.notified_partner_ids)

    def test_bulk_submitted_compensations_tell_the_crisis_followers_once(self):
        crisis = self._create_crisis(user=self.user_crisis)
        self.env["crisis.impact"]._link_partners(crisis, self.customers.ids)
        crisis.message_subscribe(
            partner_ids=self.user_manager.partner_id.ids,
            subtype_ids=self.env.ref("crisis_management.mt_crisis_compensation_to_approve").ids,
        )
        crisis.message_subscribe(partner_ids=self.user_crisis_2.partner_id.ids)
        self._flush_tracking()
        wizard = (
            self.env["crisis.compensation.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=crisis.id)
            .create({"type": "voucher", "amount": 10, "submit": True})
        )
        with self.mock_mail_gateway():
            wizard.action_propose()
            self._flush_tracking()
        self.assertEqual(len(crisis.compensation_ids), 5)
        notice = self._messages(crisis, "crisis_management.mt_crisis_compensation_to_approve")
        self.assertEqual(len(notice), 1)
        self.assertIn("5 compensations proposed", notice.body)
        self.assertIn(self.user_manager.partner_id, notice.notified_partner_ids)
        self.assertNotIn(self.user_crisis_2.partner_id, notice.notified_partner_ids)
