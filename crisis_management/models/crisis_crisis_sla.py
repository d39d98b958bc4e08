"""The SLA of a crisis: the first response (acknowledgement) before a deadline
set by its severity (Crisis Settings), escalated once to the Crisis Managers
when it is missed."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from .crisis_workflow_mixin import as_workflow

SLA_STATUSES = [
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
    ("met", "Met"),
]
# The last quarter of the time before the deadline counts as "at risk".
SLA_RISK_SHARE = 0.25
# the reminders of the scheduled jobs on crises
SLA_BREACH = "crisis_management.mail_act_crisis_sla_breach"


class CrisisCrisis(models.Model):
    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    # SLA: first response (acknowledgement) before a deadline set by severity
    sla_deadline = fields.Datetime(
        string="Acknowledge Before",
        compute="_compute_sla_dates",
        store=True,
        help="First-response deadline: declaration date plus the response time "
        "of the crisis severity (Settings).",
    )
    sla_risk_date = fields.Datetime(
        compute="_compute_sla_dates",
        store=True,
        help="From this date on, an unacknowledged crisis is at risk of breaching its SLA.",
    )
    date_escalated = fields.Datetime(
        string="Escalated On",
        readonly=True,
        copy=False,
        help="When the crisis was escalated to the Crisis Managers for a missed first response.",
    )
    sla_result = fields.Selection(
        [("met", "Met"), ("breached", "Breached")],
        compute="_compute_sla_result",
        store=True,
        help="Whether the acknowledgement came before the deadline.",
    )
    sla_status = fields.Selection(
        SLA_STATUSES,
        string="SLA",
        compute="_compute_sla_status",
        search="_search_sla_status",
    )
    ack_countdown = fields.Char(
        string="Acknowledgement Countdown",
        compute="_compute_ack_countdown",
        help="Time left to acknowledge the crisis, or how late the acknowledgement is; "
        "empty once acknowledged or resolved.",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("date_declared", "severity", "company_id")
    def _compute_sla_dates(self):
        for crisis in self:
            if not crisis.date_declared:
                crisis.sla_deadline = crisis.sla_risk_date = False
                continue
            hours = crisis.company_id._crisis_sla_hours(crisis.severity)
            try:
                crisis.sla_deadline = crisis.date_declared + timedelta(hours=hours)
                crisis.sla_risk_date = crisis.date_declared + timedelta(
                    hours=hours * (1 - SLA_RISK_SHARE)
                )
            except OverflowError:  # out of range input, refused by the constraints
                crisis.sla_deadline = crisis.sla_risk_date = False

    @api.depends("date_acknowledged", "sla_deadline")
    def _compute_sla_result(self):
        for crisis in self:
            if crisis.date_acknowledged and crisis.sla_deadline:
                met = crisis.date_acknowledged <= crisis.sla_deadline
                crisis.sla_result = "met" if met else "breached"
            else:
                crisis.sla_result = False

    @api.depends("sla_result", "sla_deadline", "sla_risk_date")
    def _compute_sla_status(self):
        now = fields.Datetime.now()
        for crisis in self:
            if crisis.sla_result or not crisis.sla_deadline:
                crisis.sla_status = crisis.sla_result
            elif now > crisis.sla_deadline:
                crisis.sla_status = "breached"
            elif now >= crisis.sla_risk_date:
                crisis.sla_status = "at_risk"
            else:
                crisis.sla_status = "on_track"

    def _search_sla_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the SLA status."))
        statuses = [value] if isinstance(value, str) else list(value or [])
        now = fields.Datetime.now()
        waiting = [("date_acknowledged", "=", False)]
        domains = {
            "on_track": [*waiting, ("sla_risk_date", ">", now)],
            "at_risk": [*waiting, ("sla_risk_date", "<=", now), ("sla_deadline", ">=", now)],
            "breached": expression.OR(
                [[("sla_result", "=", "breached")], [*waiting, ("sla_deadline", "<", now)]]
            ),
            "met": [("sla_result", "=", "met")],
        }
        domain = expression.OR(
            [domains[s] for s in statuses if s in domains] or [expression.FALSE_DOMAIN]
        )
        if operator in ("!=", "not in"):
            return ["!", *domain]
        return domain

    @api.depends("sla_deadline", "date_acknowledged", "stage_id.is_resolved")
    def _compute_ack_countdown(self):
        """Not stored: it moves with the clock. Empty once acknowledged, and
        once resolved (nobody chases the first response of a resolved crisis:
        the escalation job leaves it too)."""
        now = fields.Datetime.now()
        for crisis in self:
            if crisis.date_acknowledged or not crisis.sla_deadline or crisis.stage_id.is_resolved:
                crisis.ack_countdown = False
                continue
            crisis.ack_countdown = crisis._crisis_countdown(
                crisis.sla_deadline,
                now,
                due=self.env._("Ack due in %(duration)s"),
                late=self.env._("Ack %(duration)s late"),
                now_text=self.env._("Ack due now"),
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_acknowledge(self):
        """First response: the crisis team has taken the crisis in hand."""
        to_acknowledge = self.filtered(lambda c: not c.date_acknowledged)
        if not to_acknowledge:
            raise UserError(self.env._("This crisis is already acknowledged."))
        to_acknowledge.check_access("write")
        as_workflow(to_acknowledge).date_acknowledged = fields.Datetime.now()
        # the escalation reminders of the managers are settled
        to_acknowledge.activity_feedback([SLA_BREACH])
        return True

    # ------------------------------------------------------------------
    # Scheduled jobs
    # ------------------------------------------------------------------

    @api.model
    def _cron_escalate_sla(self):
        """Crises not acknowledged by their deadline: escalate once to the managers.

        A message on the crisis and an activity for each Crisis Manager of its
        company.
        """
        due = SQL(
            "active AND date_acknowledged IS NULL AND date_escalated IS NULL"
            " AND sla_deadline < %s"
            " AND stage_id IN (SELECT id FROM crisis_stage WHERE is_resolved IS NOT TRUE)",
            fields.Datetime.now(),
        )
        crises = self._crisis_lock_due(due)
        managers = self.env.ref("crisis_management.group_crisis_manager").users.filtered(
            lambda user: not user.share and user.active
        )
        self._crisis_schedule_activities(
            [
                (crisis, manager)
                for crisis in crises
                for manager in managers
                if crisis.company_id in manager.company_ids
            ],
            summary_of=lambda crisis: crisis.env._(
                "SLA breached: %s is not acknowledged", crisis.reference
            ),
            date_of=lambda crisis: fields.Date.context_today(crisis),
            activity_type_xmlid=SLA_BREACH,
        )
        crises._message_log_batch(
            bodies={
                crisis.id: self.env._(
                    "Escalated: the crisis was not acknowledged before its deadline (%s).",
                    fields.Datetime.to_string(crisis.sla_deadline),
                )
                for crisis in crises
            }
        )
        as_workflow(crises).date_escalated = fields.Datetime.now()
        self.env["ir.cron"]._notify_progress(
            done=len(crises), remaining=self._crisis_count_due(due)
        )
