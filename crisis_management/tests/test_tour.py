from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestTour(HttpCase):
    def test_manager_configures_stages(self):
        """admin opens the Crisis app, sees the stages, adds one."""
        self.start_tour("/odoo", "crisis_management_stage_tour", login="admin")
        stage = self.env["crisis.stage"].search([("name", "=", "Escalated")])
        self.assertEqual(len(stage), 1)

    def test_crisis_flow(self):
        """admin declares a crisis on the board, adds the customers of a tag with
        the wizard, acknowledges it and drags it to Responding."""
        tag = self.env["res.partner.category"].create({"name": "Tour juice buyers"})
        partners = self.env["res.partner"].create(
            [{"name": f"Juice buyer {n}", "category_id": [(6, 0, tag.ids)]} for n in (1, 2, 3)]
        )
        self.start_tour("/odoo", "crisis_management_flow_tour", login="admin")
        crisis = self.env["crisis.crisis"].search([("name", "=", "Tour: contaminated juice")])
        self.assertEqual(len(crisis), 1)
        self.assertEqual(
            crisis.type_id, self.env.ref("crisis_management.crisis_type_product_quality")
        )
        self.assertEqual(len(crisis.impact_ids), 3)
        self.assertEqual(crisis.impact_ids.partner_id, partners)
        self.assertTrue(crisis.date_acknowledged)
        self.assertEqual(
            crisis.stage_id, self.env.ref("crisis_management.crisis_stage_responding")
        )
