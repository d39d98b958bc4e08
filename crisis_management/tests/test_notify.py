from unittest.mock import patch

from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
STATEMENT_TEXT = "A faulty update stopped our checkout"


@tagged("post_install", "-at_install")
class TestNotify(CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.no_email = cls.env["res.partner"].create({"name": "Nobody Mail"})
        cls.bad_email = cls.env["res.partner"].create(
            {"name": "Bad Mail", "email": "not-an-email"}
        )
        cls.blacklisted = cls.env["res.partner"].create(
            {"name": "Blocked Mail", "email": "blocked@example.com"}
        )
        cls.env["mail.blacklist"].create({"email": "blocked@example.com"})
        Impact = cls.env["crisis.impact"]
        Impact._link_partners(cls.crisis, cls.customers[:2].ids, impact_level="critical")
        Impact._link_partners(cls.crisis, cls.customers[2:].ids, impact_level="low")
        Impact._link_partners(
            cls.crisis, (cls.no_email | cls.bad_email | cls.blacklisted).ids, impact_level="low"
        )
        cls.impacts = cls.crisis.impact_ids
        cls.line = {impact.partner_id: impact for impact in cls.impacts}
        cls.line[cls.customers[0]].is_priority = True

    def _wizard(self, user=None, **values):
        user = user or self.user_crisis
        return (
            self.env["crisis.notify.wizard"]
            .with_user(user)
            .with_context(default_crisis_id=self.crisis.id)
            .create(values)
        )

    def test_first_notice_to_all(self):
        wizard = self._wizard()
        self.assertEqual(wizard.kind, "initial", "the first update is the initial notice")
        self.assertEqual(
            wizard.template_id, self.env.ref("crisis_management.mail_template_impact_initial")
        )
        self.assertIn("rolled back", wizard.body)
        self.assertEqual(wizard.recipient_count, 5)
        self.assertEqual(wizard.no_email_count, 2)
        self.assertEqual(wizard.blacklisted_count, 1)

        result = wizard.action_send()
        self.assertEqual(result["params"]["type"], "success")
        update = self.crisis.update_ids
        self.assertEqual(len(update), 1)
        self.assertEqual(
            (update.kind, update.queued_count, update.no_email_count, update.blacklisted_count),
            ("initial", 5, 2, 1),
        )
        self.assertEqual(update.sent_count, 0, "queued: no mail server accepted them yet")
        self.assertEqual(update.skipped_count, 3)
        self.assertEqual(
            update.name,
            f"{self.crisis.company_id.name}: important information about Checkout down "
            f"({self.crisis.reference})",
        )
        self.assertEqual(update.user_id, self.user_crisis)
        self.assertIn("rolled back", update.body)
        self.assertTrue(self.crisis.date_last_update)

        sent = self.impacts.filtered(lambda i: i.partner_id in self.customers)
        skipped = self.impacts - sent
        # queued is not notified: the lines wait for the mail server's answer
        self.assertEqual(set(sent.mapped("contact_status")), {"to_contact"})
        self.assertTrue(all(sent.mapped("date_last_contact")))
        self.assertEqual(sent.last_update_id, update)
        self.assertEqual(set(skipped.mapped("contact_status")), {"to_contact"})
        self.assertFalse(any(skipped.mapped("date_last_contact")))
        self.assertEqual(self.crisis.contacted_count, 0)

        # the email is a message on the customer's line, queued for the customer
        line = self.line[self.customers[0]]
        message = line.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(message), 1)
        self.assertIn("Dear Customer 0", message.body)
        self.assertIn("rolled back", message.body)
        self.assertEqual(message.partner_ids, self.customers[0])
        self.assertEqual(message.author_id, self.user_crisis.partner_id)
        self.assertEqual(message.notification_ids.notification_status, "ready")
        mail = message.notification_ids.mail_mail_id
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.recipient_ids, self.customers[0])
        self.assertFalse(skipped.message_ids.filtered(lambda m: m.message_type == "comment"))

        # the mail queue sends them, one per customer, and the chatter shows it
        mails = self.env["mail.mail"].search([("model", "=", "crisis.impact")])
        self.assertEqual(len(mails), 5)
        with self.mock_mail_gateway():
            mails.send()
        self.assertEqual(len(self._mails), 5)
        self.assertEqual(
            sorted(m["email_to"][0] for m in self._mails),
            sorted(self.customers.mapped("email_formatted")),
        )
        sent_mail = next(m for m in self._mails if "customer0@" in m["email_to"][0])
        self.assertIn("important information about Checkout down", sent_mail["subject"])
        self.assertIn(self.crisis.reference, sent_mail["subject"])
        self.assertEqual(message.notification_ids.notification_status, "sent")
        # accepted by the mail server: the customers are notified, the update counts them
        self._crisis_apply_reach()
        self.assertEqual(set(sent.mapped("contact_status")), {"notified"})
        self.assertEqual(set(skipped.mapped("contact_status")), {"to_contact"})
        self.assertEqual(self.crisis.contacted_count, 5)
        self.assertEqual((update.queued_count, update.sent_count), (0, 5))

        # the customer's reply lands on their line
        reply = (
            "From: Customer 0 <customer0@example.com>\r\n"
            "To: support@example.com\r\n"
            f"Subject: Re: {message.subject}\r\n"
            "Message-Id: <reply-customer0@example.com>\r\n"
            f"In-Reply-To: {message.message_id}\r\n"
            f"References: {message.message_id}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "Is my order safe?\r\n"
        )
        self.env["mail.thread"].message_process(None, reply)
        answer = line.message_ids.filtered(lambda m: "Is my order safe?" in m.body)
        self.assertEqual(len(answer), 1)
        self.assertEqual(answer.author_id, self.customers[0])

    def test_send_asks_for_confirmation_first(self):
        wizard = self._wizard()
        self.assertEqual(wizard.state, "compose")
        action = wizard.action_review_send()
        # the wizard again, at its confirmation step, with the counts
        self.assertEqual(
            (action["res_model"], action["res_id"], action["target"]),
            ("crisis.notify.wizard", wizard.id, "new"),
        )
        self.assertEqual(wizard.state, "confirm")
        self.assertEqual(wizard.confirm_title, "Send 5 emails?")
        self.assertEqual(
            (wizard.recipient_count, wizard.no_email_count, wizard.blacklisted_count), (5, 2, 1)
        )
        # nothing sent before the confirmation
        self.assertFalse(self.crisis.update_ids)
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "crisis.impact")]))
        self.assertEqual(set(self.impacts.mapped("contact_status")), {"to_contact"})
        # back to the message, then confirmed
        wizard.action_back()
        self.assertEqual(wizard.state, "compose")
        wizard.action_review_send()
        wizard.action_send()
        self.assertEqual(self.crisis.update_ids.queued_count, 5)
        # the count is the audience's
        one = self._wizard(audience="priority")
        self.assertEqual(one.confirm_title, "Send 1 email?")
        # the confirmation checks what the send checks
        self.crisis.public_statement = "<p>Draft: we think the checkout is down.</p>"
        with self.assertRaisesRegex(UserError, "approves the public statement"):
            one.action_review_send()
        self.assertEqual(one.state, "compose")

    def test_test_email_goes_to_me_only(self):
        wizard = self._wizard(kind="progress")
        wizard.preview_impact_id = self.line[self.customers[2]]
        mails_before = self.env["mail.mail"].search([])
        with self.mock_mail_gateway():
            action = wizard.action_send_test()
        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(len(self._mails), 1)
        sent = self._mails[0]
        self.assertEqual(sent["email_to"], [self.user_crisis.email_formatted])
        self.assertFalse(sent["email_cc"])
        self.assertTrue(sent["subject"].startswith("[TEST] "), sent["subject"])
        self.assertIn("update on Checkout down", sent["subject"])
        # the email of the preview customer, with the message
        self.assertIn("Dear Customer 2", sent["body"])
        self.assertIn("rolled back", sent["body"])
        # recorded nowhere: no update, the lines untouched, no customer email
        self.assertFalse(self.crisis.update_ids)
        self.assertFalse(self.crisis.date_last_update)
        self.assertEqual(set(self.impacts.mapped("contact_status")), {"to_contact"})
        self.assertFalse(any(self.impacts.mapped("date_last_contact")))
        self.assertFalse(self.impacts.message_ids.filtered(lambda m: m.message_type == "comment"))
        test_mail = self.env["mail.mail"].search([]) - mails_before
        self.assertEqual(test_mail.recipient_ids, self.user_crisis.partner_id)
        self.assertFalse(test_mail.model or test_mail.res_id, "about no document")
        self.assertEqual(wizard.state, "compose")
        # only those who may speak for the crisis
        with self.assertRaises(AccessError):
            self._wizard(user=self.user_crisis_2).action_send_test()

    def test_wizard_opens_on_the_message(self):
        """On opening, Odoo focuses the field marked ``default_focus``, else the
        first one to type in: the message, not the email template."""
        arch = etree.fromstring(
            self.env["crisis.notify.wizard"].get_view(view_type="form")["arch"]
        )
        fields_in_order = [
            node.get("name")
            for node in arch.iter("field")
            if node.get("readonly") != "1" and node.get("invisible") != "1"
        ]
        self.assertLess(fields_in_order.index("body"), fields_in_order.index("template_id"))
        (body,) = arch.xpath("//field[@name='body']")
        self.assertEqual(body.get("default_focus"), "1")

    def test_audiences(self):
        def recipients(**values):
            wizard = self._wizard(**values)
            return wizard._target_impacts().partner_id

        everybody = self.customers | self.no_email | self.bad_email | self.blacklisted
        self.assertEqual(recipients(audience="all"), everybody)
        self.assertEqual(recipients(audience="priority"), self.customers[0])
        self.assertEqual(
            recipients(audience="impact_level", impact_level="critical"), self.customers[:2]
        )
        self.line[self.customers[1]].contact_status = "in_discussion"
        self.assertEqual(
            recipients(audience="contact_status", contact_status="in_discussion"),
            self.customers[1],
        )
        self.assertEqual(recipients(audience="not_contacted"), everybody - self.customers[1])

        self._wizard(audience="impact_level", impact_level="critical").action_send()
        update = self.crisis.update_ids
        self.assertEqual((update.audience, update.queued_count), ("impact_level", 2))
        self._crisis_send_mail_queue()
        self.assertEqual(update.audience_detail, "Critical")
        self.assertEqual(self.line[self.customers[1]].contact_status, "in_discussion")
        self.assertEqual(self.line[self.customers[0]].contact_status, "notified")
        self.assertEqual(self.line[self.customers[2]].contact_status, "to_contact")
        # the next update of this crisis is a progress update, to those not contacted yet
        wizard = self._wizard(audience="not_contacted")
        self.assertEqual(wizard.kind, "progress")
        self.assertEqual(
            wizard.template_id, self.env.ref("crisis_management.mail_template_impact_progress")
        )
        wizard.action_send()
        self.assertEqual(self.crisis.update_ids.sorted("id")[-1].queued_count, 3)
        self.assertEqual(self.crisis.update_count, 2)

    def test_selected_lines(self):
        lines = self.line[self.customers[3]] | self.line[self.no_email]
        action_context = {"active_model": "crisis.impact", "active_ids": lines.ids}
        wizard = Form(
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(**action_context)
        ).save()
        self.assertEqual(wizard.crisis_id, self.crisis)
        self.assertEqual(wizard.audience, "selection")
        self.assertEqual((wizard.recipient_count, wizard.no_email_count), (1, 1))
        wizard.action_send()
        self._crisis_send_mail_queue()
        self.assertEqual(self.line[self.customers[3]].contact_status, "notified")
        self.assertEqual(self.line[self.customers[4]].contact_status, "to_contact")

        other = self._create_crisis(user=self.user_crisis)
        self.env["crisis.impact"]._link_partners(other, self.customers[:1].ids)
        mixed = lines | other.impact_ids
        with self.assertRaises(UserError):
            self.env["crisis.notify.wizard"].with_user(self.user_crisis).with_context(
                active_model="crisis.impact", active_ids=mixed.ids
            ).default_get(["crisis_id"])

    def test_preview_and_edited_message(self):
        wizard = Form(self._wizard(user=self.user_crisis))
        wizard.kind = "progress"
        wizard.body = "<p>Checkout works again for most of you.</p>"
        wizard.preview_impact_id = self.line[self.customers[2]]
        self.assertIn("Dear Customer 2", wizard.preview_body)
        self.assertIn("works again", wizard.preview_body)
        self.assertIn("update on Checkout down", wizard.preview_subject)
        wizard = wizard.save()
        # an edited message goes once a Crisis Manager approved it (test_four_eyes.py)
        self.assertTrue(wizard.needs_approval)
        wizard.action_request_approval()
        self.crisis.with_user(self.user_manager).action_approve_edited_message()
        wizard.action_send()
        message = self.line[self.customers[2]].message_ids.filtered(
            lambda m: m.message_type == "comment"
        )
        self.assertIn("works again", message.body)
        self.assertNotIn("rolled back", message.body)
        self.assertIn("works again", self.crisis.update_ids.body)

    def test_one_voice(self):
        # an unapproved statement sends nothing, with a clear error
        self.crisis.public_statement = "<p>Draft: we think the checkout is down.</p>"
        self.assertEqual(self.crisis.statement_state, "draft")
        with self.assertRaises(UserError) as error:
            self.crisis.with_user(self.user_crisis).action_notify_customers()
        self.assertIn("approves the public statement", str(error.exception))
        wizard = self._wizard()
        with self.assertRaises(UserError):
            wizard.action_send()
        self.crisis.with_user(self.user_manager).action_approve_statement()
        # drills never email customers
        self.crisis.is_drill = True
        with self.assertRaises(UserError) as error:
            self._wizard().action_send()
        self.assertIn("drill", str(error.exception))
        self.assertFalse(self.crisis.update_ids)
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "crisis.impact")]))

    def test_access(self):
        # a Crisis User outside the crisis's team cannot speak for it
        with self.assertRaises(AccessError):
            self._wizard(user=self.user_crisis_2).action_send()
        with self.assertRaises(AccessError):
            self._wizard(user=self.user_internal)
        with self.assertRaises(AccessError):
            self.crisis.with_user(self.user_manager_2).action_notify_customers()
        # a manager may, and updates are read-only for users
        self._wizard(user=self.user_manager).action_send()
        update = self.crisis.update_ids.with_user(self.user_crisis_2)
        self.assertEqual(update.queued_count, 5)
        with self.assertRaises(UserError):  # neither the access rights nor the workflow allow it
            update.sent_count = 50
        with self.assertRaises(AccessError):
            update.with_user(self.user_manager_2).read(["sent_count"])

    def test_managers_edit_the_templates(self):
        template = self.env.ref("crisis_management.mail_template_impact_progress")
        template.with_user(self.user_manager).subject = "{{ object.crisis_id.name }}: news"
        self._wizard(kind="progress").action_send()
        self.assertEqual(self.crisis.update_ids.name, "Checkout down: news")
        with self.assertRaises(AccessError):
            template.with_user(self.user_crisis).subject = "Something else"

    def test_templates_in_both_languages(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crisis_management"], ["zh_CN"])
        self.customers[1].lang = "zh_CN"
        english, chinese = self.line[self.customers[0]], self.line[self.customers[1]]
        for xmlid in (
            "mail_template_impact_initial",
            "mail_template_impact_progress",
            "mail_template_impact_resolution",
            "mail_template_impact_satisfaction",
        ):
            template = self.env.ref(f"crisis_management.{xmlid}")
            rendered = template._generate_template(
                (english | chinese).ids, ("subject", "body_html")
            )
            self.assertIn("Dear Customer 0", rendered[english.id]["body_html"], xmlid)
            self.assertIn("Checkout down", rendered[english.id]["subject"], xmlid)
            self.assertIn("尊敬的", rendered[chinese.id]["body_html"], xmlid)
            self.assertIn("Customer 1", rendered[chinese.id]["body_html"], xmlid)
            self.assertIn("Checkout down", rendered[chinese.id]["subject"], xmlid)
            self.assertNotIn("Dear", rendered[chinese.id]["body_html"], xmlid)
            if xmlid != "mail_template_impact_satisfaction":
                self.assertIn("rolled back", rendered[chinese.id]["body_html"], xmlid)
            # rendering once for several customers gives exactly what Odoo's gives
            batch = template.with_context(crisis_render_once=True)._generate_template(
                (english | chinese).ids, ("subject", "body_html")
            )
            for line in english | chinese:
                for field in ("subject", "body_html"):
                    self.assertEqual(batch[line.id][field], rendered[line.id][field], xmlid)
        # the email of a Chinese-speaking customer goes out in Chinese
        self._wizard().action_send()
        message = chinese.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertIn("尊敬的", message.body)


@tagged("post_install", "-at_install")
class TestStageEmail(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.resolution = cls.env.ref("crisis_management.mail_template_impact_resolution")
        cls.stage_resolved.mail_template_id = cls.resolution
        cls.crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.env["crisis.impact"]._link_partners(cls.crisis, cls.customers.ids)

    def test_entering_stage_notifies(self):
        self.crisis.with_user(self.user_manager).action_approve_statement()
        self.crisis.with_user(self.user_crisis).stage_id = self.stage_responding
        self.assertFalse(self.crisis.update_ids, "the Responding stage has no email")
        self.crisis.with_user(self.user_crisis).stage_id = self.stage_resolved
        update = self.crisis.update_ids
        self.assertEqual((update.kind, update.queued_count), ("resolution", 5))
        self.assertEqual(update.template_id, self.resolution)
        message = self.crisis.impact_ids[0].message_ids.filtered(
            lambda m: m.message_type == "comment"
        )
        self.assertIn("is resolved", message.subject)
        # the resolution notice says it is over, never the crisis instructions
        self.assertIn("is resolved", message.body)
        self.assertNotIn(STATEMENT_TEXT, message.body)
        self.assertFalse(update.body_is_statement)
        self.assertFalse(update.body)
        # saving the same stage again sends nothing more
        self.crisis.with_user(self.user_crisis).write({"stage_id": self.stage_resolved.id})
        self.assertEqual(len(self.crisis.update_ids), 1)

    def test_resolution_notice_starts_from_its_own_text(self):
        """The wizard's resolution notice starts empty (its template says the
        crisis is over), never from the statement; the other kinds start
        from the statement."""
        self.crisis.with_user(self.user_manager).action_approve_statement()
        Wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
        )
        self.assertIn(STATEMENT_TEXT, Wizard.create({"kind": "progress"}).body)
        wizard = Wizard.create({"kind": "resolution"})
        self.assertFalse(wizard.body)
        self.assertIn("is resolved", wizard.preview_body)
        self.assertNotIn(STATEMENT_TEXT, wizard.preview_body)
        wizard.action_send()
        message = self.crisis.impact_ids[0].message_ids.filtered(
            lambda m: m.message_type == "comment" and "is resolved" in (m.subject or "")
        )
        self.assertEqual(len(message), 1, message.mapped("subject"))
        self.assertIn("is resolved", message.body)
        self.assertNotIn(STATEMENT_TEXT, message.body)

    def test_stage_email_needs_approved_statement(self):
        with self.assertRaises(UserError) as error:
            self.crisis.with_user(self.user_crisis).stage_id = self.stage_resolved
        self.assertIn("approves the public statement", str(error.exception))

    def test_drills_stay_silent(self):
        self.crisis.is_drill = True
        self.crisis.with_user(self.user_crisis).stage_id = self.stage_resolved
        self.assertEqual(self.crisis.stage_id, self.stage_resolved)
        self.assertFalse(self.crisis.update_ids)
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "crisis.impact")]))


