from odoo.tests import tagged

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestInstall(CrisisCase):
    def test_module_is_an_installed_application(self):
        module = self.env["ir.module.module"].search([("name", "=", "crisis_management")])
        self.assertEqual(module.state, "installed")
        self.assertTrue(module.application)

    def test_default_stages(self):
        stages = self.env["crisis.stage"].search([])
        self.assertEqual(
            stages.mapped("name"),
            ["New", "Assessing", "Responding", "Monitoring", "Resolved", "Closed"],
        )
        resolved = self.env.ref("crisis_management.crisis_stage_resolved")
        closed = self.env.ref("crisis_management.crisis_stage_closed")
        self.assertEqual(stages.filtered("is_resolved"), resolved | closed)
        self.assertEqual(stages.filtered("is_closed"), closed)
        self.assertEqual(stages.filtered("fold"), resolved | closed)

    def test_stage_names_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crisis_management"], ["zh_CN"])
        closed = self.env.ref("crisis_management.crisis_stage_closed")
        self.assertEqual(closed.with_context(lang="zh_CN").name, "已关闭")
        self.assertEqual(closed.with_context(lang="en_US").name, "Closed")

    def test_crisis_menu_by_group(self):
        root = self.env.ref("crisis_management.crisis_menu_root")
        config = self.env.ref("crisis_management.crisis_menu_config")

        def visible(user):
            return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

        self.assertIn(root.id, visible(self.user_manager))
        self.assertIn(config.id, visible(self.user_manager))
        self.assertNotIn(config.id, visible(self.user_crisis))
        self.assertNotIn(root.id, visible(self.user_internal))
        self.assertIn(root.id, visible(self.env.ref("base.user_admin")))
