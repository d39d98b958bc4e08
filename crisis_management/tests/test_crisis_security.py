from unittest.mock import patch

from odoo import api
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestCrisisAccess(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # crisis led by the manager; crisis_user_2 is in its team
        cls.team = cls._create_team(
            "Outage team", cls.user_manager, [(cls.user_crisis_2, "technical")]
        )
        cls.crisis = cls._create_crisis(team_id=cls.team.id)
        cls.impacts = cls.env["crisis.impact"].create(
            [
                {"crisis_id": cls.crisis.id, "partner_id": cls.customers[0].id},
                {
                    "crisis_id": cls.crisis.id,
                    "partner_id": cls.customers[1].id,
                    "user_id": cls.user_crisis.id,
                },
            ]
        )
        cls.crisis_2 = cls._create_crisis(
            user=cls.user_manager_2, company_id=cls.company_2.id, name="Other company's crisis"
        )

    def test_crisis_user_reads_all_and_changes_own(self):
        Crisis = self.env["crisis.crisis"].with_user(self.user_crisis)
        self.assertIn(self.crisis, Crisis.search([]))
        self.assertEqual(self.crisis.with_user(self.user_crisis).name, "Checkout down")
        with self.assertRaises(AccessError):
            self.crisis.with_user(self.user_crisis).write({"name": "Hijacked"})
        with self.assertRaises(AccessError):
            self.crisis.with_user(self.user_crisis).unlink()
        # declaring their own crisis, and changing it
        own = Crisis.create({"name": "Mass delay", "type_id": self.type_outage.id})
        own.write({"severity": "high"})
        self.assertEqual(own.user_id, self.user_crisis)
        # a lead cannot hand a crisis over to a crisis they cannot edit
        with self.assertRaises(AccessError):
            Crisis.create({"name": "Someone else's", "user_id": self.user_manager.id})

    def test_team_member_changes_the_team_crisis(self):
        crisis = self.crisis.with_user(self.user_crisis_2)
        crisis.write({"severity": "critical"})
        self.assertEqual(crisis.severity, "critical")
        crisis.action_acknowledge()
        self.assertTrue(crisis.date_acknowledged)

    def test_crisis_user_deletes_only_empty_crises(self):
        own = self._create_crisis(user=self.user_crisis)
        self.env["crisis.impact"].create({"crisis_id": own.id, "partner_id": self.customers[2].id})
        with self.assertRaises(UserError) as error:
            own.with_user(self.user_crisis).unlink()
        self.assertIn("archive it instead", str(error.exception))
        own.with_user(self.user_crisis).action_archive()
        self.assertFalse(own.active)
        empty = self._create_crisis(user=self.user_crisis)
        empty.with_user(self.user_crisis).unlink()
        self.assertFalse(empty.exists())
        # a manager may delete a crisis with customers
        own.with_user(self.user_manager).unlink()
        self.assertFalse(own.exists())

    def test_deletion_guards_see_the_customers(self):
        """Every ``@api.ondelete`` guard of a crisis, those other modules add
        included, runs while the crisis still has its affected customers: Odoo
        would run them once the lines are deleted, with nothing left to guard."""
        crisis = self._create_crisis(user=self.user_crisis)
        line = self.env["crisis.impact"].create(
            {"crisis_id": crisis.id, "partner_id": self.customers[2].id}
        )
        seen = []

        def _unlink_except_probe(crises):
            seen.append(crises.impact_ids.ids)

        guard = api.ondelete(at_uninstall=False)(_unlink_except_probe)
        guards = [*self.env["crisis.crisis"]._ondelete_methods, guard]
        with patch.object(self.registry["crisis.crisis"], "_ondelete_methods", guards):
            # the addon's own guard refuses the Crisis User, the lines are kept
            with self.assertRaisesRegex(UserError, "has affected customers"):
                crisis.with_user(self.user_crisis).unlink()
            self.assertTrue(line.exists())
            # a Crisis Manager deletes the crisis; the guards saw its line
            crisis.with_user(self.user_manager).unlink()
        self.assertFalse(crisis.exists())
        self.assertFalse(line.exists())
        self.assertEqual(seen[0], line.ids)

    def test_crisis_user_edits_assigned_lines(self):
        assigned, other = self.impacts[1], self.impacts[0]
        assigned.with_user(self.user_crisis).write({"contact_status": "in_discussion"})
        self.assertEqual(assigned.contact_status, "in_discussion")
        with self.assertRaises(AccessError):
            other.with_user(self.user_crisis).write({"contact_status": "lost"})
        with self.assertRaises(AccessError):
            self.env["crisis.impact"].with_user(self.user_crisis).create(
                {"crisis_id": self.crisis.id, "partner_id": self.customers[3].id}
            )
        # being the agent of a line is no licence to add or remove customers
        with self.assertRaises(AccessError):
            self.env["crisis.impact"].with_user(self.user_crisis).create(
                {
                    "crisis_id": self.crisis.id,
                    "partner_id": self.customers[3].id,
                    "user_id": self.user_crisis.id,
                }
            )
        with self.assertRaises(AccessError):
            assigned.with_user(self.user_crisis).unlink()
        # a team member manages every line of the team's crisis
        other.with_user(self.user_crisis_2).write({"contact_status": "notified"})
        line = (
            self.env["crisis.impact"]
            .with_user(self.user_crisis_2)
            .create({"crisis_id": self.crisis.id, "partner_id": self.customers[3].id})
        )
        line.unlink()

    def test_configuration_is_for_managers(self):
        for model, values in [
            ("crisis.type", {"name": "Supplier failure"}),
            ("crisis.tag", {"name": "Social media"}),
            ("crisis.team", {"name": "Night shift"}),
        ]:
            with self.subTest(model=model):
                self.assertTrue(self.env[model].with_user(self.user_crisis).search([], limit=1))
                with self.assertRaises(AccessError):
                    self.env[model].with_user(self.user_crisis).create(values)
                record = self.env[model].with_user(self.user_manager).create(values)
                with self.assertRaises(AccessError):
                    record.with_user(self.user_crisis).write({"name": "Renamed"})
                with self.assertRaises(AccessError):
                    record.with_user(self.user_crisis).unlink()
                record.with_user(self.user_manager).write({"name": f"{values['name']} 2"})
                record.with_user(self.user_manager).unlink()
        with self.assertRaises(AccessError):
            self.env["crisis.team.member"].with_user(self.user_crisis).create(
                {"team_id": self.team.id, "user_id": self.user_crisis.id, "role": "legal"}
            )

    def test_outsiders_get_nothing(self):
        for user in (self.user_internal, self.user_portal):
            for model in (
                "crisis.crisis",
                "crisis.impact",
                "crisis.type",
                "crisis.tag",
                "crisis.team",
                "crisis.team.member",
                "crisis.stage",
                "crisis.impact.wizard",
            ):
                with self.subTest(user=user.login, model=model), self.assertRaises(AccessError):
                    self.env[model].with_user(user).search([])
            with self.assertRaises(AccessError):
                self.crisis.with_user(user).read(["name"])

    def test_company_isolation(self):
        for user in (self.user_crisis, self.user_manager):
            with self.subTest(user=user.login):
                Crisis = self.env["crisis.crisis"].with_user(user)
                self.assertNotIn(self.crisis_2, Crisis.search([]))
                with self.assertRaises(AccessError):
                    self.crisis_2.with_user(user).read(["name"])
                with self.assertRaises(AccessError):
                    self.crisis_2.with_user(user).write({"name": "Peek"})
        self.assertNotIn(
            self.crisis, self.env["crisis.crisis"].with_user(self.user_manager_2).search([])
        )
        self.assertNotIn(
            self.impacts[0], self.env["crisis.impact"].with_user(self.user_manager_2).search([])
        )

    def test_no_link_across_companies(self):
        foreign = self.env["res.partner"].create(
            {"name": "Company two's customer", "company_id": self.company_2.id}
        )
        with self.assertRaises(UserError):
            self.env["crisis.impact"].with_user(self.user_manager).create(
                {"crisis_id": self.crisis.id, "partner_id": foreign.id}
            )