@tagged("post_install", "-at_install")
class TestNotifyScale(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners_small = cls.env["res.partner"].create(
            [{"name": f"Small {i}", "email": f"small{i}@example.com"} for i in range(100)]
        )
        cls.partners_large = cls.env["res.partner"].create(
            [{"name": f"Large {i}", "email": f"large{i}@example.com"} for i in range(1000)]
        )
        # both at once: this measures the emails, the background job has its own tests
        cls.company.crisis_send_background_threshold = 5000

    def _wizard_for(self, partners):
        crisis = self._create_crisis(user=self.user_crisis, public_statement=STATEMENT)
        crisis.with_user(self.user_manager).action_approve_statement()
        self.env["crisis.impact"]._link_partners(crisis, partners.ids)
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=crisis.id)
            .create({"kind": "initial"})
        )
        self.env.flush_all()
        self.env.invalidate_all()
        return wizard

    def test_confirmation_counts_read_well(self):
        wizard = self._wizard_for(self.partners_large)
        self.assertEqual(wizard.confirm_title, "Send 1,000 emails?")

    def test_signup_type_written_once_per_customer(self):
        """Odoo's portal writes the signup type on the customer of each email
        linking to their page (their access button with signup parameters): a
        send writes it once, for its batch, on the customers who have none;
        a second send writes nothing."""
        partners = self.partners_small[:10]
        self.assertEqual(self.env["res.users"]._get_signup_invitation_scope(), "b2c")
        partners.sudo().write({"signup_type": False})
        partners[:3].sudo().write({"signup_type": "signup"})
        Partner = type(self.env["res.partner"])
        write = Partner.write
        writes = []

        def spy(records, vals):
            if "signup_type" in vals:
                writes.append((set(records.ids), vals["signup_type"]))
            return write(records, vals)

        with patch.object(Partner, "write", spy):
            self._wizard_for(partners).action_send()
            self.assertEqual(writes, [(set(partners[3:].ids), "signup")])
            self._wizard_for(partners).action_send()
        self.assertEqual(len(writes), 1, "nothing written by the second send")
        self.assertEqual(set(partners.sudo().mapped("signup_type")), {"signup"})

    def test_query_budget_per_100_customers(self):
        # warm the caches the first send fills (rules, templates, ...)
        self._wizard_for(self.partners_small[:5]).action_send()

        wizard = self._wizard_for(self.partners_small)
        before = self.cr.sql_log_count
        wizard.action_send()
        self.env.flush_all()
        small = self.cr.sql_log_count - before
        # (the crisis' customer KPIs are counted once per send, not per customer;
        # the portal links read the customers' users, contacts and signup types
        # once per batch and write the signup type of those who have none in one
        # write; each customer's email is linked to its notification, to trace
        # it: one search and one write per batch; whether the crisis has a war
        # room to tell: one read per send)
        self.assertLessEqual(small, 91)
        self.assertEqual(wizard.crisis_id.update_ids.queued_count, 100)

        wizard = self._wizard_for(self.partners_large)
        before = self.cr.sql_log_count
        wizard.action_send()
        self.env.flush_all()
        large = self.cr.sql_log_count - before
        # ten times the customers: at most 10 more queries per 100 customers
        # (the ORM inserts many rows per query; a batch costs its own few
        # queries, not one per customer)
        self.assertLessEqual(large, small + 10 * (1000 - 100) / 100, (small, large))
        crisis = wizard.crisis_id
        self.assertEqual(crisis.update_ids.queued_count, 1000)
        self.assertEqual(
            len(crisis.update_ids.recipient_ids.mail_notification_id), 1000, "each one traced"
        )
        self.assertEqual(crisis.contacted_count, 0, "contacted once their mail server accepts")
        self.assertEqual(
            self.env["mail.mail"].search_count([("res_id", "in", crisis.impact_ids.ids)]), 1000
        )
