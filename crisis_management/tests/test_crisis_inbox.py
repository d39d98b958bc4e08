"""The inbox of a crisis: raw emails through Odoo's mail gateway (message_process)."""

import base64
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.mail.tests.common import MockEmail

from ..models.crisis_impact_inbox import VERIFY_SELF_REPORTED
from .common import CrisisCase

ALIAS_DOMAIN = "inbox.crisis-test.example.com"
PDF = b"%PDF-1.4 a receipt of order 42"


@tagged("post_install", "-at_install")
class TestCrisisInbox(CrisisCase, MockEmail):
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
        cls.user_outsider = new_test_user(
            cls.env,
            login="crisis_user_3",
            name="Olga Outsider",
            groups="crisis_management.group_crisis_user",
        )
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
        partners = self.env["res.partner"].search_count([])
        for index, headers in enumerate(
            [
                {"Auto-Submitted": "auto-replied"},
                {"Auto-Submitted": "auto-generated"},
                {"X-Autoreply": "yes"},
                {"Precedence": "bulk"},
                {"Precedence": "auto_reply"},
            ]
        ):
            with self.subTest(headers=headers):
                self._process(
                    self._raw(f"away{index}@example.org", subject="Out of office", headers=headers)
                )
                self._process(
                    self._raw("customer0@example.com", subject="Out of office", headers=headers)
                )
        self.assertEqual(self._lines(), self.known)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertFalse(self._customer_messages(self.known))
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
        self.assertEqual((update.sent_count, update.unverified_count), (1, 1))
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
        self.assertEqual((update.sent_count, update.unverified_count), (0, 1))
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
        self.assertEqual((update.sent_count, update.unverified_count), (1, 0))
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
