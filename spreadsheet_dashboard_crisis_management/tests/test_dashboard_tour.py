from odoo.tests import HttpCase, tagged

from .common import CrisisDashboardCase


@tagged("post_install", "-at_install")
class TestCrisisDashboardTour(CrisisDashboardCase, HttpCase):
    def test_manager_opens_the_dashboard(self):
        """a Crisis Manager opens the Crises dashboard in the Dashboards app: the
        figures and their titles are drawn, the open crises count is the one the
        ORM counts, and the list shows the open corrective action of the real
        crisis, not the drill's (see the tour)"""
        self.start_tour(
            "/odoo/dashboards",
            "spreadsheet_dashboard_crisis_management_tour",
            login="crisis_manager",
        )
