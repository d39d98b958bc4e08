"""The controls hold through Odoo's external API, as an integrator (or a
logged-in user from the browser console) would call it."""

from xmlrpc.client import Fault

from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestExternalApi(HttpCase, CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls._create_team("API team", cls.user_crisis)
        cls.crisis = cls._create_crisis(user=cls.user_crisis, team_id=cls.team.id)
        cls.crisis.public_statement = "<p>We are on it.</p>"
        cls.impact = cls.env["crisis.impact"].create(
            {"crisis_id": cls.crisis.id, "partner_id": cls.customers[0].id}
        )
        cls.playbook = cls.env["crisis.playbook"].create(
            {"name": "API playbook", "step_ids": [(0, 0, {"name": "Assess"})]}
        )

    def _call(self, user, model, method, *args, **kwargs):
        """``execute_kw`` over XML-RPC as ``user`` (test users' password is their login)."""
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
        )

    def test_forged_workflow_values_are_refused_over_xmlrpc(self):
        user = self.user_crisis
        with self.assertRaisesRegex(Fault, "cannot be set directly"):
            self._call(
                user,
                "crisis.compensation",
                "create",
                [{"impact_id": self.impact.id, "amount": 5000, "state": "approved"}],
            )
        compensation_id = self._call(
            user, "crisis.compensation", "create", [{"impact_id": self.impact.id, "amount": 50}]
        )[0]
        with self.assertRaisesRegex(Fault, "cannot be set directly"):
            self._call(
                user,
                "crisis.compensation",
                "write",
                [compensation_id],
                {"state": "approved", "approved_by_id": self.user_manager.id},
            )
        # the context a caller sends is no way around it
        with self.assertRaisesRegex(Fault, "cannot be set directly"):
            self._call(
                user,
                "crisis.compensation",
                "write",
                [compensation_id],
                {"state": "approved"},
                context={"crisis_workflow": True},
            )
        with self.assertRaisesRegex(Fault, "cannot be set directly"):
            self._call(
                user,
                "crisis.crisis",
                "write",
                [self.crisis.id],
                {"statement_state": "approved"},
            )
        compensation = self.env["crisis.compensation"].browse(compensation_id)
        self.assertEqual(compensation.state, "draft")
        self.assertEqual(self.crisis.statement_state, "draft")

    def test_crisis_of_the_line_accepted_over_xmlrpc(self):
        """An integrator sends the crisis column it exported: the crisis of the
        compensation's line is accepted, another one refused."""
        user = self.user_crisis
        other = self._create_crisis(user=user, name="Another crisis")
        compensation_id = self._call(
            user,
            "crisis.compensation",
            "create",
            [{"impact_id": self.impact.id, "crisis_id": self.crisis.id, "amount": 50}],
        )[0]
        self.assertIs(
            self._call(
                user,
                "crisis.compensation",
                "write",
                [compensation_id],
                {"crisis_id": self.crisis.id, "amount": 60},
            ),
            True,
        )
        with self.assertRaisesRegex(Fault, "Crisis cannot be set directly"):
            self._call(
                user,
                "crisis.compensation",
                "create",
                [{"impact_id": self.impact.id, "crisis_id": other.id, "amount": 50}],
            )
        with self.assertRaisesRegex(Fault, "Crisis cannot be set directly"):
            self._call(
                user, "crisis.compensation", "write", [compensation_id], {"crisis_id": other.id}
            )
        # an import of a file with the columns of an export
        columns = ["impact_id/.id", "crisis_id/.id", "type", "amount"]
        result = self._call(
            user,
            "crisis.compensation",
            "load",
            columns,
            [[str(self.impact.id), str(self.crisis.id), "voucher", "15"]],
        )
        self.assertFalse(result["messages"])
        result_other = self._call(
            user,
            "crisis.compensation",
            "load",
            columns,
            [[str(self.impact.id), str(other.id), "voucher", "15"]],
        )
        self.assertFalse(result_other["ids"])
        self.assertIn("Crisis cannot be set directly", result_other["messages"][0]["message"])
        compensations = self.impact.compensation_ids
        self.assertEqual(
            compensations.ids, sorted([compensation_id, *result["ids"]], reverse=True)
        )
        self.assertEqual(compensations.crisis_id, self.crisis)
        self.assertEqual(compensations.mapped("amount"), [15, 60])

    def test_workflow_buttons_over_xmlrpc(self):
        user, manager = self.user_crisis, self.user_manager
        compensation_id = self._call(
            user, "crisis.compensation", "create", [{"impact_id": self.impact.id, "amount": 50}]
        )[0]
        self.assertIs(
            self._call(user, "crisis.compensation", "action_submit", [compensation_id]), True
        )
        with self.assertRaisesRegex(Fault, "their own request"):
            self._call(user, "crisis.compensation", "action_approve", [compensation_id])
        self.assertIs(
            self._call(manager, "crisis.compensation", "action_approve", [compensation_id]), True
        )
        self.assertIs(
            self._call(user, "crisis.compensation", "action_deliver", [compensation_id]), True
        )
        with self.assertRaisesRegex(Fault, "Only a Crisis Manager"):
            self._call(user, "crisis.crisis", "action_approve_statement", [self.crisis.id])
        self.assertIs(
            self._call(manager, "crisis.crisis", "action_approve_statement", [self.crisis.id]),
            True,
        )
        self.assertIs(
            self._call(user, "crisis.crisis", "action_acknowledge", [self.crisis.id]), True
        )
        # a playbook given by its id, as XML-RPC can only give it
        self.assertIs(
            self._call(
                user, "crisis.crisis", "action_apply_playbook", [self.crisis.id], self.playbook.id
            ),
            True,
        )
        compensation = self.env["crisis.compensation"].browse(compensation_id)
        self.assertEqual(compensation.state, "delivered")
        self.assertEqual(compensation.approved_by_id, manager)
        self.assertEqual(self.crisis.statement_state, "approved")
        self.assertIn("Assess", self.crisis.action_ids.mapped("name"))

    def test_main_flow_over_xmlrpc(self):
        """Declare, add customers, approve the statement, notify, compensate, resolve."""
        user, manager = self.user_crisis, self.user_manager
        crisis_id = self._call(
            user,
            "crisis.crisis",
            "create",
            [
                {
                    "name": "Recall of batch 42",
                    "type_id": self.type_outage.id,
                    "team_id": self.team.id,
                    "public_statement": "<p>Batch 42 is recalled; you will be refunded.</p>",
                }
            ],
        )[0]
        self.assertIs(self._call(user, "crisis.crisis", "action_acknowledge", [crisis_id]), True)
        # add customers with the wizard
        wizard_id = self._call(
            user,
            "crisis.impact.wizard",
            "create",
            [
                {
                    "crisis_id": crisis_id,
                    "selection_mode": "partners",
                    "partner_ids": [(6, 0, self.customers[:3].ids)],
                    "is_priority": True,
                }
            ],
        )[0]
        self.assertIsInstance(
            self._call(user, "crisis.impact.wizard", "action_add", [wizard_id]), dict
        )
        crisis = self.env["crisis.crisis"].browse(crisis_id)
        self.assertEqual(crisis.affected_count, 3)
        # one voice: a manager approves the statement, then the team notifies
        self.assertIs(
            self._call(manager, "crisis.crisis", "action_approve_statement", [crisis_id]), True
        )
        notify_id = self._call(
            user,
            "crisis.notify.wizard",
            "create",
            [{"crisis_id": crisis_id, "kind": "initial", "audience": "all"}],
        )[0]
        self._call(user, "crisis.notify.wizard", "action_send", [notify_id])
        self.assertEqual(crisis.update_ids.state, "sent")
        self.assertEqual(crisis.update_ids.queued_count, 3)
        # contacted once the mail queue sent the emails and their server accepted them
        self.assertEqual(crisis.contacted_count, 0)
        self._crisis_send_mail_queue()
        self.assertEqual(crisis.update_ids.sent_count, 3)
        self.assertEqual(crisis.contacted_count, 3)
        # compensate one customer: proposed, submitted, approved by someone else, delivered
        line_id = crisis.impact_ids[:1].id
        compensation_id = self._call(
            user,
            "crisis.compensation",
            "create",
            # a free service: delivering it is a state here, whatever bridge module is
            # installed (a refund is a credit note with the accounting bridge, a
            # replacement a delivery with the inventory bridge)
            [{"impact_id": line_id, "type": "free_service", "amount": 80}],
        )[0]
        self._call(user, "crisis.compensation", "action_submit", [compensation_id])
        self._call(manager, "crisis.compensation", "action_approve", [compensation_id])
        self._call(user, "crisis.compensation", "action_deliver", [compensation_id])
        self.assertEqual(crisis.compensation_ids.state, "delivered")
        self.assertEqual(crisis.compensation_total, 80)
        # resolve: the stage says so, and the date is set
        self._call(
            user, "crisis.crisis", "write", [crisis_id], {"stage_id": self.stage_resolved.id}
        )
        self.assertTrue(crisis.is_resolved)
        self.assertTrue(crisis.date_resolved)

    def test_propose_to_many_in_the_background_over_xmlrpc(self):
        """Above the company's threshold the wizard answers at once, with a
        value XML-RPC carries; the scheduler then makes the compensations as
        the caller."""
        self.company.crisis_compensation_background_threshold = 2
        self.env["crisis.impact"]._link_partners(self.crisis, self.customers[1:4].ids)
        wizard_id = self._call(
            self.user_crisis,
            "crisis.compensation.wizard",
            "create",
            [{"crisis_id": self.crisis.id, "type": "voucher", "amount": 15}],
        )[0]
        result = self._call(
            self.user_crisis, "crisis.compensation.wizard", "action_propose", [wizard_id]
        )
        self.assertEqual(result["params"]["type"], "info")
        self.assertFalse(self.crisis.compensation_ids)
        job = self.env["crisis.compensation.propose.job"].search(
            [("crisis_id", "=", self.crisis.id)]
        )
        self.assertEqual((job.total_count, job.user_id), (4, self.user_crisis))
        job._cron_run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(len(self.crisis.compensation_ids), 4)
        self.assertEqual(self.crisis.compensation_ids.create_uid, self.user_crisis)
        # the job's progress is readable by its user, over the API too
        read = self._call(
            self.user_crisis,
            "crisis.compensation.propose.job",
            "read",
            [job.id],
            fields=["state", "processed_count"],
        )
        self.assertEqual((read[0]["state"], read[0]["processed_count"]), ("done", 4))
