from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged, users

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestPlaybook(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.playbook = cls.env["crisis.playbook"].create(
            {
                "name": "Outage response",
                "type_ids": [(6, 0, cls.type_outage.ids)],
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Open the incident bridge",
                            "role": "technical",
                            "deadline_hours": 0.5,
                            "sequence": 1,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "name": "Post a status page notice",
                            "role": "communications",
                            "deadline_hours": 2,
                            "sequence": 2,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "name": "Assess contractual penalties",
                            "role": "legal",
                            "deadline_hours": 24,
                            "sequence": 3,
                        },
                    ),
                ],
            }
        )
        cls.team = cls._create_manager_team()

    @freeze_time("2026-06-01 12:00:00")
    def test_apply_assigns_by_role_with_deadlines(self):
        self.company.crisis_auto_apply_playbook = False
        crisis = self._create_crisis(
            user=self.user_crisis, team_id=self.team.id, playbook_id=self.playbook.id
        )
        self.assertFalse(crisis.action_ids, "not applied on declaration: the setting is off")
        crisis.with_user(self.user_crisis).action_apply_playbook()
        plan = crisis.action_plan_ids
        self.assertEqual(len(plan), 1)
        self.assertEqual(plan.playbook_id, self.playbook)
        steps = {a.name: a for a in plan.action_ids}
        declared = crisis.date_declared
        bridge = steps["Open the incident bridge"]
        self.assertEqual(bridge.user_id, self.user_crisis_2, "the technical member")
        self.assertEqual(bridge.date_deadline, declared + timedelta(minutes=30))
        self.assertEqual(steps["Post a status page notice"].user_id, self.user_crisis)
        legal = steps["Assess contractual penalties"]
        self.assertEqual(legal.user_id, self.user_crisis, "nobody is legal: the crisis lead")
        self.assertEqual(legal.date_deadline, declared + timedelta(hours=24))
        self.assertEqual(set(plan.action_ids.mapped("state")), {"todo"})

        # applying again adds nothing; a step added to the playbook is added
        crisis.action_apply_playbook()
        self.assertEqual(len(crisis.action_ids), 3)
        self.playbook.step_ids = [(0, 0, {"name": "Thank the customers", "role": "lead"})]
        crisis.action_apply_playbook()
        self.assertEqual(len(crisis.action_ids), 4)
        self.assertEqual(len(crisis.action_plan_ids), 1)

    def test_type_default_playbook_applies_on_declaration(self):
        self.type_outage.playbook_id = self.playbook
        crisis = self._create_crisis(user=self.user_crisis)
        self.assertEqual(crisis.playbook_id, self.playbook)
        self.assertEqual(len(crisis.action_ids), 3)
        self.company.crisis_auto_apply_playbook = False
        crisis = self._create_crisis(user=self.user_crisis)
        self.assertEqual(crisis.playbook_id, self.playbook)
        self.assertFalse(crisis.action_ids, "the company setting turns it off")
        crisis.playbook_id = False
        with self.assertRaises(UserError):
            crisis.action_apply_playbook()

    def test_progress_and_closing_rules(self):
        self.type_outage.playbook_id = self.playbook
        crisis = self._create_crisis(user=self.user_crisis, team_id=self.team.id)
        first, second, third = crisis.action_ids.sorted("sequence")
        first.with_user(self.user_crisis_2).action_done()
        self.assertTrue(first.date_done)
        third.with_user(self.user_crisis).action_cancel()
        self.assertEqual(crisis.action_progress, 50.0, "1 of 2 steps, the cancelled one left out")
        self.assertEqual(crisis.action_plan_ids.progress, 50.0)
        self.assertEqual(crisis.action_open_count, 1)

        crisis.root_cause = "<p>Expired certificate.</p>"
        with self.assertRaises(ValidationError) as error:
            crisis.with_user(self.user_crisis).stage_id = self.stage_closed
        self.assertIn("open action step", str(error.exception))
        with self.assertRaises(AccessError):
            crisis.with_user(self.user_crisis).action_cancel_open_steps()
        crisis.with_user(self.user_manager).action_cancel_open_steps()
        self.assertEqual(second.state, "cancelled")
        crisis.with_user(self.user_crisis).stage_id = self.stage_closed
        self.assertTrue(crisis.date_closed)

    def test_overdue_and_due_today(self):
        with freeze_time("2026-06-01 08:00:00"):
            self.type_outage.playbook_id = self.playbook
            crisis = self._create_crisis(user=self.user_crisis)
        steps = crisis.action_ids.sorted("sequence")
        with freeze_time("2026-06-01 11:00:00"):
            self.env.invalidate_all()
            self.assertEqual(steps.mapped("is_overdue"), [True, True, False])
            self.assertEqual(steps.mapped("is_due_today"), [False, False, False])
            overdue = self.env["crisis.action"].search([("is_overdue", "=", True)])
            self.assertEqual(overdue & steps, steps[:2])
            steps[0].action_done()
            self.assertFalse(steps[0].is_overdue, "a done step is never overdue")
        with freeze_time("2026-06-02 06:00:00"):
            self.env.invalidate_all()
            self.assertTrue(steps[2].is_due_today)

    @users("crisis_manager")
    def test_drill(self):
        playbook = self.playbook.with_env(self.env)
        action = playbook.action_start_drill()
        drill = self.env["crisis.crisis"].browse(action["res_id"])
        self.assertTrue(drill.is_drill)
        self.assertEqual(drill.drill_playbook_id, playbook)
        self.assertEqual(drill.type_id, self.type_outage)
        self.assertEqual(len(drill.action_ids), 3, "the playbook is applied once")
        self.assertEqual(playbook.drill_count, 1)
        self.assertIn("Drill", drill.name)

    def test_review_dates(self):
        with Form(self.playbook) as form:
            form.review_interval = 6
            form.date_last_review = "2026-01-15"
            self.assertEqual(form.date_next_review, fields.Date.to_date("2026-07-15"))
        with freeze_time("2026-09-01"):
            self.playbook.action_mark_reviewed()
        self.assertEqual(self.playbook.date_next_review, fields.Date.to_date("2027-03-01"))
        with self.assertRaises(ValidationError):
            self.playbook.step_ids[0].deadline_hours = -1

    def test_access(self):
        Playbook = self.env["crisis.playbook"].with_user(self.user_crisis)
        self.assertIn(self.playbook, Playbook.search([]))
        with self.assertRaises(AccessError):
            Playbook.create({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.playbook.with_user(self.user_crisis).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.playbook.step_ids[0].with_user(self.user_crisis).unlink()
        for user in (self.user_internal, self.user_portal):
            for model in ("crisis.playbook", "crisis.action", "crisis.action.plan"):
                with self.subTest(user=user.login, model=model), self.assertRaises(AccessError):
                    self.env[model].with_user(user).search([])

        # steps: the assignee and the crisis team change them; others only read
        self.type_outage.playbook_id = self.playbook
        crisis = self._create_crisis(user=self.user_manager, team_id=self.team.id)
        outsider = self.env["res.users"].browse(self.user_crisis.id)
        self.team.member_ids.filtered(lambda m: m.user_id == outsider).unlink()
        bridge = crisis.action_ids.filtered(lambda a: a.role == "technical")
        legal = crisis.action_ids.filtered(lambda a: a.role == "legal")
        self.assertEqual(legal.user_id, self.user_manager)
        self.assertTrue(legal.with_user(outsider).name)
        with self.assertRaises(AccessError):
            legal.with_user(outsider).action_done()
        bridge.user_id = outsider
        bridge.with_user(outsider).action_done()
        self.assertEqual(bridge.state, "done")
        with self.assertRaises(AccessError):
            bridge.with_user(outsider).unlink()
        legal.with_user(self.user_crisis_2).action_start()
        self.assertEqual(legal.state, "in_progress", "a team member changes any step")

        # company isolation
        self.playbook.company_id = False
        crisis_2 = self._create_crisis(
            user=self.user_manager_2, company_id=self.company_2.id, playbook_id=self.playbook.id
        )
        self.assertTrue(crisis_2.action_ids, "a shared playbook serves every company")
        self.assertFalse(
            self.env["crisis.action"]
            .with_user(self.user_manager)
            .search([("id", "in", crisis_2.action_ids.ids)])
        )
