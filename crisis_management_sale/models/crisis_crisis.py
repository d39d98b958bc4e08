import statistics
from bisect import bisect_right
from collections import defaultdict
from datetime import timedelta
from itertools import pairwise

from odoo import api, fields, models
from odoo.tools import SQL, format_amount

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

# the groups of affected customers by prior revenue (quintiles): each is
# compared with the comparable customers of the same revenue
RETENTION_BINS = 5
# a regular customer: this many confirmed orders at least in the year before
# the crisis
CHURN_MIN_ORDERS = 3
CHURN_HISTORY_DAYS = 365
# late: more days since the last order than this many usual intervals
CHURN_LATE_FACTOR = 1.5
# the follow-up activity of a customer who stopped ordering
CHURN_ACTIVITY = "crisis_management_sale.mail_act_crisis_sale_churn"
# resolved crises are refreshed this many days more (orders confirmed late)
REFRESH_AFTER_RESOLVED_DAYS = 30
# the figures of a retention snapshot, all cleared when there is none
RETENTION_FIGURES = (
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
# the stored fields the retention snapshot writes (only the workflow may)
RETENTION_FIELDS = (
    *RETENTION_FIGURES,
    "retention_date",
    "retention_window_days",
    "retention_status",
)
# the analysis averages these over the crises that have a snapshot
RETENTION_AVERAGED = (
    "retention_affected_pct",
    "retention_control_pct",
    "retention_diff_points",
    "stopped_affected_pct",
    "stopped_control_pct",
    "stopped_diff_points",
)


def days_between(start, end):
    """The days (a float) from ``start`` to ``end``."""
    return (end - start).total_seconds() / 86400.0


class CrisisCrisis(models.Model):
    """What the crisis did to sales: the revenue the affected customers kept,
    compared with comparable customers who were not affected (a
    difference-in-differences), and the affected customers who stopped
    ordering.

    Both are snapshots, refreshed every day for the open and recently resolved
    crises (and by the *Refresh Retention* button): revenue counts when it is
    confirmed, and time passes for who did not order.
    """

    _inherit = "crisis.crisis"

    retention_date = fields.Datetime(string="Retention Computed On", readonly=True, copy=False)
    retention_window_days = fields.Integer(
        string="Retention Window (days)",
        readonly=True,
        copy=False,
        help="The revenue is compared over this many days before the declaration and as "
        "many after: the company's setting, or the days elapsed since the declaration when "
        "fewer.",
    )
    retention_status = fields.Char(readonly=True, copy=False)
    retention_affected_pct = fields.Float(
        string="Revenue Kept, Affected (%)",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="The revenue of the affected customers after the declaration, as a share of "
        "their revenue before (same number of days).",
    )
    retention_control_pct = fields.Float(
        string="Revenue Kept, Comparable (%)",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="The same share for comparable customers who were not affected: customers of "
        "the company with similar revenue before the crisis, weighted as the affected ones.",
    )
    retention_diff_points = fields.Float(
        string="Retention Difference (points)",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Revenue kept by the affected customers minus that kept by comparable ones, in "
        "percentage points: what the crisis cost beyond the market's own trend (negative: "
        "the affected customers bought less).",
    )
    stopped_affected_pct = fields.Float(
        string="Stopped Buying, Affected (%)",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="The share of the affected customers who bought before the declaration and "
        "nothing after.",
    )
    stopped_control_pct = fields.Float(
        string="Stopped Buying, Comparable (%)",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="The same share for comparable customers, weighted as the affected ones.",
    )
    stopped_diff_points = fields.Float(
        string="Stopped Buying Difference (points)",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Affected customers who stopped buying minus comparable ones, in percentage "
        "points (positive: more affected customers stopped).",
    )
    revenue_at_risk = fields.Monetary(
        string="Revenue at Risk",
        currency_field="company_currency_id",
        readonly=True,
        copy=False,
        aggregator="sum",
        help="The revenue the affected customers lost beyond the comparable ones' trend over "
        "the window: (retention of comparable - retention of affected) x the affected "
        "customers' revenue before, when positive. In company currency, taxes excluded.",
    )
    retention_affected_count = fields.Integer(
        string="Affected Customers Compared", readonly=True, copy=False, aggregator="sum"
    )
    retention_control_count = fields.Integer(
        string="Comparable Customers", readonly=True, copy=False, aggregator="sum"
    )
    retention_unmatched_count = fields.Integer(
        string="Affected Customers Not Compared",
        readonly=True,
        copy=False,
        aggregator="sum",
        help="Affected customers left out: no comparable customer had a similar revenue.",
    )
    retention_unmatched_bins = fields.Integer(
        string="Revenue Groups Not Compared",
        readonly=True,
        copy=False,
        aggregator="sum",
        help="Groups of affected customers by revenue (out of five) without any comparable "
        "customer: left out of both sides.",
    )
    sale_churn_count = fields.Integer(
        string="Customers at Risk",
        compute="_compute_sale_churn_count",
        help="Affected customers who ordered regularly and stopped since the crisis.",
    )

    def _compute_sale_churn_count(self):
        counts = dict(
            self.env["crisis.impact"]._read_group(
                [("crisis_id", "in", self.ids), ("sale_churn_warning", "=", True)],
                ["crisis_id"],
                ["__count"],
            )
        )
        for crisis in self:
            crisis.sale_churn_count = counts.get(crisis, 0)

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(dict.fromkeys(RETENTION_FIELDS, True))
        return guarded

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_refresh_retention(self):
        """The retention figures and the customers who stopped ordering, now."""
        self.check_access("read")
        self.sudo()._crisis_refresh_sale_figures()
        return True

    def action_view_sale_churn(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management_sale.crisis_impact_action_sale_churn"
        )
        action["domain"] = [("crisis_id", "=", self.id), ("sale_churn_warning", "=", True)]
        action["context"] = {"default_crisis_id": self.id}
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _crisis_refresh_sale_figures(self):
        """Retention and churn warnings of each crisis of ``self``."""
        now = fields.Datetime.now()
        for crisis in self:
            crisis._crisis_compute_retention(now)
            crisis._crisis_compute_sale_churn(now)

    def _crisis_sale_orders_flush(self):
        self.env["sale.order"].flush_model(
            ["partner_id", "state", "company_id", "date_order", "amount_untaxed", "currency_rate"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["crisis.impact"].flush_model(["crisis_id", "partner_id"])

    def _crisis_compute_retention(self, now=None):
        """The revenue kept by the affected customers of each crisis of
        ``self`` against comparable customers: a snapshot on the crisis.

        t0 is the declaration; the window L is the company's retention days,
        or the whole days elapsed since t0 when fewer. The revenue is that of
        the company's confirmed sales orders, taxes excluded, in company
        currency, by commercial partner: before [t0 - L, t0) and after
        [t0, t0 + L). The affected customers are those of the crisis' lines who
        bought before; the comparable ones, the other customers who bought
        before (staff and own companies left out). The affected are split in
        five groups by quantiles of their revenue before, the comparable ones
        go in the same groups; the comparable figures are those of each group
        weighted by the affected customers' share in it (revenue for the
        revenue kept, customers for those who stopped buying). Groups without
        comparable customers are left out on both sides, and counted.
        """
        now = now or fields.Datetime.now()
        self._crisis_sale_orders_flush()
        staff = self.env["crisis.impact"]._crisis_staff_partners()
        excluded = set(staff.ids) | set(staff.commercial_partner_id.ids)
        for crisis in self:
            values = crisis._crisis_retention_values(now, excluded)
            as_workflow(crisis.sudo()).write(values)
        return True

    def _crisis_retention_values(self, now, excluded):
        """The snapshot of one crisis (see ``_crisis_compute_retention``).

        :param excluded: commercial partner ids never compared (staff)
        """
        self.ensure_one()
        env = self.env
        empty = dict.fromkeys(RETENTION_FIGURES, 0)
        t0 = self.date_declared
        window = min(self.company_id.crisis_retention_days, int(days_between(t0, now)))
        if window < 1:
            return {
                **empty,
                "retention_date": now,
                "retention_window_days": 0,
                "retention_status": env._("Not enough time since the crisis"),
            }
        start, end = t0 - timedelta(days=window), t0 + timedelta(days=window)
        amount = SQL("so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)")
        env.cr.execute(
            SQL(
                """
                SELECT partner.commercial_partner_id,
                       SUM(%(amount)s) FILTER (WHERE so.date_order < %(t0)s),
                       COALESCE(SUM(%(amount)s) FILTER (WHERE so.date_order >= %(t0)s), 0)
                  FROM sale_order so
                  JOIN res_partner partner ON partner.id = so.partner_id
                 WHERE so.state = 'sale'
                   AND so.company_id = %(company)s
                   AND so.date_order >= %(start)s
                   AND so.date_order < %(end)s
              GROUP BY partner.commercial_partner_id
                HAVING SUM(%(amount)s) FILTER (WHERE so.date_order < %(t0)s) > 0
                """,
                amount=amount,
                t0=t0,
                company=self.company_id.id,
                start=start,
                end=end,
            )
        )
        revenue = env.cr.fetchall()
        env.cr.execute(
            SQL(
                """
                SELECT DISTINCT partner.commercial_partner_id
                  FROM crisis_impact impact
                  JOIN res_partner partner ON partner.id = impact.partner_id
                 WHERE impact.crisis_id = %s
                """,
                self.id,
            )
        )
        affected_ids = {row[0] for row in env.cr.fetchall()}
        affected, controls = [], []
        for partner_id, before, after in revenue:
            if partner_id in affected_ids:
                affected.append((before, after))
            elif partner_id not in excluded:
                controls.append((before, after))
        figures = self._crisis_diff_in_diff(affected, controls)
        if figures is None:
            if not affected:
                status = env._(
                    "No affected customer bought in the %(days)s days before the crisis",
                    days=window,
                )
            else:
                status = env._(
                    "No comparable customer bought in the %(days)s days before the crisis",
                    days=window,
                )
            return {
                **empty,
                "retention_date": now,
                "retention_window_days": window,
                "retention_status": status,
                "retention_unmatched_count": len(affected),
            }
        return {
            **figures,
            "retention_date": now,
            "retention_window_days": window,
            "retention_status": env._(
                "%(affected)s affected customers compared with %(controls)s comparable ones, "
                "over %(days)s days before and after the declaration",
                affected=figures["retention_affected_count"],
                controls=figures["retention_control_count"],
                days=window,
            ),
        }

    @api.model
    def _crisis_diff_in_diff(self, affected, controls):
        """The retention figures of ``affected`` against ``controls``, matched
        on their revenue before; None when nothing can be compared.

        :param affected: (revenue before, revenue after) of each affected
            customer, revenue before > 0
        :param controls: the same of each comparable customer
        """
        if not affected or not controls:
            return None
        priors = sorted(before for before, _after in affected)
        edges = (
            statistics.quantiles(priors, n=RETENTION_BINS, method="inclusive")
            if len(priors) > 1
            else []
        )

        def tally(customers):
            # per group: [customers, revenue before, revenue after, stopped]
            bins = defaultdict(lambda: [0, 0.0, 0.0, 0])
            for before, after in customers:
                group = bins[bisect_right(edges, before)]
                group[0] += 1
                group[1] += before
                group[2] += after
                group[3] += after <= 0
            return bins

        affected_bins, control_bins = tally(affected), tally(controls)
        matched = [group for group in affected_bins if group in control_bins]
        if not matched:
            return None
        a_count = sum(affected_bins[group][0] for group in matched)
        a_before = sum(affected_bins[group][1] for group in matched)
        a_after = sum(affected_bins[group][2] for group in matched)
        a_stopped = sum(affected_bins[group][3] for group in matched)
        control_retention = control_stopped = 0.0
        for group in matched:
            count, before, after, stopped = control_bins[group]
            control_retention += affected_bins[group][1] / a_before * (after / before)
            control_stopped += affected_bins[group][0] / a_count * (stopped / count)
        affected_retention = a_after / a_before
        affected_stopped = a_stopped / a_count
        return {
            "retention_affected_pct": round(affected_retention * 100, 2),
            "retention_control_pct": round(control_retention * 100, 2),
            "retention_diff_points": round((affected_retention - control_retention) * 100, 2),
            "stopped_affected_pct": round(affected_stopped * 100, 2),
            "stopped_control_pct": round(control_stopped * 100, 2),
            "stopped_diff_points": round((affected_stopped - control_stopped) * 100, 2),
            "revenue_at_risk": max(0.0, control_retention - affected_retention) * a_before,
            "retention_affected_count": a_count,
            "retention_control_count": sum(control_bins[group][0] for group in matched),
            "retention_unmatched_count": len(affected) - a_count,
            "retention_unmatched_bins": len(affected_bins) - len(matched),
        }

    def _crisis_compute_sale_churn(self, now=None):
        """Flag the affected customers of each crisis of ``self`` who ordered
        regularly before it and stopped: at least ``CHURN_MIN_ORDERS``
        confirmed orders in the year before the declaration, none since, more
        days since their last order than 1.5 times their usual interval (the
        median gap between those orders), and at least one interval gone by
        since the declaration. A flagged line gets one follow-up activity,
        once ever; the flag clears when the customer orders again.
        """
        now = now or fields.Datetime.now()
        self._crisis_sale_orders_flush()
        Impact = self.env["crisis.impact"].sudo()
        Impact.flush_model(
            [
                "sale_churn_warning",
                "date_sale_churn_warning",
                "sale_usual_interval_days",
                "sale_last_order_date",
            ]
        )
        for crisis in self:
            crisis._crisis_sale_churn_one(now, Impact)
        return True

    def _crisis_sale_churn_one(self, now, Impact):
        self.ensure_one()
        t0 = self.date_declared
        self.env.cr.execute(
            SQL(
                """
                SELECT impact.id, impact.sale_churn_warning, impact.date_sale_churn_warning,
                       impact.sale_usual_interval_days, impact.sale_last_order_date,
                       ARRAY_AGG(orders.date_order ORDER BY orders.date_order)
                           FILTER (WHERE orders.date_order < %(t0)s),
                       MAX(orders.date_order)
                  FROM crisis_impact impact
                  JOIN res_partner partner ON partner.id = impact.partner_id
             LEFT JOIN (
                        SELECT buyer.commercial_partner_id, so.date_order
                          FROM sale_order so
                          JOIN res_partner buyer ON buyer.id = so.partner_id
                         WHERE so.state = 'sale'
                           AND so.company_id = %(company)s
                           AND so.date_order >= %(since)s
                       ) orders ON orders.commercial_partner_id = partner.commercial_partner_id
                 WHERE impact.crisis_id = %(crisis)s
              GROUP BY impact.id
                """,
                t0=t0,
                company=self.company_id.id,
                since=t0 - timedelta(days=CHURN_HISTORY_DAYS),
                crisis=self.id,
            )
        )
        since_t0 = days_between(t0, now)
        # {field: {value: line ids}}: each field written once per distinct value
        changes = defaultdict(lambda: defaultdict(list))
        flagged, cleared = [], []
        rows = self.env.cr.fetchall()
        for impact_id, flag, date_flag, interval, last_date, before, last in rows:
            before = before or []
            new_interval, new_flag = 0.0, False
            if len(before) >= CHURN_MIN_ORDERS:
                gaps = [days_between(a, b) for a, b in pairwise(before)]
                new_interval = round(statistics.median(gaps), 1)
                usual = max(new_interval, 1.0)
                new_flag = (
                    last < t0
                    and days_between(before[-1], now) > CHURN_LATE_FACTOR * usual
                    and since_t0 >= usual
                )
            new_last = last.date() if last else False
            if (interval or 0.0) != new_interval:
                changes["sale_usual_interval_days"][new_interval].append(impact_id)
            if (last_date or False) != new_last:
                changes["sale_last_order_date"][new_last].append(impact_id)
            if bool(flag) != new_flag:
                changes["sale_churn_warning"][new_flag].append(impact_id)
                if new_flag and not date_flag:
                    flagged.append(impact_id)
                elif not new_flag:
                    cleared.append(impact_id)
        for name, by_value in changes.items():
            for value, ids in by_value.items():
                as_workflow(Impact.browse(ids)).write({name: value})
        if cleared:
            Impact.browse(cleared).activity_feedback(
                [CHURN_ACTIVITY], feedback=self.env._("The customer ordered again.")
            )
        if flagged:
            self._crisis_sale_churn_remind(flagged, now, Impact)

    def _crisis_sale_churn_remind(self, impact_ids, now, Impact):
        """One follow-up activity per newly flagged line, once ever: the lines
        are locked while unmarked, so that two refreshes at once give one."""
        self.ensure_one()
        lines = Impact._crisis_lock_due(
            SQL("id = ANY(%s) AND date_sale_churn_warning IS NULL", impact_ids),
            limit=len(impact_ids),
            skip_conflicts=True,
        )
        if not lines:
            return
        today = fields.Date.context_today(self, now)
        as_workflow(lines).write({"date_sale_churn_warning": today})
        pairs = [
            (line, line.user_id or self.user_id) for line in lines if line.user_id or self.user_id
        ]
        Impact._crisis_schedule_activities(
            pairs,
            summary_of=lambda line: line.env._(
                "%(customer)s stopped ordering since %(crisis)s",
                customer=line.partner_id.display_name,
                crisis=line.crisis_id.reference,
            ),
            date_of=lambda line: today,
            note_of=lambda line: line.env._(
                "%(customer)s used to order every %(days)s days; the last order was on "
                "%(date)s. Call them to keep them as a customer.",
                customer=line.partner_id.display_name,
                days=line.sale_usual_interval_days,
                date=line.sale_last_order_date,
            ),
            activity_type_xmlid=CHURN_ACTIVITY,
        )

    # ------------------------------------------------------------------
    # Review and analysis
    # ------------------------------------------------------------------

    def _crisis_impact_figures(self):
        figures = super()._crisis_impact_figures()
        if not (self.retention_date and self.retention_affected_count):
            return figures
        env = self.env

        def points(value):
            formatted = f"{value:+.1f}"
            return env._("%(points)s points", points=formatted)

        return [
            *figures,
            (
                env._("Revenue kept by affected customers"),
                f"{self.retention_affected_pct:.1f} %",
            ),
            (
                env._("Revenue kept by comparable customers"),
                f"{self.retention_control_pct:.1f} %",
            ),
            (env._("Retention difference"), points(self.retention_diff_points)),
            (
                env._("Stopped buying, affected / comparable"),
                f"{self.stopped_affected_pct:.1f} % / {self.stopped_control_pct:.1f} %",
            ),
            (
                env._("Revenue at risk"),
                format_amount(env, self.revenue_at_risk, self.company_currency_id),
            ),
            (
                env._("Customers compared"),
                env._(
                    "%(affected)s affected, %(controls)s comparable, over %(days)s days",
                    affected=self.retention_affected_count,
                    controls=self.retention_control_count,
                    days=self.retention_window_days,
                ),
            ),
        ]

    def _read_group_select(self, aggregate_spec, query):
        """The retention averages of the analysis leave out the crises without
        figures (their stored 0 means "not computed", not "no difference")."""
        fname, __, func = aggregate_spec.partition(":")
        if func == "avg" and fname in RETENTION_AVERAGED:
            return SQL(
                "AVG(CASE WHEN %s > 0 THEN %s END)",
                self._field_to_sql(self._table, "retention_affected_count", query),
                self._field_to_sql(self._table, fname, query),
            )
        return super()._read_group_select(aggregate_spec, query)

    # ------------------------------------------------------------------
    # Scheduled jobs
    # ------------------------------------------------------------------

    @api.model
    def _cron_refresh_sale_figures(self):
        """Every day: retention and churn warnings of the open crises and of
        those resolved in the last 30 days or still in their retention window."""
        now = fields.Datetime.now()
        companies = self.env["res.company"].sudo().search([])
        longest = max(companies.mapped("crisis_retention_days") or [0])
        crises = self.sudo().search(
            [
                "|",
                "|",
                ("date_resolved", "=", False),
                ("date_resolved", ">=", now - timedelta(days=REFRESH_AFTER_RESOLVED_DAYS)),
                ("date_declared", ">=", now - timedelta(days=longest + 1)),
            ]
        )
        Cron = self.env["ir.cron"]
        for done, crisis in enumerate(crises, 1):
            crisis._crisis_refresh_sale_figures()
            Cron._notify_progress(done=done, remaining=len(crises) - done)
