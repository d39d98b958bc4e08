from odoo.exceptions import AccessError
from odoo.tests import tagged, users

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestGroups(CrisisCase):
    def test_manager_implies_user_implies_employee(self):
        group_user = self.env.ref("crisis_management.group_crisis_user")
        group_manager = self.env.ref("crisis_management.group_crisis_manager")
        self.assertIn(group_user, group_manager.implied_ids)
        self.assertIn(self.env.ref("base.group_user"), group_user.implied_ids)
        self.assertEqual(group_user.category_id, group_manager.category_id)
        self.assertEqual(group_user.category_id.name, "Crisis Management")
        self.assertTrue(self.user_manager.has_group("crisis_management.group_crisis_user"))
        self.assertFalse(self.user_crisis.has_group("crisis_management.group_crisis_manager"))
        self.assertFalse(self.user_internal.has_group("crisis_management.group_crisis_user"))

    def test_administrator_is_crisis_manager(self):
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("crisis_management.group_crisis_manager"))


@tagged("post_install", "-at_install")
class TestStageAccess(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage = cls.env.ref("crisis_management.crisis_stage_responding")

    @users("crisis_user")
    def test_user_reads_but_cannot_change_stages(self):
        stages = self.env["crisis.stage"].search([])
        self.assertEqual(len(stages), 6)
        stage = self.stage.with_env(self.env)
        self.assertEqual(stage.name, "Responding")
        with self.assertRaises(AccessError):
            self.env["crisis.stage"].create({"name": "Escalated"})
        with self.assertRaises(AccessError):
            stage.write({"name": "Reacting"})
        with self.assertRaises(AccessError):
            stage.unlink()

    @users("crisis_manager")
    def test_manager_manages_stages(self):
        stage = self.env["crisis.stage"].create({"name": "Escalated", "sequence": 4})
        self.assertIn(stage, self.env["crisis.stage"].search([]))
        stage.write({"name": "Escalated to board", "fold": True})
        self.assertEqual(stage.name, "Escalated to board")
        stage.action_archive()
        self.assertNotIn(stage, self.env["crisis.stage"].search([]))
        stage.unlink()
        self.assertFalse(stage.exists())

    @users("plain_employee", "portal_customer")
    def test_others_cannot_read_stages(self):
        with self.assertRaises(AccessError):
            self.env["crisis.stage"].search([])
        with self.assertRaises(AccessError):
            self.stage.with_env(self.env).read(["name"])
