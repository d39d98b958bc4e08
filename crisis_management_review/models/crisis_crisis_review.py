from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import format_amount

from odoo.addons.crisis_management.models.crisis_action import OPEN_STATES
from odoo.addons.crisis_management.models.crisis_type import SEVERITIES

# severities from the lowest: a company requires a review from one of them up
SEVERITY_RANK = {level: rank for rank, (level, _label) in enumerate(SEVERITIES)}


class CrisisCrisis(models.Model):
    """The post-incident review of a crisis, its corrective actions and its
    timeline.

    A file of its own, as the KPIs and the early warning have theirs: the
    crisis model is long enough without them.
    """

    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    review_ids = fields.One2many("crisis.review", "crisis_id", string="Reviews")
    review_id = fields.Many2one(
        "crisis.review", compute="_compute_review_id", store=True, string="Post-Incident Review"
    )
    review_state = fields.Selection(related="review_id.state", string="Review Status")
    review_required = fields.Boolean(
        compute="_compute_review_required",
        help="The company requires an approved post-incident review to close a crisis of "
        "this severity (Crisis Settings).",
    )
    corrective_action_ids = fields.One2many(
        "crisis.action",
        "crisis_id",
        domain=[("is_corrective", "=", True)],
        string="Corrective Actions",
    )
    corrective_open_count = fields.Integer(
        compute="_compute_corrective_open_count",
        store=True,
        string="Open Corrective Actions",
        aggregator="sum",
    )

    @api.depends("review_ids")
    def _compute_review_id(self):
        for crisis in self:
            crisis.review_id = crisis.review_ids[:1]

    @api.depends("severity", "is_drill", "company_id.crisis_review_required_severity")
    def _compute_review_required(self):
        for crisis in self:
            crisis.review_required = crisis._crisis_review_required()

    @api.depends("action_ids.state", "action_ids.is_corrective")
    def _compute_corrective_open_count(self):
        counts = dict(
            self.env["crisis.action"]
            .sudo()
            ._read_group(
                [
                    ("crisis_id", "in", self.ids),
                    ("is_corrective", "=", True),
                    ("state", "in", OPEN_STATES),
                ],
                ["crisis_id"],
                ["__count"],
            )
        )
        for crisis in self:
            crisis.corrective_open_count = counts.get(crisis._origin, 0)

    def _crisis_review_required(self):
        """Whether closing needs an approved review: real crises from the
        company's chosen severity up; never drills."""
        self.ensure_one()
        threshold = self.company_id.crisis_review_required_severity
        if self.is_drill or not threshold or threshold == "none" or not self.severity:
            return False
        return SEVERITY_RANK[self.severity] >= SEVERITY_RANK[threshold]

    def _crisis_close_missing(self):
        missing = super()._crisis_close_missing()
        if self._crisis_review_required() and self._origin.review_id.state != "approved":
            missing.append(
                self.env._(
                    "No approved post-incident review: the company requires one to close a "
                    "%(severity)s crisis. Write it (Post-Incident Review), and have another "
                    "Crisis Manager approve it.",
                    severity=dict(self._fields["severity"]._description_selection(self.env))[
                        self.severity
                    ].lower(),
                )
            )
        return missing

    def action_open_review(self):
        """The crisis' review: opened, or made first."""
        self.ensure_one()
        review = self.review_id
        if not review:
            if not (
                self.env.user in self.member_user_ids
                or self.env.user.has_group("crisis_management.group_crisis_manager")
            ):
                raise AccessError(
                    self.env._(
                        "%(reference)s has no post-incident review yet: its crisis lead, its "
                        "response team or a Crisis Manager starts it.",
                        reference=self.reference,
                    )
                )
            review = self.env["crisis.review"].create({"crisis_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "res_model": "crisis.review",
            "res_id": review.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "name": review.display_name,
        }

    # ------------------------------------------------------------------
    # What the review is made of
    # ------------------------------------------------------------------

    def _crisis_impact_figures(self):
        """Who the crisis reached and what it cost: (label, value) pairs, in
        the user's language."""
        self.ensure_one()
        return [
            (self.env._("Customers affected"), str(self.affected_count)),
            (self.env._("Priority customers"), str(self.priority_count)),
            (self.env._("Customers contacted"), f"{self.contacted_rate:.0f} %"),
            (self.env._("Customer updates sent"), str(self.update_count)),
            (
                self.env._("Compensations approved or delivered"),
                format_amount(self.env, self.compensation_total, self.company_currency_id),
            ),
        ]

    def _crisis_key_figures(self):
        """The impact figures and the KPIs, as the printed review shows them."""
        self.ensure_one()

        def hours(value, reached=True):
            if not reached:
                return self.env._("not yet")
            # formatted first: the term extractor evaluates the call's arguments
            formatted = f"{value:.1f}"
            return self.env._("%(hours)s hours", hours=formatted)

        return [
            *self._crisis_impact_figures(),
            (
                self.env._("Time to acknowledge"),
                hours(self.kpi_ack_hours, self.date_acknowledged),
            ),
            (
                self.env._("Time to first customer notice"),
                hours(self.kpi_first_notice_hours, self.date_first_notice),
            ),
            (self.env._("Time to resolve"), hours(self.kpi_resolve_hours, self.date_resolved)),
            (
                self.env._("Longest wait between customer updates"),
                hours(self.kpi_update_gap_hours),
            ),
            (self.env._("Customers reached"), f"{self.kpi_notified_rate:.0f} %"),
            (
                self.env._("Average satisfaction"),
                f"{self.kpi_rating_avg:.1f} / 5"
                if self.kpi_rating_count
                else self.env._("no rating yet"),
            ),
            (self.env._("Churn risks"), str(self.kpi_churn_count)),
            (self.env._("Customers lost"), str(self.kpi_lost_count)),
            (self.env._("Open corrective actions"), str(self.corrective_open_count)),
        ]

    def _crisis_impact_summary(self):
        """The impact section's first text, from the crisis' figures."""
        self.ensure_one()
        figures = self._crisis_impact_figures()
        return Markup("<ul>%s</ul>") % Markup("").join(
            Markup("<li>%s: <strong>%s</strong></li>") % figure for figure in figures
        )

    def _crisis_timeline(self):
        """What happened, in order: a list of ``{"date", "event", "detail"}``
        made from the records and their tracking, never typed by hand.

        Declared, detected, acknowledged, escalated, the statement approved,
        each stage change, each customer update (kind, audience, counts), the
        first and last compensation approved, resolved, closed.
        """
        self.ensure_one()
        env = self.env
        events = []

        def add(date, event, detail=""):
            if date:
                events.append({"date": date, "event": event, "detail": detail})

        add(self.date_detected, env._("Detected"))
        add(
            self.date_declared,
            env._("Declared"),
            env._("by %(user)s", user=self.create_uid.name) if self.create_uid else "",
        )
        add(self.date_acknowledged, env._("Acknowledged"))
        add(self.date_escalated, env._("Escalated: first response late"))
        add(
            self.date_statement_approved,
            env._("Public statement approved"),
            env._("by %(user)s", user=self.statement_approved_by_id.name)
            if self.statement_approved_by_id
            else "",
        )
        # stage changes, from the tracking of the crisis (read as the system:
        # the timeline shows them to whoever reads the review)
        stage_field = env["ir.model.fields"]._get(self._name, "stage_id")
        trackings = (
            env["mail.tracking.value"]
            .sudo()
            .search(
                [
                    ("field_id", "=", stage_field.id),
                    ("mail_message_id.model", "=", self._name),
                    ("mail_message_id.res_id", "=", self.id),
                ],
                order="id",
            )
        )
        # the stages by their names in the reader's language (the tracking
        # keeps the name in the language of whoever moved the crisis)
        stages = (
            env["crisis.stage"]
            .sudo()
            .with_context(active_test=False)
            .browse(
                {tracking.new_value_integer for tracking in trackings}
                | {tracking.old_value_integer for tracking in trackings}
            )
            .exists()
        )
        names = {stage.id: stage.name for stage in stages}

        def stage_name(stage_id, tracked_name):
            return names.get(stage_id) or tracked_name or ""

        for tracking in trackings:
            old = stage_name(tracking.old_value_integer, tracking.old_value_char)
            add(
                tracking.mail_message_id.date,
                env._(
                    "Stage: %(stage)s",
                    stage=stage_name(tracking.new_value_integer, tracking.new_value_char),
                ),
                env._("from %(stage)s", stage=old) if old else "",
            )
        kinds = dict(env["crisis.update"]._fields["kind"]._description_selection(env))
        audiences = dict(env["crisis.update"]._fields["audience"]._description_selection(env))
        for update in self.update_ids.filtered(lambda u: u.state != "cancelled").sorted(
            "date_sent"
        ):
            audience = audiences.get(update.audience, "")
            if update.audience_detail:
                audience = f"{audience} ({update.audience_detail})"
            add(
                update.date_sent,
                env._("Customer update: %(kind)s", kind=kinds.get(update.kind, "")),
                env._(
                    "%(audience)s: %(reached)s reached of %(total)s (emails: %(sent)s sent, "
                    "%(bounced)s bounced, %(failed)s failed, %(queued)s still queued), "
                    "%(skipped)s skipped",
                    audience=audience,
                    reached=update.reached_count,
                    total=update.total_count,
                    sent=update.sent_count,
                    bounced=update.bounced_count,
                    failed=update.failed_count,
                    queued=update.queued_count,
                    skipped=update.skipped_count,
                ),
            )
        approved = self.compensation_ids.filtered("date_approved").sorted("date_approved")
        if approved:
            add(
                approved[0].date_approved,
                env._("First compensation approved"),
                approved[0].reference,
            )
        if len(approved) > 1:
            add(
                approved[-1].date_approved,
                env._("Last compensation approved"),
                env._(
                    "%(reference)s (%(count)s approved)",
                    reference=approved[-1].reference,
                    count=len(approved),
                ),
            )
        add(self.date_resolved, env._("Resolved"))
        add(self.date_closed, env._("Closed"))
        events.sort(key=lambda event: event["date"])
        return events
