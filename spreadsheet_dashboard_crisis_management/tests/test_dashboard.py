import json

from odoo.tests import tagged, users
from odoo.tools import file_open

from odoo.addons.spreadsheet.utils.validate_data import (
    fields_in_spreadsheet,
    odoo_charts,
)

from .common import CrisisDashboardCase


@tagged("post_install", "-at_install")
class TestCrisisDashboard(CrisisDashboardCase):
    def test_published_in_the_dashboards_app(self):
        """the dashboard is published in its own group, for Crisis Managers only"""
        self.assertTrue(self.dashboard.is_published)
        self.assertEqual(self.dashboard.dashboard_group_id.name, "Crisis Management")
        self.assertEqual(
            self.dashboard.group_ids, self.env.ref("crisis_management.group_crisis_manager")
        )
        self.assertEqual(self.dashboard.main_data_model_ids.model, "crisis.crisis")

    def test_data_passes_odoo_check(self):
        """Odoo's own check of the spreadsheet's models, fields and menus passes, and
        the data uses the crisis models"""
        self.dashboard._check_spreadsheet_data()
        data = json.loads(self.dashboard.spreadsheet_data)
        self.assertEqual(
            set(fields_in_spreadsheet(data)),
            {"crisis.crisis", "crisis.compensation", "crisis.action"},
        )

    def test_tiles_have_room_for_their_figures(self):
        """the figures of both dashboards (real and sample) never overlap, and
        each scorecard is wide enough for an amount with its currency (six
        tiles of 160 pixels on one row cut their figures)"""
        for path in (
            "spreadsheet_dashboard_crisis_management/data/files/crisis_dashboard.json",
            "spreadsheet_dashboard_crisis_management/data/files/crisis_sample_dashboard.json",
        ):
            with file_open(path) as file:
                figures = json.load(file)["sheets"][0]["figures"]
            tiles = [f for f in figures if f["data"]["type"] == "scorecard"]
            self.assertEqual(len(tiles), 6, path)
            for tile in tiles:
                self.assertGreaterEqual(tile["width"], 300, (path, tile["data"]["title"]))
            for i, first in enumerate(figures):
                for second in figures[i + 1 :]:
                    apart = (
                        first["x"] + first["width"] <= second["x"]
                        or second["x"] + second["width"] <= first["x"]
                        or first["y"] + first["height"] <= second["y"]
                        or second["y"] + second["height"] <= first["y"]
                    )
                    self.assertTrue(apart, (path, first["data"]["title"], second["data"]["title"]))

    def test_drills_left_out_everywhere(self):
        """every pivot, list and chart of the dashboard leaves the drills out"""
        data = json.loads(self.dashboard.spreadsheet_data)
        domains = [pivot["domain"] for pivot in data["pivots"].values()]
        domains += [list_["domain"] for list_ in data["lists"].values()]
        domains += [chart["searchParams"]["domain"] for chart in odoo_charts(data)]
        self.assertEqual(len(domains), 5 + 1 + 5)
        for domain in domains:
            self.assertIn(["is_drill", "=", False], domain)

    @users("crisis_manager")
    def test_manager_sees_the_dashboard(self):
        dashboards = self.env["spreadsheet.dashboard"].search([])
        self.assertIn(self.dashboard, dashboards)
        snapshot = self.dashboard.with_user(self.env.user).get_readonly_dashboard()
        self.assertNotIn("is_sample", snapshot)
        self.assertEqual(snapshot["snapshot"]["sheets"][0]["name"], "Dashboard")

    def test_hidden_without_the_manager_group(self):
        """a Crisis User and a plain employee do not see it in the Dashboards app"""
        for user in (self.user_crisis, self.user_internal):
            with self.subTest(user=user.login):
                Dashboard = self.env["spreadsheet.dashboard"].with_user(user)
                self.assertNotIn(self.dashboard, Dashboard.search([]))
                group = self.dashboard.dashboard_group_id.with_user(user)
                self.assertNotIn(self.dashboard, group.published_dashboard_ids)

    def test_sample_without_crises(self):
        """a manager whose company has no crisis yet sees the sample dashboard"""
        company = self.env["res.company"].create({"name": "Crisis-free Company"})
        self.user_manager.write({"company_ids": [(4, company.id)], "company_id": company.id})
        dashboard = self.dashboard.with_user(self.user_manager).with_company(company)
        result = dashboard.get_readonly_dashboard()
        self.assertTrue(result.get("is_sample"))
        with file_open(self.dashboard.sample_dashboard_file_path) as sample:
            self.assertEqual(result["snapshot"], json.load(sample))
