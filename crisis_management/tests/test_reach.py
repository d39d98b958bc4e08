"""Reach: what became of each customer's notice, from what the channels report.

The numbers (the update's counts, the lines' contact status, the crisis'
Customers Reached KPI) follow Odoo's mail queue, the bounces that come back,
the customer's page and their answers, never what was merely queued.
"""

import importlib.util

from odoo.tests import HttpCase, tagged
from odoo.tools import file_path, mute_logger

from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
# an address Odoo accepts as a contact's but cannot send to: its domain is not
# ASCII, and Odoo drops the email ("Ignoring invalid recipients")
UNDELIVERABLE = "kunde@bücher.example"


def delivery_report(message_id, email, subject="Important information"):
    """A delivery failure report (RFC 3464) of the email ``message_id`` to
    ``email``, as a mail server sends it back to the bounce address."""
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: bounce@example.com
Subject: Undelivered Mail Returned to Sender
Message-Id: <dsn-{abs(hash(message_id))}@mx.example.net>
Date: Tue, 05 May 2026 10:00:00 +0000
MIME-Version: 1.0
Auto-Submitted: auto-replied
Content-Type: multipart/report; report-type=delivery-status; boundary="DSN-BOUNDARY"

--DSN-BOUNDARY
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

<{email}>: host mx.example.net[192.0.2.1] said: 550 5.1.1 <{email}>:
    Recipient address rejected: User unknown in local recipient table

--DSN-BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Tue, 05 May 2026 09:59:58 +0000

Final-Recipient: rfc822; {email}
Original-Recipient: rfc822;{email}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{email}>: Recipient address rejected: User unknown

--DSN-BOUNDARY
Content-Type: text/rfc822-headers

Message-Id: {message_id}
From: Crisis Team <notifications@example.com>
To: <{email}>
Subject: {subject}

