"""The inbox of a crisis: raw emails through Odoo's mail gateway (message_process)."""

import base64
import re
from ast import literal_eval
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import parse_qs, urlsplit

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MockEmail

from ..models.crisis_impact import CUSTOMER_EMAIL_SUBTYPE
from ..models.crisis_impact_inbox import AUTO_REPLY_SUBTYPE, VERIFY_SELF_REPORTED
from .common import CrisisCase

ALIAS_DOMAIN = "inbox.crisis-test.example.com"
PDF = b"%PDF-1.4 a receipt of order 42"


class CrisisInboxCase(CrisisCase, MockEmail):
    """A crisis with its inbox, a known customer, and raw emails to it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create(
            {
                "name": ALIAS_DOMAIN,
                "catchall_alias": "catchall",
                "bounce_alias": "bounce",
                "company_ids": [(4, cls.company.id)],
            }
        )
        cls.company.alias_domain_id = cls.alias_domain
        cls.company.email = "help@crisis-test.example.com"
        cls.user_crisis.email = "carol@crisis-test.example.com"
        cls.user_crisis_2.email = "dora@crisis-test.example.com"
        # a Crisis User leads the crisis, another one is the agent of the known customer
        cls.crisis = cls._create_crisis(user_id=cls.user_crisis.id)
        cls.known = cls.env["crisis.impact"]._link_partners(
            cls.crisis, cls.customers[0].ids, user=cls.user_crisis_2
        )
        cls.crisis.with_user(cls.user_manager).action_create_inbox()
        cls.inbox = cls.crisis.alias_email

    # ------------------------------------------------------------------
    # Tools
    # ------------------------------------------------------------------

    def _raw(
        self,
        email_from,
        subject="Question about the recall",
        body="Is my order affected? Please call me.",
        charset="utf-8",
        headers=None,
        attachment=None,
        to=None,
    ):
        """A raw email, as an MTA hands it to Odoo's mail gateway."""
        msg = MIMEMultipart()
        msg["From"] = email_from
        msg["To"] = to or self.inbox
        msg["Subject"] = Header(subject, charset).encode()
        msg["Date"] = formatdate()
        msg["Message-ID"] = make_msgid(domain="customer.example.org")
        for name, value in (headers or {}).items():
            msg[name] = value
        msg.attach(MIMEText(body, "plain", charset))
        if attachment:
            name, content = attachment
            part = MIMEApplication(content, Name=name)
            part["Content-Disposition"] = f'attachment; filename="{name}"'
            msg.attach(part)
        return msg.as_string()

    def _process(self, raw):
        # as the mail gateway does: the fetchmail cron, as superuser
        return self.env["mail.thread"].sudo().message_process(None, raw)

    def _lines(self):
        return self.env["crisis.impact"].search([("crisis_id", "=", self.crisis.id)])

    def _customer_messages(self, record):
        return record.message_ids.filtered(lambda m: m.message_type == "email")

    def assertAutoReplies(self, messages, line):
        """``messages`` are automatic replies kept quietly on ``line``."""
        self.assertTrue(messages)
        for message in messages:
            self.assertEqual((message.model, message.res_id), (line._name, line.id))
            self.assertEqual(message.subtype_id, self.env.ref(AUTO_REPLY_SUBTYPE))
            self.assertTrue(message.is_internal, "never on the customer's page")
            self.assertEqual(message.author_id, line.partner_id)
            self.assertFalse(message.notified_partner_ids, "nobody notified")
            self.assertFalse(message.notification_ids)
        self.assertNotIn(line.partner_id, line.message_partner_ids, "the sender follows nothing")


