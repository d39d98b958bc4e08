from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


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

    def test_crisis_response(self):
        """admin applies a playbook to a crisis, marks the first step of its action
        plan done, then approves a compensation a Crisis User requested."""
        requester = new_test_user(
            self.env,
            login="tour_requester",
            name="Rita Requester",
            groups="crisis_management.group_crisis_user",
        )
        playbook = self.env["crisis.playbook"].create(
            {
                "name": "Tour: dairy recall",
                "step_ids": [
                    Command.create(
                        {"name": "Tour: stop the shipments", "role": "lead", "deadline_hours": 2}
                    ),
                    Command.create(
                        {
                            "name": "Tour: call the shops",
                            "role": "customer_service",
                            "deadline_hours": 24,
                        }
                    ),
                ],
            }
        )
        crisis = self.env["crisis.crisis"].create(
            {"name": "Tour: spoiled yoghurt", "user_id": requester.id}
        )
        self.assertFalse(crisis.playbook_id)
        customer = self.env["res.partner"].create({"name": "Tour yoghurt shop"})
        impact = self.env["crisis.impact"].create(
            {"crisis_id": crisis.id, "partner_id": customer.id}
        )
        compensation = (
            self.env["crisis.compensation"]
            .with_user(requester)
            .create({"impact_id": impact.id, "type": "refund", "amount": 40.0})
        )
        compensation.action_submit()
        self.assertEqual(compensation.user_id, requester)
        self.assertEqual(compensation.state, "to_approve")

        self.start_tour(
            f"/odoo/action-crisis_management.crisis_crisis_action/{crisis.id}",
            "crisis_management_response_tour",
            login="admin",
        )
        self.env.invalidate_all()
        self.assertEqual(crisis.playbook_id, playbook)
        self.assertEqual(crisis.action_plan_ids.playbook_id, playbook)
        steps = crisis.action_ids
        self.assertEqual(len(steps), 2)
        self.assertEqual(steps.playbook_step_id, playbook.step_ids)
        done = steps.filtered(lambda step: step.state == "done")
        self.assertEqual(done.mapped("name"), ["Tour: stop the shipments"])
        self.assertTrue(done.date_done)
        self.assertEqual((steps - done).state, "todo")
        self.assertEqual(compensation.state, "approved")
        self.assertEqual(compensation.approved_by_id, self.env.ref("base.user_admin"))
        self.assertTrue(compensation.date_approved)

    def test_notify_customers(self):
        """admin notifies the affected customers of a crisis: counts, preview, send."""
        crisis = self.env["crisis.crisis"].create(
            {
                "name": "Tour: cheese recall",
                "public_statement": "<p>We recall a spoiled batch of cheese.</p>",
            }
        )
        crisis.action_approve_statement()
        customers = self.env["res.partner"].create(
            [
                {"name": "Tour cheese shop", "email": "shop@example.com"},
                {"name": "Tour deli", "email": "deli@example.com"},
                {"name": "Tour market without email"},
            ]
        )
        self.env["crisis.impact"]._link_partners(crisis, customers.ids)
        self.env.ref("base.user_admin").email = "admin@example.com"  # for the test email
        self.start_tour("/odoo", "crisis_management_notify_tour", login="admin")
        update = crisis.update_ids
        self.assertEqual(
            (update.kind, update.queued_count, update.no_email_count), ("initial", 2, 1)
        )
        self.assertEqual(
            self.env["mail.mail"].search_count([("res_id", "in", crisis.impact_ids.ids)]), 2
        )

    def test_quick_create_with_team(self):
        """admin declares a crisis from the board's quick create and gives it
        its response team there."""
        team = self.env["crisis.team"].create({"name": "Tour: payments squad"})
        self.start_tour("/odoo", "crisis_management_quick_create_team_tour", login="admin")
        crisis = self.env["crisis.crisis"].search([("name", "=", "Tour: frozen checkout")])
        self.assertEqual(len(crisis), 1)
        self.assertEqual(crisis.team_id, team)
