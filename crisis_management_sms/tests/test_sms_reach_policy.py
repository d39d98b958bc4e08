"""The reach policy with the SMS app: the customers a customer update did not
reach are texted it, then called when the text message fails too."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.crisis_management.tests.test_reach import UNDELIVERABLE, delivery_report
from odoo.addons.mail.tests.common import MockEmail
from odoo.addons.sms.tests.common import SMSCase

STATEMENT = "<p>Some orders were shipped twice. You will be refunded.</p>"
CALL = "mail.mail_activity_data_call"


@tagged("post_install", "-at_install")
class TestSmsReachPolicy(CrisisCase, SMSCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bounced, cls.failed, cls.unopened, cls.opened = cls.env["res.partner"].create(
            [
                {"name": "Bea", "email": "bea@example.com", "mobile": "+32456000011"},
                {"name": "Kunde", "email": UNDELIVERABLE, "mobile": "+32456000012"},
                {"name": "Una", "email": "una@example.com", "mobile": "+32456000013"},
                {"name": "Otto", "email": "otto@example.com", "mobile": "+32456000014"},
            ]
        )
        cls.partners = cls.bounced | cls.failed | cls.unopened | cls.opened

    def _crisis_with(self, **values):
        crisis = self._create_crisis(
            user=self.user_crisis,
            public_statement=STATEMENT,
            public_title="Double shipments",
            **values,
        )
        crisis.with_user(self.user_manager).action_approve_statement()
        self.env["crisis.impact"]._link_partners(crisis, self.partners.ids)
        return crisis

    def _line(self, crisis, partner):
        return crisis.impact_ids.filtered(lambda line: line.partner_id == partner)

    def _send_and_report(self, crisis):
        """An email update to the four; then the mail servers report: one
        bounced, one failed (invalid address), two accepted; one opened."""
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=crisis.id)
            .create({"kind": "progress", "channel": "email"})
        )
        wizard.action_send()
        update = crisis.update_ids.sorted("id")[-1]
        self._crisis_send_mail_queue()
        recipient = update.recipient_ids.filtered(lambda r: r.partner_id == self.bounced)
        report = delivery_report(
            recipient.mail_notification_id.mail_message_id.message_id, self.bounced.email
        )
        with mute_logger("odoo.addons.mail.models.mail_thread"):
            self.env["mail.thread"].sudo().message_process(None, report)
        self._line(crisis, self.opened)._crisis_portal_opened()
        self._crisis_apply_reach()
        return update

    def _reach_the_others(self, hours=13):
        with freeze_time(fields.Datetime.now() + timedelta(hours=hours)):
            self.env["crisis.update.recipient"].sudo()._cron_reach_fallback()

    def _texts(self, crisis):
        return (
            self.env["sms.sms"]
            .sudo()
            .search(
                [
                    ("mail_message_id.model", "=", "crisis.impact"),
                    ("mail_message_id.res_id", "in", crisis.impact_ids.ids),
                ]
            )
        )

    def _calls(self, crisis):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crisis.impact"),
                ("res_id", "in", crisis.impact_ids.ids),
                ("activity_type_id", "=", self.env.ref(CALL).id),
            ]
        )

    def test_sms_then_call(self):
        crisis = self._crisis_with(severity="high")
        update = self._send_and_report(crisis)
        by_partner = {r.partner_id: r for r in update.recipient_ids}
        self.assertEqual(
            [by_partner[p].reach for p in self.partners], ["bounced", "failed", "sent", "opened"]
        )

        # before the hours: the bounced and the failed are texted at once
        self._reach_the_others(hours=0)
        self.assertEqual(self._texts(crisis).partner_id, self.bounced | self.failed)
        # after them, the one who did not open it; never the one who did
        self._reach_the_others()
        texts = self._texts(crisis)
        self.assertEqual(texts.partner_id, self.bounced | self.failed | self.unopened)
        template = self.env["crisis.update"]._crisis_sms_template_of("progress")
        line = self._line(crisis, self.failed)
        expected = template._render_field("body", line.ids, compute_lang=True)[line.id]
        self.assertEqual(texts.filtered(lambda sms: sms.partner_id == self.failed).body, expected)
        self.assertEqual(
            texts.filtered(lambda sms: sms.partner_id == self.failed).number, "+32456000012"
        )
        self.assertIn(
            "sms", line.message_ids.mapped("message_type"), "the text is in the line's chatter"
        )
        for partner in self.bounced | self.failed | self.unopened:
            recipient = by_partner[partner]
            self.assertEqual(recipient.fallback_state, "sms")
            self.assertTrue(recipient.date_fallback_sms)
            self.assertEqual(recipient.sms_state, "queued")
        self.assertFalse(by_partner[self.opened].fallback_state)
        self.assertFalse(self._calls(crisis))

        # the job again, twice: no second text message
        self._reach_the_others()
        self._reach_the_others(hours=30)
        self.assertEqual(len(self._texts(crisis)), 3)

        # the provider: Kunde's number is refused, the others are accepted
        with self.mockSMSGateway(nbr_t_error={"+32456000012": "wrong_number_format"}):
            self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual(by_partner[self.failed].sms_state, "failed")
        self.assertEqual(by_partner[self.bounced].reach, "sent", "reached by SMS")
        self._crisis_apply_reach()
        self.assertEqual(self._line(crisis, self.bounced).contact_status, "notified")
        self.assertEqual(line.contact_status, "unreachable")

        self._reach_the_others()
        calls = self._calls(crisis)
        self.assertEqual(calls.mapped("res_id"), line.ids, "a call when the SMS failed too")
        self.assertEqual(by_partner[self.failed].fallback_state, "call")
        self.assertEqual(by_partner[self.failed].fallback_call_activity_id, calls)
        self._reach_the_others()
        self.assertEqual(self._calls(crisis), calls, "once")
        self.assertEqual(len(self._texts(crisis)), 3)

        self.assertEqual(
            (
                crisis.reach_email_count,
                crisis.reach_sms_count,
                crisis.reach_phone_count,
                crisis.reach_none_count,
            ),
            (2, 1, 0, 1),
        )

    def test_nothing_for_low_unsubscribed_or_drill(self):
        low = self._crisis_with(severity="low")
        self._send_and_report(low)
        self._reach_the_others()
        self.assertFalse(self._texts(low), "a low crisis, the company did not ask")
        self.assertFalse(self._calls(low))

        self.company.crisis_reach_fallback_severity = "low"
        crisis = self._crisis_with(severity="low")
        self.assertTrue(crisis.reach_fallback)
        self._send_and_report(crisis)
        (self._line(crisis, self.bounced) | self._line(crisis, self.failed)).sudo().write(
            {"is_unsubscribed": True}
        )
        crisis.sudo().is_drill = True
        self._reach_the_others()
        self.assertFalse(self._texts(crisis), "never for a drill")
        crisis.sudo().is_drill = False
        self._reach_the_others()
        self.assertEqual(self._texts(crisis).partner_id, self.unopened, "not the unsubscribed")
