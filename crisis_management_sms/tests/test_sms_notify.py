"""Customer updates by SMS: the wizard's channel, its counts, the sends."""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, TransactionCase, tagged

from odoo.addons.base.tests.test_ir_cron import CronMixinCase
from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.crisis_management_sms.sms_parts import GSM7, UCS2, sms_parts
from odoo.addons.sms.tests.common import SMSCase

STATEMENT = "<p>Some orders were shipped twice. You will be refunded.</p>"


@tagged("post_install", "-at_install")
class TestSmsNotify(CronMixinCase, CrisisCase, SMSCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis, public_statement=STATEMENT, public_title="Double shipments"
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.partners = cls.env["res.partner"].create(
            [
                # 0: email and mobile
                {"name": "Anna", "email": "anna@example.com", "mobile": "+32456000001"},
                # 1: email and a mobile on the phone blacklist
                {"name": "Bert", "email": "bert@example.com", "mobile": "+32456000002"},
                # 2: email, no number
                {"name": "Chloe", "email": "chloe@example.com"},
                # 3: no email, a mobile
                {"name": "Dirk", "mobile": "+32456000004"},
                # 4: neither
                {"name": "Eva"},
                # 5: email and mobile, unsubscribed from this crisis
                {"name": "Frans", "email": "frans@example.com", "mobile": "+32456000006"},
            ]
        )
        cls.env["phone.blacklist"].sudo().add("+32456000002")
        cls.impacts = cls.env["crisis.impact"].create(
            [{"crisis_id": cls.crisis.id, "partner_id": p.id} for p in cls.partners]
        )
        cls.impacts[5]._crisis_unsubscribe(by_user=True)
        cls.anna_dirk = cls.partners[0] | cls.partners[3]
        cls.sms_progress = cls.env.ref("crisis_management_sms.sms_template_impact_progress")

    def _wizard(self, channel, user=None, **values):
        return (
            self.env["crisis.notify.wizard"]
            .with_user(user or self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create({"kind": "progress", "channel": channel, **values})
        )

    def _send(self, channel, **values):
        wizard = self._wizard(channel, **values)
        with (
            self.mockSMSGateway(),
            self.capture_triggers("sms.ir_cron_sms_scheduler_action") as cap,
        ):
            action = wizard.action_send()
        return action, self.crisis.update_ids[:1], cap

    def _sms_of(self, impacts):
        return self.env["sms.sms"].search([("partner_id", "in", impacts.partner_id.ids)])

    def _emails_of(self, impacts):
        return self.env["mail.mail"].search(
            [("model", "=", "crisis.impact"), ("res_id", "in", impacts.ids)]
        )

    # ------------------------------------------------------------------

    def test_wizard_counts(self):
        wizard = self._wizard("email")
        self.assertEqual(wizard.sms_count, 0, "email only: no SMS counted")
        wizard.channel = "sms"
        self.assertEqual(
            (wizard.sms_count, wizard.no_mobile_count, wizard.phone_blacklisted_count),
            (2, 2, 1),
            "Anna and Dirk texted; Chloe and Eva have no number; Bert is blacklisted "
            "(Frans unsubscribed)",
        )
        wizard.channel = "email_else_sms"
        self.assertEqual(
            (wizard.sms_count, wizard.no_mobile_count, wizard.phone_blacklisted_count),
            (1, 1, 0),
            "only those without email: Dirk texted, Eva has no number",
        )
        self.assertEqual(wizard.sms_template_id, self.sms_progress, "the template of the kind")
        wizard.kind = "resolution"
        self.assertEqual(
            wizard.sms_template_id,
            self.env.ref("crisis_management_sms.sms_template_impact_resolution"),
        )
        wizard.channel = "both"
        self.assertEqual(
            wizard.confirm_title,
            f"Send 3 email(s) and 2 SMS ({wizard.sms_part_count} parts billed)?",
        )
        self.assertGreaterEqual(wizard.sms_part_count, 2)

    def test_wizard_form_channel(self):
        form = Form(
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
        )
        self.assertEqual(form.channel, "email", "email by default")
        form.channel = "sms"
        self.assertEqual(form.sms_count, 2)
        self.assertIn("Double shipments", form.sms_preview)
        self.assertIn("/my/crises/", form.sms_preview)

    def test_update_channel_setting(self):
        """The update cadence by SMS: the company's channel is the wizard's default."""
        settings = self.env["crisis.config.settings"].with_user(self.user_manager).create({})
        settings.crisis_update_channel = "email_else_sms"
        self.assertEqual(self.company.crisis_update_channel, "email_else_sms")
        form = Form(
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
        )
        self.assertEqual(form.channel, "email_else_sms")
        self.assertEqual(form.sms_count, 1, "Dirk, who has no email")
        form.channel = "email"
        self.assertEqual(form.sms_count, 0, "each sending can still change it")
        with self.assertRaises(AccessError):
            self.env["crisis.config.settings"].with_user(self.user_crisis).create(
                {"crisis_update_channel": "sms"}
            )

    def test_channel_sms(self):
        action, update, capture = self._send("sms")
        self.assertEqual(update.channel, "sms")
        self.assertEqual(update.sms_template_id, self.sms_progress)
        self.assertFalse(self._emails_of(self.impacts), "SMS only: no email")
        self.assertEqual(
            self._sms_of(self.impacts).partner_id, self.partners[0] | self.partners[3]
        )
        self.assertFalse(self._sms, "nothing sent to the provider within the click")
        self.assertTrue(capture.records, "Odoo's SMS queue is triggered")
        self.assertEqual(
            (update.sms_queued_count, update.sms_no_mobile_count, update.sms_blacklisted_count),
            (2, 2, 1),
        )
        self.assertEqual(update.sms_sent_count, 0, "queued: the provider has not answered")
        self.assertEqual(update.unsubscribed_count, 1)
        self.assertEqual(update.queued_count, 0, "no email")
        self.assertIn("2 SMS queued", action["params"]["message"])
        # each SMS is on the line, with its number sanitized as Odoo does
        for impact, number in (
            (self.impacts[0], "+32456000001"),
            (self.impacts[3], "+32456000004"),
        ):
            message = impact.message_ids.filtered(lambda m: m.message_type == "sms")
            self.assertEqual(len(message), 1)
            self.assertSMSNotification(
                [{"partner": impact.partner_id, "number": number, "state": "ready"}],
                self._sms_of(impact).body,
                messages=message,
            )
            self.assertEqual(impact.sms_state, "ready")
            self.assertEqual(impact.contact_status, "to_contact", "queued, not reached yet")
            self.assertEqual(impact.last_update_id, update)
        self.assertFalse(self.impacts[2].sms_state)
        self.assertEqual(self.impacts[2].contact_status, "to_contact", "not reached")
        # the text: the crisis, its link to the customer's own page (absolute)
        body = self._sms_of(self.impacts[0]).body
        base_url = self.impacts[0].get_base_url()
        self.assertIn("Double shipments", body)
        self.assertIn(base_url + self.impacts[0].get_portal_url(), body)
        self.assertIn(self.impacts[0].access_token, body)
        # the customer's page lists the update they were texted
        self.assertEqual(self.impacts[0]._crisis_portal_sent_updates(), update)
        # Odoo's queue sends them; the delivery state follows on the line
        with self.mockSMSGateway():
            self.env["sms.sms"].sudo()._process_queue()
        self.assertSMSIapSent(["+32456000001", "+32456000004"])
        self.impacts.invalidate_recordset(["sms_state"])
        self.assertEqual(self.impacts[0].sms_state, "pending")
        # accepted by the provider: the customers are notified, the update counts them
        recipient = update.recipient_ids.filtered(lambda r: r.impact_id == self.impacts[0])
        self.assertEqual(recipient.sms_state, "sent")
        self.assertTrue(recipient.date_sms_sent)
        self.assertEqual(recipient.reach, "sent")
        self._crisis_apply_reach()
        self.assertEqual((update.sms_queued_count, update.sms_sent_count), (0, 2))
        self.assertEqual(update.reached_count, 2)
        self.assertEqual(self.impacts[0].contact_status, "notified")
        self.assertEqual(self.impacts[3].contact_status, "notified")
        self.assertKpis(self.crisis, kpi_notified_count=2)

    def test_channel_email(self):
        _action, update, _capture = self._send("email")
        self.assertFalse(self._sms_of(self.impacts))
        self.assertEqual(update.channel, "email")
        self.assertEqual(update.queued_count, 3)
        self.assertEqual(update.sms_queued_count, 0)

    def test_channel_both(self):
        _action, update, _capture = self._send("both")
        self.assertEqual(len(self._emails_of(self.impacts)), 3, "Anna, Bert, Chloe emailed")
        self.assertEqual(
            self._sms_of(self.impacts).partner_id, self.partners[0] | self.partners[3]
        )
        self.assertEqual((update.queued_count, update.sms_queued_count), (3, 2))
        self.assertEqual(update.no_email_count, 2)
        with self.mockSMSGateway():
            self.env["sms.sms"].sudo()._process_queue()
        self._crisis_apply_reach()
        self.assertEqual(self.impacts[3].contact_status, "notified", "texted: reached")
        self.assertFalse(self._sms_of(self.impacts[5]), "unsubscribed: not texted")

    def test_channel_email_else_sms(self):
        _action, update, _capture = self._send("email_else_sms")
        self.assertEqual(len(self._emails_of(self.impacts)), 3)
        self.assertEqual(self._sms_of(self.impacts).partner_id, self.partners[3], "Dirk only")
        self.assertEqual(
            (update.queued_count, update.sms_queued_count, update.sms_no_mobile_count),
            (3, 1, 1),
        )
        recipient = update.recipient_ids.filtered(lambda r: r.impact_id == self.impacts[3])
        self.assertEqual((recipient.state, recipient.sms_state), ("no_email", "queued"))

    def test_unverified_self_reported_not_texted(self):
        """A line made by an email to the crisis inbox (its From may be forged)
        gets no SMS until an agent verifies it, whatever the channel."""
        gina = self.env["res.partner"].create(
            {"name": "Gina", "email": "gina@example.com", "mobile": "+32456000007"}
        )
        line = self.env["crisis.impact"].create(
            {"crisis_id": self.crisis.id, "partner_id": gina.id, "is_self_reported": True}
        )
        wizard = self._wizard("both")
        self.assertEqual((wizard.sms_count, wizard.unverified_count), (2, 1))
        for channel in ("sms", "both"):
            with self.subTest(channel=channel):
                action, _update, _capture = self._send(channel)
                update = self.env["crisis.update"].search(
                    [("crisis_id", "=", self.crisis.id)], limit=1
                )
                self.assertFalse(self._sms_of(line))
                self.assertFalse(self._emails_of(line))
                recipient = update.recipient_ids.filtered(lambda r, line=line: r.impact_id == line)
                self.assertEqual(recipient.sms_state, "unverified")
                self.assertEqual(update.unverified_count, 1)
                self.assertEqual(update.sms_queued_count, 2)
                if channel == "sms":
                    self.assertEqual(recipient.state, "unverified")
                    self.assertIn("5 customer(s) skipped", action["params"]["message"])
        self.assertEqual(line.contact_status, "to_contact")
        line.with_user(self.user_crisis).action_verify_self_reported()
        self._send("sms")
        self.assertEqual(self._sms_of(line).number, "+32456000007")
        update = self.env["crisis.update"].search([("crisis_id", "=", self.crisis.id)], limit=1)
        self.assertEqual(update.unverified_count, 0)

    def test_sms_in_customer_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crisis_management_sms"], ["zh_CN"])
        self.partners[0].lang = "zh_CN"
        self.crisis.with_context(lang="zh_CN").public_title = "重复发货"
        # a changed title is approved again
        self.crisis.with_user(self.user_manager).action_approve_statement()
        self._send("sms", audience="selection", impact_ids=[Command.set(self.impacts[:1].ids)])
        body = self._sms_of(self.impacts[0]).body
        self.assertIn("有新进展", body)
        self.assertIn("重复发货", body)
        self.assertIn(self.impacts[0].get_portal_url(), body)

    def test_parts_billed_per_language(self):
        """The confirmation tells the parts the provider bills: a Chinese text
        is UCS-2 (70 characters a part), an English one GSM-7 (160)."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crisis_management_sms"], ["zh_CN"])
        self.partners[3].lang = "zh_CN"
        self.crisis.with_context(lang="zh_CN").public_title = "重复发货"
        self.crisis.with_user(self.user_manager).action_approve_statement()
        wizard = self._wizard("sms")
        self.assertEqual(wizard.sms_count, 2)
        info = wizard.sms_parts_info.splitlines()
        self.assertEqual(len(info), 2, "one line per language texted")
        self.assertTrue(any("GSM-7" in line for line in info), info)
        self.assertTrue(any("UCS-2" in line for line in info), info)
        self.assertIn(f"({wizard.sms_part_count} parts billed)", wizard.confirm_title)
        estimate = wizard.sms_part_count
        self._send("sms")
        sent = self._sms_of(self.impacts[0] | self.impacts[3])
        self.assertEqual(len(sent), 2)
        self.assertEqual(estimate, sum(sms_parts(sms.body)[2] for sms in sent))
        chinese = sent.filtered(lambda sms: sms.partner_id == self.partners[3])
        self.assertEqual(sms_parts(chinese.body)[0], UCS2)
        self.assertGreater(sms_parts(chinese.body)[2], 1, "its link alone fills a UCS-2 part")
        # email only: nothing to bill
        self.assertEqual(self._wizard("email").sms_part_count, 0)

    def test_sms_template_required(self):
        wizard = self._wizard("sms")
        wizard.sms_template_id = False
        with self.assertRaisesRegex(UserError, "SMS template"):
            wizard.action_review_send()

    def test_background_path(self):
        self.company.crisis_send_background_threshold = 2
        Update = self.env["crisis.update"]
        wizard = self._wizard("both")
        with self.mockSMSGateway():
            action = wizard.action_send()
            update = self.crisis.update_ids[:1]
            self.assertIn("background", action["params"]["message"])
            self.assertEqual(update.state, "queued")
            self.assertFalse(self._sms_of(self.impacts), "nothing at the click")
            Update._cron_send_updates(batch_size=4)
            self.assertEqual(update.state, "sending")
            self.assertEqual(len(self._sms_of(self.impacts)), 2, "Anna and Dirk in batch 1")
            Update._cron_send_updates(batch_size=4)
        self.assertEqual(update.state, "sent")
        self.assertEqual(
            (update.sms_queued_count, update.sms_no_mobile_count, update.sms_blacklisted_count),
            (2, 2, 1),
        )
        # the jobs hand their emails to the mail server themselves
        self.assertEqual((update.queued_count, update.sent_count), (0, 3))
        self.assertFalse(self._sms, "the jobs queue SMS; Odoo's SMS queue sends them")
        self.assertIn("2 SMS queued", self.crisis.message_ids[:1].body)

    def test_plain_employee_cannot_send(self):
        with self.assertRaises(AccessError):
            self._wizard("sms", user=self.user_internal)
        wizard = self._wizard("sms")
        with self.assertRaises(AccessError):
            wizard.with_user(self.user_internal).action_send()
        self.assertFalse(self.crisis.update_ids)
        self.assertFalse(self._sms_of(self.impacts))
        # nor write the SMS counts of an update
        _action, update, _capture = self._send("sms")
        with self.assertRaises(UserError):  # the workflow guard, or the access rights
            update.with_user(self.user_manager).write({"sms_sent_count": 99})
        self.assertEqual(update.sms_sent_count, 0)


@tagged("post_install", "-at_install")
class TestSmsStageNotice(CrisisCase, SMSCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_resolved.mail_template_id = cls.env.ref(
            "crisis_management.mail_template_impact_resolution"
        )
        cls.crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.customers[:2].write({"mobile": "+32456000011"})
        cls.customers[1].mobile = "+32456000012"
        cls.env["crisis.impact"]._link_partners(cls.crisis, cls.customers.ids)

    def test_stage_notice_by_email_only_by_default(self):
        self.crisis.with_user(self.user_crisis).stage_id = self.stage_resolved
        update = self.crisis.update_ids
        self.assertEqual((update.channel, update.queued_count), ("email", 5))
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "in", self.customers.ids)]))

    def test_stage_notice_by_sms_too(self):
        settings = self.env["crisis.config.settings"].with_user(self.user_manager).create({})
        settings.crisis_stage_sms = True
        self.assertTrue(self.company.crisis_stage_sms)
        self.crisis.with_user(self.user_crisis).stage_id = self.stage_resolved
        update = self.crisis.update_ids
        self.assertEqual(update.channel, "both")
        self.assertEqual(
            update.sms_template_id,
            self.env.ref("crisis_management_sms.sms_template_impact_resolution"),
        )
        self.assertEqual((update.queued_count, update.sms_queued_count), (5, 2))
        self.assertEqual(update.sms_no_mobile_count, 3)
        sms = self.env["sms.sms"].search([("partner_id", "in", self.customers.ids)])
        self.assertEqual(sorted(sms.mapped("number")), ["+32456000011", "+32456000012"])
        self.assertIn("is resolved", sms[0].body)

    def test_plain_user_cannot_change_the_setting(self):
        with self.assertRaises(AccessError):
            self.env["crisis.config.settings"].with_user(self.user_crisis).create(
                {"crisis_stage_sms": True}
            )
        self.assertFalse(self.company.crisis_stage_sms)


@tagged("post_install", "-at_install")
class TestSmsQueryBudget(CrisisCase, SMSCase):
    """Texting more customers costs no more queries per batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        partners = cls.env["res.partner"].create(
            [{"name": f"Texted {i:02d}", "mobile": f"+324560001{i:02d}"} for i in range(70)]
        )
        cls.impacts = cls.env["crisis.impact"].create(
            [{"crisis_id": cls.crisis.id, "partner_id": p.id} for p in partners]
        )

    def _queries_to_text(self, impacts):
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create(
                {
                    "kind": "progress",
                    "channel": "sms",
                    "audience": "selection",
                    "impact_ids": [Command.set(impacts.ids)],
                }
            )
        )
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        with self.mockSMSGateway():
            wizard.action_send()
            self.env.flush_all()
        self.assertEqual(len(self._new_sms), len(impacts))
        return self.env.cr.sql_log_count - before

    def test_query_budget_per_100(self):
        self._queries_to_text(self.impacts[:5])  # warm the caches
        few = self._queries_to_text(self.impacts[5:15])
        many = self._queries_to_text(self.impacts[15:70])
        # 55 customers instead of 10: the same queries, whatever their number
        self.assertLessEqual(many - few, 3, f"{few} queries for 10, {many} for 55")


@tagged("post_install", "-at_install")
class TestSmsParts(TransactionCase):
    """The parts a text is billed as, as the networks count them."""

    def test_gsm7(self):
        self.assertEqual(sms_parts(""), (GSM7, 0, 0))
        self.assertEqual(sms_parts("a" * 160), (GSM7, 160, 1))
        self.assertEqual(sms_parts("a" * 161), (GSM7, 161, 2))
        self.assertEqual(sms_parts("a" * 306), (GSM7, 306, 2))
        self.assertEqual(sms_parts("a" * 307), (GSM7, 307, 3))
        # the extension table takes two characters each
        self.assertEqual(sms_parts("€" * 80), (GSM7, 160, 1))
        self.assertEqual(sms_parts("€" * 81), (GSM7, 162, 2))
        self.assertEqual(sms_parts("Ça coûte 5 £, écrivez-nous")[0], UCS2, "û is not GSM-7")
        self.assertEqual(sms_parts("Ça coute 5 £, écrivez-nous")[0], GSM7)

    def test_ucs2(self):
        self.assertEqual(sms_parts("退" * 70), (UCS2, 70, 1))
        self.assertEqual(sms_parts("退" * 71), (UCS2, 71, 2))
        self.assertEqual(sms_parts("退" * 134), (UCS2, 134, 2))
        self.assertEqual(sms_parts("退" * 135), (UCS2, 135, 3))
        # one character outside the alphabet turns the whole text into UCS-2
        self.assertEqual(sms_parts("a" * 69 + "退"), (UCS2, 70, 1))
        # an emoji is two UTF-16 code units
        self.assertEqual(sms_parts("🙂" * 35), (UCS2, 70, 1))
        self.assertEqual(sms_parts("🙂" * 36), (UCS2, 72, 2))
