"""One gate for speaking to customers.

``crisis.crisis._crisis_speak_refusal`` answers "may this crisis send this to
its customers now"; every path to the customers asks it, or its SQL twin
(``_crisis_speak_sql``) for the work picked in the database. Each path is
tried on a drill and on a crisis whose statement is not approved: refused,
nothing reaches the customers. Then on a real crisis the gate is made to
refuse: a path that answered the question itself (reading ``is_drill`` or
``statement_state``) would let its message through, and fail here. The SMS
paths are tried in ``crisis_management_sms``.
"""

from contextlib import ExitStack, contextmanager
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase
from .test_reach import UNDELIVERABLE

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
OTHER_TEXT = "<p>Your order will arrive tomorrow.</p>"
REFUSED = {
    "drill": "drills never send anything to customers",
    "statement": "approves the public statement",
    "message": "this message is not the approved public statement",
}
CALL = "mail.mail_activity_data_call"


@tagged("post_install", "-at_install")
class TestSpeakGate(CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # above two customers, a send goes to the sending jobs
        cls.company.crisis_send_background_threshold = 2
        cls.company.crisis_satisfaction_days = 0
        cls.stage_resolved.mail_template_id = cls.env.ref(
            "crisis_management.mail_template_impact_resolution"
        )
        cls.progress = cls.env.ref("crisis_management.mail_template_impact_progress")
        cls.kunde = cls.env["res.partner"].create({"name": "Kunde", "email": UNDELIVERABLE})

    @classmethod
    def _crisis(cls, approved=True, partners=None, **values):
        crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT, **values)
        if approved:
            crisis.with_user(cls.user_manager).action_approve_statement()
        partners = cls.customers[:3] if partners is None else partners
        cls.env["crisis.impact"]._link_partners(crisis, partners.ids)
        return crisis

    def _refused_crises(self):
        """{refusal: a crisis the gate refuses so}."""
        return {
            "drill": self._crisis(is_drill=True),
            "statement": self._crisis(approved=False),
        }

    def _refuse(self, crisis, refusal):
        """Make ``crisis``, which spoke, refused by the gate for ``refusal``."""
        if refusal == "drill":
            crisis.sudo().is_drill = True
        else:
            crisis.with_user(self.user_crisis).action_reset_statement()

    def _allow(self, crisis, refusal):
        """Undo ``_refuse``."""
        if refusal == "drill":
            crisis.sudo().is_drill = False
        else:
            crisis.with_user(self.user_manager).action_approve_statement()

    @contextmanager
    def _gate_refuses(self, crisis, refusal="statement"):
        """The gate, and its SQL twin, refuse ``crisis`` (``refusal``) although
        it is a real crisis with an approved statement: only the paths that ask
        the gate refuse it."""
        Crisis = self.registry["crisis.crisis"]
        gate, gate_sql = Crisis._crisis_speak_refusal, Crisis._crisis_speak_sql

        def speak_refusal(record, kind=None, body=None):
            return refusal if record.id == crisis.id else gate(record, kind, body)

        def speak_sql(model, crisis_id, kind=None):
            return SQL("(%s AND %s <> %s)", gate_sql(model, crisis_id, kind), crisis_id, crisis.id)

        with ExitStack() as stack:
            stack.enter_context(patch.object(Crisis, "_crisis_speak_refusal", speak_refusal))
            stack.enter_context(patch.object(Crisis, "_crisis_speak_sql", speak_sql))
            yield

    def _customer_mails(self, crisis):
        """The emails about the lines and compensations of ``crisis``, sent or queued."""
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    "|",
                    "&",
                    ("model", "=", "crisis.impact"),
                    ("res_id", "in", crisis.impact_ids.ids),
                    "&",
                    ("model", "=", "crisis.compensation"),
                    ("res_id", "in", crisis.compensation_ids.ids),
                ]
            )
        )
        sent = [
            mail
            for mail in self._mails
            if any(p.email in "".join(mail["email_to"]) for p in crisis.impact_ids.partner_id)
        ]
        return mails, sent

    # ------------------------------------------------------------------
    # The paths that ask the gate in Python: each raises its refusal

    def _wizard(self, crisis):
        return (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=crisis.id)
            .create({"kind": "progress"})
        )

    def _composer(self, crisis):
        return (
            self.env["mail.compose.message"]
            .with_user(self.user_crisis)
            .with_context(
                default_model="crisis.impact",
                default_res_ids=crisis.impact_ids.ids,
                default_template_id=self.progress.id,
                default_composition_mode="mass_mail",
            )
            .create({})
        )

    def _compensation(self, crisis):
        return self.env["crisis.compensation"].create(
            {"impact_id": crisis.impact_ids[0].id, "type": "voucher", "amount": 20.0}
        )

    def _speaking_paths(self):
        """{path: a function trying to speak to the customers of a crisis}."""
        Update = self.env["crisis.update"].with_user(self.user_crisis)
        return {
            "Notify Customers button": lambda c: c.with_user(
                self.user_crisis
            ).action_notify_customers(),
            "notify wizard: review": lambda c: self._wizard(c).action_review_send(),
            "notify wizard: send": lambda c: self._wizard(c).action_send(),
            "request to approve a message": lambda c: c.with_user(
                self.user_crisis
            )._crisis_request_message_approval(OTHER_TEXT),
            "customer update queue": lambda c: Update._crisis_queue(
                c, c.impact_ids, self.progress, "progress"
            ),
            "stage email": lambda c: setattr(
                c.with_user(self.user_crisis), "stage_id", self.stage_resolved
            ),
            "mail composer": lambda c: self._composer(c).action_send_mail(),
            "mail queue (the composer's check skipped)": lambda c: self._composer(
                c
            )._action_send_mail_mass_mail(c.impact_ids.ids),
            "message to a customer": lambda c: (
                c.impact_ids[0]
                .with_user(self.user_crisis)
                .message_post(
                    body="Your order is safe.",
                    partner_ids=c.impact_ids[0].partner_id.ids,
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )
            ),
            "compensation offer": lambda c: (
                self._compensation(c).with_user(self.user_manager).action_send_offer()
            ),
        }

    def _assert_every_path_refused(self, crisis, refusal):
        for path, speak in self._speaking_paths().items():
            with self.subTest(path=path, refusal=refusal), self.mock_mail_gateway():
                if path == "stage email" and refusal == "drill":
                    # a drill moves in silence
                    speak(crisis)
                    self.assertEqual(crisis.stage_id, self.stage_resolved)
                    self.assertFalse(crisis.update_ids)
                else:
                    with self.assertRaises(UserError) as error:
                        speak(crisis)
                    self.assertIn(REFUSED[refusal], str(error.exception))
                mails, sent = self._customer_mails(crisis)
                self.assertFalse(mails, "no email made for the customers")
                self.assertFalse(sent, "no email sent to the customers")
                self.assertFalse(crisis.update_ids, "no customer update recorded")

    def test_python_paths_refuse_drills_and_unapproved_statements(self):
        for refusal, crisis in self._refused_crises().items():
            self._assert_every_path_refused(crisis, refusal)

    def test_python_paths_ask_the_gate(self):
        for refusal in ("statement", "drill"):
            crisis = self._crisis()
            with self._gate_refuses(crisis, refusal):
                self._assert_every_path_refused(crisis, refusal)
            # the same paths speak once the gate lets them (the test can fail)
            self._wizard(crisis).action_send()
            self.assertEqual(len(crisis.update_ids), 1)

    def test_message_other_than_the_statement(self):
        crisis = self._crisis()
        wizard = self._wizard(crisis)
        wizard.body = OTHER_TEXT
        self.assertTrue(wizard.needs_approval)
        self.assertEqual(
            crisis.with_user(self.user_crisis)._crisis_speak_refusal("progress", OTHER_TEXT),
            "message",
        )
        for speak in (
            wizard.action_review_send,
            wizard.action_send,
            lambda: (
                self.env["crisis.update"]
                .with_user(self.user_crisis)
                ._crisis_queue(crisis, crisis.impact_ids, self.progress, "progress", OTHER_TEXT)
            ),
        ):
            with self.assertRaises(UserError) as error:
                speak()
            self.assertIn(REFUSED["message"], str(error.exception))
        self.assertFalse(crisis.update_ids)
        # the statement itself goes
        self.assertFalse(crisis._crisis_speak_refusal("progress", STATEMENT))

    # ------------------------------------------------------------------
    # The paths that ask the gate's SQL twin: they leave the crisis alone

    def _queue_send(self, crisis):
        """A send the sending jobs will email (three customers: above the threshold)."""
        self._wizard(crisis).action_send()
        self.assertEqual(crisis.update_ids.state, "queued")

    def _run_sending_jobs(self, crisis):
        """The sending jobs run: the customers of ``crisis`` emailed."""
        Update = self.env["crisis.update"]
        with self.mock_mail_gateway():
            for _call in range(20):
                Update._cron_send_updates(batch_size=2)
                if not Update._crisis_count_pending():
                    break
        return crisis.update_ids.recipient_ids.filtered(lambda r: r.state == "sent")

    def _resolve(self, crisis):
        """Resolved, its customers contacted: the satisfaction survey is due."""
        crisis.impact_ids.sudo().date_last_contact = "2026-01-01 00:00:00"
        crisis.with_user(self.user_crisis).stage_id = self.stage_resolved
        self.env.flush_all()

    def _run_satisfaction_survey(self, crisis):
        """The survey's job runs: whether it asked the customers of ``crisis``."""
        self.env["crisis.crisis"]._cron_request_satisfaction()
        return crisis.date_satisfaction_requested

    def _send_unreached(self, crisis):
        """An update that did not reach the customer (undeliverable address)."""
        self._wizard(crisis).action_send()
        self._crisis_send_mail_queue()
        self.assertEqual(crisis.impact_ids.contact_status, "unreachable")

    def _run_reach_policy(self, crisis):
        """The reach policy's job runs: the call tasks it gave the customer."""
        self.env["crisis.update.recipient"].sudo()._cron_reach_fallback()
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crisis.impact"),
                ("res_id", "in", crisis.impact_ids.ids),
                ("activity_type_id", "=", self.env.ref(CALL).id),
            ]
        )

    def _sql_paths(self):
        """{path: (values of its crisis, what the crisis does while it may
        speak, the job that picks its work in SQL: what reached the customers)}."""
        return {
            "sending jobs": ({}, self._queue_send, self._run_sending_jobs),
            "satisfaction survey": ({}, self._resolve, self._run_satisfaction_survey),
            "reach policy": (
                {"severity": "high", "partners": self.kunde},
                self._send_unreached,
                self._run_reach_policy,
            ),
        }

    def test_sql_paths_refuse_drills_and_unapproved_statements(self):
        for path, (values, prepare, run) in self._sql_paths().items():
            for refusal in ("drill", "statement"):
                with self.subTest(path=path, refusal=refusal):
                    crisis = self._crisis(**values)
                    prepare(crisis)
                    self._refuse(crisis, refusal)
                    self.assertFalse(run(crisis), "the work waits")
                    # once the crisis may speak again, it goes on (the test can fail)
                    self._allow(crisis, refusal)
                    self.assertTrue(run(crisis))

    def test_sql_paths_ask_the_gate(self):
        for path, (values, prepare, run) in self._sql_paths().items():
            with self.subTest(path=path):
                crisis = self._crisis(**values)
                prepare(crisis)
                with self._gate_refuses(crisis):
                    self.assertFalse(run(crisis), "the work waits")
                self.assertTrue(run(crisis))

    # ------------------------------------------------------------------
    # One rule, three forms

    def test_domain_and_sql_say_what_the_gate_says(self):
        archived = self._crisis()
        archived.active = False
        drill_draft = self._crisis(is_drill=True, approved=False)
        crises = self._crisis() | self._crisis(is_drill=True) | self._crisis(approved=False)
        crises |= archived | drill_draft
        self.assertEqual(
            [crisis._crisis_speak_refusal() for crisis in crises],
            [False, "drill", "statement", False, "drill"],
        )
        speaking = crises.filtered(lambda crisis: not crisis._crisis_speak_refusal())
        Crisis = self.env["crisis.crisis"].with_context(active_test=False)
        self.assertEqual(
            Crisis.search([("id", "in", crises.ids), *Crisis._crisis_speak_domain()]), speaking
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT crisis.id FROM crisis_crisis crisis WHERE crisis.id IN %s AND %s",
                tuple(crises.ids),
                Crisis._crisis_speak_sql(SQL.identifier("crisis", "id")),
            )
        )
        self.assertEqual({row[0] for row in self.env.cr.fetchall()}, set(speaking.ids))
        # the customers' pages follow it too
        self.assertEqual(
            self.env["crisis.impact"]
            .sudo()
            .search(
                [
                    ("crisis_id", "in", crises.ids),
                    *self.env["crisis.impact"]._crisis_portal_visible_domain(),
                ]
            )
            .crisis_id,
            speaking,
        )