--DSN-BOUNDARY--
"""


@tagged("post_install", "-at_install")
class TestReach(CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.kunde = cls.env["res.partner"].create({"name": "Kunde", "email": UNDELIVERABLE})
        cls.env["crisis.impact"]._link_partners(
            cls.crisis, (cls.customers[:3] | cls.kunde).ids, impact_level="high"
        )
        cls.line = {impact.partner_id: impact for impact in cls.crisis.impact_ids}

    def _send(self, **values):
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create({"kind": "progress", **values})
        )
        wizard.action_send()
        return self.crisis.update_ids.sorted("id")[-1]

    def _recipient(self, update, partner):
        return update.recipient_ids.filtered(lambda r: r.partner_id == partner)

    def _bounce(self, update, partner):
        """The customer's mail server sends the email of ``update`` back."""
        notification = self._recipient(update, partner).mail_notification_id
        report = delivery_report(notification.mail_message_id.message_id, partner.email)
        with mute_logger("odoo.addons.mail.models.mail_thread"):
            self.env["mail.thread"].sudo().message_process(None, report)

    # ------------------------------------------------------------------

    def test_queued_is_not_sent_nor_notified(self):
        update = self._send()
        self.assertEqual(update.state, "sent", "every customer handled at once")
        self.assertEqual(update.queued_count, 4)
        self.assertEqual(
            (update.sent_count, update.failed_count, update.bounced_count, update.reached_count),
            (0, 0, 0, 0),
            "nothing was accepted by a mail server yet",
        )
        recipient = self._recipient(update, self.customers[0])
        self.assertEqual((recipient.state, recipient.email_state), ("sent", "queued"))
        self.assertEqual(recipient.reach, "queued")
        self.assertEqual(recipient.mail_notification_id.res_partner_id, self.customers[0])
        self.assertEqual(
            recipient.mail_notification_id.mail_message_id.res_id, self.line[self.customers[0]].id
        )
        lines = self.crisis.impact_ids
        self.assertEqual(set(lines.mapped("contact_status")), {"to_contact"})
        self.assertFalse(any(lines.mapped("is_reached")))
        self.assertEqual(self.crisis.contacted_count, 0)
        self.assertKpis(self.crisis, kpi_notified_count=0)
        # the chatter of the crisis says queued, not sent
        note = self.crisis.message_ids.filtered(lambda m: "Customer update" in (m.body or ""))[0]
        self.assertIn("4 customer(s) emailed", note.body)
        self.assertNotIn(" sent:", note.body)

    def test_invalid_address_fails_with_its_reason(self):
        update = self._send()
        self._crisis_send_mail_queue()
        kunde = self._recipient(update, self.kunde)
        self.assertEqual(kunde.email_state, "failed")
        self.assertEqual(kunde.email_failure_type, "mail_email_invalid")
        self.assertEqual(kunde.reach, "failed")
        self.assertFalse(kunde.date_email_sent)
        self.assertEqual(self.line[self.kunde].contact_status, "unreachable")
        self.assertFalse(self.line[self.kunde].is_reached)
        # the others were accepted by their mail server
        accepted = update.recipient_ids - kunde
        self.assertEqual(set(accepted.mapped("email_state")), {"sent"})
        self.assertTrue(all(accepted.mapped("date_email_sent")))
        self.assertEqual(set(accepted.impact_id.mapped("contact_status")), {"notified"})
        self.assertEqual(
            (update.queued_count, update.sent_count, update.failed_count, update.reached_count),
            (0, 3, 1, 3),
        )
        self.assertEqual(self.crisis.contacted_count, 3)
        self.assertEqual(self.crisis.to_contact_count, 1, "the unreachable customer")
        # the crisis says so, with the reason
        warning = self.crisis.email_failure_warning
        self.assertIn(f"1 of 4 emails of the update “{update.name}” failed", warning)
        self.assertIn("Invalid email address", warning)
        self.assertKpis(
            self.crisis, kpi_notified_count=3, kpi_notified_rate=75.0, kpi_update_count=1
        )

    def test_bounce_after_sending(self):
        update = self._send()
        self._crisis_send_mail_queue()
        customer = self.customers[0]
        line = self.line[customer]
        self.assertEqual(line.contact_status, "notified")
        self.assertKpis(self.crisis, kpi_notified_count=3)

        self._bounce(update, customer)
        recipient = self._recipient(update, customer)
        self.assertEqual(recipient.email_state, "bounced")
        self.assertEqual(recipient.email_failure_type, "mail_bounce")
        self.assertIn("User unknown", recipient.email_failure_reason)
        self.assertEqual(recipient.reach, "bounced")
        self.assertEqual(customer.message_bounce, 1, "Odoo counted it on the customer too")
        self._crisis_apply_reach()
        self.assertEqual(line.contact_status, "unreachable")
        self.assertFalse(line.is_reached)
        self.assertEqual(
            (update.sent_count, update.bounced_count, update.failed_count, update.reached_count),
            (2, 1, 1, 2),
        )
        self.assertKpis(self.crisis, kpi_notified_count=2, kpi_notified_rate=50.0)
        self.assertEqual(self.crisis.contacted_count, 2)
        if "crisis.review" in self.env:
            # the review and the analysis take the same figures
            figures = dict(self.crisis._crisis_key_figures())
            self.assertEqual(figures["Customers reached"], "50 %")
            analysis = self.env["crisis.crisis"]._read_group(
                [("id", "=", self.crisis.id)], [], ["kpi_notified_rate:avg"]
            )
            self.assertEqual(analysis[0][0], 50.0)

        # a later notice, only queued, does not make the customer notified again
        later = self._send(audience="all")
        self.assertEqual(self._recipient(later, customer).email_state, "queued")
        self._crisis_apply_reach()
        self.assertEqual(line.contact_status, "unreachable")
        # and the unreachable customers are among those not contacted yet
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create({"audience": "not_contacted"})
        )
        self.assertEqual(wizard._target_impacts(), line | self.line[self.kunde])

    def test_cancelled_email_reaches_nobody(self):
        update = self._send()
        recipient = self._recipient(update, self.customers[2])
        recipient.mail_notification_id.mail_mail_id.cancel()
        self.assertEqual(recipient.email_state, "cancelled")
        self.assertFalse(recipient.reach)
        self._crisis_send_mail_queue()
        self.assertEqual(self.line[self.customers[2]].contact_status, "to_contact")
        self.assertEqual((update.sent_count, update.queued_count), (2, 0))

    def test_unreachable_customer_called(self):
        """Unreachable by their channels, reached on the phone."""
        update = self._send()
        self._crisis_send_mail_queue()
        line = self.line[self.kunde]
        self.assertEqual(line.contact_status, "unreachable")
        line.with_user(self.user_crisis).action_call_reached()
        self.assertEqual(line.contact_status, "in_discussion")
        self.assertEqual(self.crisis.contacted_count, 4)
        # the agent's status stays: the notices move only the lines to contact
        self._bounce(update, self.customers[0])
        self._crisis_apply_reach()
        self.assertEqual(line.contact_status, "in_discussion")
        self.assertEqual(self.line[self.customers[0]].contact_status, "unreachable")

    def test_customer_reply_answers_the_notice(self):
        update = self._send()
        self._crisis_send_mail_queue()
        customer = self.customers[1]
        line = self.line[customer]
        # the agent's note on the line is no answer
        line.with_user(self.user_crisis).message_post(
            body="Called, no answer", message_type="comment"
        )
        self.assertFalse(self._recipient(update, customer).date_answered)
        notice = self._recipient(update, customer).mail_notification_id.mail_message_id
        reply = (
            f"From: {customer.name} <{customer.email}>\r\n"
            "To: support@example.com\r\n"
            f"Subject: Re: {notice.subject}\r\n"
            "Message-Id: <reply-reach@example.com>\r\n"
            f"In-Reply-To: {notice.message_id}\r\n"
            f"References: {notice.message_id}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "Is my order safe?\r\n"
        )
        self.env["mail.thread"].message_process(None, reply)
        recipient = self._recipient(update, customer)
        self.assertTrue(recipient.date_answered)
        self.assertTrue(recipient.date_opened, "they read it to answer it")
        self.assertEqual(recipient.reach, "answered")
        self._crisis_apply_reach()
        self.assertEqual((update.answered_count, update.opened_count), (1, 1))
        self.assertEqual(line.contact_status, "notified")

    def test_compensation_answer_answers_the_notice(self):
        update = self._send()
        self._crisis_send_mail_queue()
        line = self.line[self.customers[2]]
        compensation = (
            self.env["crisis.compensation"]
            .with_user(self.user_crisis)
            .create({"impact_id": line.id, "type": "voucher", "amount": 20.0})
        )
        compensation.action_submit()
        compensation.with_user(self.user_manager).action_approve()
        compensation.sudo()._crisis_portal_decline("I only want my order")
        self.assertTrue(self._recipient(update, self.customers[2]).date_answered)
        self._crisis_apply_reach()
        self.assertEqual(update.answered_count, 1)

    def test_notification_reports_in_batch(self):
        """The notifications of many customers change in one write (a bounce
        report naming several, the SMS provider's answer): their traces follow
        with a few queries, whatever their number."""
        partners = self.env["res.partner"].create(
            [{"name": f"Batch {i}", "email": f"batch{i}@example.com"} for i in range(300)]
        )
        self.env["crisis.impact"]._link_partners(self.crisis, partners.ids)
        self.company.crisis_send_background_threshold = 5000
        update = self._send()
        recipients = update.recipient_ids.filtered(lambda r: r.partner_id in partners)
        notifications = recipients.mail_notification_id
        self.assertEqual(len(notifications), 300)

        def cost(batch, status):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            batch.write({"notification_status": status})
            self.env.flush_all()
            return self.cr.sql_log_count - before

        small = cost(notifications[:100], "sent")
        large = cost(notifications[100:], "sent")
        self.assertLessEqual(large, small + 4, (small, large))
        self.assertEqual(set(recipients.mapped("email_state")), {"sent"})

        # the reach job applies them with a few queries per batch too
        def apply_cost(batch):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            batch._crisis_apply()
            self.env.flush_all()
            return self.cr.sql_log_count - before

        todo = recipients.filtered("reach_todo").sorted("id")
        small = apply_cost(todo[:100])
        large = apply_cost(todo[100:])
        self.assertLessEqual(large, small + 6, (small, large))
        self.assertEqual(set(recipients.impact_id.mapped("contact_status")), {"notified"})

    def test_upgrade_links_the_emails_already_sent(self):
        """18.0.1.6.0: the recipients of earlier sends get their trace."""
        update = self._send()
        self._crisis_send_mail_queue()
        self._bounce(update, self.customers[0])
        # as before the upgrade: no trace, the line notified at the queue
        recipients = update.recipient_ids
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crisis_update_recipient SET mail_notification_id = NULL, email_state = NULL,"
            " email_failure_type = NULL, email_failure_reason = NULL, reach = NULL,"
            " reach_todo = FALSE WHERE update_id = %s",
            [update.id],
        )
        self.env.cr.execute(
            "UPDATE crisis_impact SET contact_status = 'notified', is_reached = NULL"
            " WHERE crisis_id = %s",
            [self.crisis.id],
        )
        self.env.invalidate_all()
        spec = importlib.util.spec_from_file_location(
            "post_migrate", file_path("crisis_management/migrations/18.0.1.6.0/post-migrate.py")
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        self.crisis.severity = "critical"
        self.assertTrue(self.crisis.reach_fallback)
        # a database being upgraded has nothing waiting in a cache
        self.env.flush_all()
        migration.migrate(self.env.cr, "18.0.1.5.0")
        self.env.invalidate_all()
        self.assertFalse(
            self.crisis.reach_fallback, "the notices sent before the upgrade are not followed"
        )
        by_partner = {r.partner_id: r for r in recipients}
        self.assertEqual(by_partner[self.customers[0]].email_state, "bounced")
        self.assertEqual(by_partner[self.customers[1]].email_state, "sent")
        self.assertEqual(by_partner[self.kunde].email_state, "failed")
        self.assertTrue(all(recipients.mapped("reach_todo")))
        self._crisis_apply_reach()
        self.assertEqual(self.line[self.customers[0]].contact_status, "unreachable")
        self.assertEqual(self.line[self.customers[1]].contact_status, "notified")
        self.assertEqual((update.sent_count, update.bounced_count, update.failed_count), (2, 1, 1))
        self.assertKpis(self.crisis, kpi_notified_count=2)


@tagged("post_install", "-at_install")
class TestReachPage(HttpCase, CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.env["crisis.impact"]._link_partners(cls.crisis, cls.customers[:2].ids)
        cls.line = cls.crisis.impact_ids.filtered(lambda i: i.partner_id == cls.customers[0])

    def test_opening_the_page_opens_the_notices_that_reached(self):
        update = self.crisis.impact_ids._crisis_send(
            self.env.ref("crisis_management.mail_template_impact_progress")
        )
        recipient = update.recipient_ids.filtered(lambda r: r.impact_id == self.line)
        url = self.line.get_portal_url()
        # the page opened before the email left: the notice did not reach them yet
        self.assertEqual(self.url_open(url).status_code, 200)
        self.assertFalse(recipient.date_opened)
        self._crisis_send_mail_queue()
        self.assertEqual(recipient.reach, "sent")
        # an agent looking at the customer's page is not the customer
        self.authenticate(self.user_crisis.login, self.user_crisis.login)
        self.assertEqual(self.url_open(url).status_code, 200)
        recipient.invalidate_recordset()
        self.assertFalse(recipient.date_opened)
        self.authenticate(None, None)
        # the customer, with the link of the email
        self.assertEqual(self.url_open(url).status_code, 200)
        recipient.invalidate_recordset()
        self.assertTrue(recipient.date_opened)
        self.assertEqual(recipient.reach, "opened")
        first = recipient.date_opened
        self._crisis_apply_reach()
        self.assertEqual((update.opened_count, update.reached_count), (1, 2))
        # the first time only
        self.url_open(url)
        recipient.invalidate_recordset()
        self.assertEqual(recipient.date_opened, first)
        other = update.recipient_ids - recipient
        self.assertFalse(other.date_opened, "another customer's notice is not opened")
