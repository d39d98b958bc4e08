from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestMemberUsers(CrisisCase):
    """The crisis members (lead, team leader, team members) are who may change a crisis."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_newcomer = new_test_user(
            cls.env,
            login="crisis_newcomer",
            name="Nina Newcomer",
            groups="crisis_management.group_crisis_user",
        )
        cls.team = cls._create_team("Outage team", cls.user_crisis, [(cls.user_crisis_2, "legal")])
        cls.crisis = cls._create_crisis(team_id=cls.team.id)
        cls.impact = cls.env["crisis.impact"].create(
            {"crisis_id": cls.crisis.id, "partner_id": cls.customers[0].id}
        )
        cls.plan = cls.env["crisis.action.plan"].create(
            {"name": "Restore", "crisis_id": cls.crisis.id}
        )
        cls.step = cls.env["crisis.action"].create({"name": "Reboot", "plan_id": cls.plan.id})

    def _assert_can_write(self, user):
        self.crisis.with_user(user).write({"severity": "critical"})
        self.impact.with_user(user).write({"contact_status": "in_discussion"})
        self.step.with_user(user).write({"name": "Reboot everything"})
        self.assertEqual(self.crisis.severity, "critical")
        self.assertEqual(self.impact.contact_status, "in_discussion")
        self.assertEqual(self.step.name, "Reboot everything")

    def _assert_cannot_write(self, user):
        with self.assertRaises(AccessError):
            self.crisis.with_user(user).write({"severity": "low"})
        with self.assertRaises(AccessError):
            self.impact.with_user(user).write({"contact_status": "lost"})
        with self.assertRaises(AccessError):
            self.step.with_user(user).write({"name": "Hijacked"})

    def test_members_are_lead_leader_and_team_members(self):
        self.assertEqual(
            self.crisis.member_user_ids,
            self.user_manager | self.user_crisis | self.user_crisis_2,
        )
        self.crisis.user_id = self.user_newcomer
        self.assertEqual(
            self.crisis.member_user_ids,
            self.user_newcomer | self.user_crisis | self.user_crisis_2,
        )
        self.crisis.team_id = False
        self.assertEqual(self.crisis.member_user_ids, self.user_newcomer)

    def test_new_team_member_changes_the_crises_at_once(self):
        self._assert_cannot_write(self.user_newcomer)
        self.team.write(
            {"member_ids": [Command.create({"user_id": self.user_newcomer.id, "role": "sales"})]}
        )
        self.assertIn(self.user_newcomer, self.crisis.member_user_ids)
        self._assert_can_write(self.user_newcomer)
        self.team.member_ids.filtered(lambda m: m.user_id == self.user_newcomer).unlink()
        self.assertNotIn(self.user_newcomer, self.crisis.member_user_ids)
        self._assert_cannot_write(self.user_newcomer)

    def test_new_team_leader_changes_the_crises_at_once(self):
        self.team.leader_id = self.user_newcomer
        self._assert_can_write(self.user_newcomer)
        self._assert_cannot_write(self.user_crisis)

    def test_member_changing_user_moves_the_access(self):
        member = self.team.member_ids
        member.user_id = self.user_newcomer
        self._assert_can_write(self.user_newcomer)
        self._assert_cannot_write(self.user_crisis_2)

    def test_outsider_cannot_write(self):
        self.assertNotIn(self.user_newcomer, self.crisis.member_user_ids)
        self._assert_cannot_write(self.user_newcomer)
        # but reads them, like every crisis user
        self.assertEqual(self.crisis.with_user(self.user_newcomer).name, "Checkout down")
        # the team's crises through the team lead and members still work
        self._assert_can_write(self.user_crisis_2)

    def test_members_are_not_copied_from_the_source(self):
        copy = self.crisis.copy({"team_id": False, "user_id": self.user_newcomer.id})
        self.assertEqual(copy.member_user_ids, self.user_newcomer)