@tagged("post_install", "-at_install")
class TestCrisisInbox(CrisisInboxCase):
    # ------------------------------------------------------------------
    # The alias
    # ------------------------------------------------------------------

    def test_inbox_alias(self):
        alias = self.crisis.alias_id
        # CRI/2026/0001 -> cri-2026-0001
        reference = self.crisis.reference.lower().replace("/", "-")
        self.assertEqual(alias.alias_name, f"crisis-{reference}")
        self.assertEqual(self.inbox, f"crisis-{reference}@{ALIAS_DOMAIN}")
        self.assertEqual(alias.alias_model_id.model, "crisis.impact")
        self.assertEqual(alias.alias_parent_model_id.model, "crisis.crisis")
        self.assertEqual(alias.alias_parent_thread_id, self.crisis.id)
        self.assertEqual(alias.alias_contact, "everyone")
        self.assertEqual(alias.alias_defaults, repr({"crisis_id": self.crisis.id}))
        # Odoo's alias uniqueness: another crisis cannot take the same address
        other = self._create_crisis()
        with self.assertRaises(UserError):
            other.with_user(self.user_manager).alias_name = alias.alias_name.upper()

    def test_inbox_suggested_name_is_free(self):
        other = self._create_crisis()
        self.env["mail.alias"].create(
            {
                "alias_name": f"crisis-{other.reference.lower().replace('/', '-')}",
                "alias_model_id": self.env["ir.model"]._get_id("crisis.impact"),
                "alias_domain_id": self.alias_domain.id,
            }
        )
        other.with_user(self.user_manager).action_create_inbox()
        self.assertEqual(other.alias_name, f"crisis-{other.reference.lower().replace('/', '-')}-2")

    def test_crisis_without_inbox(self):
        other = self._create_crisis()
        self.assertFalse(other.alias_id)
        self.assertFalse(other.alias_email)
        line = self.env["crisis.impact"]._link_partners(other, self.customers[1].ids)
        reply_to = line._notify_get_reply_to()[line.id]
        self.assertIn(f"catchall@{ALIAS_DOMAIN}", reply_to)

    def test_inbox_rights(self):
        other = self._create_crisis(user_id=self.user_crisis.id)
        # a Crisis User who does not lead the crisis: refused over the model layer
        for user in (self.user_crisis_2, self.user_outsider):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                other.with_user(user).write({"alias_name": "recall-l2611"})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                other.with_user(user).action_create_inbox()
        self.assertFalse(other.alias_id)
        # its lead may
        other.with_user(self.user_crisis).write({"alias_name": "recall-l2611"})
        self.assertEqual(other.alias_email, f"recall-l2611@{ALIAS_DOMAIN}")
        self.assertFalse(other.with_user(self.user_crisis_2).can_manage_inbox)
        self.assertTrue(other.with_user(self.user_crisis).can_manage_inbox)
        # where the emails go is the application's, even for a manager
        with self.assertRaises(AccessError):
            other.with_user(self.user_manager).write({"alias_defaults": "{'crisis_id': 1}"})
        with self.assertRaises(AccessError):
            other.with_user(self.user_manager).write({"alias_contact": "followers"})
        self.assertEqual(other.alias_id.alias_defaults, repr({"crisis_id": other.id}))

    def test_reply_to_is_the_inbox(self):
        self.crisis.with_user(self.user_manager).write(
            {"public_statement": "<p>We recalled batch 42.</p>"}
        )
        self.crisis.with_user(self.user_manager).action_approve_statement()
        reply_to = self.known._notify_get_reply_to()[self.known.id]
        self.assertIn(self.inbox, reply_to)
        with self.mock_mail_gateway():
            self.known.message_post(
                body="We are checking your order.",
                partner_ids=self.customers[0].ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        mail = self._new_mails.filtered(lambda m: self.customers[0] in m.recipient_ids)
        self.assertTrue(mail)
        self.assertIn(self.inbox, mail.reply_to)

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------

    def test_known_customer_lands_on_line(self):
        lines = self._lines()
        partners = self.env["res.partner"].search_count([])
        self._process(self._raw(formataddr(("Customer 0", "Customer0@Example.com"))))
        self.assertEqual(self._lines(), lines, "no new line")
        self.assertEqual(self.env["res.partner"].search_count([]), partners, "no new contact")
        message = self._customer_messages(self.known)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.customers[0])
        self.assertEqual(message.subject, "Question about the recall")
        self.assertIn("Is my order affected?", message.body)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        # its followers (the agent, the crisis lead) are notified
        self.assertEqual(
            message.notified_partner_ids,
            self.user_crisis.partner_id | self.user_crisis_2.partner_id,
        )
        self.assertFalse(self.known.is_self_reported)

    def test_unknown_sender_self_reported(self):
        self._process(self._raw('"Jane Newcomer" <jane.newcomer@example.org>'))
        line = self._lines() - self.known
        self.assertEqual(len(line), 1)
        partner = line.partner_id
        self.assertEqual(partner.name, "Jane Newcomer")
        self.assertEqual(partner.email, "jane.newcomer@example.org")
        self.assertEqual(partner.company_id, self.crisis.company_id)
        self.assertFalse(partner.lang)
        self.assertTrue(line.is_self_reported)
        self.assertEqual(line.impact_level, "low")
        self.assertEqual(line.contact_status, "to_contact")
        self.assertFalse(line.user_id)
        activity = line.activity_ids
        self.assertEqual(activity.activity_type_id, self.env.ref(VERIFY_SELF_REPORTED))
        self.assertEqual(activity.user_id, self.user_crisis, "the crisis lead verifies")
        message = self._customer_messages(line)
        self.assertEqual(message.author_id, partner)
        self.assertIn("Is my order affected?", message.body)
        self.assertIn(self.user_crisis.partner_id, line.message_partner_ids)
        self.assertIn(self.user_crisis.partner_id, message.notified_partner_ids)
        # a second email from them lands on the same line
        self._process(self._raw("jane.newcomer@example.org", subject="Any news?"))
        self.assertEqual(self._lines() - self.known, line)
        self.assertEqual(len(self._customer_messages(line)), 2)

    def test_existing_contact_without_line(self):
        # a contact of another company with the same address is not theirs to use
        foreign = self.env["res.partner"].create(
            {
                "name": "Same Address Elsewhere",
                "email": "customer1@example.com",
                "company_id": self.company_2.id,
            }
        )
        partners = self.env["res.partner"].search_count([])
        self._process(self._raw("CUSTOMER1@example.com"))
        line = self._lines() - self.known
        self.assertEqual(line.partner_id, self.customers[1])
        self.assertNotEqual(line.partner_id, foreign)
        self.assertTrue(line.is_self_reported)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)

    def test_foreign_contact_only(self):
        """The only contact with the address belongs to another company: a new
        contact of the crisis' company is made, the other one is left alone."""
        foreign = self.env["res.partner"].create(
            {"name": "Elsewhere", "email": "else@example.org", "company_id": self.company_2.id}
        )
        self._process(self._raw("else@example.org"))
        line = self._lines() - self.known
        self.assertTrue(line.is_self_reported)
        self.assertNotEqual(line.partner_id, foreign)
        self.assertEqual(line.partner_id.company_id, self.company)

    def test_attachment_kept(self):
        self._process(self._raw("customer0@example.com", attachment=("receipt.pdf", PDF)))
        message = self._customer_messages(self.known)
        self.assertEqual(message.attachment_ids.mapped("name"), ["receipt.pdf"])
        attachment = message.attachment_ids
        self.assertEqual(base64.b64decode(attachment.datas), PDF)
        self.assertEqual(
            (attachment.res_model, attachment.res_id), ("crisis.impact", self.known.id)
        )

    def test_attachment_on_new_line(self):
        self._process(self._raw("photo.sender@example.org", attachment=("photo.pdf", PDF)))
        line = self._lines() - self.known
        self.assertEqual(
            self._customer_messages(line).attachment_ids.mapped("name"), ["photo.pdf"]
        )

    def test_auto_replies_create_nothing(self):
        """Automatic emails to the inbox without a reference: a stranger's are
        dropped, a customer's are kept quietly on their line."""
        partners = self.env["res.partner"].search_count([])
        messages = self.env["mail.message"].search_count([])
        headers_list = [
            {"Auto-Submitted": "auto-replied"},
            {"Auto-Submitted": "auto-generated"},
            {"Auto-Submitted": "auto-replied; owner-email=customer0@example.com"},
            {"X-Autoreply": "yes"},
            {"X-Autorespond": "Away until Monday"},
            {"Precedence": "bulk"},
            {"Precedence": "auto_reply"},
            {"Precedence": "junk"},
        ]
        with self.mock_mail_gateway():
            for index, headers in enumerate(headers_list):
                with self.subTest(headers=headers):
                    self._process(
                        self._raw(
                            f"away{index}@example.org", subject="Out of office", headers=headers
                        )
                    )
            self.assertEqual(self.env["mail.message"].search_count([]), messages)
            for headers in headers_list:
                self._process(
                    self._raw("customer0@example.com", subject="Out of office", headers=headers)
                )
        self.assertEqual(self._lines(), self.known)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertFalse(self._new_mails, "nobody emailed")
        kept = self._customer_messages(self.known)
        self.assertEqual(len(kept), len(headers_list))
        self.assertAutoReplies(kept, self.known)
        self.assertEqual(self.known.auto_reply_count, len(headers_list))
        # "Auto-Submitted: no" is a person writing
        self._process(self._raw("human@example.org", headers={"Auto-Submitted": "no"}))
        self.assertEqual(len(self._lines() - self.known), 1)

    def test_bounce_creates_nothing(self):
        partners = self.env["res.partner"].search_count([])
        self._process(
            self._raw(
                "MAILER-DAEMON <mailer-daemon@mx.example.org>",
                subject="Undelivered Mail Returned to Sender",
                body="This is the mail system: your message could not be delivered.",
            )
        )
        self._process(
            self._raw(
                "postmaster@example.org",
                subject="Delivery Status Notification",
                to=f"bounce@{ALIAS_DOMAIN}, {self.inbox}",
            )
        )
        self.assertEqual(self._lines(), self.known)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)

    def test_zh_cn_email(self):
        for charset, address in (
            ("gb2312", "zhang.wei@example.cn"),
            ("utf-8", "li.na@example.cn"),
        ):
            with self.subTest(charset=charset):
                name = "张伟" if charset == "gb2312" else "李娜"
                self._process(
                    self._raw(
                        formataddr((name, address), charset=charset),
                        subject="关于产品召回的问题",
                        body="您好，我的订单是否受到影响？请尽快回复。",
                        charset=charset,
                    )
                )
                line = self.env["crisis.impact"].search(
                    [("crisis_id", "=", self.crisis.id), ("partner_id.email", "=", address)]
                )
                self.assertTrue(line.is_self_reported)
                self.assertEqual(line.partner_id.name, name)
                message = self._customer_messages(line)
                self.assertEqual(message.subject, "关于产品召回的问题")
                self.assertIn("我的订单是否受到影响", message.body)

    def test_staff_is_not_a_customer(self):
        partners = self.env["res.partner"].search_count([])
        self._process(
            self._raw(
                formataddr(("Dora", "Dora@crisis-test.example.com")),
                subject="Forwarded: a customer called",
            )
        )
        self.assertEqual(self._lines(), self.known)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        message = self.crisis.message_ids.filtered(
            lambda m: m.subject == "Forwarded: a customer called"
        )
        self.assertEqual(message.author_id, self.user_crisis_2.partner_id)
        # the company's own address is not a customer either
        self._process(self._raw(self.company.email, subject="From the company"))
        self.assertEqual(self._lines(), self.known)
        self.assertTrue(
            self.crisis.message_ids.filtered(lambda m: m.subject == "From the company")
        )

    def test_drill_inbox(self):
        drill = self._create_crisis(is_drill=True)
        drill.with_user(self.user_manager).alias_name = "drill-inbox"
        self._process(self._raw("rehearsal@example.org", to=drill.alias_email))
        line = self.env["crisis.impact"].search([("crisis_id", "=", drill.id)])
        self.assertTrue(line.is_self_reported)
        self.assertTrue(line.is_drill)

    def test_closed_crisis(self):
        self.crisis.sudo().write(
            {"root_cause": "<p>A bad batch.</p>", "stage_id": self.stage_closed.id}
        )
        self.assertTrue(self.crisis.is_closed)
        with self.mock_mail_gateway():
            self._process(self._raw("late.sender@example.org"))
        self.assertEqual(self._lines(), self.known, "a closed crisis takes no new customer")
        self.assertFalse(
            self.env["res.partner"].search([("email", "=", "late.sender@example.org")])
        )
        bounce = self._new_mails.filtered(lambda m: "late.sender@example.org" in m.email_to)
        self.assertEqual(len(bounce), 1)
        self.assertIn("is closed", bounce.body_html)
        # its customers still reach their line
        self._process(self._raw("customer0@example.com", subject="Thanks"))
        self.assertEqual(len(self._customer_messages(self.known)), 1)

    # ------------------------------------------------------------------
    # Self-reported lines
    # ------------------------------------------------------------------

    def _self_reported(self):
        self._process(self._raw("new.one@example.org"))
        return self._lines() - self.known

    def test_self_reported_guarded(self):
        with self.assertRaises(UserError):
            self.known.with_user(self.user_crisis).write({"is_self_reported": True})
        with self.assertRaises(UserError):
            self.env["crisis.impact"].with_user(self.user_manager).create(
                {
                    "crisis_id": self.crisis.id,
                    "partner_id": self.customers[2].id,
                    "is_self_reported": True,
                }
            )
        line = self._self_reported()
        with self.assertRaises(UserError):
            line.with_user(self.user_manager).write({"is_self_reported": False})
        self.assertTrue(line.is_self_reported)

    def test_verify(self):
        line = self._self_reported()
        line.with_user(self.user_manager).user_id = self.user_crisis_2
        # a Crisis User who may not change the line, an employee without the app
        for user in (self.user_outsider, self.user_internal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                line.with_user(user).action_verify_self_reported()
        self.assertTrue(line.is_self_reported)
        # the agent verifies
        self.assertTrue(line.with_user(self.user_crisis_2).action_verify_self_reported())
        self.assertFalse(line.is_self_reported)
        self.assertFalse(line.activity_ids, "the To-Do is done")
        self.env.flush_all()
        self.env.cr.precommit.run()  # the tracking message
        log = line.message_ids.filtered(lambda m: "verified this self-reported" in (m.body or ""))
        self.assertEqual(len(log), 1)
        self.assertEqual(log.author_id, self.user_crisis_2.partner_id)

    # ------------------------------------------------------------------
    # Unverified self-reported lines get no notices
    # ------------------------------------------------------------------

    def _approve_statement(self):
        self.crisis.with_user(self.user_manager).write(
            {"public_statement": "<p>We recalled batch 42.</p>"}
        )
        self.crisis.with_user(self.user_manager).action_approve_statement()

    def _notices(self, line):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "crisis.impact"),
                ("res_id", "=", line.id),
                ("recipient_ids", "in", line.partner_id.ids),
            ]
        )

    def test_self_reported_not_notified_until_verified(self):
        """A forged From makes a line: it is emailed nothing until an agent verifies it."""
        self._approve_statement()
        line = self._self_reported()
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create({"kind": "progress", "audience": "all"})
        )
        self.assertEqual(
            (wizard.recipient_count, wizard.unverified_count), (1, 1), "counted apart"
        )
        self.assertEqual(wizard.confirm_title, "Send 1 email?")
        wizard.action_review_send()
        wizard.action_send()
        update = self.crisis.update_ids
        self.assertEqual((update.queued_count, update.unverified_count), (1, 1))
        self.assertEqual(update.skipped_count, 1)
        self.assertEqual(
            update.recipient_ids.filtered(lambda r: r.impact_id == line).state, "unverified"
        )
        self.assertTrue(self._notices(self.known))
        self.assertFalse(self._notices(line), "nothing to the unverified address")
        self.assertEqual(line.contact_status, "to_contact")
        self.assertFalse(line.last_update_id)
        # the model layer, whoever calls it: a selection, the stage notices
        update = line._crisis_send(self.env.ref("crisis_management.mail_template_impact_progress"))
        self.assertEqual((update.queued_count, update.unverified_count), (0, 1))
        self.stage_resolved.mail_template_id = self.env.ref(
            "crisis_management.mail_template_impact_resolution"
        )
        self.crisis.with_user(self.user_manager).stage_id = self.stage_resolved
        self.assertEqual(self.crisis.update_ids[:1].unverified_count, 1)
        self.assertFalse(self._notices(line))
        # the satisfaction request neither
        line._crisis_request_rating(
            self.env.ref("crisis_management.mail_template_impact_satisfaction")
        )
        self.assertFalse(line.rating_ids)
        self.assertFalse(self._notices(line))
        # verified: the next update reaches them
        line.with_user(self.user_crisis).action_verify_self_reported()
        update = line._crisis_send(self.env.ref("crisis_management.mail_template_impact_progress"))
        self.assertEqual((update.queued_count, update.unverified_count), (1, 0))
        self.assertTrue(self._notices(line))

    # ------------------------------------------------------------------
    # Limits on what strangers create
    # ------------------------------------------------------------------

    def test_one_line_per_sender_address(self):
        for email_from in (
            '"Jane" <jane.doe@example.org>',
            "JANE.DOE@Example.ORG",
            '"Someone Else" <jane.doe@example.org>',
        ):
            self._process(self._raw(email_from))
        line = self._lines() - self.known
        self.assertEqual(len(line), 1)
        self.assertEqual(len(self._customer_messages(line)), 3)
        self.assertEqual(
            self.env["res.partner"].search_count(
                [("email_normalized", "=", "jane.doe@example.org")]
            ),
            1,
        )

    def test_new_senders_limited_per_crisis_and_hour(self):
        self.company.crisis_inbox_hourly_limit = 3
        partners = self.env["res.partner"].search_count([])
        for index in range(5):
            self._process(self._raw(f"stranger{index}@example.org", subject=f"Help {index}"))
        lines = self._lines() - self.known
        self.assertEqual(len(lines), 3, "three new customers per hour")
        self.assertEqual(self.env["res.partner"].search_count([]), partners + 3)
        # the others are kept on the crisis, as internal notes: nobody is emailed
        for index in (3, 4):
            message = self.crisis.message_ids.filtered(
                lambda m, index=index: m.subject == f"Help {index}"
            )
            self.assertEqual(len(message), 1)
            self.assertTrue(message.is_internal)
            self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"))
            self.assertIn(f"stranger{index}@example.org", message.email_from)
            self.assertIn("Is my order affected?", message.body)
            self.assertIn("Not added as a self-reported customer", message.body)
            self.assertFalse(message.notified_partner_ids)
        self.assertFalse(self.env["res.partner"].search([("email", "=", "stranger4@example.org")]))
        # known customers and lines made an hour ago are not limited
        self._process(self._raw("customer0@example.com", subject="Still waiting"))
        self.assertEqual(len(self._customer_messages(self.known)), 1)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crisis_impact SET create_date = create_date - interval '61 minutes'"
            " WHERE id = ANY(%s)",
            [lines.ids],
        )
        self._process(self._raw("stranger5@example.org"))
        self.assertEqual(len(self._lines() - self.known), 4)
        # another crisis has its own count
        other = self._create_crisis(user_id=self.user_crisis.id)
        other.with_user(self.user_manager).alias_name = "other-inbox"
        self.company.crisis_inbox_hourly_limit = 0
        self._process(self._raw("stranger6@example.org", to=other.alias_email))
        self.assertFalse(other.impact_ids, "0: no new customer from the inbox")
        self.assertTrue(other.message_ids.filtered(lambda m: "stranger6" in (m.email_from or "")))

    def test_inbox_limit_setting(self):
        settings = self.env["crisis.config.settings"].with_user(self.user_manager).create({})
        self.assertEqual(settings.crisis_inbox_hourly_limit, 50)
        settings.crisis_inbox_hourly_limit = 5
        self.assertEqual(self.company.crisis_inbox_hourly_limit, 5)
        for value in (-1, 100001):
            with self.subTest(value=value), self.assertRaises(ValidationError):
                self.company.crisis_inbox_hourly_limit = value

    def test_malformed_sender_creates_nothing(self):
        partners = self.env["res.partner"].search_count([])
        messages = self.env["mail.message"].search_count([])
        for email_from in ("", "<>", "a@@b.example", "not an address", "Jane Doe", "@b.example"):
            with self.subTest(email_from=email_from):
                self._process(self._raw(email_from, subject="Forged"))
        # no From header at all
        raw = self._raw("someone@example.org", subject="Forged").replace(
            "From: someone@example.org\n", ""
        )
        self.assertNotIn("someone@example.org", raw)
        self._process(raw)
        self.assertEqual(self._lines(), self.known)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertEqual(self.env["mail.message"].search_count([]), messages)


