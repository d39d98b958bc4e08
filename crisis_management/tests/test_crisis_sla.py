from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import CrisisCase

DECLARED = fields.Datetime.to_datetime("2026-05-04 10:00:00")


@tagged("post_install", "-at_install")
class TestCrisisSla(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "crisis_sla_critical_hours": 1,
                "crisis_sla_high_hours": 4,
                "crisis_sla_medium_hours": 24,
                "crisis_sla_low_hours": 72,
            }
        )
        cls.crises = {
            severity: cls._create_crisis(severity=severity, date_declared=DECLARED)
            for severity in ("critical", "high", "medium", "low")
        }

    def _statuses(self):
        self.env.invalidate_all()
        return {severity: crisis.sla_status for severity, crisis in self.crises.items()}

    def _found(self, status):
        found = self.env["crisis.crisis"].search([("sla_status", "=", status)])
        return {s for s, crisis in self.crises.items() if crisis in found}

    def test_deadline_by_severity(self):
        hours = {"critical": 1, "high": 4, "medium": 24, "low": 72}
        for severity, crisis in self.crises.items():
            self.assertEqual(crisis.sla_deadline, DECLARED + timedelta(hours=hours[severity]))
        self.company.crisis_sla_low_hours = 48
        self.crises["low"].severity = "medium"
        self.crises["low"].severity = "low"
        self.assertEqual(self.crises["low"].sla_deadline, DECLARED + timedelta(hours=48))

    def test_status_over_time(self):
        # 10:50: critical (1 h) is in its last quarter, the others on track
        with freeze_time("2026-05-04 10:50:00"):
            self.assertEqual(
                self._statuses(),
                {
                    "critical": "at_risk",
                    "high": "on_track",
                    "medium": "on_track",
                    "low": "on_track",
                },
            )
            self.assertEqual(self._found("at_risk"), {"critical"})
            self.assertEqual(self._found("on_track"), {"high", "medium", "low"})
        # 13:30: critical breached, high (4 h, risk from 13:00) at risk
        with freeze_time("2026-05-04 13:30:00"):
            self.assertEqual(
                self._statuses(),
                {
                    "critical": "breached",
                    "high": "at_risk",
                    "medium": "on_track",
                    "low": "on_track",
                },
            )
            self.assertEqual(self._found("breached"), {"critical"})
            self.assertEqual(self._found("at_risk"), {"high"})

    def test_acknowledgement_settles_the_status(self):
        with freeze_time("2026-05-04 13:30:00"):
            self.crises["high"].action_acknowledge()
            self.crises["critical"].action_acknowledge()
        with freeze_time("2026-05-10 00:00:00"):
            statuses = self._statuses()
            self.assertEqual(statuses["high"], "met", "acknowledged within 4 hours")
            self.assertEqual(statuses["critical"], "breached", "acknowledged after 1 hour")
            self.assertEqual(statuses["low"], "breached", "never acknowledged, 72 hours gone")
            self.assertEqual(self._found("met"), {"high"})
            self.assertEqual(self._found("breached"), {"critical", "medium", "low"})
            self.assertEqual(
                self.env["crisis.crisis"].search_count(
                    [
                        ("sla_status", "!=", "breached"),
                        ("id", "in", [c.id for c in self.crises.values()]),
                    ]
                ),
                1,
            )


@tagged("post_install", "-at_install")
class TestCrisisSettings(CrisisCase):
    def test_manager_changes_response_times(self):
        self.assertFalse(self.user_manager.has_group("base.group_system"))
        Settings = self.env["crisis.config.settings"].with_user(self.user_manager)
        form = Form(Settings)
        self.assertEqual(form.crisis_sla_critical_hours, self.company.crisis_sla_critical_hours)
        form.crisis_sla_critical_hours = 0.5
        form.save().action_save()
        self.assertEqual(self.company.crisis_sla_critical_hours, 0.5)
        crisis = self._create_crisis(severity="critical", date_declared=DECLARED)
        self.assertEqual(crisis.sla_deadline, DECLARED + timedelta(minutes=30))

    def test_bad_values_and_users_are_refused(self):
        settings = self.env["crisis.config.settings"].with_user(self.user_manager).create({})
        with self.assertRaises(ValidationError):
            settings.crisis_sla_low_hours = 0
        with self.assertRaises(AccessError):
            self.env["crisis.config.settings"].with_user(self.user_crisis).create({})
        # nor through a dialog opened by someone else, nor for another company
        with self.assertRaises(AccessError):
            settings.with_user(self.user_crisis).write({"crisis_sla_low_hours": 1})
        with self.assertRaises(AccessError):
            self.env["crisis.config.settings"].with_user(self.user_manager).create(
                {"company_id": self.company_2.id, "crisis_sla_low_hours": 1}
            )
        self.assertEqual(self.company_2.crisis_sla_low_hours, 72)
