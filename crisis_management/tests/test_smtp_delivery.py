"""A customer update through Odoo's real SMTP code, to a real SMTP server.

Every message a mail server receives is parsed as a strict reader would: one
customer each, nothing of another customer in it, the subject and the text
in the customer's language, the link to the customer's own page.
"""

import email
import email.policy
import re
import socket
from datetime import timedelta
from unittest.mock import patch

import requests
from freezegun import freeze_time

from odoo import fields, modules
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.base.tests.test_ir_cron import CronMixinCase

from ..models.crisis_mail_accepted import JOURNAL_KEEP
from ..models.crisis_mail_batch import DELIVERY_GRACE
from ..models.mail_mail import DELIVERY_COMMIT_EVERY
from .common import CrisisCase
from .smtp_sink import SMTPSinkCase
from .test_unsubscribe import list_header_uris

TITLE = "Card payments outage"
TITLE_ZH = "银行卡支付中断"
STATEMENT_TERM = "Payments failed for six hours; every refused payment can be made again."
STATEMENT_ZH_TERM = "支付中断了六个小时；所有被拒绝的付款都可以重新支付。"
# a few hundred customers, half of them Chinese (Odoo's mail queue takes
# about 2 seconds per 100 emails)
CUSTOMERS = 200
# an internationalised domain: Odoo validates the address as written, then
# finds only its ASCII form (IDNA) in the email and sends nothing
IDN_ADDRESS = "kunde@bücher.example"
# a mailbox the mail server does not know: refused at RCPT TO
GONE_ADDRESS = "gone-away@example.com"

ADDRESS = re.compile(r"[\w.+-]+@[\w.-]+\.\w+")
NAME = re.compile(r"Customer \d{3}")
PAGE_LINK = re.compile(r"/my/crises/(\d+)\?access_token=([\w-]+)")