@tagged("post_install", "-at_install")
class TestCrisisInboxReplies(CrisisInboxCase):
    """Replies to the notices, by people and by machines, and unsubscribe emails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis.with_user(cls.user_manager).write(
            {"public_statement": "<p>We recalled batch 42.</p>"}
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.second = cls.env["crisis.impact"]._link_partners(
            cls.crisis, cls.customers[1].ids, user=cls.user_crisis_2
        )
        cls.template = cls.env.ref("crisis_management.mail_template_impact_progress")
        # a crisis without an inbox: its customers reply to the catchall address
        cls.quiet = cls._create_crisis(user_id=cls.user_crisis.id)
        cls.quiet.with_user(cls.user_manager).write(
            {"public_statement": "<p>We recalled batch 43.</p>"}
        )
        cls.quiet.with_user(cls.user_manager).action_approve_statement()
        cls.quiet_line = cls.env["crisis.impact"]._link_partners(
            cls.quiet, cls.customers[0].ids, user=cls.user_crisis_2
        )
        (cls.known | cls.second | cls.quiet_line)._crisis_send(cls.template)
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    # ------------------------------------------------------------------
    # Tools
    # ------------------------------------------------------------------

    def _notice(self, line):
        notice = line.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref(CUSTOMER_EMAIL_SUBTYPE)
        )
        self.assertEqual(len(notice), 1)
        return notice

    def _reply(self, line, subject=None, to=None, headers=None, body="I am away until Monday."):
        """A reply to the notice of ``line``, from its customer (In-Reply-To, References)."""
        notice = self._notice(line)
        return self._raw(
            line.partner_id.email,
            subject=subject or f"Re: {notice.subject}",
            body=body,
            to=to or notice.reply_to,
            headers={
                "In-Reply-To": notice.message_id,
                "References": notice.message_id,
                **(headers or {}),
            },
        )

    def _counts(self):
        """What a reply may create: messages, emails, notifications, lines, contacts."""
        return (
            self.env["mail.message"].search_count([]),
            self.env["mail.mail"].search_count([]),
            self.env["mail.notification"].search_count([]),
            self.env["crisis.impact"].search_count([]),
            self.env["res.partner"].search_count([]),
        )

    # ------------------------------------------------------------------
    # Automatic replies to a notice
    # ------------------------------------------------------------------

    def test_out_of_office_reply_to_notice_is_quiet(self):
        """Out-of-office replies to a notice (In-Reply-To): kept on the line,
        counted, and neither the agent nor the lead is emailed or notified."""
        cases = [
            {"headers": {"Auto-Submitted": "auto-replied"}},
            {"headers": {"X-Autoreply": "yes"}},
            {"headers": {"X-Autorespond": "yes"}},
            {"headers": {"Precedence": "auto_reply"}},
            {"headers": {"Precedence": "list"}},
            # Exchange without RFC 3834 headers: the subject says it
            {
                "subject": "Automatic reply: important information",
                "headers": {"X-Auto-Response-Suppress": "All"},
            },
            {"subject": "Out of Office: important information"},
            {"subject": "自动回复: 重要信息"},
            {"subject": "自动回复：重要信息"},
        ]
        messages, mails, notifications, lines, partners = self._counts()
        followers = self.known.message_partner_ids
        self.assertEqual(followers, self.user_crisis.partner_id | self.user_crisis_2.partner_id)
        with self.mock_mail_gateway():
            for case in cases:
                with self.subTest(case=case):
                    self._process(self._reply(self.known, **case))
        self.assertFalse(self._new_mails, "no email to the agent or the lead")
        self.assertEqual(
            self._counts(),
            (messages + len(cases), mails, notifications, lines, partners),
            "one quiet message per reply: no email, no notification, no line, no contact",
        )
        kept = self._customer_messages(self.known)
        self.assertEqual(len(kept), len(cases))
        self.assertAutoReplies(kept, self.known)
        self.assertEqual(kept.parent_id, self._notice(self.known), "threaded under the notice")
        self.assertIn("I am away until Monday.", kept[0].body)
        self.assertEqual(self.known.message_partner_ids, followers)
        # counted on the line and the crisis; the agent finds them
        self.assertEqual(self.known.auto_reply_count, len(cases))
        self.assertEqual(self.second.auto_reply_count, 0)
        self.assertEqual(self.crisis.auto_reply_count, len(cases))
        Impact = self.env["crisis.impact"].with_user(self.user_crisis)
        self.assertEqual(
            Impact.search([("crisis_id", "=", self.crisis.id), ("auto_reply_count", ">", 0)]),
            self.known,
        )
        self.assertEqual(
            Impact.search([("crisis_id", "=", self.crisis.id), ("auto_reply_count", "=", 0)]),
            self.second,
        )
        action = self.crisis.with_user(self.user_crisis).action_view_auto_replies()
        self.assertEqual(Impact.search(action["domain"]), self.known)
        # the agent reads them in the chatter; the customer's page does not show them
        self.assertEqual(
            self.known.with_user(self.user_crisis_2).message_ids.filtered(
                lambda m: m.subtype_id == self.env.ref(AUTO_REPLY_SUBTYPE)
            ),
            kept,
        )

    def test_out_of_office_reply_through_catchall(self):
        """A crisis without an inbox: the reply reaches the line by its
        References through the catchall address; quiet all the same."""
        catchall = f"catchall@{ALIAS_DOMAIN}"
        self.assertIn(catchall, self._notice(self.quiet_line).reply_to)
        messages, mails, notifications, lines, partners = self._counts()
        with self.mock_mail_gateway():
            self._process(self._reply(self.quiet_line, headers={"Auto-Submitted": "auto-replied"}))
        self.assertFalse(self._new_mails, "no bounce, no notification")
        self.assertEqual(self._counts(), (messages + 1, mails, notifications, lines, partners))
        self.assertAutoReplies(self._customer_messages(self.quiet_line), self.quiet_line)
        self.assertEqual(self.quiet_line.auto_reply_count, 1)
        self.assertEqual(self.known.auto_reply_count, 0, "the line of the notice only")

    def test_out_of_office_reply_from_another_address(self):
        """The auto-responder of a forwarding address: kept on the line of the
        notice it answers, no contact made for the address."""
        messages, mails, notifications, lines, partners = self._counts()
        raw = self._reply(self.second, headers={"Auto-Submitted": "auto-replied"}).replace(
            "From: customer1@example.com", "From: holiday.forward@example.net"
        )
        self.assertIn("holiday.forward@example.net", raw)
        with self.mock_mail_gateway():
            self._process(raw)
        self.assertFalse(self._new_mails)
        self.assertEqual(self._counts(), (messages + 1, mails, notifications, lines, partners))
        self.assertEqual(self.second.auto_reply_count, 1)

    def test_auto_reply_to_compensation_email_is_quiet(self):
        """An automatic reply to another email of the customer (a compensation)
        is kept quietly on their line too."""
        compensation = self.env["crisis.compensation"].create(
            {"impact_id": self.known.id, "type": "voucher", "amount": 10.0}
        )
        with self.mock_mail_gateway():
            compensation.message_post(
                body="Your voucher is on its way.",
                partner_ids=self.customers[0].ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        email = compensation.message_ids.filtered(lambda m: m.partner_ids == self.customers[0])
        self.assertEqual(len(email), 1)
        messages, mails, notifications, lines, partners = self._counts()
        comp_messages = compensation.message_ids
        raw = self._raw(
            self.customers[0].email,
            subject="Automatic reply: your voucher",
            to=email.reply_to,
            headers={"In-Reply-To": email.message_id, "References": email.message_id},
        )
        with self.mock_mail_gateway():
            self._process(raw)
        self.assertFalse(self._new_mails)
        self.assertEqual(self._counts(), (messages + 1, mails, notifications, lines, partners))
        self.assertEqual(compensation.message_ids, comp_messages)
        self.assertEqual(self.known.auto_reply_count, 1)
        self.assertAutoReplies(self._customer_messages(self.known), self.known)

    def test_genuine_reply_notifies_followers(self):
        """A person's reply to a notice still notifies the agent and the lead."""
        messages, mails, notifications, lines, partners = self._counts()
        with self.mock_mail_gateway():
            self._process(
                self._reply(
                    self.known,
                    body="Is my order affected? Please call me.",
                    # Outlook puts it on what people write too: not a sign of a machine
                    headers={"X-Auto-Response-Suppress": "All", "Auto-Submitted": "no"},
                )
            )
        reply = self._customer_messages(self.known)
        self.assertEqual(len(reply), 1)
        self.assertEqual(reply.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertFalse(reply.is_internal)
        self.assertEqual(
            reply.notified_partner_ids,
            self.user_crisis.partner_id | self.user_crisis_2.partner_id,
        )
        self.assertEqual(
            self._new_mails.recipient_ids,
            self.user_crisis.partner_id | self.user_crisis_2.partner_id,
            "the agent and the lead are emailed",
        )
        self.assertEqual(self.known.auto_reply_count, 0)
        self.assertEqual(self._counts()[2], notifications + 2)

    # ------------------------------------------------------------------
    # Unsubscribe by email (the mailto: of List-Unsubscribe)
    # ------------------------------------------------------------------

    def _mailto(self, line):
        """The address and subject of the mailto: of the notice of ``line`` (its header)."""
        mail = self._notice(line).mail_ids
        self.assertEqual(len(mail), 1)
        header = literal_eval(mail.headers)["List-Unsubscribe"]
        uris = re.findall(r"<([^<>]+)>", header)
        self.assertEqual(len(uris), 2)
        mailto = urlsplit(uris[1])
        self.assertEqual(mailto.scheme, "mailto")
        return mailto.path, parse_qs(mailto.query)["subject"][0]

    def _tracking(self, line):
        self.env.invalidate_all()
        return line.message_ids.filtered(
            lambda m: "is_unsubscribed" in m.tracking_value_ids.field_id.mapped("name")
        )

    def test_unsubscribe_by_email(self):
        """The email a mail client sends to the mailto: unsubscribes the line:
        nothing else is made, nobody notified."""
        address, subject = self._mailto(self.known)
        self.assertEqual(address, self.inbox)
        self.assertEqual(
            subject, f"unsubscribe-{self.known.id}-{self.known._crisis_unsubscribe_token()}"
        )
        messages, mails, notifications, lines, partners = self._counts()
        with self.mock_mail_gateway():
            self._process(
                self._raw(
                    self.customers[0].email,
                    subject=subject,
                    body="This message was automatically generated.",
                    to=address,
                )
            )
            self.env.flush_all()
            self.env.cr.precommit.run()  # the tracking message, as at the end of the request
        self.assertTrue(self.known.is_unsubscribed)
        self.assertTrue(self.known.date_unsubscribed)
        self.assertFalse(self.second.is_unsubscribed, "only this line")
        self.assertFalse(self.quiet_line.is_unsubscribed, "only this crisis")
        self.assertFalse(
            self.env["mail.blacklist"].search([("email", "=", "customer0@example.com")])
        )
        tracking = self._tracking(self.known)
        self.assertEqual(len(tracking), 1)
        self.assertIn("by email", tracking.body)
        self.assertEqual(tracking.author_id, self.customers[0])
        self.assertFalse(self._new_mails, "nobody emailed")
        self.assertEqual(
            self._counts(),
            (messages + 1, mails, notifications, lines, partners),
            "the tracking message alone: no email posted, no notification, no line, no contact",
        )
        self.assertFalse(self._customer_messages(self.known))

    def test_unsubscribe_by_email_any_sender_closed_crisis(self):
        """The signature is the proof: from another address (a forwarding
        mailbox), with an automatic header, on a closed crisis: unsubscribed,
        no bounce, no self-reported line."""
        address, subject = self._mailto(self.second)
        self.crisis.sudo().write(
            {"root_cause": "<p>A bad batch.</p>", "stage_id": self.stage_closed.id}
        )
        self.assertTrue(self.crisis.is_closed)
        messages, mails, notifications, lines, partners = self._counts()
        with self.mock_mail_gateway():
            self._process(
                self._raw(
                    "someone.else@example.net",
                    subject=subject,
                    to=address,
                    headers={"Auto-Submitted": "auto-generated"},
                )
            )
        self.assertFalse(self._new_mails, "no bounce")
        self.assertTrue(self.second.is_unsubscribed)
        self.assertEqual(self._counts()[1:], (mails, notifications, lines, partners))

    def test_unsubscribe_by_email_wrong_signature(self):
        """A forged or another line's signature, a line of another crisis, no
        such line: nothing happens, nothing is made."""
        _address, subject = self._mailto(self.known)
        token = self.known._crisis_unsubscribe_token()
        quiet_token = self.quiet_line._crisis_unsubscribe_token()
        missing = self.env["crisis.impact"].search([], order="id desc", limit=1).id + 1000
        subjects = [
            f"unsubscribe-{self.known.id}-{'0' * 64}",
            f"unsubscribe-{self.known.id}-{self.second._crisis_unsubscribe_token()}",
            f"unsubscribe-{self.second.id}-{token}",
            # a line of another crisis, rightly signed, to this inbox
            f"unsubscribe-{self.quiet_line.id}-{quiet_token}",
            f"unsubscribe-{missing}-{token}",
            f"unsubscribe-99999999999-{token}",
        ]
        messages, mails, notifications, lines, partners = self._counts()
        with self.mock_mail_gateway():
            for forged in subjects:
                with self.subTest(subject=forged):
                    self._process(self._raw("attacker@example.org", subject=forged))
                    self._process(self._raw(self.customers[0].email, subject=forged))
        self.env.invalidate_all()
        self.assertFalse((self.known | self.second | self.quiet_line).filtered("is_unsubscribed"))
        self.assertFalse(self._new_mails)
        self.assertEqual(self._counts(), (messages, mails, notifications, lines, partners))
        # as a reply to the notice (References), the same checks
        with self.mock_mail_gateway():
            self._process(self._reply(self.known, subject=subjects[1]))
        self.assertFalse(self.known.is_unsubscribed)
        self.assertEqual(self._counts(), (messages, mails, notifications, lines, partners))
        self._process(self._reply(self.known, subject=subject))
        self.assertTrue(self.known.is_unsubscribed)
