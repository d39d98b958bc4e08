import base64
import importlib.util

from odoo.modules.module import get_module_icon
from odoo.tests import tagged
from odoo.tools import file_open, file_path

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestInstall(CrisisCase):
    def test_apps_and_home_menu_show_the_application(self):
        """Apps lists the addon as an application with its own icon (not
        Odoo's default one), and the home menu shows that icon."""
        module = self.env["ir.module.module"].search([("name", "=", "crisis_management")])
        self.assertTrue(module.application)
        self.assertEqual(module.icon, "/crisis_management/static/description/icon.png")
        self.assertEqual(
            get_module_icon("crisis_management"), "/crisis_management/static/description/icon.png"
        )
        root = self.env.ref("crisis_management.crisis_menu_root")
        self.assertEqual(root.web_icon, "crisis_management,static/description/icon.png")
        with file_open("crisis_management/static/description/icon.png", "rb") as icon:
            self.assertEqual(base64.b64decode(root.web_icon_data), icon.read())

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

    def test_stages_say_what_customers_read(self):
        stages = self.env["crisis.stage"].search([])
        self.assertEqual(
            stages.mapped("customer_status"),
            ["investigating", "investigating", "identified", "monitoring", "resolved", "resolved"],
        )
        crisis = self._create_crisis()
        self.assertEqual(crisis.customer_status, "investigating")

    def test_upgrade_gives_the_shipped_stages_their_customer_status(self):
        """18.0.1.4.0: the stages are noupdate; the migration sets their status."""
        stages = self.env["crisis.stage"].with_context(active_test=False).search([])
        stages.customer_status = "investigating"
        custom = self.env["crisis.stage"].create(
            {"name": "Fixed for good", "is_resolved": True, "sequence": 50}
        )
        kept = self.env.ref("crisis_management.crisis_stage_monitoring")
        kept.customer_status = "identified"  # changed by someone: kept
        spec = importlib.util.spec_from_file_location(
            "post_migrate", file_path("crisis_management/migrations/18.0.1.4.0/post-migrate.py")
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.3.0")
        self.env.invalidate_all()
        self.assertEqual(
            self.env.ref("crisis_management.crisis_stage_new").customer_status, "investigating"
        )
        self.assertEqual(
            self.env.ref("crisis_management.crisis_stage_responding").customer_status, "identified"
        )
        self.assertEqual(kept.customer_status, "identified")
        self.assertEqual(
            self.env.ref("crisis_management.crisis_stage_closed").customer_status, "resolved"
        )
        self.assertEqual(custom.customer_status, "resolved")

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