@tagged("post_install", "-at_install")
class TestSMTPDelivery(CronMixinCase, SMTPSinkCase, CrisisCase):
    smtp_sink_refuse = (GONE_ADDRESS,)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["res.lang"]._activate_lang("zh_CN")
        env["ir.module.module"]._load_module_terms(["crisis_management"], ["zh_CN"])
        cls.company.write({"email": "crisis-desk@example.com"})
        cls.partners = env["res.partner"].create(
            [
                {
                    "name": f"Customer {number:03d}",
                    "email": f"customer-{number:03d}@example.com",
                    "lang": "zh_CN" if number % 2 else "en_US",
                }
                for number in range(CUSTOMERS)
            ]
            + [
                {"name": "Kunde Bücher", "email": IDN_ADDRESS, "lang": "en_US"},
                {"name": "Gone Away", "email": GONE_ADDRESS, "lang": "zh_CN"},
            ]
        )
        cls.crisis = cls._create_bilingual_crisis(
            TITLE, TITLE_ZH, STATEMENT_TERM, STATEMENT_ZH_TERM
        )
        env["crisis.impact"]._link_partners(cls.crisis, cls.partners.ids)

    def test_each_customer_gets_one_email_of_their_own(self):
        update = self._notify_customers(self.crisis)
        lines = self.crisis.impact_ids
        mails = self.env["mail.mail"].search(
            [("model", "=", "crisis.impact"), ("res_id", "in", lines.ids)]
        )
        self.assertEqual(len(mails), CUSTOMERS + 2, "an email per customer, in Odoo's queue")
        with self.assertLogs("odoo.addons.mail.models.mail_mail", "ERROR") as logs:
            captured = self.send_mail_queue(mails)
        self.assertEqual(len(logs.records), 1, "one email failed")
        self.assertIn(f"{GONE_ADDRESS}': (550", logs.output[0], "the server's refusal, logged")
        self.assertEqual(self.smtp_sink.refused, [GONE_ADDRESS])

        line_of = {line.partner_id.email: line for line in lines}
        subjects = {lang: update.with_context(lang=lang).name for lang in ("en_US", "zh_CN")}
        self.assertIn(TITLE_ZH, subjects["zh_CN"])
        self.assertIn(TITLE, subjects["en_US"])
        # every customer once, but the refused mailbox and the address Odoo
        # does not send to (its ASCII form is not the address it validated)
        self.assertEqual(
            sorted(address for mail in captured for address in mail.rcpt_tos),
            sorted(set(line_of) - {GONE_ADDRESS, IDN_ADDRESS}),
        )
        for mail in captured:
            self.assertEqual(len(mail.rcpt_tos), 1, "one recipient per envelope")
            address = mail.rcpt_tos[0]
            line = line_of[address]
            lang = line.partner_id.lang
            with self.subTest(customer=address):
                # 7-bit clean: any mail server takes it (the sink offers no SMTPUTF8)
                self.assertTrue(mail.data.isascii())
                message = mail.message  # parsed with the strict policy: a defect raises
                to = message["To"].addresses
                self.assertEqual([recipient.addr_spec for recipient in to], [address])
                self.assertIsNone(message["Cc"])
                self.assertIsNone(message["Bcc"])
                # the subject in the customer's language: the update's, in that
                # language (a long one is folded after "Subject:": the folding
                # white space is not part of it, RFC 5322 3.2.2)
                self.assertEqual(message["Subject"].strip(), subjects[lang])
                if lang == "zh_CN":
                    # its Chinese words as RFC 2047 encoded words (the ASCII words
                    # before them, the company's name, may stay as they are)
                    raw_subject = re.search(
                        r"(?im)^Subject:(.*(?:\r?\n[ \t].*)*)", mail.raw_headers
                    ).group(1)
                    self.assertRegex(raw_subject, r"(?i)=\?utf-8\?[bq]\?")
                text = mail.text()
                own, other = (STATEMENT_ZH_TERM, STATEMENT_TERM)[:: 1 if lang == "zh_CN" else -1]
                self.assertIn(own, text, "the statement in the customer's language")
                self.assertNotIn(other, text)
                # nothing of another customer: address, name, page
                self.assertEqual(set(ADDRESS.findall(text)) & set(line_of), {address})
                self.assertEqual(set(NAME.findall(text)), {line.partner_id.name})
                self.assertIn(
                    f"/my/crises/{line.id}?access_token={line.access_token}",
                    mail.bodies()["text/html"],
                )
                self.assertEqual(set(PAGE_LINK.findall(text)), {(str(line.id), line.access_token)})

        # what Odoo recorded of each delivery: what the mail server answered
        notifications = self.env["mail.notification"].search(
            [
                ("mail_message_id.model", "=", "crisis.impact"),
                ("mail_message_id.res_id", "in", lines.ids),
                ("notification_type", "=", "email"),
            ]
        )
        status = {
            notification.res_partner_id.email: (
                notification.notification_status,
                notification.failure_type,
            )
            for notification in notifications
        }
        self.assertEqual(len(status), CUSTOMERS + 2)
        self.assertEqual(status.pop(GONE_ADDRESS)[0], "exception")
        self.assertEqual(status.pop(IDN_ADDRESS), ("exception", "mail_email_invalid"))
        self.assertEqual(set(status.values()), {("sent", False)})

    def test_unreachable_mail_server_warns_on_the_crisis(self):
        """No mail server answers: every email fails, the update counts them
        failed and the crisis says why, where to look, in one warning."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        self.smtp_mail_server.smtp_port = closed_port
        update = self._notify_customers(self.crisis)
        self.assertFalse(self.crisis.email_failure_warning, "queued: nothing failed yet")
        self.send_mail_queue()
        self._crisis_apply_reach()
        self.assertFalse(self.smtp_sink.messages)
        self.assertEqual(update.sent_count, 0)
        self.assertEqual(update.failed_count, update.total_count - update.skipped_count)
        warning = self.crisis.email_failure_warning
        self.assertIn(
            f"{update.failed_count} of {update.total_count} emails of the update", warning
        )
        self.assertIn("the outgoing mail server refused them or could not be reached", warning)
        self.assertIn("Outgoing Mail Servers", warning)

    def test_sending_jobs_deliver_their_own_batches(self):
        """Above the background threshold, each call of the sending job hands
        the emails of its batch to the mail server itself, through Odoo's
        ``mail.mail`` sending: none waits for Odoo's mail queue."""
        self.company.crisis_send_background_threshold = 10
        update = self._notify_customers(self.crisis)
        self.assertEqual(update.state, "queued")
        Update = self.env["crisis.update"]
        with (
            patch.object(modules.module, "current_test", False),
            self.assertLogs("odoo.addons.mail.models.mail_mail", "ERROR") as logs,
        ):
            Update._cron_send_updates(batch_size=60)
            self.assertEqual(len(self.smtp_sink.messages), 60, "the first batch, delivered")
            for _call in range(10):
                Update._cron_send_updates(batch_size=60)
                if update.state == "sent":
                    break
        self.assertEqual(update.state, "sent")
        self.assertIn(f"{GONE_ADDRESS}': (550", logs.output[0], "the server's refusal")
        lines = self.crisis.impact_ids
        left = self.env["mail.mail"].search(
            [("model", "=", "crisis.impact"), ("res_id", "in", lines.ids)]
        )
        # nothing waits in Odoo's mail queue: sent emails are deleted, as Odoo
        # does, failed ones kept with the reason
        self.assertEqual(set(left.mapped("state")), {"exception"})
        addresses = [address for mail in self.smtp_sink.messages for address in mail.rcpt_tos]
        self.assertEqual(len(addresses), CUSTOMERS, "each customer once")
        self.assertEqual(
            set(addresses), set(lines.partner_id.mapped("email")) - {GONE_ADDRESS, IDN_ADDRESS}
        )
        self.assertEqual(
            (update.queued_count, update.sent_count, update.failed_count), (0, CUSTOMERS, 2)
        )

    def test_a_delivery_removes_what_it_sent_at_its_end(self):
        """Odoo deletes each email once sent (``auto_delete``); a delivery of
        the sending job removes them at its end, in one go, with those a
        killed worker's delivery left sent; nobody else's emails."""
        self.company.crisis_send_background_threshold = 10
        Mail = self.env["mail.mail"].sudo()
        line = self.crisis.impact_ids[0]
        leftover, foreign = Mail.create(
            [
                {"model": "crisis.impact", "res_id": line.id, "body_html": "<p>a</p>"},
                {"model": "res.partner", "res_id": line.partner_id.id, "body_html": "<p>b</p>"},
            ]
        )
        (leftover | foreign).write({"state": "sent", "auto_delete": True})
        # sent by a worker killed an hour ago
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE mail_mail SET write_date = now() - interval '1 hour' WHERE id = ANY(%s)",
            [(leftover | foreign).ids],
        )
        update = self._notify_customers(self.crisis)
        unlinked = []
        unlink = type(Mail).unlink

        def spy(mails):
            if mails and not mails.env.context.get("crisis_unlink_later"):
                unlinked.append(set(mails.ids))
            return unlink(mails)

        with (
            patch.object(modules.module, "current_test", False),
            patch.object(type(Mail), "unlink", spy),
            mute_logger("odoo.addons.mail.models.mail_mail"),
        ):
            self.env["crisis.update"]._cron_send_updates(batch_size=30)
        self.assertEqual(len(self.smtp_sink.messages), 30)
        sent = self.env["mail.notification"].search(
            [("mail_message_id.model", "=", "crisis.impact"), ("notification_status", "=", "sent")]
        )
        self.assertEqual(len(sent), 30)
        self.assertEqual(len(unlinked), 1, "one removal for the batch")
        self.assertIn(leftover.id, unlinked[0])
        self.assertEqual(len(unlinked[0]), 31, "the 30 sent, and the one left over")
        self.assertFalse(leftover.exists())
        self.assertTrue(foreign.exists(), "another document's email is not ours")
        self.assertEqual(update.state, "sending")

    def test_emails_of_a_job_that_died_wait_for_the_mail_queue(self):
        """A worker killed between committing its batch and delivering it:
        Odoo's mail queue sends its emails, once their grace period is over."""
        self.company.crisis_send_background_threshold = 10
        update = self._notify_customers(self.crisis)
        Update = self.env["crisis.update"]
        Update._crisis_expand_frozen()
        recipients = Update._crisis_lock_pending(20)
        # as stored: to the second
        due = (self.env.cr.now() + DELIVERY_GRACE).replace(microsecond=0)
        with self.capture_triggers("mail.ir_cron_mail_scheduler_action") as capture:
            # the job's batch, committed; the worker dies before _crisis_deliver
            messages = update.with_context(crisis_deliver_in_job=True)._crisis_send_batch(
                recipients
            )
        mails = self.env["mail.mail"].search([("mail_message_id", "in", messages.ids)])
        self.assertEqual(len(mails), 20)
        self.assertEqual(set(mails.mapped("scheduled_date")), {due})
        self.assertEqual(
            [at.replace(microsecond=0) for at in capture.records.mapped("call_at")], [due]
        )
        self.assertEqual(self.send_mail_queue(mails), [], "not before the grace period")
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        with freeze_time(due + timedelta(seconds=1)):
            captured = self.send_mail_queue(mails)
        self.assertEqual(len(captured), 20)
        self.assertEqual(
            sorted(address for mail in captured for address in mail.rcpt_tos),
            sorted(recipients.impact_id.partner_id.mapped("email")),
        )

    def test_a_delivery_journals_each_email_the_server_accepted(self):
        """A delivery sends its emails in groups, one commit per group; each
        email the SMTP server accepts is journaled at once, and its row is
        removed once its group is done. A refused email is not journaled."""
        self.company.crisis_send_background_threshold = 10
        update = self._notify_customers(self.crisis)
        Journal = type(self.env["crisis.mail.accepted"])
        record, forget = Journal._crisis_record, Journal._crisis_forget
        recorded, forgotten = [], []

        def spy_record(journal, cr, mail, success_pids, failure_type):
            recorded.append((mail.id, mail.message_id, [p.id for p in success_pids]))
            return record(journal, cr, mail, success_pids, failure_type)

        def spy_forget(journal, cr, mail_ids):
            forgotten.append(list(mail_ids))
            return forget(journal, cr, mail_ids)

        Update = self.env["crisis.update"]
        with (
            patch.object(modules.module, "current_test", False),
            patch.object(Journal, "_crisis_record", spy_record),
            patch.object(Journal, "_crisis_forget", spy_forget),
            mute_logger("odoo.addons.mail.models.mail_mail"),
        ):
            for _call in range(10):
                Update._cron_send_updates(batch_size=120)
                if update.state == "sent":
                    break
        self.assertEqual(update.state, "sent")
        accepted = self.smtp_sink.messages
        self.assertEqual(len(recorded), len(accepted), "each accepted email, once")
        self.assertEqual(len({mail_id for mail_id, _m, _p in recorded}), len(recorded))
        self.assertEqual(
            sorted(message_id for _id, message_id, _p in recorded),
            sorted(mail.header("Message-Id") for mail in accepted),
        )
        self.assertTrue(all(len(pids) == 1 for _id, _m, pids in recorded))
        # removed group by group, once each group is done
        self.assertLessEqual(
            {mail_id for mail_id, _m, _p in recorded},
            {mail_id for group in forgotten for mail_id in group},
        )
        self.assertEqual(max(len(group) for group in forgotten), DELIVERY_COMMIT_EVERY)
        self.assertEqual(self.env["crisis.mail.accepted"].search_count([]), 0)
        self.assertEqual(update.failed_count, 2, "the refused and the invalid address")

    def test_emails_accepted_before_their_worker_died_are_not_sent_again(self):
        """A worker killed in the middle of a group: the emails the SMTP server
        accepted are in the journal, their group rolled back. Odoo's mail queue
        records them as sent, with what the server answered, and sends only
        the others; an email queued again by hand after an older acceptance
        is sent."""
        self.company.crisis_send_background_threshold = 10
        update = self._notify_customers(self.crisis)
        Update = self.env["crisis.update"]
        Update._crisis_expand_frozen()
        recipients = Update._crisis_lock_pending(20)
        messages = update.with_context(crisis_deliver_in_job=True)._crisis_send_batch(recipients)
        mails = self.env["mail.mail"].sudo().search([("mail_message_id", "in", messages.ids)])
        self.assertEqual(len(mails), 20)
        accepted, requeued = mails[:5], mails[5]
        Journal = self.env["crisis.mail.accepted"]
        for mail in accepted | requeued:
            Journal._crisis_record(self.env.cr, mail, list(mail.recipient_ids), None)
        # accepted an hour before the email was last written: queued again since
        self.env.cr.execute(
            "UPDATE crisis_mail_accepted SET date = date - interval '1 hour' WHERE mail_id = %s",
            [requeued.id],
        )
        notifications = accepted.mail_message_id.notification_ids
        accepted_ids = set(accepted.ids)
        expected = sorted((mails - accepted).recipient_ids.mapped("email"))
        with freeze_time(self.env.cr.now() + DELIVERY_GRACE + timedelta(seconds=1)):
            captured = self.send_mail_queue(mails)
        self.assertEqual(len(captured), 15, "the 14 never accepted, and the one queued again")
        self.assertEqual(
            sorted(address for mail in captured for address in mail.rcpt_tos), expected
        )
        self.assertEqual(set(notifications.mapped("notification_status")), {"sent"})
        self.assertFalse(self.env["mail.mail"].sudo().browse(accepted_ids).exists())
        traces = self.env["crisis.update.recipient"].search(
            [("mail_notification_id", "in", notifications.ids)]
        )
        self.assertEqual(len(traces), 5)
        self.assertEqual(set(traces.mapped("email_state")), {"sent"})
        # the older acceptance stays until nobody can read it again
        self.assertEqual(Journal.search([]).mapped("mail_id"), [requeued.id])
        Journal._crisis_gc()
        self.assertEqual(Journal.search([]).mapped("mail_id"), [requeued.id], "not old enough")
        self.env.cr.execute(
            "UPDATE crisis_mail_accepted SET date = %s", [self.env.cr.now() - JOURNAL_KEEP * 2]
        )
        Journal._crisis_gc()
        self.assertFalse(Journal.search([]))

    def test_the_journal_row_in_sql_is_what_create_writes(self):
        """The delivery writes its journal in SQL (on a connection of its own):
        the row holds what ``create()`` would write, the date being the
        transaction's."""
        Journal = self.env["crisis.mail.accepted"].sudo()
        mail = self.env["mail.mail"].sudo().create({"body_html": "<p>a</p>"})
        partners = self.partners[:2]
        Journal._crisis_record(self.env.cr, mail, list(partners), "mail_email_invalid")
        made = Journal.create(
            {
                "mail_id": mail.id + 1,
                "message_id": mail.message_id,
                "partner_ids": partners.ids,
                "failure_type": "mail_email_invalid",
                "date": self.env.cr.now(),
            }
        )
        written = Journal.search([("mail_id", "=", mail.id)])
        columns = [name for name, field in Journal._fields.items() if field.store]
        self.env.flush_all()
        self.env.invalidate_all()
        for name in columns:
            if name in ("id", "mail_id"):
                continue
            with self.subTest(column=name):
                self.assertEqual(written[name], made[name])
        self.assertEqual(written.mail_id, mail.id)

    def test_the_journal_is_not_for_users(self):
        """Only the deliveries write the journal (in SQL): a Crisis Manager
        neither reads nor writes it; an administrator reads it only."""
        Journal = self.env["crisis.mail.accepted"]
        row = Journal.sudo().create({"mail_id": 1, "date": fields.Datetime.now()})
        for method, args in (("search", ([],)), ("create", ({"mail_id": 2},))):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(Journal.with_user(self.user_manager), method)(*args)
        admin = self.env.ref("base.user_admin")
        self.assertEqual(Journal.with_user(admin).search([("id", "=", row.id)]), row)
        with self.assertRaises(AccessError):
            row.with_user(admin).write({"mail_id": 3})

    def test_sink_builds_what_comes_back(self):
        """The sink's bounce and out-of-office reply of a captured email are
        what Odoo's mail gateway recognises: a bounce of that customer's email,
        a reply to it."""
        line = self.crisis.impact_ids.filtered(lambda line: line.partner_id.lang == "zh_CN")[:1]
        self.crisis.with_user(self.user_crisis)._crisis_notify(
            line, self.env.ref("crisis_management.mail_template_impact_progress"), "progress"
        )
        (captured,) = self.send_mail_queue()
        message = self.env["mail.message"].search(
            [("model", "=", "crisis.impact"), ("res_id", "=", line.id)], order="id desc", limit=1
        )
        self.assertEqual(captured.header("Message-Id"), message.message_id)
        Thread = self.env["mail.thread"]
        for headers_only in (True, False):
            bounce = Thread.message_parse(
                email.message_from_bytes(
                    captured.bounce(headers_only=headers_only), policy=email.policy.SMTP
                )
            )
            self.assertTrue(bounce["is_bounce"])
            self.assertEqual(bounce["bounced_email"], line.partner_id.email_normalized)
            self.assertEqual(bounce["bounced_partner"], line.partner_id)
            self.assertEqual(bounce["bounced_message"], message)
        reply = Thread.message_parse(
            email.message_from_bytes(captured.auto_reply(), policy=email.policy.SMTP)
        )
        self.assertFalse(reply["is_bounce"])
        self.assertEqual(reply["in_reply_to"], message.message_id)
        self.assertEqual(reply["email_from"], line.partner_id.email)
        self.assertIn(TITLE_ZH, reply["subject"])


