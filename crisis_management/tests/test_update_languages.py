"""Customer updates in the reader's language: the customer's page and the My
Crises list show each update's subject and text in the language of whoever
reads them, as each customer was emailed (the status page: module
crisis_management_status)."""

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import CARD_OUTAGE, CrisisCase

TITLE = CARD_OUTAGE["title"]
TITLE_ZH = CARD_OUTAGE["title_zh"]
STATEMENT_TERM = CARD_OUTAGE["statement"]
STATEMENT_ZH_TERM = CARD_OUTAGE["statement_zh"]
CUSTOM_BODY = "<p>Store card readers are replaced by Friday.</p>"


@tagged("post_install", "-at_install")
class TestUpdateLanguages(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["res.lang"]._activate_lang("zh_CN")
        env["ir.module.module"]._load_module_terms(["crisis_management"], ["zh_CN"])
        cls.li = env["res.partner"].create(
            {"name": "Li Wei", "email": "li.wei@example.com", "lang": "zh_CN"}
        )
        cls.emma = env["res.partner"].create(
            {"name": "Emma Stone", "email": "emma@example.com", "lang": "en_US"}
        )
        cls.crisis = cls._create_card_outage_crisis()
        env["crisis.impact"]._link_partners(cls.crisis, (cls.li | cls.emma).ids)
        cls.line = {impact.partner_id: impact for impact in cls.crisis.impact_ids}
        cls.template = env.ref("crisis_management.mail_template_impact_progress")

    def _send(self, user=None, **values):
        return self._send_update(self.crisis, user, **values)

    def _subject(self, partner):
        """The subject of the email the customer was sent (the last one)."""
        messages = self.line[partner].message_ids.filtered(
            lambda m: m.message_type == "comment" and m.subject
        )
        return messages.sorted("id")[-1].subject

    def _page(self, partner):
        self.authenticate(None, None)
        response = self.url_open(self.line[partner].get_portal_url())
        self.assertEqual(response.status_code, 200)
        return response.text

    # ------------------------------------------------------------------

    def test_each_email_in_its_customers_language(self):
        self._send()
        subject_zh, subject_en = self._subject(self.li), self._subject(self.emma)
        self.assertIn(TITLE_ZH, subject_zh)
        self.assertIn("最新进展", subject_zh, "the template's subject, translated")
        self.assertNotIn(TITLE, subject_zh)
        self.assertIn(f"update on {TITLE}", subject_en)
        self.assertNotIn(TITLE_ZH, subject_en)

    def test_page_of_each_customer_in_their_language(self):
        update = self._send()
        subject_zh, subject_en = self._subject(self.li), self._subject(self.emma)
        # the update's subject, stored in both languages, is what each was emailed
        self.assertEqual(update.with_context(lang="zh_CN").name, subject_zh)
        self.assertEqual(update.with_context(lang="en_US").name, subject_en)

        page = self._page(self.li)
        self.assertIn(subject_zh, page, "the subject she was emailed")
        self.assertIn(STATEMENT_ZH_TERM, page, "the statement she was emailed")
        self.assertIn("我们发给您的信息", page, "the page's own words")
        self.assertIn(TITLE_ZH, page)
        for english in (subject_en, STATEMENT_TERM, "What we sent you", TITLE):
            self.assertNotIn(english, page)

        page = self._page(self.emma)
        self.assertIn(subject_en, page)
        self.assertIn(STATEMENT_TERM, page)
        self.assertIn("What we sent you", page)
        for chinese in (subject_zh, STATEMENT_ZH_TERM, TITLE_ZH):
            self.assertNotIn(chinese, page)

    def test_sender_language_decides_nothing(self):
        """A Chinese-speaking manager sends an English text to those who read
        English: the English customer reads English, the Chinese one gets nothing."""
        self.user_manager.lang = "zh_CN"
        self._send(body=CUSTOM_BODY, body_lang="en_US", audience_lang="en_US")
        page = self._page(self.emma)
        self.assertIn(self._subject(self.emma), page)
        self.assertIn("Store card readers are replaced", page, "a written text, as sent")
        self.assertNotIn(TITLE_ZH, page)
        self.assertNotIn("Store card readers are replaced", self._page(self.li))

    def test_written_text_goes_only_to_who_reads_its_language(self):
        """Free text added at the send exists in each language its audience
        reads, or the send is refused and says which language is missing."""
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_manager)
            .with_context(default_crisis_id=self.crisis.id)
            .create({"kind": "progress", "body": CUSTOM_BODY})
        )
        self.assertEqual(wizard.body_lang, "en_US", "the sender's language by default")
        self.assertTrue(wizard.body_is_custom)
        self.assertIn(
            "Chinese (Simplified) / 简体中文 (1 customer(s))", wizard.translation_warning
        )
        for action in (wizard.action_review_send, wizard.action_send):
            with self.subTest(action=action.__name__), self.assertRaises(UserError) as refused:
                action()
            self.assertIn("This message is written in English (US)", str(refused.exception))
        self.assertFalse(self.crisis.update_ids, "nothing sent")
        # to those who read it, then the Chinese text to the others
        self.assertEqual(wizard.recipient_count, 2)
        wizard.audience_lang = "en_US"
        self.assertEqual(wizard.recipient_count, 1, "the counts follow Who Read")
        self.assertFalse(wizard.translation_warning)
        wizard.action_send()
        chinese = "<p>门店读卡器将于周五前更换。</p>"
        self._send(body=chinese, body_lang="zh_CN", audience_lang="zh_CN")
        self.assertIn("Store card readers", self._page(self.emma))
        self.assertNotIn("门店读卡器", self._page(self.emma))
        self.assertIn("门店读卡器", self._page(self.li))
        self.assertNotIn("Store card readers", self._page(self.li))
        # the statement goes to everyone, each in their language
        self._send()
        self.assertEqual(len(self.crisis.update_ids), 3)

    def test_page_scripts_in_the_customers_language(self):
        """The chat box of a Chinese customer's page speaks Chinese: the
        page's scripts get the customer's language."""
        self.assertIn('"lang": "zh_CN"', self._page(self.li))
        self.assertIn('"lang": "en_US"', self._page(self.emma))

    def test_my_crises_in_the_portal_users_language(self):
        user = new_test_user(
            self.env, login="portal_li", name="Li Portal", groups="base.group_portal", lang="zh_CN"
        )
        self.env["crisis.impact"]._link_partners(self.crisis, user.partner_id.ids)
        self.authenticate("portal_li", "portal_li")
        response = self.url_open("/my/crises")
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn(TITLE_ZH, page)
        self.assertIn("调查中", page, "the customer status, in Chinese")
        self.assertNotIn(TITLE, page)
        self.assertNotIn("Investigating", page)
