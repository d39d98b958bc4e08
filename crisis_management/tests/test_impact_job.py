from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestImpactJob(CrisisCase):
    """More contacts than the company's threshold: added in the background."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.crisis_add_background_threshold = 3
        cls.crisis = cls._create_crisis(user=cls.user_crisis)
        cls.domain = repr([("id", "in", cls.customers.ids)])

    def _add(self, user=None, domain=None, crisis=None, agent=None):
        crisis = crisis or self.crisis
        form = Form(
            self.env["crisis.impact.wizard"]
            .with_user(user or self.user_crisis)
            .with_context(default_crisis_id=crisis.id)
        )
        form.partner_domain = domain or self.domain
        form.impact_level = "high"
        if agent:
            form.user_id = agent
        return form.save().action_add()

    def _run(self, batch_size=2):
        self.env["crisis.impact.job"].sudo()._cron_add_customers(batch_size=batch_size)
        self.env.invalidate_all()

    def test_added_in_batches_with_progress(self):
        result = self._add()
        self.assertEqual(result["params"]["type"], "info")
        self.assertIn("5 contacts match", result["params"]["message"])
        job = self.crisis.impact_job_ids
        self.assertEqual(
            (job.state, job.total_count, job.user_id), ("queued", 5, self.user_crisis)
        )
        self.assertFalse(self.crisis.impact_ids, "nothing is added in the click")
        self.assertEqual(self.crisis.adding_count, 5)
        # a contact created after the click is not part of the job
        late = self.env["res.partner"].create({"name": "Late", "email": "late@example.com"})
        self._run()
        self.assertEqual((job.state, job.processed_count, job.progress), ("running", 2, 40.0))
        self.assertEqual(self.crisis.adding_progress, 40.0)
        self.assertEqual(len(self.crisis.impact_ids), 2)
        self._run()
        self._run()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.crisis.impact_ids.partner_id, self.customers)
        self.assertNotIn(late, self.crisis.impact_ids.partner_id)
        self.assertEqual(set(self.crisis.impact_ids.mapped("impact_level")), {"high"})
        self.assertEqual(self.crisis.affected_count, 5)
        self.assertEqual(self.crisis.adding_count, 0)
        self.assertIn(
            "5 affected customers added, 0 already linked", self.crisis.message_ids[0].body
        )
        # the lines were made through the ORM, as the user who clicked
        self.assertEqual(self.crisis.impact_ids.create_uid, self.user_crisis)
        self._run()  # nothing left: nothing happens
        self.assertEqual(job.processed_count, 5)

    def test_already_linked_are_skipped(self):
        self.env["crisis.impact"]._link_partners(self.crisis, self.customers[:2].ids)
        self._add()
        self._run(batch_size=10)
        job = self.crisis.impact_job_ids
        self.assertEqual((job.state, job.added_count, job.processed_count), ("done", 3, 5))
        self.assertIn(
            "3 affected customers added, 2 already linked", self.crisis.message_ids[0].body
        )

    def test_a_batch_refused_stops_the_job_with_its_reason(self):
        agent = new_test_user(
            self.env,
            login="agent_two_companies",
            groups="crisis_management.group_crisis_user",
            company_ids=[(6, 0, (self.company | self.company_2).ids)],
        )
        self._add(agent=agent)
        # between the click and the job, the agent leaves the crisis' company
        agent.write({"company_id": self.company_2.id, "company_ids": [(6, 0, self.company_2.ids)]})
        self._run()
        job = self.crisis.impact_job_ids
        self.assertEqual(job.state, "failed")
        self.assertIn("cannot be the agent", job.error)
        self.assertFalse(self.crisis.impact_ids, "the refused batch left nothing behind")
        self.assertIn("stopped after 0", self.crisis.message_ids[0].body)
        self.assertEqual(self.crisis.adding_count, 0)

    def test_rights(self):
        # a Crisis User who cannot change the crisis cannot add to it
        with self.assertRaises(AccessError):
            self._add(user=self.user_crisis_2)
        self.assertFalse(self.crisis.impact_job_ids)
        # the job is read-only for everyone, and hidden from other companies
        self._add()
        job = self.crisis.impact_job_ids
        with self.assertRaises(UserError):
            job.with_user(self.user_manager).write({"total_count": 1})
        with self.assertRaises(AccessError):
            job.with_user(self.user_manager_2).read(["total_count"])
        self.assertEqual(job.with_user(self.user_crisis).total_count, 5)
