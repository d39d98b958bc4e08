"""Propose Compensation for more affected customers than the company's
threshold: the click checks and returns at once, a background job of the
engine (crisis.job) makes the compensations in committed batches, as the user
who clicked, and the crisis is told once."""

import xmlrpc.client

import odoo
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.base.controllers import rpc

from .common import BackgroundJobCase, KilledWorker

PROPOSE_CRON = "crisis_management.ir_cron_crisis_propose_compensations"
BATCH_TO_APPROVE = "crisis_management.mail_act_crisis_compensations_to_approve"
TO_APPROVE_SUBTYPE = "crisis_management.mt_crisis_compensation_to_approve"


@tagged("post_install", "-at_install")
class TestProposeJob(BackgroundJobCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Job = cls.env["crisis.compensation.propose.job"]

    def _wizard(self, user=None, **values):
        return (
            self.env["crisis.compensation.wizard"]
            .with_user(user or self.user_crisis)
            .create({"crisis_id": self.crisis.id, "type": "gift", "amount": 10.0, **values})
        )

    def _run(self, batch_size=3, calls=1):
        for _call in range(calls):
            self.Job.sudo()._cron_run_jobs(batch_size=batch_size)
        self.env.invalidate_all()

    def _job(self):
        return self.Job.sudo().search([], limit=1)

    def _proposed(self):
        return self.env["crisis.compensation"].search([("crisis_id", "=", self.crisis.id)])

    def _summaries(self):
        return self.crisis.message_ids.filtered(lambda m: "in the background" in (m.body or ""))

    def test_above_the_threshold_returns_at_once_and_the_job_proposes(self):
        with self.capture_triggers(PROPOSE_CRON) as capture:
            result = self._wizard().action_propose()
        xmlrpc.client.dumps((result,), allow_none=False)
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(result["params"]["type"], "info")
        self.assertIn("proposed to 7 affected customers", result["params"]["message"])
        self.assertTrue(capture.records, "the job is started")
        self.assertFalse(self._proposed(), "nothing made in the click")
        job = self._job()
        self.assertEqual(
            (job.state, job.total_count, job.user_id, job.type, job.amount, job.submit),
            ("queued", 7, self.user_crisis, "gift", 10.0, True),
        )
        self.assertEqual(job.impact_ids, self.impacts)

        # the crisis shows the work under way, to its team
        crisis = self.crisis.with_user(self.user_crisis)
        self.assertEqual((crisis.proposing_count, crisis.proposing_progress), (7, 0.0))
        action = crisis.action_view_propose_jobs()
        # as Odoo's XML-RPC answers it
        rpc.dumps((action,))
        self.assertEqual(self.Job.search(action["domain"]), job)
        self._run()
        self.assertEqual((job.state, job.processed_count), ("running", 3))
        self.assertEqual(len(self._proposed()), 3)
        self.assertAlmostEqual(crisis.proposing_progress, 300 / 7)
        self._run(calls=3)
        self.assertEqual((job.state, job.processed_count), ("done", 7))
        self.assertEqual(crisis.proposing_count, 0)
        proposed = self._proposed()
        self.assertEqual(proposed.impact_id, self.impacts, "one per affected customer")
        self.assertEqual(len(proposed), 7)
        self.assertEqual(job.compensation_ids, proposed)
        # as the user who clicked, submitted as the wizard asked
        self.assertEqual(set(proposed.mapped("state")), {"to_approve"})
        self.assertEqual(proposed.user_id, self.user_crisis)
        self.assertEqual(proposed.submitted_by_id, self.user_crisis)
        self.assertEqual(proposed.create_uid, self.user_crisis)
        # each approver: one activity with the count, none per compensation
        activity_type = self.env.ref(BATCH_TO_APPROVE)
        mine = self.crisis.activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type and a.user_id == self.user_manager
        )
        self.assertEqual(mine.summary, "7 compensations to approve")
        self.assertFalse(proposed.activity_ids)
        # the crisis' followers of compensations to approve are told once
        summary = self._summaries()
        self.assertEqual(len(summary), 1, summary.mapped("body"))
        self.assertIn(
            "7 compensation(s) proposed (Gift) in the background by Carol Crisis-User, "
            "waiting for approval",
            summary.body,
        )
        self.assertEqual(summary.subtype_id, self.env.ref(TO_APPROVE_SUBTYPE))
        self.assertEqual(summary.author_id, self.user_crisis.partner_id)

    def test_drafts_in_the_background(self):
        self._wizard(submit=False, type="voucher", amount=4.0).action_propose()
        self._run(batch_size=10)
        job = self._job()
        self.assertEqual(job.state, "done")
        self.assertEqual(set(self._proposed().mapped("state")), {"draft"})
        self.assertFalse(
            self.crisis.activity_ids.filtered(lambda a: a.user_id == self.user_manager)
        )
        summary = self._summaries()
        self.assertIn("7 compensation(s) proposed (Voucher) in the background", summary.body)
        self.assertEqual(summary.subtype_id, self.env.ref("mail.mt_note"))

    def test_below_the_threshold_stays_at_once(self):
        wizard = self._wizard(impact_ids=[odoo.Command.set(self.impacts[:3].ids)])
        result = wizard.action_propose()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(len(self._proposed()), 3)
        self.assertFalse(self._job())

    def test_bad_input_is_refused_at_the_click(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._wizard(amount=-5.0).action_propose()
        archived = self.env["res.currency"].search([("active", "=", False)], limit=1)
        with self.assertRaises(UserError):
            self._wizard(currency_id=archived.id).action_propose()
        # a user who may not create compensations: refused, nothing queued
        viewer = self.user_internal
        with self.assertRaises(AccessError):
            self._wizard(user=viewer).action_propose()
        self.assertFalse(self._job())

    def test_a_batch_refused_ends_the_job_with_its_reason(self):
        self._wizard().action_propose()
        job = self._job()
        self._run()
        # the user who clicked leaves the crisis team's group meanwhile
        self.user_crisis.sudo().groups_id = [
            odoo.Command.unlink(self.env.ref("crisis_management.group_crisis_user").id)
        ]
        with odoo.tools.mute_logger("odoo.addons.crisis_management.models.crisis_job"):
            self._run(calls=2)
        self.assertEqual((job.state, job.processed_count), ("failed", 3))
        self.assertTrue(job.error)
        self.assertEqual(len(self._proposed()), 3, "the refused batch left nothing")
        self.assertIn("failed after 3 of 7", self.crisis.message_ids[0].body)

    def test_a_killed_worker_resumes_without_proposing_twice(self):
        self._wizard().action_propose()
        job = self._job()
        self._run()
        with self.assertRaises(KilledWorker), self.env.cr.savepoint():
            self.Job.sudo()._cron_run_jobs(batch_size=3)
            self.assertEqual(job.processed_count, 6)
            raise KilledWorker
        self.env.invalidate_all()
        self.assertEqual((job.state, job.processed_count), ("running", 3))
        self.assertEqual(len(self._proposed()), 3)
        self._run(calls=3)
        self.assertEqual(job.state, "done")
        proposed = self._proposed()
        self.assertEqual(len(proposed), 7, "each customer's compensation made once")
        self.assertEqual(proposed.impact_id, self.impacts)

    def test_a_stopped_job_proposes_nothing_more_and_removed_customers_are_left_out(self):
        self._wizard().action_propose()
        job = self._job()
        # a customer removed from the crisis after the click is left out
        self.impacts.sorted("id")[-1].sudo().unlink()
        self._run(batch_size=2)
        with self.assertRaises(AccessError):
            job.with_user(self.user_crisis_2).action_stop()
        self.assertIs(job.with_user(self.user_crisis).action_stop(), True)
        self.assertEqual((job.state, job.stopped_by_id), ("stopped", self.user_crisis))
        self._run(calls=3)
        self.assertEqual(len(self._proposed()), 2)
        self.assertIn(
            "was stopped by Carol Crisis-User after 2 of 7", self.crisis.message_ids[0].body
        )
        # the one left out: the job of the same selection now finds six
        self._wizard().action_propose()
        self._run(batch_size=10)
        self.assertEqual(self._job().processed_count, 6)

    def test_who_sees_the_jobs(self):
        self._wizard().action_propose()
        job = self._job()
        self.assertEqual(job.with_user(self.user_manager).total_count, 7)
        self.assertFalse(self.Job.with_user(self.user_crisis_2).search([]), "not theirs")
        with self.assertRaises(AccessError):
            job.with_user(self.user_manager_2).read(["total_count"])
        for values in ({"processed_count": 7}, {"amount": 1000.0}, {"impact_ids": [(5,)]}):
            with self.assertRaisesRegex(UserError, "cannot be set directly"):
                job.with_user(self.user_manager).write(values)
        # nobody records a job but the wizard (its fields are the workflow's,
        # and the model is read-only to users)
        with self.assertRaises(UserError):
            self.Job.with_user(self.user_crisis).create(
                {
                    "crisis_id": self.crisis.id,
                    "type": "gift",
                    "currency_id": self.company.currency_id.id,
                }
            )
