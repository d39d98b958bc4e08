"""Retention: the revenue the affected customers kept, against comparable ones."""

from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import NOW, CrisisSaleCase

FIGURES = (
    "retention_window_days",
    "retention_affected_pct",
    "retention_control_pct",
    "retention_diff_points",
    "stopped_affected_pct",
    "stopped_control_pct",
    "stopped_diff_points",
    "revenue_at_risk",
    "retention_affected_count",
    "retention_control_count",
    "retention_unmatched_count",
    "retention_unmatched_bins",
)


@tagged("post_install", "-at_install")
class TestRetention(CrisisSaleCase):
    """Affected customers lose 30 % of their revenue, comparable ones 10 %:
    the crisis cost 20 points."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.t0 = NOW - timedelta(days=100)
        before, after = cls.t0 - timedelta(days=30), cls.t0 + timedelta(days=30)
        cls.affected = Partner.create([{"name": f"Affected {i}"} for i in range(1, 6)])
        a1, a2, a3, a4, _a5 = cls.affected
        # 200 EUR: 100 USD in company currency
        cls._order(a1, 200.0, before, pricelist=cls.pricelist_eur)
        cls._order(a1, 100.0, after)
        cls._order(a1, 500.0, before, company=cls.company_2)  # another company's sale
        # a contact of the customer's company buys for it
        a2_buyer = Partner.create({"name": "Buyer of Affected 2", "parent_id": a2.id})
        cls._order(a2, 60.0, before)
        cls._order(a2_buyer, 40.0, before)
        cls._order(a2, 100.0, after)
        cls._order(a3, 100.0, before)
        cls._order(a3, 80.0, after)
        cls._order(a4, 100.0, before)  # stopped buying
        # comparable customers: 500 before, 450 after
        cls.controls = Partner.create([{"name": f"Control {i}"} for i in range(1, 6)])
        for control, kept in zip(cls.controls, (100, 100, 100, 100, 50), strict=True):
            cls._order(control, 100.0, before)
            cls._order(control, float(kept), after)
        c1, c2, c3, c4, _c5 = cls.controls
        # none of these count
        cls._order(c1, 1000.0, after, state="draft")
        cls._order(c4, 1000.0, after, state="cancel")
        cls._order(c2, 1000.0, cls.t0 - timedelta(days=95))  # before the window
        cls._order(c3, 1000.0, cls.t0 + timedelta(days=95))  # after the window
        newcomer = Partner.create({"name": "Newcomer"})
        cls._order(newcomer, 100.0, after)  # nothing before: not comparable
        staff = cls.user_internal.partner_id
        cls._order(staff, 100.0, before)  # staff would be a control who stopped
        cls.crisis = cls._create_crisis(user=cls.user_crisis, date_declared=cls.t0)
        cls.env["crisis.impact"]._link_partners(cls.crisis, cls.affected.ids)

    def _figures(self, crisis):
        return {name: crisis[name] for name in FIGURES}

    @freeze_time(NOW)
    def test_difference_in_differences(self):
        self.assertIs(self.crisis.with_user(self.user_crisis).action_refresh_retention(), True)
        self.assertEqual(
            self._figures(self.crisis),
            {
                "retention_window_days": 90,
                "retention_affected_pct": 70.0,
                "retention_control_pct": 90.0,
                "retention_diff_points": -20.0,
                "stopped_affected_pct": 25.0,
                "stopped_control_pct": 0.0,
                "stopped_diff_points": 25.0,
                "revenue_at_risk": 80.0,
                "retention_affected_count": 4,
                "retention_control_count": 5,
                "retention_unmatched_count": 0,
                "retention_unmatched_bins": 0,
            },
        )
        self.assertEqual(self.crisis.retention_date, NOW)
        # the post-incident review's impact section tells it
        figures = dict(self.crisis._crisis_impact_figures())
        self.assertEqual(figures["Revenue kept by affected customers"], "70.0 %")
        self.assertEqual(figures["Revenue kept by comparable customers"], "90.0 %")
        self.assertEqual(figures["Retention difference"], "-20.0 points")
        self.assertEqual(figures["Stopped buying, affected / comparable"], "25.0 % / 0.0 %")
        self.assertEqual(figures["Revenue at risk"], "$\xa080.00")

    @freeze_time(NOW)
    def test_analysis_averages_crises_with_figures(self):
        self.crisis.action_refresh_retention()
        # a crisis without figures does not pull the average to 0
        other = self._create_crisis(name="No sales crisis", date_declared=NOW - timedelta(hours=3))
        # these two crises only (the demo data's have figures of their own)
        groups = self.env["crisis.crisis"].read_group(
            [("id", "in", (self.crisis | other).ids)],
            ["retention_diff_points:avg", "revenue_at_risk:sum"],
            [],
        )
        self.assertEqual(groups[0]["retention_diff_points"], -20.0)
        self.assertEqual(groups[0]["revenue_at_risk"], 80.0)

    @freeze_time(NOW)
    def test_young_crisis_window(self):
        crisis = self._create_crisis(name="Young", date_declared=NOW - timedelta(hours=20))
        crisis.action_refresh_retention()
        self.assertEqual(crisis.retention_status, "Not enough time since the crisis")
        self.assertEqual(crisis.retention_window_days, 0)
        self.assertEqual(crisis.retention_affected_count, 0)
        # the review says nothing of retention then
        labels = [label for label, _value in crisis._crisis_impact_figures()]
        self.assertNotIn("Retention difference", labels)
        # 30 days after: a 30-day window on both sides
        self.crisis.date_declared = NOW - timedelta(days=30, hours=1)
        self.crisis.action_refresh_retention()
        self.assertEqual(self.crisis.retention_window_days, 30)

    @freeze_time(NOW)
    def test_cron_refreshes_open_crises(self):
        self.env.ref(
            "crisis_management_sale.ir_cron_crisis_refresh_sale_figures"
        ).method_direct_trigger()
        self.assertEqual(self.crisis.retention_diff_points, -20.0)

    def test_matching_on_prior_revenue(self):
        """Five groups by the affected customers' revenue before; a group
        without comparable customers is left out of both sides."""
        affected = [(10, 5), (20, 20), (30, 30), (40, 40), (50, 0)]
        controls = [(10, 10), (12, 6), (22, 11), (28, 28), (100, 0), (60, 60)]
        figures = self.env["crisis.crisis"]._crisis_diff_in_diff(affected, controls)
        # groups: edges 18, 26, 34, 42; nobody comparable between 34 and 42
        # (affected 40). Kept: affected 55 / 110; comparable per group (16/22,
        # 11/22, 28/28, 60/160) weighted by the affected revenue (10, 20, 30,
        # 50) / 110
        self.assertEqual(figures["retention_affected_pct"], 50.0)
        self.assertEqual(figures["retention_control_pct"], 60.02)
        self.assertEqual(figures["retention_diff_points"], -10.02)
        # stopped: affected 1 of 4; comparable 0, 0, 0, 1/2 weighted 1/4 each
        self.assertEqual(figures["stopped_affected_pct"], 25.0)
        self.assertEqual(figures["stopped_control_pct"], 12.5)
        self.assertEqual(figures["stopped_diff_points"], 12.5)
        self.assertAlmostEqual(figures["revenue_at_risk"], 11.0227, places=4)
        self.assertEqual(figures["retention_affected_count"], 4)
        self.assertEqual(figures["retention_control_count"], 6)
        self.assertEqual(figures["retention_unmatched_count"], 1)
        self.assertEqual(figures["retention_unmatched_bins"], 1)
        self.assertIsNone(self.env["crisis.crisis"]._crisis_diff_in_diff(affected, []))
