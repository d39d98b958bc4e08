"""The one job engine (crisis.job): bulk actions above the company's threshold
return at once and run on Odoo's scheduler, in committed batches, as the user
who clicked; a job can be stopped, resumes after a killed worker, and tells
the crisis what it did."""

import time
import xmlrpc.client

import odoo
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

from .common import BackgroundJobCase, CrisisCase, KilledWorker

BULK_CRON = "crisis_management.ir_cron_crisis_compensation_jobs"
ADD_CRON = "crisis_management.ir_cron_crisis_add_customers"
BATCH_TO_APPROVE = "crisis_management.mail_act_crisis_compensations_to_approve"


@tagged("post_install", "-at_install")
class TestJobEngine(BackgroundJobCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Bulk = cls.env["crisis.compensation.bulk.job"]

    def _requests(self, count=7, submit=True, user=None):
        """``count`` gift compensations requested by the Crisis User, one per
        affected customer, waiting for approval (or drafts)."""
        Compensation = self.env["crisis.compensation"].with_user(user or self.user_crisis)
        return Compensation._propose_to(
            self.impacts[:count],
            {"type": "gift", "amount": 10.0, "currency_id": self.company.currency_id.id},
            submit=submit,
        ).with_env(self.env)

    def _waiting(self, count):
        """``count`` requests of the Crisis User waiting for approval, made in
        one ``create`` with their references (not drawn from the sequence,
        which no rollback gives back, thousands of times a run)."""
        Compensation = as_workflow(
            self.env["crisis.compensation"]
            .with_user(self.user_crisis)
            .with_context(tracking_disable=True)
        )
        return Compensation.create(
            [
                {
                    "impact_id": impact.id,
                    "type": "gift",
                    "amount": 10.0,
                    "reference": f"ENGINE/{count}/{i}",
                    "state": "to_approve",
                    "submitted_by_id": self.user_crisis.id,
                }
                for i, impact in enumerate(self.impacts[:count])
            ]
        ).with_env(self.env)

    def _run(self, batch_size=3, calls=1):
        for _call in range(calls):
            self.Bulk.sudo()._cron_run_jobs(batch_size=batch_size)
        self.env.invalidate_all()

    def _job(self):
        return self.Bulk.sudo().search([], limit=1)

    def _notes(self):
        return self.crisis.message_ids.filtered(lambda m: m.message_type == "notification")

    # ------------------------------------------------------------------
    # Approve, Submit, Reject, Deliver above the threshold
    # ------------------------------------------------------------------

    def test_approve_above_the_threshold_returns_at_once_and_the_job_approves(self):
        requests = self._requests()
        with self.capture_triggers(BULK_CRON) as capture:
            result = requests.with_user(self.user_manager).action_approve()
        xmlrpc.client.dumps((result,), allow_none=False)
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(result["params"]["type"], "info")
        self.assertIn("7 compensation(s) are being processed", result["params"]["message"])
        self.assertTrue(capture.records, "the job is started")
        self.assertEqual(set(requests.mapped("state")), {"to_approve"}, "nothing approved yet")
        job = self._job()
        self.assertEqual(
            (job.action, job.state, job.total_count, job.user_id),
            ("approve", "queued", 7, self.user_manager),
        )
        self.assertEqual(job.compensation_ids, requests)

        # one is approved by hand meanwhile: the job skips it
        requests[-1].with_user(self._create_second_manager()).action_approve()

        self._run()
        self.assertEqual((job.state, job.processed_count, job.progress), ("running", 3, 300 / 7))
        self.assertEqual(len(requests.filtered(lambda c: c.state == "approved")), 4)
        self._run(calls=3)
        self.assertEqual(job.state, "done")
        self.assertEqual(set(requests.mapped("state")), {"approved"})
        # as the user who clicked, not as the scheduler
        self.assertEqual(requests[:-1].approved_by_id, self.user_manager)
        self.assertEqual((job.processed_count, job.changed_count), (7, 6))
        # the approvers' reminders ended with the requests
        self.assertFalse(
            requests.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id
                    == self.env.ref("crisis_management.mail_act_crisis_compensation_to_approve")
                )
            )
        )
        self.assertIn(
            "6 compensation(s) approved in the background by Marc Crisis-Manager; 1 skipped",
            self._notes()[0].body,
        )
        self.assertEqual(self._notes()[0].author_id, self.user_manager.partner_id)

    def test_the_click_costs_the_same_whatever_the_selection(self):
        """What the click does does not grow with the selection: checks in a
        few grouped queries, the job and its compensations in one insert."""
        self.company.crisis_compensation_background_threshold = 1
        self.impacts |= self.env["crisis.impact"]._link_partners(
            self.crisis,
            self.env["res.partner"].create([{"name": f"More {i}"} for i in range(300)]).ids,
        )

        def click(count):
            requests = self._waiting(count).with_user(self.user_manager)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            start = time.perf_counter()
            requests.action_approve()
            self.env.flush_all()
            elapsed = time.perf_counter() - start
            self.assertEqual(set(requests.mapped("state")), {"to_approve"})
            return self.cr.sql_log_count - before, elapsed

        click(5)  # warm the caches
        (small, _elapsed), (large, elapsed) = click(30), click(3000)
        self.assertLessEqual(large, small + 6, f"30: {small} queries, 3000: {large}")
        self.assertLess(elapsed, 1.0, f"the click of 3000 returns at once ({elapsed:.2f} s)")

    def test_submit_above_the_threshold_in_the_background(self):
        drafts = self._requests(submit=False)
        self.assertEqual(set(drafts.mapped("state")), {"draft"})
        result = drafts.with_user(self.user_crisis).action_submit()
        xmlrpc.client.dumps((result,), allow_none=False)
        self.assertEqual(result["params"]["title"], "Submit for Approval")
        self.assertEqual(set(drafts.mapped("state")), {"draft"}, "nothing submitted yet")
        self._run(batch_size=5, calls=2)
        job = self._job()
        self.assertEqual((job.action, job.state, job.changed_count), ("submit", "done", 7))
        self.assertEqual(set(drafts.mapped("state")), {"to_approve"})
        self.assertEqual(drafts.submitted_by_id, self.user_crisis)
        # the approvers got their reminder, as for a click: one each, with the count
        reminder = self._batch_activities(self.user_manager)
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.summary, "7 compensations to approve")
        self.assertFalse(drafts.activity_ids, "none per compensation")
        self.assertIn("7 compensation(s) submitted for approval", self._notes()[0].body)
        # the submitter does not approve them, in the background either
        with self.assertRaisesRegex(UserError, "nobody approves or rejects their own"):
            drafts.with_user(self.user_crisis).action_approve()
        self.assertEqual(len(self.Bulk.sudo().search([])), 1, "refused at the click")

    def test_below_the_threshold_stays_at_once(self):
        requests = self._requests(3)
        self.assertIs(requests.with_user(self.user_manager).action_approve(), True)
        self.assertEqual(set(requests.mapped("state")), {"approved"})
        self.assertFalse(self.Bulk.sudo().search([]))

    def test_reject_and_deliver_above_the_threshold(self):
        requests = self._requests()
        requests[:4].with_user(self.user_manager).action_reject()
        self.assertEqual(set(requests[:4].mapped("state")), {"to_approve"})
        self._run(batch_size=10)
        self.assertEqual(set(requests[:4].mapped("state")), {"rejected"})
        self._run()  # nothing due: nothing happens
        (requests[4:]).with_user(self.user_manager).action_approve()
        self.assertEqual(set(requests[4:].mapped("state")), {"approved"}, "3: at once")
        self.company.crisis_compensation_background_threshold = 2
        result = requests.with_user(self.user_crisis).action_deliver_selection()
        xmlrpc.client.dumps((result,), allow_none=False)
        self.assertIn("3 being delivered in the background", result["params"]["message"])
        self.assertIn("4 not approved", result["params"]["message"])
        self.assertEqual(set(requests[4:].mapped("state")), {"approved"})
        self._run(batch_size=2, calls=2)
        self.assertEqual(set(requests[4:].mapped("state")), {"delivered"})
        self.assertIn("3 compensation(s) delivered in the background", self._notes()[0].body)

    # ------------------------------------------------------------------
    # The four-eyes rule, at the click and in the job
    # ------------------------------------------------------------------

    def test_four_eyes_rule_held_at_the_click_and_in_the_job(self):
        requests = self._requests()
        # the manager's own request in the selection: refused at once, nothing queued
        own = self._requests(1, user=self.user_manager)
        with self.assertRaisesRegex(UserError, "nobody approves or rejects their own"):
            (requests | own).with_user(self.user_manager).action_approve()
        self.assertFalse(self.Bulk.sudo().search([]))

        requests.with_user(self.user_manager).action_approve()
        job = self._job()
        self._run()  # the first batch of three is approved
        # meanwhile the manager takes part in one of the next ones: they
        # cancel it, and submit it again themselves
        taken = requests.sorted("id")[4]
        taken.with_user(self.user_manager).action_cancel()
        taken.with_user(self.user_manager).action_draft()
        taken.with_user(self.user_manager).action_submit()
        self.assertEqual(taken.submitted_by_id, self.user_manager)
        with odoo.tools.mute_logger("odoo.addons.crisis_management.models.crisis_job"):
            self._run(calls=2)
        self.assertEqual(job.state, "failed")
        self.assertIn("nobody approves or rejects their own request", job.error)
        self.assertEqual(taken.state, "to_approve", "never approved by its submitter")
        batch = requests.sorted("id")[3:6]
        self.assertEqual(set(batch.mapped("state")), {"to_approve"}, "the batch left nothing")
        self.assertEqual(job.processed_count, 3)
        self.assertIn("failed after 3 of 7", self._notes()[0].body)

    # ------------------------------------------------------------------
    # Stop, resume, access
    # ------------------------------------------------------------------

    def test_a_stopped_job_does_nothing_more(self):
        requests = self._requests()
        requests.with_user(self.user_manager).action_approve()
        job = self._job()
        self._run(batch_size=2)
        self.assertEqual(len(requests.filtered(lambda c: c.state == "approved")), 2)
        # nobody but who started it or a Crisis Manager stops it
        with self.assertRaises(AccessError):
            job.with_user(self.user_crisis).action_stop()
        self.assertTrue(job.with_user(self.user_manager).can_stop)
        result = job.with_user(self.user_manager).action_stop()
        self.assertIs(result, True)
        xmlrpc.client.dumps((result,), allow_none=False)
        self.assertEqual((job.state, job.stopped_by_id), ("stopped", self.user_manager))
        self.assertFalse(job.with_user(self.user_manager).can_stop)
        with self.assertRaisesRegex(UserError, "Only a queued or running job"):
            job.with_user(self.user_manager).action_stop()
        self._run(batch_size=2, calls=4)
        self.assertEqual(len(requests.filtered(lambda c: c.state == "approved")), 2)
        self.assertEqual(job.processed_count, 2)
        self.assertIn("was stopped by Marc Crisis-Manager: 2 done", self._notes()[0].body)

    def test_a_killed_worker_resumes_without_doing_a_batch_twice(self):
        requests = self._requests()
        requests.with_user(self.user_manager).action_approve()
        job = self._job()
        self._run()  # a first batch, committed by the scheduler
        self.assertEqual(job.processed_count, 3)
        # the worker of the second batch is killed before the scheduler's commit
        with self.assertRaises(KilledWorker), self.env.cr.savepoint():
            self.Bulk.sudo()._cron_run_jobs(batch_size=3)
            self.assertEqual(job.processed_count, 6)
            raise KilledWorker
        self.env.invalidate_all()
        self.assertEqual((job.state, job.processed_count), ("running", 3))
        self.assertEqual(len(requests.filtered(lambda c: c.state == "approved")), 3)
        self._run(calls=3)
        self.assertEqual((job.state, job.processed_count, job.changed_count), ("done", 7, 7))
        # each approval happened once: one log per compensation
        for compensation in requests:
            messages = compensation.message_ids.filtered(lambda m: "Approved by" in (m.body or ""))
            self.assertEqual(len(messages), 1, compensation.reference)
        self.assertEqual(len(self._notes().filtered(lambda m: "approved in the" in m.body)), 1)

    def _batch_activities(self, user=None):
        domain = [
            ("res_model", "=", "crisis.crisis"),
            ("res_id", "=", self.crisis.id),
            ("activity_type_id", "=", self.env.ref(BATCH_TO_APPROVE).id),
        ]
        if user:
            domain.append(("user_id", "=", user.id))
        return self.env["mail.activity"].search(domain)

    def _told(self, partner, since):
        """The messages notifying ``partner`` since the message id ``since``."""
        return self.env["mail.message"].search(
            [("id", ">", since), ("partner_ids", "in", partner.ids)]
        )

    def test_bulk_actions_tell_each_person_once(self):
        """Submitting and approving many compensations at once gives each
        approver one activity and each requester one message, with the
        counts: never one per compensation."""
        requests = self._requests(count=3, submit=False)
        since = self.env["mail.message"].search([], order="id desc", limit=1).id
        requests.with_user(self.user_crisis).action_submit()
        self.assertEqual(set(requests.mapped("state")), {"to_approve"})
        per_record = self.env["mail.activity"].search(
            [("res_model", "=", "crisis.compensation"), ("res_id", "in", requests.ids)]
        )
        self.assertFalse(per_record, "no activity per compensation")
        mine = self._batch_activities(self.user_manager)
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine.summary, "3 compensations to approve")
        approvers = self._batch_activities().user_id
        self.assertEqual(len(self._batch_activities()), len(approvers), "one per approver")
        self.assertNotIn(self.user_crisis, approvers, "never the requester")
        # approved at once: the requester is told once, with the count (a
        # caller's context cannot silence it)
        requests.with_user(self.user_manager).with_context(
            crisis_bulk_told_later=True
        ).action_approve()
        self.assertEqual(set(requests.mapped("state")), {"approved"})
        told = self._told(self.user_crisis.partner_id, since)
        self.assertEqual(len(told), 1, told.mapped("body"))
        self.assertIn("approved 3 compensation request(s)", told.body)
        approved = self.env.ref("crisis_management.mt_compensation_approved")
        self.assertFalse(requests.message_ids.filtered(lambda m: m.subtype_id == approved))
        self.assertFalse(self._batch_activities(), "the approvers' activities end")
        # each compensation's chatter keeps what happened to it
        for compensation in requests:
            self.assertTrue(
                compensation.message_ids.filtered(lambda m: "Approved by" in (m.body or ""))
            )

    def test_background_approval_tells_each_requester_once(self):
        requests = self._waiting(7)
        since = self.env["mail.message"].search([], order="id desc", limit=1).id
        requests.with_user(self.user_manager).action_approve()
        self._run(calls=3)
        self.assertEqual(set(requests.mapped("state")), {"approved"})
        told = self._told(self.user_crisis.partner_id, since)
        self.assertEqual(len(told), 1, told.mapped("body"))
        self.assertIn("approved 7 compensation request(s)", told.body)

    def test_who_sees_the_jobs(self):
        requests = self._requests()
        requests.with_user(self.user_manager).action_approve()
        job = self._job()
        self.assertEqual(job.with_user(self.user_manager).total_count, 7)
        self.assertFalse(self.Bulk.with_user(self.user_crisis_2).search([]), "not theirs")
        with self.assertRaises(AccessError):
            job.with_user(self.user_manager_2).read(["total_count"])
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            job.with_user(self.user_manager).write({"processed_count": 7})
        with self.assertRaises(ValidationError):
            self.company.crisis_compensation_background_threshold = -1

    def test_adding_customers_stopped_by_who_started_it(self):
        self.company.crisis_add_background_threshold = 2
        form = Form(
            self.env["crisis.impact.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
        )
        form.partner_domain = repr([("id", "in", self.customers.ids)])
        with self.capture_triggers(ADD_CRON) as capture:
            form.save().action_add()
        self.assertTrue(capture.records)
        action = self.crisis.action_view_impact_jobs()
        job = self.env["crisis.impact.job"].search(action["domain"])
        self.assertEqual(job.user_id, self.user_crisis)
        Job = self.env["crisis.impact.job"].sudo()
        Job._cron_add_customers(batch_size=2)
        self.assertIs(job.with_user(self.user_crisis).action_stop(), True)
        Job._cron_add_customers(batch_size=2)
        self.env.invalidate_all()
        self.assertEqual((job.state, job.processed_count, job.added_count), ("stopped", 2, 2))
        self.assertEqual(
            len(self.crisis.impact_ids.filtered(lambda i: i.partner_id in self.customers)), 2
        )
        self.assertEqual(self.crisis.adding_count, 0)
        self.assertIn(
            "Adding affected customers was stopped by Carol Crisis-User: 2 added, 2 of 5",
            self._notes()[0].body,
        )


@tagged("post_install", "-at_install")
class TestJobEngineWorkers(CrisisCase):
    """On real connections, which see only committed data, as cron workers do."""

    def _committed_job(self, count=5):
        """A crisis, ``count`` contacts and the job adding them, committed;
        {name: ids} for the test and its cleanup."""
        connect = odoo.sql_db.db_connect(self.env.cr.dbname)
        with connect.cursor() as setup_cr:
            setup_cr.execute("SET lock_timeout = '5s'")
            env = odoo.api.Environment(setup_cr, odoo.SUPERUSER_ID, {})
            last_trigger = env["ir.cron.trigger"].search([], order="id desc", limit=1).id or 0
            admin = env.ref("base.user_admin")
            crisis = env["crisis.crisis"].create({"name": "Workers and one job"})
            partners = env["res.partner"].create(
                [{"name": f"Job worker {i}", "email": f"jw{i}@example.com"} for i in range(count)]
            )
            job = (
                env["crisis.impact.job"]
                .with_user(admin)
                ._crisis_queue(crisis, [("id", "in", partners.ids)], count, "medium", False, admin)
            )
            setup_cr.commit()
            ids = {"crisis": crisis.id, "partners": partners.ids, "job": job.id}
            ids["last_trigger"] = last_trigger
        self.addCleanup(self._cleanup, connect, ids)
        return connect, ids

    def _cleanup(self, connect, ids):
        with connect.cursor() as cleanup_cr:
            cleanup_cr.execute("SET lock_timeout = '5s'")
            env = odoo.api.Environment(cleanup_cr, odoo.SUPERUSER_ID, {})
            crisis = env["crisis.crisis"].browse(ids["crisis"])
            env["mail.message"].search(
                [("model", "=", "crisis.impact"), ("res_id", "in", crisis.impact_ids.ids)]
            ).unlink()
            crisis.unlink()
            env["res.partner"].browse(ids["partners"]).unlink()
            env["ir.cron.trigger"].search([("id", ">", ids["last_trigger"])]).unlink()
            cleanup_cr.commit()

    def _state(self, cr, ids):
        """{partner id: lines of the crisis}, and (state, processed, added) of the job."""
        cr.execute(
            "SELECT partner_id, COUNT(*) FROM crisis_impact WHERE crisis_id = %s"
            " GROUP BY partner_id",
            [ids["crisis"]],
        )
        lines = dict(cr.fetchall())
        cr.execute(
            "SELECT state, COALESCE(processed_count, 0), COALESCE(added_count, 0)"
            " FROM crisis_impact_job WHERE id = %s",
            [ids["job"]],
        )
        return lines, cr.fetchone()

    def test_a_second_worker_skips_the_job_then_resumes_it_after_the_first_died(self):
        connect, ids = self._committed_job()
        with connect.cursor() as cr1, connect.cursor() as cr2:
            cr1.execute("SET lock_timeout = '5s'")
            cr2.execute("SET lock_timeout = '5s'")
            Job1 = odoo.api.Environment(cr1, odoo.SUPERUSER_ID, {})["crisis.impact.job"]
            Job2 = odoo.api.Environment(cr2, odoo.SUPERUSER_ID, {})["crisis.impact.job"]
            # the first worker takes the job and links a batch...
            self.assertEqual(Job1._crisis_run_due(batch_size=2).ids, [ids["job"]])
            # ...the second one, meanwhile, skips it: never the same batch twice
            self.assertFalse(Job2._crisis_run_due(batch_size=2))
            cr2.rollback()
            # the first worker is killed before its commit: its batch is gone
            cr1.rollback()
            # the second one resumes the job from its last committed state
            for _call in range(3):
                Job2._crisis_run_due(batch_size=2)
                cr2.commit()
            lines, job = self._state(cr2, ids)
            self.assertEqual(lines, dict.fromkeys(ids["partners"], 1), "each customer once")
            self.assertEqual(job, ("done", 5, 5))

    def test_a_batch_meeting_a_concurrent_change_is_tried_again(self):
        connect, ids = self._committed_job(count=3)
        with connect.cursor() as cr1, connect.cursor() as cr2:
            cr1.execute("SET lock_timeout = '5s'")
            cr2.execute("SET lock_timeout = '5s'")
            # the worker's transaction begins...
            Job1 = odoo.api.Environment(cr1, odoo.SUPERUSER_ID, {})["crisis.impact.job"]
            cr1.execute("SELECT 1")
            # ...a user changes the crisis and saves, meanwhile...
            cr2.execute(
                "UPDATE crisis_crisis SET scope = 'Changed meanwhile' WHERE id = %s",
                [ids["crisis"]],
            )
            cr2.commit()
            # ...so the batch, which counts the crisis's customers again, cannot
            # save: it leaves nothing behind, the job waits for the next call
            with odoo.tools.mute_logger("odoo.sql_db"):
                self.assertEqual(Job1._crisis_run_due(batch_size=10).ids, [ids["job"]])
            cr1.commit()
            self.assertEqual(self._state(cr1, ids), ({}, ("queued", 0, 0)))
            cr1.execute(
                "SELECT COUNT(*) FROM ir_cron_trigger WHERE id > %s AND cron_id = %s",
                [ids["last_trigger"], self.env.ref(ADD_CRON).id],
            )
            self.assertGreaterEqual(cr1.fetchone()[0], 2, "queued, then woken again")
            Job1._crisis_run_due(batch_size=10)
            cr1.commit()
            lines, job = self._state(cr1, ids)
            self.assertEqual(lines, dict.fromkeys(ids["partners"], 1))
            self.assertEqual(job, ("done", 3, 3))
