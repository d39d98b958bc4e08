from collections import defaultdict
from datetime import datetime, time
from itertools import pairwise

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.crisis_management.models.crisis_action import OPEN_STATES
from odoo.addons.crisis_management.models.crisis_compensation import COMMITTED_STATES

# The KPIs counted from the affected-customer lines. The sending jobs change
# those lines batch after batch, in several workers at once: like the
# customer totals of the crisis (``IMPACT_STATS``), these are counted once,
# when the update is done, so that no worker writes the crisis while others
# email (see ``_crisis_defer_impact_stats``).
KPI_IMPACT_FIELDS = (
    "kpi_notified_count",
    "kpi_notified_rate",
    "kpi_churn_count",
    "kpi_lost_count",
    "kpi_rating_requested_count",
    "kpi_rating_count",
    "kpi_rating_avg",
    "kpi_rating_response_rate",
)
# update kinds that are not news of the crisis: the satisfaction survey
NOT_NOTICE_KINDS = ("satisfaction",)
# {duration KPI: the date without which it has no value}: their averages in
# the analysis leave out the crises that did not reach that step (their
# stored 0 means "not yet", not "at once")
KPI_DURATION_REACHED = {
    "kpi_ack_hours": "date_acknowledged",
    "kpi_first_notice_hours": "date_first_notice",
    "kpi_resolve_hours": "date_resolved",
    "kpi_close_hours": "date_closed",
}
# {rate or average KPI: (stored numerator, stored weight)}: in the analysis, a
# group's value is the value of its crises taken together (weighted), not
# the average of their percentages
KPI_WEIGHTED = {
    # notified customers / affected customers
    "kpi_notified_rate": ("kpi_notified_count", 100.0, "affected_count"),
    # customers who answered / customers asked
    "kpi_rating_response_rate": ("kpi_rating_count", 100.0, "kpi_rating_requested_count"),
}
# {average KPI: its weight}
KPI_AVERAGE_WEIGHT = {
    "kpi_rating_avg": "kpi_rating_count",
    "kpi_compensation_approval_hours": "kpi_compensation_approved_count",
}


def hours_between(start, end):
    """The hours from ``start`` to ``end`` (never negative); 0 when one is missing."""
    if not start or not end:
        return 0.0
    return max((end - start).total_seconds(), 0.0) / 3600.0


def sum_states(by_state, states):
    """(count, amount) of ``states`` in ``by_state`` ({state: (count, amount)})."""
    found = [by_state[state] for state in states if state in by_state]
    return sum(count for count, _amount in found), sum(amount for _count, amount in found)


