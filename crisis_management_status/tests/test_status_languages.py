"""The status page in the reader's language: each public update's subject
and text as the customers of that language were emailed."""

from odoo.tests import HttpCase, tagged

from odoo.addons.crisis_management.tests.common import CARD_OUTAGE, CrisisCase
from odoo.addons.crisis_management_status.controllers import status

TITLE = CARD_OUTAGE["title"]
TITLE_ZH = CARD_OUTAGE["title_zh"]
STATEMENT_TERM = CARD_OUTAGE["statement"]
STATEMENT_ZH_TERM = CARD_OUTAGE["statement_zh"]


@tagged("post_install", "-at_install")
class TestStatusLanguages(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["res.lang"]._activate_lang("zh_CN")
        env["ir.module.module"]._load_module_terms(
            ["crisis_management", "crisis_management_status"], ["zh_CN"]
        )
        # the demo data's published crises are not part of these pages
        env["crisis.crisis"].search([("is_published", "=", True)]).sudo().action_unpublish()
        customers = env["res.partner"].create(
            [
                {"name": "Li Wei", "email": "li.wei@example.com", "lang": "zh_CN"},
                {"name": "Emma Stone", "email": "emma@example.com", "lang": "en_US"},
            ]
        )
        cls.crisis = cls._create_card_outage_crisis()
        cls.crisis.with_user(cls.user_manager).action_publish()
        env["crisis.impact"]._link_partners(cls.crisis, customers.ids)

    def setUp(self):
        super().setUp()
        status._VALUES.clear()
        self.addCleanup(status._VALUES.clear)

    def _send(self, user=None, **values):
        return self._send_update(self.crisis, user, **values)

    def test_statement_in_the_page_language_whoever_sent_it(self):
        """A Chinese-speaking manager sends the statement: the English page
        shows it in English."""
        self.user_manager.lang = "zh_CN"
        # the statement, proposed in Chinese to the manager, in English on the status page
        update = self._send(is_public=True)
        self.assertTrue(update.body_is_statement)
        self.authenticate(None, None)
        page = self.url_open(f"/status/{self.crisis.id}?lang=en_US").text
        self.assertIn(update.with_context(lang="en_US").name, page)
        self.assertIn(f"update on {TITLE}", page)
        self.assertIn(STATEMENT_TERM, page)
        self.assertNotIn(STATEMENT_ZH_TERM, page)
        self.assertNotIn(TITLE_ZH, page)

    def test_status_page_in_the_readers_language(self):
        update = self._send(is_public=True)
        self.assertTrue(update.is_public)
        subject_zh = update.with_context(lang="zh_CN").name
        subject_en = update.with_context(lang="en_US").name
        self.assertNotEqual(subject_zh, subject_en)
        for url in ("/status?lang=zh_CN", f"/status/{self.crisis.id}?lang=zh_CN"):
            with self.subTest(url=url):
                self.authenticate(None, None)
                page = self.url_open(url).text
                self.assertIn(subject_zh, page)
                self.assertIn(
                    STATEMENT_ZH_TERM, page, "the update's text, as Chinese readers got it"
                )
                self.assertNotIn(subject_en, page)
                self.assertNotIn(STATEMENT_TERM, page, "no English text in the Chinese page")
        self.authenticate(None, None)
        page = self.url_open(f"/status/{self.crisis.id}?lang=en_US").text
        self.assertIn(subject_en, page)
        self.assertIn(STATEMENT_TERM, page)
        self.assertNotIn(subject_zh, page)
        self.assertNotIn(STATEMENT_ZH_TERM, page)
