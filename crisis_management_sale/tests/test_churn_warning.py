"""Affected customers who ordered regularly and stopped: flagged, one activity."""

from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import NOW, CrisisSaleCase

CHURN = "crisis_management_sale.mail_act_crisis_sale_churn"


@tagged("post_install", "-at_install")
class TestChurnWarning(CrisisSaleCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        t0 = cls.t0 = NOW - timedelta(days=60)
        cls.monthly, cls.came_back, cls.occasional, cls.slow = Partner.create(
            [{"name": name} for name in ("Monthly", "Came Back", "Occasional", "Slow")]
        )
        # every 30 days, the last one 90 days ago: late (90 > 1.5 x 30)
        for days in (90, 60, 30):
            cls._order(cls.monthly, 40.0, t0 - timedelta(days=days))
        # every 5 days, then again after the crisis
        for days in (25, 20, 15, 10):
            cls._order(cls.came_back, 40.0, t0 - timedelta(days=days))
        cls._order(cls.came_back, 40.0, t0 + timedelta(days=10))
        # two orders only: not a regular customer
        for days in (40, 10):
            cls._order(cls.occasional, 40.0, t0 - timedelta(days=days))
        # about every 100 days: 65 days without an order is not late
        for days in (200, 100, 5):
            cls._order(cls.slow, 40.0, t0 - timedelta(days=days))
        cls.crisis = cls._create_crisis(user=cls.user_manager, date_declared=t0)
        cls.lines = cls.env["crisis.impact"]._link_partners(
            cls.crisis,
            (cls.monthly | cls.came_back | cls.occasional | cls.slow).ids,
            user=cls.user_crisis,
        )
        cls.line_monthly = cls.lines.filtered(lambda line: line.partner_id == cls.monthly)

    def _activities(self, line):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crisis.impact"),
                ("res_id", "=", line.id),
                ("activity_type_id", "=", self.env.ref(CHURN).id),
            ]
        )

    def _refresh(self):
        self.crisis.action_refresh_retention()
        self.env.invalidate_all()

    @freeze_time(NOW)
    def test_flagged_once_with_one_activity(self):
        self._refresh()
        flagged = self.lines.filtered("sale_churn_warning")
        self.assertEqual(flagged, self.line_monthly)
        line = self.line_monthly
        self.assertEqual(line.sale_usual_interval_days, 30.0)
        self.assertEqual(line.sale_last_order_date, (self.t0 - timedelta(days=30)).date())
        self.assertEqual(line.date_sale_churn_warning, NOW.date())
        self.assertEqual(line.sale_days_since_order, 90)
        activity = self._activities(line)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_crisis)  # the agent
        self.assertEqual(
            activity.summary,
            f"Monthly stopped ordering since {self.crisis.reference}",
        )
        # the slow and occasional customers keep their figures, unflagged
        slow = self.lines.filtered(lambda line: line.partner_id == self.slow)
        self.assertEqual(slow.sale_usual_interval_days, 97.5)
        self.assertFalse(slow.sale_churn_warning)
        # the list of customers at risk shows them
        action = self.crisis.action_view_sale_churn()
        self.assertEqual(self.env["crisis.impact"].search(action["domain"]), line)
        self.assertEqual(self.crisis.sale_churn_count, 1)

        # the daily run again: still one activity
        self.env.ref(
            "crisis_management_sale.ir_cron_crisis_refresh_sale_figures"
        ).method_direct_trigger()
        self.env.invalidate_all()
        self.assertTrue(line.sale_churn_warning)
        self.assertEqual(len(self._activities(line)), 1)

    @freeze_time(NOW)
    def test_cleared_on_new_order_never_reminded_twice(self):
        self._refresh()
        line = self.line_monthly
        order = self._order(self.monthly, 40.0, NOW - timedelta(days=1))
        self._refresh()
        self.assertFalse(line.sale_churn_warning)
        self.assertEqual(line.sale_last_order_date, (NOW - timedelta(days=1)).date())
        # its activity is done, with the reason
        self.assertFalse(self._activities(line))
        self.assertIn("The customer ordered again.", line.message_ids[0].body)
        # the order is cancelled: flagged again, without a second activity
        order.write({"state": "cancel"})
        self._refresh()
        self.assertTrue(line.sale_churn_warning)
        self.assertEqual(line.date_sale_churn_warning, NOW.date())
        self.assertFalse(self._activities(line))

    @freeze_time(NOW)
    def test_lead_reminded_without_agent(self):
        self.line_monthly.user_id = False
        self._refresh()
        self.assertEqual(self._activities(self.line_monthly).user_id, self.user_manager)

    def test_not_flagged_before_one_interval(self):
        # 20 days after the declaration, less than their 30-day interval
        with freeze_time(self.t0 + timedelta(days=20)):
            self._refresh()
        self.assertFalse(self.line_monthly.sale_churn_warning)
        self.assertFalse(self._activities(self.line_monthly))
