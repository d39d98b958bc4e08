"""Reach by SMS: the updates count what the SMS provider reported, not what
was queued; a customer whose every channel failed is unreachable."""

import importlib.util

from odoo.tests import tagged
from odoo.tools import file_path

from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.mail.tests.common import MockEmail
from odoo.addons.sms.tests.common import SMSCase

STATEMENT = "<p>Some orders were shipped twice. You will be refunded.</p>"


@tagged("post_install", "-at_install")
class TestSmsReach(CrisisCase, SMSCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis, public_statement=STATEMENT, public_title="Double shipments"
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.anna, cls.dirk = cls.env["res.partner"].create(
            [
                {"name": "Anna", "email": "anna@example.com", "mobile": "+32456000001"},
                {"name": "Dirk", "mobile": "+32456000004"},
            ]
        )
        cls.anna_line, cls.dirk_line = cls.env["crisis.impact"].create(
            [{"crisis_id": cls.crisis.id, "partner_id": p.id} for p in (cls.anna, cls.dirk)]
        )

    def _send(self, channel):
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create({"kind": "progress", "channel": channel})
        )
        wizard.action_send()
        return self.crisis.update_ids.sorted("id")[-1]

    def _sms_queue(self, **mock):
        with self.mockSMSGateway(**mock):
            self.env["sms.sms"].sudo()._process_queue()

    def _recipient(self, update, line):
        return update.recipient_ids.filtered(lambda r: r.impact_id == line)

    def test_every_sms_failed(self):
        """No credit with the provider: nothing was sent, and the update says so."""
        update = self._send("sms")
        self.assertEqual((update.sms_queued_count, update.sms_sent_count), (2, 0))
        self._sms_queue(sim_error="credit")
        for line in self.anna_line | self.dirk_line:
            recipient = self._recipient(update, line)
            self.assertEqual(recipient.sms_state, "failed")
            self.assertEqual(recipient.sms_failure_type, "sms_credit")
            self.assertEqual(recipient.reach, "failed")
        self._crisis_apply_reach()
        self.assertEqual(
            (update.sms_queued_count, update.sms_sent_count, update.sms_failed_count), (0, 0, 2)
        )
        self.assertEqual(update.reached_count, 0)
        self.assertEqual(
            (self.anna_line | self.dirk_line).mapped("contact_status"),
            ["unreachable", "unreachable"],
        )
        self.assertKpis(self.crisis, kpi_notified_count=0)
        self.assertEqual(self.crisis.contacted_count, 0)

    def test_email_reaches_when_the_sms_fails(self):
        update = self._send("both")
        self._sms_queue(sim_error="wrong_number_format")
        self._crisis_send_mail_queue()
        anna = self._recipient(update, self.anna_line)
        self.assertEqual((anna.email_state, anna.sms_state), ("sent", "failed"))
        self.assertEqual(anna.sms_failure_type, "sms_number_format")
        self.assertEqual(anna.reach, "sent", "the email reached her")
        self.assertEqual(self.anna_line.contact_status, "notified")
        self.assertEqual(self.dirk_line.contact_status, "unreachable", "no email, SMS failed")
        self.assertEqual(
            (update.sent_count, update.sms_failed_count, update.reached_count), (1, 2, 1)
        )

    def test_delivery_reports(self):
        update = self._send("sms")
        self._sms_queue()
        anna, dirk = (
            self._recipient(update, self.anna_line),
            self._recipient(update, self.dirk_line),
        )
        self.assertEqual((anna.sms_state, dirk.sms_state), ("sent", "sent"))
        # the provider's reports: delivered to Anna, Dirk's number does not exist
        trackers = (
            self.env["sms.tracker"]
            .sudo()
            .search([("mail_notification_id", "in", (anna | dirk).sms_notification_id.ids)])
        )
        by_notification = {tracker.mail_notification_id: tracker for tracker in trackers}
        by_notification[anna.sms_notification_id]._action_update_from_sms_state("sent")
        by_notification[dirk.sms_notification_id]._action_update_from_provider_error(
            "invalid_destination"
        )
        self.assertEqual((anna.sms_state, dirk.sms_state), ("delivered", "bounced"))
        self.assertEqual(dirk.sms_failure_type, "sms_invalid_destination")
        self._crisis_apply_reach()
        self.assertEqual(
            (update.sms_sent_count, update.sms_failed_count, update.reached_count), (1, 1, 1)
        )
        self.assertEqual(self.anna_line.contact_status, "notified")
        self.assertEqual(self.dirk_line.contact_status, "unreachable")

    def test_upgrade_links_the_sms_already_sent(self):
        """18.0.1.1.0: "sent" meant queued; the SMS already sent get their trace."""
        update = self._send("sms")
        self._sms_queue()
        recipients = update.recipient_ids.filtered("sms_state")
        self.assertEqual(set(recipients.mapped("sms_state")), {"sent"})
        # as before the upgrade: "sent" for a queued SMS, no trace
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crisis_update_recipient SET sms_notification_id = NULL, sms_state = 'sent',"
            " reach = NULL, reach_todo = FALSE WHERE update_id = %s AND sms_state IS NOT NULL",
            [update.id],
        )
        self.env.invalidate_all()
        for step in ("pre", "post"):
            path = f"crisis_management_sms/migrations/18.0.1.1.0/{step}-migrate.py"
            spec = importlib.util.spec_from_file_location(f"{step}_migrate", file_path(path))
            migration = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(migration)
            migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(set(recipients.mapped("sms_state")), {"sent"}, "accepted by the provider")
        self.assertEqual(len(recipients.sms_notification_id), 2)
        self.assertEqual(set(recipients.mapped("reach")), {"sent"})
        self._crisis_apply_reach()
        self.assertEqual((update.sms_sent_count, update.reached_count), (2, 2))
        self.assertEqual(self.anna_line.contact_status, "notified")
