"""One gate for speaking to customers, by SMS too.

The text messages of the notify wizard and of the stage notices, and Odoo's
own SMS composer on the customers' lines, are refused for a drill and before
the statement is approved; each asks the gate
(``crisis.crisis._crisis_speak_refusal``): when the gate refuses a real
crisis, nothing is texted either. The email paths, the sending jobs and the
reach policy (which texts the customers an update did not reach) are tried in
``crisis_management/tests/test_speak_gate.py``.
"""

from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.sms.tests.common import SMSCase

STATEMENT = "<p>Some orders were shipped twice. You will be refunded.</p>"
REFUSED = {
    "drill": "drills never send anything to customers",
    "statement": "approves the public statement",
}


@tagged("post_install", "-at_install")
class TestSmsGate(CrisisCase, SMSCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.crisis_stage_sms = True
        cls.stage_resolved.mail_template_id = cls.env.ref(
            "crisis_management.mail_template_impact_resolution"
        )
        cls.partners = cls.env["res.partner"].create(
            [
                {"name": f"Texted {i}", "mobile": f"+3245600010{i}", "email": f"t{i}@example.com"}
                for i in range(2)
            ]
        )

    def _crisis(self, approved=True, **values):
        crisis = self._create_crisis(user=self.user_crisis, public_statement=STATEMENT, **values)
        if approved:
            crisis.with_user(self.user_manager).action_approve_statement()
        self.env["crisis.impact"]._link_partners(crisis, self.partners.ids)
        return crisis

    def _sms_composer(self, crisis, mode):
        lines = crisis.impact_ids
        context = {"active_model": "crisis.impact", "default_body": "Your refund is on its way."}
        if mode == "mass":
            context.update(active_ids=lines.ids, default_composition_mode="mass")
        else:
            context.update(active_id=lines[0].id, active_ids=lines[0].ids)
        return (
            self.env["sms.composer"].with_user(self.user_crisis).with_context(**context).create({})
        )

    def _paths(self):
        """{path: a function trying to text the customers of a crisis}."""

        def notify_by_sms(crisis):
            wizard = (
                self.env["crisis.notify.wizard"]
                .with_user(self.user_crisis)
                .with_context(default_crisis_id=crisis.id)
                .create({"kind": "progress", "channel": "sms"})
            )
            return wizard.action_send()

        return {
            "notify wizard by SMS": notify_by_sms,
            "stage notice by SMS": lambda crisis: setattr(
                crisis.with_user(self.user_crisis), "stage_id", self.stage_resolved
            ),
            "SMS composer on a line": lambda crisis: self._sms_composer(
                crisis, "comment"
            ).action_send_sms(),
            "SMS composer on the lines (mass)": lambda crisis: self._sms_composer(
                crisis, "mass"
            ).action_send_sms(),
        }

    def _texts(self, crisis):
        return self.env["sms.sms"].sudo().search([("partner_id", "in", self.partners.ids)])

    def _assert_every_path_refused(self, crisis, refusal):
        for path, text in self._paths().items():
            with self.subTest(path=path, refusal=refusal), self.mockSMSGateway():
                if path == "stage notice by SMS" and refusal == "drill":
                    text(crisis)  # a drill moves in silence
                    self.assertEqual(crisis.stage_id, self.stage_resolved)
                else:
                    with self.assertRaises(UserError) as error:
                        text(crisis)
                    self.assertIn(REFUSED[refusal], str(error.exception))
                self.assertFalse(self._new_sms, "no text message made")
                self.assertFalse(self._texts(crisis))
                self.assertFalse(crisis.update_ids)

    def test_drills_and_unapproved_statements_text_nobody(self):
        self._assert_every_path_refused(self._crisis(is_drill=True), "drill")
        self._assert_every_path_refused(self._crisis(approved=False), "statement")

    def test_every_sms_path_asks_the_gate(self):
        crisis = self._crisis()
        Crisis = self.registry["crisis.crisis"]
        gate = Crisis._crisis_speak_refusal

        def speak_refusal(record, kind=None, body=None):
            return "statement" if record.id == crisis.id else gate(record, kind, body)

        with patch.object(Crisis, "_crisis_speak_refusal", speak_refusal):
            self._assert_every_path_refused(crisis, "statement")
        # the gate lets them: the same composer texts the customer (the test can fail)
        with self.mockSMSGateway():
            self._sms_composer(crisis, "mass").action_send_sms()
        self.assertEqual(self._new_sms.partner_id, self.partners)
