from odoo import Command

from odoo.addons.crisis_management.tests.common import CrisisCase


class CrisisDashboardCase(CrisisCase):
    """The users of the crisis tests (a Crisis Manager, a Crisis User, a plain
    employee, ...), and a real and a drill crisis, each with an open corrective
    action."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref(
            "spreadsheet_dashboard_crisis_management.spreadsheet_dashboard_crisis"
        )
        cls.crisis = cls._create_crisis_with_action(
            "Dashboard: frozen ovens", "Dashboard: swap the thermostat supplier", drill=False
        )
        cls.drill = cls._create_crisis_with_action(
            "Dashboard drill: ovens on fire", "Dashboard drill: buy fire blankets", drill=True
        )

    @classmethod
    def _create_crisis_with_action(cls, name, action_name, drill):
        crisis = cls.env["crisis.crisis"].create(
            {"name": name, "severity": "critical", "is_drill": drill}
        )
        cls.env["crisis.review"].create(
            {
                "crisis_id": crisis.id,
                "corrective_action_ids": [
                    Command.create({"name": action_name, "kind": "prevent"}),
                ],
            }
        )
        return crisis
