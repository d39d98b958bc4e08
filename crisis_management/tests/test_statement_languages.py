"""What customers read of a crisis: its customer-facing title and its public
statement, approved together, each in the customer's language."""

import importlib.util

from odoo.tests import Form, tagged
from odoo.tools import file_path

from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase

INTERNAL_TITLE = "Payment provider double-charges customer cards"
TITLE = "Card payments charged twice"
TITLE_ZH = "银行卡重复扣款"
STATEMENT_TERM = "Some card payments were charged twice; every extra charge is refunded."
STATEMENT = f"<p>{STATEMENT_TERM}</p>"
STATEMENT_ZH_TERM = "部分银行卡付款被重复扣款；所有多扣的款项都将退还。"

IMPACT_TEMPLATES = (
    "mail_template_impact_initial",
    "mail_template_impact_progress",
    "mail_template_impact_resolution",
    "mail_template_impact_satisfaction",
)


@tagged("post_install", "-at_install")
class TestStatementLanguages(CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis,
            name=INTERNAL_TITLE,
            public_title=TITLE,
            public_statement=STATEMENT,
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.env["crisis.impact"]._link_partners(cls.crisis, cls.customers.ids)
        cls.line = {impact.partner_id: impact for impact in cls.crisis.impact_ids}

    def _chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crisis_management"], ["zh_CN"])

    def _translate(self, crisis=None, user=None):
        """The title and the statement in Chinese, as the translation dialog does."""
        crisis = (crisis or self.crisis).with_user(user or self.user_crisis)
        crisis.update_field_translations("public_title", {"zh_CN": TITLE_ZH})
        crisis.update_field_translations(
            "public_statement", {"zh_CN": {STATEMENT_TERM: STATEMENT_ZH_TERM}}
        )

    def _approve(self):
        self.crisis.with_user(self.user_manager).action_approve_statement()
        self.assertEqual(self.crisis.statement_state, "approved")

    def _wizard(self, **values):
        return (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create(values)
        )

    def _email_body(self, partner):
        message = self.line[partner].message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(message), 1)
        return message

    # ------------------------------------------------------------------
    # The customer-facing title
    # ------------------------------------------------------------------

    def test_shipped_templates_name_the_customer_facing_title(self):
        line = self.line[self.customers[0]]
        for xmlid in IMPACT_TEMPLATES:
            template = self.env.ref(f"crisis_management.{xmlid}")
            rendered = template._generate_template(line.ids, ("subject", "body_html"))[line.id]
            for field in ("subject", "body_html"):
                self.assertIn(TITLE, rendered[field], f"{xmlid} {field}")
                self.assertNotIn(INTERNAL_TITLE, rendered[field], f"{xmlid} {field}")
        compensation = self.env["crisis.compensation"].create(
            {"impact_id": line.id, "type": "voucher", "amount": 20.0}
        )
        template = self.env.ref("crisis_management.mail_template_compensation_offer")
        rendered = template._generate_template(compensation.ids, ("subject", "body_html"))
        self.assertIn(TITLE, rendered[compensation.id]["body_html"])
        self.assertNotIn(INTERNAL_TITLE, rendered[compensation.id]["body_html"])
        # and in the emails actually sent, and the update's subject
        self._wizard(kind="initial").action_send()
        message = self._email_body(self.customers[0])
        self.assertIn(TITLE, message.subject)
        self.assertIn(TITLE, message.body)
        self.assertNotIn(INTERNAL_TITLE, message.subject + message.body)
        self.assertIn(TITLE, self.crisis.update_ids.name)

    def test_title_by_default(self):
        crisis = self._create_crisis(user=self.user_crisis, name="Checkout down")
        self.assertEqual(crisis.public_title, "Checkout down")
        # what customers read does not follow an internal renaming
        crisis.with_user(self.user_crisis).name = "Checkout down: bad deploy of 14:02"
        self.assertEqual(crisis.public_title, "Checkout down")
        # emptied, it is the title again
        crisis.with_user(self.user_crisis).public_title = False
        self.assertEqual(crisis.public_title, "Checkout down: bad deploy of 14:02")
        with Form(self.env["crisis.crisis"].with_user(self.user_crisis)) as form:
            form.name = "Terminals offline"
            self.assertEqual(form.public_title, "Terminals offline")
            form.public_title = "Card terminals offline"
        self.assertEqual(form.record.public_title, "Card terminals offline")
        self.assertEqual(form.record.name, "Terminals offline")

    def test_changing_the_title_resets_the_approval(self):
        crisis = self.crisis.with_user(self.user_crisis)
        crisis.public_title = "Cards charged twice"
        self.assertEqual(crisis.statement_state, "draft")
        self.assertFalse(crisis.statement_approved_by_id)
        self._approve()
        # the same value, or the internal title, keeps the approval
        crisis.write({"public_title": "Cards charged twice", "name": "Provider bug #4411"})
        self.assertEqual(crisis.statement_state, "approved")

    # ------------------------------------------------------------------
    # The statement per language
    # ------------------------------------------------------------------

    def _send_in_chinese(self, **values):
        """Title and statement translated and approved; customer 1 speaks Chinese."""
        self._chinese()
        self._translate()
        self.assertEqual(self.crisis.statement_state, "draft", "translating needs an approval")
        self._approve()
        self.customers[1].lang = "zh_CN"
        wizard = self._wizard(kind="initial", **values)
        wizard.preview_impact_id = self.line[self.customers[1]]
        self.assertFalse(wizard.translation_warning)
        return wizard

    def test_chinese_customer_reads_the_chinese_statement(self):
        wizard = self._send_in_chinese()
        chinese, english = self.customers[1], self.customers[0]
        # the wizard proposes the statement in the sender's language; the
        # preview of the Chinese customer is their email
        self.assertIn(STATEMENT_TERM, wizard.body)
        self.assertIn("尊敬的", wizard.preview_body)
        self.assertIn(STATEMENT_ZH_TERM, wizard.preview_body)
        self.assertNotIn(STATEMENT_TERM, wizard.preview_body)
        wizard.action_send()
        update = self.crisis.update_ids
        self.assertTrue(update.body_is_statement)
        self.assertIn(STATEMENT_TERM, update.body)
        message = self._email_body(chinese)
        self.assertIn("尊敬的", message.body, "the Chinese template")
        self.assertIn(STATEMENT_ZH_TERM, message.body)
        self.assertNotIn(STATEMENT_TERM, message.body)
        message = self._email_body(english)
        self.assertIn("Dear", message.body)
        self.assertIn(STATEMENT_TERM, message.body)
        self.assertIn(TITLE, message.subject)
        self.assertIn(TITLE, message.body)
        self.assertNotIn(STATEMENT_ZH_TERM, message.body)
        self.assertNotIn(TITLE_ZH, message.subject + message.body)

    def test_chinese_customer_reads_the_chinese_title(self):
        """The shipped Chinese templates (zh_CN.po) name the customer-facing title.

        Odoo loads a template's translation by its XML id, whatever English
        text it was made from: a Chinese template still naming
        ``object.crisis_id.name`` gives Chinese customers the internal title.
        """
        wizard = self._send_in_chinese()
        for xmlid in (*IMPACT_TEMPLATES, "mail_template_compensation_offer"):
            template = self.env.ref(f"crisis_management.{xmlid}").with_context(lang="zh_CN")
            for field in ("subject", "body_html"):
                self.assertNotIn(
                    "object.crisis_id.name",
                    template[field],
                    f"zh_CN.po: the Chinese {field} of {xmlid} names the internal title",
                )
        self.assertIn(TITLE_ZH, wizard.preview_subject)
        wizard.action_send()
        message = self._email_body(self.customers[1])
        self.assertIn("尊敬的", message.body, "the Chinese template")
        self.assertIn(TITLE_ZH, message.subject)
        self.assertIn(TITLE_ZH, message.body)
        self.assertNotIn(INTERNAL_TITLE, message.subject + message.body)
        self.assertNotIn(TITLE, message.subject + message.body)

    def test_edited_message_goes_as_written(self):
        body = "<p>退款正在路上。</p>"
        wizard = self._send_in_chinese(body=body, body_lang="zh_CN", audience_lang="zh_CN")
        # approved by a Crisis Manager first (test_four_eyes.py)
        wizard.action_request_approval()
        self.crisis.with_user(self.user_manager).action_approve_edited_message()
        wizard.action_send()
        self.assertFalse(self.crisis.update_ids.body_is_statement)
        message = self._email_body(self.customers[1])
        self.assertIn("尊敬的", message.body, "the Chinese template")
        self.assertIn("退款正在路上。", message.body)
        self.assertNotIn(STATEMENT_ZH_TERM, message.body)

    def test_editing_a_translation_resets_the_approval(self):
        self._chinese()
        crisis = self.crisis.with_user(self.user_crisis)
        # the translation dialog
        crisis.update_field_translations(
            "public_statement", {"zh_CN": {STATEMENT_TERM: STATEMENT_ZH_TERM}}
        )
        self.assertEqual(crisis.statement_state, "draft")
        self._approve()
        crisis.update_field_translations("public_title", {"zh_CN": TITLE_ZH})
        self.assertEqual(crisis.statement_state, "draft")
        self._approve()
        # writing in the language
        crisis.with_context(lang="zh_CN").public_title = "银行卡被重复扣款"
        self.assertEqual(crisis.statement_state, "draft")
        self._approve()
        crisis.with_context(lang="zh_CN").public_statement = "<p>我们正在退款。</p>"
        self.assertEqual(crisis.statement_state, "draft")
        self.assertFalse(crisis.date_statement_approved)
        self._approve()
        # the same translation again changes nothing
        crisis.update_field_translations("public_title", {"zh_CN": "银行卡被重复扣款"})
        crisis.with_context(lang="zh_CN").public_title = "银行卡被重复扣款"
        self.assertEqual(crisis.statement_state, "approved")

    def test_missing_translation_warning(self):
        self._chinese()
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customers[1].lang = "zh_CN"
        self.customers[2].lang = "zh_CN"
        self.customers[3].lang = "fr_FR"
        # customers who get no email do not count
        no_email = self.env["res.partner"].create({"name": "Lu", "lang": "zh_CN"})
        self.env["crisis.impact"]._link_partners(self.crisis, no_email.ids)
        wizard = self._wizard(kind="progress")
        warning = wizard.translation_warning
        self.assertIn("Chinese", warning)
        self.assertIn("(2 customer(s))", warning)
        self.assertIn("French", warning)
        self.assertIn("(1 customer(s))", warning)
        # only the audience's languages
        wizard = self._wizard(kind="progress", audience="selection")
        wizard.impact_ids = self.line[self.customers[3]]
        self.assertIn("French", wizard.translation_warning)
        self.assertNotIn("Chinese", wizard.translation_warning)
        # translated: French only
        self._translate()
        self._approve()
        wizard = self._wizard(kind="progress")
        self.assertNotIn("Chinese", wizard.translation_warning)
        self.assertIn("French", wizard.translation_warning)
        # the warning does not block
        wizard.action_review_send()
        wizard.action_send()
        self.assertEqual(self.crisis.update_ids.queued_count, 5)
        # the title alone untranslated: a warning, for an edited message too
        self.crisis.with_user(self.user_crisis).update_field_translations(
            "public_title", {"zh_CN": False}
        )
        self._approve()
        wizard = self._wizard(kind="progress", body="<p>Refunds are on their way.</p>")
        self.assertIn("Chinese", wizard.translation_warning)
        # nobody speaking a missing language: no warning
        (self.customers[1:4] | no_email).lang = "en_US"
        self.assertFalse(self._wizard(kind="progress").translation_warning)

    def test_upgrade_switches_the_shipped_templates(self):
        """The templates are ``noupdate``: the upgrade to 18.0.1.2.0 switches them,
        in every language."""
        self._chinese()
        template = self.env.ref("crisis_management.mail_template_impact_progress")
        # the template as 18.0.1.1.0 shipped it
        old = {
            lang: template.with_context(lang=lang).subject.replace(
                "object.crisis_id.public_title", "object.crisis_id.name"
            )
            for lang in ("en_US", "zh_CN")
        }
        old["zh_CN"] = old["zh_CN"].replace("{{ object.company_id.name }}", "{{ object.name }}")
        template.update_field_translations("subject", dict(old))
        spec = importlib.util.spec_from_file_location(
            "post_migrate", file_path("crisis_management/migrations/18.0.1.2.0/post-migrate.py")
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.1.0")
        self.env.invalidate_all()
        for lang in ("en_US", "zh_CN"):
            subject = template.with_context(lang=lang).subject
            self.assertIn("object.crisis_id.public_title", subject, lang)
            self.assertNotIn("object.crisis_id.name", subject, lang)
        # each language keeps its own text
        self.assertIn("{{ object.name }}", template.with_context(lang="zh_CN").subject)
        self.assertIn("update on", template.subject)
        line = self.line[self.customers[0]]
        rendered = template._generate_template(line.ids, ("subject",))[line.id]["subject"]
        self.assertIn(TITLE, rendered)
        self.assertNotIn(INTERNAL_TITLE, rendered)
