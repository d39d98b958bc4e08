"""The live chat's welcome message names the published crises first."""

from odoo.tests import HttpCase, tagged

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow
from odoo.addons.crisis_management.tests.common import CARD_OUTAGE, CrisisCase


@tagged("post_install", "-at_install")
class TestLivechatBanner(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.livechat = cls.env["im_livechat.channel"].create(
            {
                "name": "Support",
                "default_message": "Hello, how may we help?",
                "user_ids": [(6, 0, cls.env.ref("base.user_admin").ids)],
            }
        )
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["crisis_management_livechat"], ["zh_CN"])
        # the crises the demo data published are not this test's
        published = cls.env["crisis.crisis"].search([("is_published", "=", True)])
        as_workflow(published.sudo()).write({"is_published": False})
        cls.crisis = cls._create_card_outage_crisis()

    def test_no_banner_without_a_published_crisis(self):
        infos = self.livechat._get_channel_infos()
        self.assertEqual(infos["default_message"], "Hello, how may we help?")
        self.assertNotIn("crisis_banner", infos)

    def test_the_banner_of_a_published_crisis(self):
        self.crisis.with_user(self.user_manager).action_publish()
        infos = self.livechat._get_channel_infos()
        self.assertEqual(
            infos["default_message"].split("\n"),
            [
                f"Known issue: {CARD_OUTAGE['title']}. Follow it on "
                f"{self.livechat.get_base_url()}/status/{self.crisis.id}",
                "Hello, how may we help?",
            ],
        )
        # in the visitor's language
        infos = self.livechat.with_context(lang="zh_CN")._get_channel_infos()
        self.assertIn(CARD_OUTAGE["title_zh"], infos["crisis_banner"])
        self.assertNotIn("Known issue", infos["crisis_banner"])
        # never for a resolved crisis
        self.crisis.sudo().stage_id = self.stage_resolved
        self.assertNotIn("crisis_banner", self.livechat._get_channel_infos())

    def test_the_visitors_live_chat_reads_it(self):
        """What the visitor's browser loads (``/im_livechat/loader``), an
        operator online."""
        admin = self.env.ref("base.user_admin")
        self.env["bus.presence"].create({"user_id": admin.id, "status": "online"})
        self.crisis.with_user(self.user_manager).action_publish()
        response = self.url_open(f"/im_livechat/loader/{self.livechat.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"Known issue: {CARD_OUTAGE['title']}", response.text)
        self.assertIn(f"/status/{self.crisis.id}", response.text)
