from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestTour(HttpCase):
    def test_manager_configures_stages(self):
        """admin opens the Crisis app, sees the stages, adds one."""
        self.start_tour("/odoo", "crisis_management_stage_tour", login="admin")
        stage = self.env["crisis.stage"].search([("name", "=", "Escalated")])
        self.assertEqual(len(stage), 1)