class CrisisCrisis(models.Model):
    """The KPIs of a crisis: stored, recomputed when their inputs change, on the
    form's KPIs tab and in the Crisis Analysis (pivot and graph).

    Durations are in hours; 0 until the step is reached (the analysis leaves
    such crises out of its averages). Drills are computed like real crises;
    the analysis leaves them out by default.
    """

    _inherit = "crisis.crisis"

    # response times
    kpi_ack_hours = fields.Float(
        string="Time to Acknowledge",
        compute="_compute_kpi_durations",
        store=True,
        aggregator="avg",
        help="Hours from the declaration to the acknowledgement (first response).",
    )
    date_first_notice = fields.Datetime(
        string="First Customer Notice",
        compute="_compute_kpi_updates",
        store=True,
        help="When the first customer update that reached customers was sent: the first "
        "update (satisfaction surveys aside) accepted for at least one customer by their mail "
        "server or SMS provider.",
    )
    kpi_first_notice_hours = fields.Float(
        string="Time to First Notice",
        compute="_compute_kpi_updates",
        store=True,
        aggregator="avg",
        help="Hours from the declaration to the first customer notice.",
    )
    kpi_resolve_hours = fields.Float(
        string="Time to Resolve",
        compute="_compute_kpi_durations",
        store=True,
        aggregator="avg",
        help="Hours from the declaration to the resolution.",
    )
    kpi_close_hours = fields.Float(
        string="Time to Close",
        compute="_compute_kpi_durations",
        store=True,
        aggregator="avg",
        help="Hours from the declaration to the closing.",
    )

    # communication
    kpi_update_count = fields.Integer(
        string="Notices Sent",
        compute="_compute_kpi_updates",
        store=True,
        aggregator="sum",
        help="Customer updates that reached at least one customer (satisfaction surveys aside).",
    )
    kpi_update_gap_hours = fields.Float(
        string="Longest Update Gap",
        compute="_compute_kpi_updates",
        store=True,
        aggregator="avg",
        help="The longest time customers waited for news, in hours: from the declaration to "
        "the first notice, between two notices, and from the last notice to the resolution. "
        "Time after the resolution does not count; while the crisis is unresolved, the wait "
        "since the last notice does not count yet.",
    )
    kpi_notified_count = fields.Integer(
        string="Customers Reached",
        compute="_compute_kpi_customers",
        store=True,
        aggregator="sum",
        help="Affected customers reached by at least one customer update: accepted by their "
        "mail server or SMS provider and not bounced, or opened, or answered.",
    )
    kpi_notified_rate = fields.Float(
        string="Reached (%)",
        compute="_compute_kpi_customers",
        store=True,
        aggregator="avg",
        help="Share of the affected customers reached by at least one customer update (see "
        "Customers Reached): emails only queued, failed or bounced do not count, nor customers "
        "without email or blacklisted.",
    )

    # compensations, in company currency
    kpi_compensation_proposed_count = fields.Integer(
        string="Compensations Proposed",
        compute="_compute_kpi_compensations",
        store=True,
        aggregator="sum",
        help="Compensations made for the affected customers, whatever became of them, "
        "cancelled ones aside.",
    )
    kpi_compensation_proposed_amount = fields.Monetary(
        string="Amount Proposed",
        currency_field="company_currency_id",
        compute="_compute_kpi_compensations",
        store=True,
        aggregator="sum",
    )
    kpi_compensation_approved_count = fields.Integer(
        string="Compensations Approved",
        compute="_compute_kpi_compensations",
        store=True,
        aggregator="sum",
        help="Compensations approved, delivered ones included.",
    )
    kpi_compensation_approved_amount = fields.Monetary(
        string="Amount Approved",
        currency_field="company_currency_id",
        compute="_compute_kpi_compensations",
        store=True,
        aggregator="sum",
    )
    kpi_compensation_delivered_count = fields.Integer(
        string="Compensations Delivered",
        compute="_compute_kpi_compensations",
        store=True,
        aggregator="sum",
    )
    kpi_compensation_delivered_amount = fields.Monetary(
        string="Amount Delivered",
        currency_field="company_currency_id",
        compute="_compute_kpi_compensations",
        store=True,
        aggregator="sum",
    )
    kpi_compensation_approval_hours = fields.Float(
        string="Time to Approve",
        compute="_compute_kpi_compensations",
        store=True,
        aggregator="avg",
        help="Average hours from the request for approval to the approval, over the approved "
        "and delivered compensations.",
    )

    # satisfaction and loyalty
    kpi_rating_requested_count = fields.Integer(
        string="Customers Asked to Rate",
        compute="_compute_kpi_customers",
        store=True,
        aggregator="sum",
    )
    kpi_rating_count = fields.Integer(
        string="Customers Who Rated",
        compute="_compute_kpi_customers",
        store=True,
        aggregator="sum",
        help="Customers asked for a rating who gave one.",
    )
    kpi_rating_avg = fields.Float(
        string="Average Satisfaction",
        compute="_compute_kpi_customers",
        store=True,
        aggregator="avg",
        help="Average of the last rating (1 to 5) of each customer who rated.",
    )
    kpi_rating_response_rate = fields.Float(
        string="Rating Response (%)",
        compute="_compute_kpi_customers",
        store=True,
        aggregator="avg",
        help="Share of the customers asked for a rating who gave one.",
    )
    kpi_churn_count = fields.Integer(
        string="Churn Risks",
        compute="_compute_kpi_customers",
        store=True,
        aggregator="sum",
        help="Affected customers marked as churn risks.",
    )
    kpi_lost_count = fields.Integer(
        string="Customers Lost",
        compute="_compute_kpi_customers",
        store=True,
        aggregator="sum",
        help="Affected customers whose contact status is Lost.",
    )

    # response plan
    kpi_steps_overdue_count = fields.Integer(
        string="Steps Overdue",
        compute="_compute_kpi_steps_overdue",
        store=True,
        aggregator="sum",
        help="Open action steps past their deadline. Counted when the steps change, and "
        "brought up to date by a scheduled job every 15 minutes as deadlines pass.",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("date_declared", "date_acknowledged", "date_resolved", "date_closed")
    def _compute_kpi_durations(self):
        for crisis in self:
            crisis.kpi_ack_hours = hours_between(crisis.date_declared, crisis.date_acknowledged)
            crisis.kpi_resolve_hours = hours_between(crisis.date_declared, crisis.date_resolved)
            crisis.kpi_close_hours = hours_between(crisis.date_declared, crisis.date_closed)

    @api.depends(
        "date_declared",
        "date_resolved",
        "update_ids.state",
        "update_ids.kind",
        "update_ids.date_sent",
        "update_ids.reached_count",
    )
    def _compute_kpi_updates(self):
        # sudo: a stored KPI must not depend on who triggered its recomputation
        groups = (
            self.env["crisis.update"]
            .sudo()
            ._read_group(
                [
                    ("crisis_id", "in", self.ids),
                    ("state", "=", "sent"),
                    ("reached_count", ">", 0),
                    ("kind", "not in", NOT_NOTICE_KINDS),
                ],
                ["crisis_id"],
                ["date_sent:array_agg"],
            )
        )
        sent_dates = {crisis.id: dates for crisis, dates in groups}
        for crisis in self:
            dates = sorted(sent_dates.get(crisis.id, ()))
            declared = crisis.date_declared
            crisis.kpi_update_count = len(dates)
            crisis.date_first_notice = dates[0] if dates else False
            crisis.kpi_first_notice_hours = hours_between(declared, crisis.date_first_notice)
            crisis.kpi_update_gap_hours = crisis._crisis_longest_gap(dates)

    def _crisis_longest_gap(self, sent_dates):
        """The longest wait for news, in hours, of this crisis whose notices were
        sent at ``sent_dates`` (sorted): declaration, notices up to the
        resolution, and the resolution itself when resolved."""
        self.ensure_one()
        declared, resolved = self.date_declared, self.date_resolved
        if not declared:
            return 0.0
        points = [declared]
        points += [max(sent, declared) for sent in sent_dates if not resolved or sent <= resolved]
        if resolved:
            points.append(resolved)
        return max((hours_between(start, end) for start, end in pairwise(points)), default=0.0)

    @api.depends(
        "impact_ids.is_reached",
        "impact_ids.churn_risk",
        "impact_ids.contact_status",
        "impact_ids.date_rating_requested",
        "impact_ids.rating_last_value",
    )
    def _compute_kpi_customers(self):
        """One grouped query for every KPI counted on the affected customers.

        Reached: a notice reached the customer of the line (``is_reached``,
        from the reach traces of the updates: accepted by their mail server
        or SMS provider and not bounced, opened, answered), not merely queued.
        """
        # sudo: a stored KPI must not depend on who triggered its recomputation
        groups = (
            self.env["crisis.impact"]
            .sudo()
            ._read_group(
                [("crisis_id", "in", self.ids)],
                ["crisis_id", "churn_risk", "contact_status", "rating_last_value", "is_reached"],
                ["__count", "date_rating_requested:count"],
            )
        )
        stats = defaultdict(lambda: defaultdict(float))
        for crisis, churn_risk, status, rating, reached, count, asked in groups:
            total = stats[crisis.id]
            total["affected"] += count
            total["notified"] += count if reached else 0
            total["churn"] += count if churn_risk else 0
            total["lost"] += count if status == "lost" else 0
            total["asked"] += asked
            if rating and rating >= 1:  # rated (rating.rating's RATING_LIMIT_MIN)
                total["rated"] += asked
                total["rating_sum"] += rating * asked
        for crisis in self:
            total = stats[crisis.id]
            affected, notified = int(total["affected"]), int(total["notified"])
            asked, rated = int(total["asked"]), int(total["rated"])
            crisis.kpi_notified_count = notified
            crisis.kpi_notified_rate = 100.0 * notified / affected if affected else 0.0
            crisis.kpi_churn_count = int(total["churn"])
            crisis.kpi_lost_count = int(total["lost"])
            crisis.kpi_rating_requested_count = asked
            crisis.kpi_rating_count = rated
            crisis.kpi_rating_avg = total["rating_sum"] / rated if rated else 0.0
            crisis.kpi_rating_response_rate = 100.0 * rated / asked if asked else 0.0

    @api.depends(
        "compensation_ids.state",
        "compensation_ids.amount_company",
        "compensation_ids.date_requested",
        "compensation_ids.date_submitted",
        "compensation_ids.date_approved",
    )
    def _compute_kpi_compensations(self):
        Compensation = self.env["crisis.compensation"].sudo()
        by_state = defaultdict(dict)
        for crisis, state, count, amount in Compensation._read_group(
            [("crisis_id", "in", self.ids), ("state", "!=", "cancelled")],
            ["crisis_id", "state"],
            ["__count", "amount_company:sum"],
        ):
            by_state[crisis.id][state] = (count, amount)
        # the approval times: three lists in the same (id) order per crisis
        approvals = {
            crisis.id: (requested, submitted, approved)
            for crisis, requested, submitted, approved in Compensation._read_group(
                [
                    ("crisis_id", "in", self.ids),
                    ("state", "in", COMMITTED_STATES),
                    ("date_approved", "!=", False),
                ],
                ["crisis_id"],
                [
                    "date_requested:array_agg",
                    "date_submitted:array_agg",
                    "date_approved:array_agg",
                ],
            )
        }
        for crisis in self:
            states = by_state[crisis.id]
            (
                crisis.kpi_compensation_proposed_count,
                crisis.kpi_compensation_proposed_amount,
            ) = sum_states(states, states)
            (
                crisis.kpi_compensation_approved_count,
                crisis.kpi_compensation_approved_amount,
            ) = sum_states(states, COMMITTED_STATES)
            (
                crisis.kpi_compensation_delivered_count,
                crisis.kpi_compensation_delivered_amount,
            ) = sum_states(states, ("delivered",))
            requested, submitted, approved = approvals.get(crisis.id, ((), (), ()))
            waits = [
                # asked for approval when submitted; the request date (at
                # midnight) for those made otherwise
                hours_between(asked or datetime.combine(day, time.min), done)
                for day, asked, done in zip(requested, submitted, approved, strict=True)
            ]
            crisis.kpi_compensation_approval_hours = sum(waits) / len(waits) if waits else 0.0

    @api.model
    def _crisis_kpi_step_domain(self):
        """The steps "steps overdue" counts: open, past their deadline, of the
        response plan (corrective actions of the review are not)."""
        domain = [("state", "in", OPEN_STATES), ("date_deadline", "<", fields.Datetime.now())]
        if "is_corrective" in self.env["crisis.action"]._fields:
            domain.append(("is_corrective", "=", False))
        return domain

    def _crisis_kpi_step_depends(self):
        depends = ["action_ids.state", "action_ids.date_deadline"]
        if "is_corrective" in self.env["crisis.action"]._fields:
            depends.append("action_ids.is_corrective")
        return depends

    @api.depends(lambda self: self._crisis_kpi_step_depends())
    def _compute_kpi_steps_overdue(self):
        counts = dict(
            self.env["crisis.action"]
            .sudo()
            ._read_group(
                [("crisis_id", "in", self.ids), *self._crisis_kpi_step_domain()],
                ["crisis_id"],
                ["__count"],
            )
        )
        for crisis in self:
            crisis.kpi_steps_overdue_count = counts.get(crisis, 0)

    # ------------------------------------------------------------------
    # Sending jobs: the impact KPIs are counted when the update is done
    # ------------------------------------------------------------------

    def _crisis_defer_impact_stats(self):
        result = super()._crisis_defer_impact_stats()
        for name in KPI_IMPACT_FIELDS:
            self.env.remove_to_compute(self._fields[name], self)
        return result

    def _crisis_recompute_impact_stats(self):
        result = super()._crisis_recompute_impact_stats()
        for name in KPI_IMPACT_FIELDS:
            self.env.add_to_compute(self._fields[name], self)
        return result

    # ------------------------------------------------------------------
    # Analysis
    # ------------------------------------------------------------------

    def _read_group_select(self, aggregate_spec, query):
        """The averages of the analysis: durations over the crises that reached
        the step, rates and averages weighted by what they count (a group's
        notified share is its notified customers over its affected ones)."""
        fname, __, func = aggregate_spec.partition(":")
        if func != "avg":
            return super()._read_group_select(aggregate_spec, query)

        def column(name):
            return self._field_to_sql(self._table, name, query)

        if fname in KPI_DURATION_REACHED:
            return SQL(
                "AVG(CASE WHEN %s IS NOT NULL THEN %s END)",
                column(KPI_DURATION_REACHED[fname]),
                column(fname),
            )
        if fname == "kpi_update_gap_hours":
            return SQL(
                "AVG(CASE WHEN %s IS NOT NULL OR %s > 0 THEN %s END)",
                column("date_resolved"),
                column("kpi_update_count"),
                column(fname),
            )
        if fname in KPI_WEIGHTED:
            numerator, factor, denominator = KPI_WEIGHTED[fname]
            return SQL(
                "SUM(%s) * %s / NULLIF(SUM(%s), 0)",
                column(numerator),
                factor,
                column(denominator),
            )
        if fname in KPI_AVERAGE_WEIGHT:
            weight = column(KPI_AVERAGE_WEIGHT[fname])
            return SQL(
                "SUM(%s * %s) / NULLIF(SUM(%s), 0)",
                column(fname),
                weight,
                weight,
            )
        return super()._read_group_select(aggregate_spec, query)

    # ------------------------------------------------------------------
    # Scheduled jobs
    # ------------------------------------------------------------------

    @api.model
    def _cron_refresh_kpi_steps_overdue(self):
        """Steps become overdue as time passes, with nothing written: count
        again the overdue steps of the crises whose stored count is behind.

        Only those crises are written, so running it twice changes nothing.
        """
        Action = self.env["crisis.action"].sudo()
        overdue = Action._search(self._crisis_kpi_step_domain())
        overdue.order = None
        self.flush_model(["kpi_steps_overdue_count"])
        self.env.cr.execute(
            SQL(
                """
                SELECT crisis.id
                  FROM crisis_crisis crisis
             LEFT JOIN (%(overdue)s) AS step ON step.crisis_id = crisis.id
              GROUP BY crisis.id
                HAVING COUNT(step.crisis_id) != COALESCE(crisis.kpi_steps_overdue_count, 0)
                """,
                overdue=overdue.select(SQL.identifier("crisis_action", "crisis_id")),
            )
        )
        crises = (
            self.sudo()
            .with_context(active_test=False)
            .browse(row[0] for row in self.env.cr.fetchall())
        )
        self.env.add_to_compute(self._fields["kpi_steps_overdue_count"], crises)
        crises.flush_recordset(["kpi_steps_overdue_count"])
        self.env["ir.cron"]._notify_progress(done=len(crises), remaining=0)
        return True