@tagged("post_install", "-at_install")
class TestSMTPRoundTrip(SMTPSinkCase, HttpCase, CrisisCase):
    """A notice to the customers of a crisis with an inbox, through a real SMTP
    server, and what mailboxes send back: the one-click unsubscribe a mailbox
    provider posts, a bounce report, an out-of-office reply. The numbers the
    crisis team reads follow what happened."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company.alias_domain_id = env["mail.alias.domain"].create(
            {
                "name": "crisis-smtp.example.com",
                "catchall_alias": "catchall",
                "bounce_alias": "bounce",
                "company_ids": [(4, cls.company.id)],
            }
        )
        cls.company.email = "help@crisis-smtp.example.com"
        cls.user_crisis.email = "carol@crisis-smtp.example.com"
        cls.user_manager.email = "marc@crisis-smtp.example.com"
        cls.partners = env["res.partner"].create(
            [
                {
                    "name": f"Customer {number:03d}",
                    "email": f"round-{number:03d}@example.org",
                    "lang": "en_US",
                }
                for number in range(6)
            ]
        )
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis,
            public_title=TITLE,
            public_statement=f"<p>{STATEMENT_TERM}</p>",
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.crisis.with_user(cls.user_manager).action_create_inbox()
        env["crisis.impact"]._link_partners(cls.crisis, cls.partners.ids, user=cls.user_crisis)
        cls.line = {line.partner_id: line for line in cls.crisis.impact_ids}

    def test_what_comes_back_is_counted_and_notifies_nobody(self):
        update = self._notify_customers(self.crisis)
        # queued is not sent, and nobody is notified yet
        self.assertEqual((update.queued_count, update.sent_count), (6, 0))
        self.assertFalse(
            self.crisis.impact_ids.filtered(lambda line: line.contact_status == "notified")
        )

        notices = self.env["mail.mail"].search(
            [("model", "=", "crisis.impact"), ("res_id", "in", self.crisis.impact_ids.ids)]
        )
        captured = {mail.rcpt_tos[0]: mail for mail in self.send_mail_queue(notices)}
        self._crisis_apply_reach()
        self.assertEqual(len(captured), 6)
        self.assertEqual((update.sent_count, update.reached_count), (6, 6))
        self.assertEqual(set(self.crisis.impact_ids.mapped("contact_status")), {"notified"})
        self.assertKpis(self.crisis, kpi_notified_count=6)

        # the unsubscribe header as the mail server received it: never encoded,
        # the customer's own https link and the crisis inbox
        for address, mail in captured.items():
            with self.subTest(customer=address):
                line = self.line[self.partners.filtered(lambda p, a=address: p.email == a)]
                uris = list_header_uris(mail.data)
                self.assertEqual(uris[0], line._crisis_unsubscribe_url())
                self.assertTrue(uris[1].startswith(f"mailto:{self.crisis.alias_email}?"))
                self.assertEqual(
                    mail.header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click"
                )

        # a mailbox provider's one-click POST: no cookie, no CSRF token
        first, second, third = self.partners[:3]
        response = requests.post(
            list_header_uris(captured[first.email].data)[0],
            data={"List-Unsubscribe": "One-Click"},
            timeout=30,
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertTrue(self.line[first].is_unsubscribed)

        # what goes out from now on, to the agent, the lead or anyone
        Mail, Notification = self.env["mail.mail"].sudo(), self.env["mail.notification"].sudo()
        mails_before = Mail.search([]).ids
        notifications_before = Notification.search([]).ids

        # a bounce report to the bounce address, then the reach job
        self.feed(captured[second.email].bounce())
        # an out-of-office reply to the notice
        self.feed(captured[third.email].auto_reply())
        self._crisis_apply_reach()

        self.assertEqual(
            (update.sent_count, update.bounced_count, update.reached_count), (5, 1, 5)
        )
        self.assertEqual(self.line[second].contact_status, "unreachable")
        self.assertKpis(self.crisis, kpi_notified_count=5)
        third_line = self.line[third]
        self.assertEqual(third_line.auto_reply_count, 1, "kept on the line, counted")
        self.assertEqual(third_line.contact_status, "notified", "an auto-reply is no answer")
        self.assertFalse(Mail.search([("id", "not in", mails_before)]), "nobody is emailed")
        self.assertFalse(
            Notification.search([("id", "not in", notifications_before)]),
            "nobody is notified",
        )
