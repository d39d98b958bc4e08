from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import CrisisDashboardCase


@tagged("post_install", "-at_install")
class TestCrisisDashboardTour(CrisisDashboardCase, HttpCase):
    def test_manager_opens_the_dashboard(self):
        """a Crisis Manager opens the Crises dashboard in the Dashboards app: the
        figures and their titles are drawn, the open crises count is the one the
        ORM counts, and the list shows the open corrective action of the real
        crisis, not the drill's; the SLA breaches are those the board shows
        (a crisis late to be acknowledged included), the table of severities
        names each one, and no rating is no average (see the tour)"""
        late = self.env["crisis.crisis"].create(
            {
                "name": "Dashboard: nobody answered the recall",
                "severity": "critical",
                "date_declared": fields.Datetime.now() - timedelta(hours=5),
            }
        )
        self.assertEqual(late.sla_status, "breached")
        self.assertFalse(late.sla_result, "not acknowledged: no breach recorded yet")
        self.start_tour(
            "/odoo/dashboards",
            "spreadsheet_dashboard_crisis_management_tour",
            login="crisis_manager",
        )
