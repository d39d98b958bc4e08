import re
from datetime import datetime, timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, html2plaintext, is_html_empty
from odoo.tools.translate import html_translate

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from .crisis_action import OPEN_STATES
from .crisis_type import SEVERITIES
from .crisis_workflow_mixin import as_workflow
from .res_company import MAX_HOURS

# line breaks (what str.splitlines splits on) and the blanks around them
LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")


def single_line(text):
    """``text`` on one line: each line break, with the blanks around it, becomes a space."""
    return LINE_BREAKS.sub(" ", text) if text else text


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
# what customers read of a crisis, approved together: changing either, in any
# language, sends the statement back to draft
STATEMENT_FIELDS = ("public_statement", "public_title")
UPDATE_DUE = "crisis_management.mail_act_crisis_update_due"
# the longest title (internal or customer-facing): the subject of the customers' emails
TITLE_MAX = 256
# a crisis detected before this is a typo (the year 1900 of a spreadsheet)
EARLIEST_DETECTED = datetime(2000, 1, 1)
# how far ahead of the server's clock a detection date may be (clocks, time zones)
DETECTED_AHEAD = timedelta(days=1)
# the approvers' reminder of a message written at send time
MESSAGE_TO_APPROVE = "crisis_management.mail_act_crisis_message_to_approve"
# the customer totals of a crisis, computed together by _compute_impact_stats
IMPACT_STATS = (
    "affected_count",
    "contacted_count",
    "priority_count",
    "to_contact_count",
    "contacted_rate",
)


class CrisisCrisis(models.Model):
    _name = "crisis.crisis"
    _description = "Crisis"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "rating.parent.mixin",
        "crisis.workflow.mixin",
        "crisis.reminder.mixin",
    ]
    _order = "date_declared desc, id desc"
    _rec_names_search = ["name", "reference"]
    _check_company_auto = True
    _crisis_checks_itself = True
    _crisis_workflow_fields = (
        "reference",
        "date_acknowledged",
        "date_escalated",
        "statement_state",
        "statement_approved_by_id",
        "date_statement_approved",
        "statement_editor_ids",
        "edited_message",
        "edited_message_user_id",
        "edited_message_approved_by_id",
        "date_last_update",
        "reminded_update",
        "date_satisfaction_requested",
    )

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------

    def _default_stage_id(self):
        return self.env["crisis.stage"].search([], limit=1)

    reference = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    name = fields.Char(string="Title", required=True, tracking=True, index="trigram")
    active = fields.Boolean(default=True)
    type_id = fields.Many2one("crisis.type", tracking=True, index=True)
    severity = fields.Selection(
        SEVERITIES,
        required=True,
        default="medium",
        tracking=True,
        compute="_compute_severity",
        store=True,
        readonly=False,
        precompute=True,
    )
    # the calendar's colours by severity: red, orange, yellow, green
    severity_color = fields.Integer(compute="_compute_severity_color")
    stage_id = fields.Many2one(
        "crisis.stage",
        required=True,
        tracking=True,
        index=True,
        copy=False,
        ondelete="restrict",
        default=_default_stage_id,
        group_expand="_read_group_expand_full",
    )
    is_resolved = fields.Boolean(related="stage_id.is_resolved", string="Resolved")
    customer_status = fields.Selection(related="stage_id.customer_status")
    is_closed = fields.Boolean(related="stage_id.is_closed", string="Closed")
    # what the current user may do on the crisis as saved (the form follows them)
    can_edit = fields.Boolean(
        compute="_compute_can_edit",
        help="Whether you may change the crisis: its lead, the members of its response team "
        "and the Crisis Managers may, until it is closed.",
    )
    can_reopen = fields.Boolean(
        compute="_compute_can_edit",
        help="The crisis is closed and you, a Crisis Manager, may move it back to an open stage.",
    )
    resolution_notice_due = fields.Boolean(
        compute="_compute_resolution_notice_due",
        help="Resolved, and its affected customers have not been sent the resolution notice yet.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Crisis Lead",
        tracking=True,
        index=True,
        check_company=True,
        domain="[('share', '=', False)]",
        default=lambda self: self.env.user,
    )
    team_id = fields.Many2one(
        "crisis.team", string="Response Team", tracking=True, check_company=True
    )
    team_member_ids = fields.One2many(related="team_id.member_ids", string="Team Members")
    team_leader_id = fields.Many2one(related="team_id.leader_id", string="Team Leader")
    member_user_ids = fields.Many2many(
        "res.users",
        "crisis_crisis_member_user_rel",
        "crisis_id",
        "user_id",
        string="Crisis Members",
        compute="_compute_member_user_ids",
        store=True,
        readonly=True,
        copy=False,
        help="The crisis lead, the team leader and the team members: the people who may "
        "change the crisis, its affected customers, action plans and compensations.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    tag_ids = fields.Many2many("crisis.tag", string="Tags")
    color = fields.Integer()
    is_drill = fields.Boolean(
        string="Drill",
        tracking=True,
        help="A rehearsal: it behaves like a real crisis but is marked as a drill.",
    )

    date_detected = fields.Datetime(
        string="Detected On", help="When the problem was first noticed."
    )
    date_declared = fields.Datetime(
        string="Declared On", required=True, default=fields.Datetime.now, tracking=True, copy=False
    )
    date_acknowledged = fields.Datetime(
        string="Acknowledged On", tracking=True, copy=False, readonly=True
    )
    date_resolved = fields.Datetime(
        string="Resolved On",
        compute="_compute_date_resolved",
        store=True,
        copy=False,
        tracking=True,
    )
    date_closed = fields.Datetime(
        string="Closed On",
        compute="_compute_date_closed",
        store=True,
        copy=False,
        tracking=True,
    )
    # The calendar draws a crisis from its declaration to its resolution, or to
    # now while it is open. Not stored: "now" would go stale in a stored column
    # (a daily recompute would still be up to a day late, and rewrite every open
    # crisis). The calendar only needs a field it can read and search on, and
    # ``_search_date_span_end`` answers its range domain from the stored dates.
    date_span_end = fields.Datetime(
        string="Span End",
        compute="_compute_date_span_end",
        search="_search_date_span_end",
        help="The end of the crisis in the calendar: its resolution, or now while it is open.",
    )

    description = fields.Html(help="What happened, as far as it is known.")
    scope = fields.Html(help="Affected products, services and regions.")
    root_cause = fields.Html(help="Required to close the crisis.")

    # one approved voice
    public_title = fields.Char(
        string="Customer-Facing Title",
        translate=True,
        tracking=True,
        compute="_compute_public_title",
        store=True,
        readonly=False,
        precompute=True,
        help="The name of the crisis in the emails to customers, in their language; approved "
        "with the public statement. The title when left empty: the title itself stays internal.",
    )
    public_statement = fields.Html(
        translate=html_translate,
        help="What the company says to customers and the public; a Crisis Manager approves it "
        "before anything is sent to customers.",
    )
    statement_state = fields.Selection(
        [("draft", "Draft"), ("approved", "Approved")],
        string="Statement Status",
        required=True,
        default="draft",
        tracking=True,
        copy=False,
    )
    statement_approved_by_id = fields.Many2one(
        "res.users", readonly=True, copy=False, tracking=True
    )
    date_statement_approved = fields.Datetime(
        string="Statement Approved On", readonly=True, copy=False
    )
    statement_editor_ids = fields.Many2many(
        "res.users",
        "crisis_crisis_statement_editor_rel",
        "crisis_id",
        "user_id",
        string="Statement Written By",
        readonly=True,
        copy=False,
        help="Who wrote or changed the public statement or the customer-facing title (in any "
        "language) since it was last approved. When a second person approves what the crisis "
        "says to customers, none of them approves it.",
    )
    second_approver_required = fields.Boolean(
        compute="_compute_second_approver_required",
        help="The public statement, and any other message sent to the customers, is approved "
        "by a Crisis Manager who did not write it: always for high and critical crises, from "
        "the severity chosen in the Crisis Settings for the others.",
    )
    can_approve_statement = fields.Boolean(
        compute="_compute_can_approve_statement",
        help="Whether you may approve the public statement: a Crisis Manager, and not one of "
        "its writers when a second approver is required.",
    )
    # a message other than the statement, written at send time: approved
    # before it goes, as the statement is
    edited_message = fields.Html(
        string="Message to Send",
        readonly=True,
        copy=False,
        help="A message other than the public statement that a sender wants to send to the "
        "affected customers: a Crisis Manager approves it before it goes (one who did not "
        "write it, when a second approver is required).",
    )
    edited_message_user_id = fields.Many2one(
        "res.users", string="Message Written By", readonly=True, copy=False
    )
    edited_message_approved_by_id = fields.Many2one(
        "res.users",
        string="Message Approved By",
        readonly=True,
        copy=False,
        help="Empty while the message waits for approval.",
    )
    can_approve_edited_message = fields.Boolean(
        compute="_compute_can_approve_statement",
        help="Whether you may approve the message waiting for approval.",
    )
    talking_points = fields.Html(
        help="Internal: what agents say on the phone. Never sent to customers.",
    )

    # customer updates: a cadence until resolution
    update_ids = fields.One2many("crisis.update", "crisis_id", string="Customer Updates")
    update_count = fields.Integer(compute="_compute_update_count", string="Updates Sent")
    # customers being added in the background (see crisis.impact.job)
    impact_job_ids = fields.One2many(
        "crisis.impact.job", "crisis_id", string="Customers Being Added"
    )
    adding_count = fields.Integer(
        compute="_compute_adding", string="Contacts Being Added", compute_sudo=True
    )
    adding_progress = fields.Float(compute="_compute_adding", compute_sudo=True)
    update_interval_hours = fields.Float(
        string="Update Every",
        compute="_compute_update_interval_hours",
        store=True,
        readonly=False,
        precompute=True,
        help="Hours between two updates to the affected customers while the crisis is open; "
        "set by severity (Crisis Settings).",
    )
    communication_user_id = fields.Many2one(
        "res.users",
        string="Communications Owner",
        compute="_compute_communication_user_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        check_company=True,
        domain="[('share', '=', False)]",
        help="Reminded when the next customer update is due: the team's communications "
        "member, else the crisis lead.",
    )
    date_last_update = fields.Datetime(
        string="Last Customer Update", readonly=True, copy=False, tracking=True
    )
    date_next_update = fields.Datetime(
        string="Next Customer Update",
        compute="_compute_date_next_update",
        store=True,
        help="When the affected customers should hear from us again.",
    )
    update_countdown = fields.Char(
        string="Next Update Countdown",
        compute="_compute_update_countdown",
        help="Time left before the next customer update is due, or how late it is; "
        "empty for drills and resolved crises.",
    )
    reminded_update = fields.Datetime(
        copy=False,
        help="The customer update due date the communications owner was last reminded of.",
    )

    # satisfaction: a rating request some days after resolution
    date_satisfaction_requested = fields.Datetime(
        string="Satisfaction Survey Sent On", readonly=True, copy=False
    )
    rating_request_count = fields.Integer(
        compute="_compute_rating_response_rate", string="Ratings Requested"
    )
    rating_response_rate = fields.Float(
        compute="_compute_rating_response_rate",
        help="Share of the customers asked for a rating who answered.",
    )

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

    # response
    playbook_id = fields.Many2one(
        "crisis.playbook",
        compute="_compute_playbook_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        check_company=True,
        help="The response plan to apply; proposed by the crisis type.",
    )
    drill_playbook_id = fields.Many2one(
        "crisis.playbook",
        string="Drill of Playbook",
        index=True,
        ondelete="set null",
        help="The playbook this drill rehearses.",
    )
    action_plan_ids = fields.One2many("crisis.action.plan", "crisis_id", string="Action Plans")
    action_ids = fields.One2many("crisis.action", "crisis_id", string="Action Steps")
    action_open_count = fields.Integer(compute="_compute_action_progress", string="Open Steps")
    action_progress = fields.Float(
        compute="_compute_action_progress",
        string="Plan Progress",
        help="Share of the action steps done, cancelled steps left out.",
    )
    steps_outside_team_count = fields.Integer(
        compute="_compute_steps_outside_team_count",
        string="Open Steps Outside the Team",
        help="Open action steps assigned to people who are neither the crisis lead nor in "
        "its response team: Reassign Open Steps gives them to the team.",
    )

    # compensation
    compensation_ids = fields.One2many("crisis.compensation", "crisis_id", string="Compensations")
    compensation_count = fields.Integer(
        compute="_compute_compensation", string="Compensations Count"
    )
    compensation_total = fields.Monetary(
        compute="_compute_compensation",
        currency_field="company_currency_id",
        string="Compensation Cost",
        help="Approved and delivered compensations, in company currency.",
    )
    compensation_pending_total = fields.Monetary(
        compute="_compute_compensation",
        currency_field="company_currency_id",
        string="Compensation To Approve",
        help="Compensations waiting for approval, in company currency.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )

    # affected customers
    impact_ids = fields.One2many("crisis.impact", "crisis_id", string="Affected Customers")
    affected_count = fields.Integer(
        string="Affected", compute="_compute_impact_stats", store=True, aggregator="sum"
    )
    contacted_count = fields.Integer(
        string="Contacted",
        compute="_compute_impact_stats",
        store=True,
        aggregator="sum",
        help="Affected customers contacted: a notice reached them, or an agent talked with "
        "them (neither To Contact nor Unreachable).",
    )
    priority_count = fields.Integer(
        string="Priority Customers", compute="_compute_impact_stats", store=True, aggregator="sum"
    )
    to_contact_count = fields.Integer(
        string="Not Contacted",
        compute="_compute_impact_stats",
        store=True,
        aggregator="sum",
        help="Affected customers not contacted yet: To Contact, or Unreachable (every notice "
        "failed or bounced).",
    )
    contacted_rate = fields.Float(
        string="Contacted (%)",
        compute="_compute_impact_stats",
        store=True,
        aggregator="avg",
        help="Share of the affected customers contacted at least once.",
    )

    _sql_constraints = [
        (
            "reference_company_uniq",
            "unique (reference, company_id)",
            "A crisis with this reference already exists in this company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("type_id")
    def _compute_severity(self):
        for crisis in self:
            if crisis.type_id:
                crisis.severity = crisis.type_id.default_severity
            elif not crisis.severity:
                crisis.severity = "medium"

    @api.depends("severity")
    def _compute_severity_color(self):
        # indexes of Odoo's colour palette (o_calendar_color_N)
        colors = {"critical": 1, "high": 2, "medium": 3, "low": 10}
        for crisis in self:
            crisis.severity_color = colors.get(crisis.severity, 0)

    @api.depends("type_id")
    def _compute_playbook_id(self):
        for crisis in self:
            if crisis.type_id.playbook_id:
                crisis.playbook_id = crisis.type_id.playbook_id

    @api.depends("name")
    def _compute_public_title(self):
        # the title, until someone writes the one customers read: renaming the
        # crisis later does not change what customers read without approval
        for crisis in self:
            if not crisis.public_title:
                crisis.public_title = crisis.name

    @api.depends("stage_id")
    def _compute_date_resolved(self):
        now = fields.Datetime.now()
        for crisis in self:
            if not crisis.stage_id.is_resolved:
                crisis.date_resolved = False
            elif not crisis.date_resolved:
                crisis.date_resolved = now

    @api.depends("stage_id")
    def _compute_date_closed(self):
        now = fields.Datetime.now()
        for crisis in self:
            if not crisis.stage_id.is_closed:
                crisis.date_closed = False
            elif not crisis.date_closed:
                crisis.date_closed = now

    @api.depends("date_declared", "date_resolved")
    def _compute_date_span_end(self):
        now = fields.Datetime.now()
        for crisis in self:
            if crisis.date_resolved or not crisis.date_declared:
                crisis.date_span_end = crisis.date_resolved
            else:
                # declared ahead of time: a crisis never ends before it starts
                crisis.date_span_end = max(crisis.date_declared, now)

    def _search_date_span_end(self, operator, value):
        """The calendar's range domain (``date_span_end >= start``) on the stored
        dates: the resolution date, else ``max(date_declared, now)``."""
        compare = {
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }
        if operator not in compare or not value:
            raise UserError(self.env._("Unsupported search on the span end of crises."))
        value = fields.Datetime.to_datetime(value)
        now_matches = compare[operator](fields.Datetime.now(), value)
        declared = [("date_declared", operator, value)]
        if operator in (">", ">="):
            # max(declared, now) > value: now is enough, else the declaration date
            open_domain = expression.TRUE_DOMAIN if now_matches else declared
        else:
            # max(declared, now) < value: both must be
            open_domain = declared if now_matches else expression.FALSE_DOMAIN
        return expression.OR(
            [
                [("date_resolved", "!=", False), ("date_resolved", operator, value)],
                expression.AND([[("date_resolved", "=", False)], open_domain]),
            ]
        )

    @api.depends("stage_id", "member_user_ids")
    @api.depends_context("uid")
    def _compute_can_edit(self):
        """From the crisis as saved (``_origin``): an unsaved move to another
        stage in the form changes nothing here, so the fields being typed in
        stay editable (and saved) until the move is saved.

        The record rules decide who may write (``member_user_ids`` and the
        Crisis Managers); a closed crisis is read-only, a Crisis Manager may
        reopen it. A new crisis is editable by whoever creates it.
        """
        is_manager = self.env.user.has_group("crisis_management.group_crisis_manager")
        writable = self._origin._filtered_access("write")
        for crisis in self:
            origin = crisis._origin
            if not origin:
                crisis.can_edit, crisis.can_reopen = True, False
                continue
            allowed = origin in writable
            crisis.can_edit = allowed and not origin.is_closed
            crisis.can_reopen = allowed and origin.is_closed and is_manager

    @api.depends(
        "stage_id",
        "is_drill",
        "affected_count",
        "statement_state",
        "date_resolved",
        "update_ids.kind",
        "update_ids.state",
    )
    def _compute_resolution_notice_due(self):
        for crisis in self:
            crisis.resolution_notice_due = bool(
                crisis.stage_id.is_resolved
                and not crisis.stage_id.is_closed
                and not crisis.is_drill
                and crisis.affected_count
                and crisis.statement_state == "approved"
                and not any(
                    update.kind == "resolution"
                    and update.state != "cancelled"
                    and (not crisis.date_resolved or update.date_sent >= crisis.date_resolved)
                    for update in crisis.update_ids
                )
            )

    @api.depends("severity", "company_id.crisis_statement_four_eyes_severity")
    def _compute_second_approver_required(self):
        for crisis in self:
            crisis.second_approver_required = crisis._crisis_second_approver_required()

    @api.depends_context("uid")
    @api.depends(
        "statement_state",
        "statement_editor_ids",
        "second_approver_required",
        "edited_message",
        "edited_message_user_id",
        "edited_message_approved_by_id",
    )
    def _compute_can_approve_statement(self):
        for crisis in self:
            crisis.can_approve_statement = (
                crisis.statement_state != "approved"
                and not crisis._crisis_text_approval_refusal(crisis.statement_editor_ids)
            )
            crisis.can_approve_edited_message = bool(
                not is_html_empty(crisis.edited_message)
                and not crisis.edited_message_approved_by_id
                and not crisis._crisis_text_approval_refusal(crisis.edited_message_user_id)
            )

    @api.depends("user_id", "team_id.leader_id", "team_id.member_ids.user_id")
    def _compute_member_user_ids(self):
        for crisis in self:
            crisis.member_user_ids = (
                crisis.user_id | crisis.team_id.leader_id | crisis.team_id.member_ids.user_id
            )

    @api.depends("impact_job_ids.state", "impact_job_ids.processed_count")
    def _compute_adding(self):
        for crisis in self:
            jobs = crisis.impact_job_ids.filtered(lambda job: job.state in ("queued", "running"))
            total = sum(jobs.mapped("total_count"))
            crisis.adding_count = total
            crisis.adding_progress = (
                100.0 * sum(jobs.mapped("processed_count")) / total if total else 0.0
            )

    @api.depends("update_ids")
    def _compute_update_count(self):
        counts = dict(
            self.env["crisis.update"]._read_group(
                [("crisis_id", "in", self.ids)], ["crisis_id"], ["__count"]
            )
        )
        for crisis in self:
            crisis.update_count = counts.get(crisis, 0)

    @api.depends("severity", "company_id")
    def _compute_update_interval_hours(self):
        for crisis in self:
            company = crisis.company_id or self.env.company
            crisis.update_interval_hours = company._crisis_update_hours(crisis.severity)

    @api.depends("team_id", "user_id")
    def _compute_communication_user_id(self):
        for crisis in self:
            members = crisis.team_id.member_ids.filtered(lambda m: m.role == "communications")
            crisis.communication_user_id = members[:1].user_id or crisis.user_id

    @api.depends("date_declared", "date_last_update", "update_interval_hours", "is_drill")
    def _compute_date_next_update(self):
        for crisis in self:
            start = crisis.date_last_update or crisis.date_declared
            if crisis.is_drill or not start or crisis.update_interval_hours <= 0:
                crisis.date_next_update = False
                continue
            try:
                crisis.date_next_update = start + timedelta(hours=crisis.update_interval_hours)
            except OverflowError:  # out of range input, refused by the constraints
                crisis.date_next_update = False

    @api.depends("date_next_update", "stage_id.is_resolved")
    def _compute_update_countdown(self):
        # not stored: it moves with the clock, and is read when the card is shown
        now = fields.Datetime.now()
        for crisis in self:
            if not crisis.date_next_update or crisis.stage_id.is_resolved:
                crisis.update_countdown = False
                continue
            crisis.update_countdown = crisis._crisis_countdown(
                crisis.date_next_update,
                now,
                due=self.env._("Update due in %(duration)s"),
                late=self.env._("Update %(duration)s late"),
                now_text=self.env._("Update due now"),
            )

    @api.model
    def _crisis_duration_text(self, seconds):
        """A duration as people in a hurry read it, rounded down (never more
        time than there is): minutes under an hour, hours under two days, then
        days."""
        minutes = int(seconds // 60)
        if minutes < 60:
            return self.env._("%(count)s min", count=minutes)
        hours = minutes // 60
        if hours < 48:
            return self.env._("%(count)s h", count=hours)
        return self.env._("%(count)s days", count=hours // 24)

    @api.model
    def _crisis_countdown(self, deadline, now, due, late, now_text):
        """``due`` or ``late`` (with a ``%(duration)s`` placeholder) filled with
        the time until or since ``deadline``; ``now_text`` within a minute of it."""
        seconds = (deadline - now).total_seconds()
        if abs(seconds) < 60:
            return now_text
        text = due if seconds > 0 else late
        return text % {"duration": self._crisis_duration_text(abs(seconds))}

    def _compute_rating_response_rate(self):
        # sudo: counts only, like the parent mixin's rating statistics
        requested = dict(
            self.env["crisis.impact"]
            .sudo()
            ._read_group(
                [("crisis_id", "in", self.ids), ("date_rating_requested", "!=", False)],
                ["crisis_id"],
                ["__count"],
            )
        )
        for crisis in self:
            count = requested.get(crisis, 0)
            crisis.rating_request_count = count
            crisis.rating_response_rate = (
                100.0 * crisis.sudo().rating_count / count if count else 0
            )

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

    @api.depends("impact_ids.contact_status", "impact_ids.is_priority")
    def _compute_impact_stats(self):
        # sudo: counting lines is not reading them, and a stored total must not
        # depend on who triggered its recomputation
        groups = (
            self.env["crisis.impact"]
            .sudo()
            ._read_group(
                [("crisis_id", "in", self.ids)],
                ["crisis_id", "contact_status", "is_priority"],
                ["__count"],
            )
        )
        stats = {crisis.id: [0, 0, 0] for crisis in self}
        for crisis, status, is_priority, count in groups:
            total = stats[crisis.id]
            total[0] += count
            # unreachable: every notice failed or bounced, not contacted yet
            if status not in ("to_contact", "unreachable"):
                total[1] += count
            if is_priority:
                total[2] += count
        for crisis in self:
            affected, contacted, priority = stats.get(crisis.id, (0, 0, 0))
            crisis.affected_count = affected
            crisis.contacted_count = contacted
            crisis.priority_count = priority
            crisis.to_contact_count = affected - contacted
            crisis.contacted_rate = 100.0 * contacted / affected if affected else 0.0

    def _crisis_defer_impact_stats(self):
        """Leave the customer totals of these crises to ``_crisis_recompute_impact_stats``."""
        for name in IMPACT_STATS:
            self.env.remove_to_compute(self._fields[name], self)

    def _crisis_recompute_impact_stats(self):
        for name in IMPACT_STATS:
            self.env.add_to_compute(self._fields[name], self)

    @api.depends("compensation_ids.amount_company", "compensation_ids.state")
    def _compute_compensation(self):
        Compensation = self.env["crisis.compensation"]
        totals = Compensation._crisis_totals("crisis_id", self.ids)
        pending = Compensation._crisis_totals("crisis_id", self.ids, states=("to_approve",))
        counts = dict(
            Compensation._read_group([("crisis_id", "in", self.ids)], ["crisis_id"], ["__count"])
        )
        for crisis in self:
            crisis.compensation_total = totals.get(crisis.id, 0.0)
            crisis.compensation_pending_total = pending.get(crisis.id, 0.0)
            crisis.compensation_count = counts.get(crisis, 0)

    @api.depends("action_ids.state", "action_ids.is_corrective")
    def _compute_action_progress(self):
        # the response plan: the review's corrective actions come after it
        progress = self.env["crisis.action"]._progress_by(
            "crisis_id", self.ids, [("is_corrective", "=", False)]
        )
        for crisis in self:
            crisis.action_open_count, crisis.action_progress = progress.get(crisis.id, (0, 0.0))

    @api.depends(
        "user_id",
        "team_id.leader_id",
        "team_id.member_ids.user_id",
        "action_ids.state",
        "action_ids.user_id",
    )
    def _compute_steps_outside_team_count(self):
        """Also on the form's unsaved values: a new response team shows at once
        how many open steps it leaves with people outside it."""
        for crisis in self:
            crisis.steps_outside_team_count = len(crisis._crisis_steps_outside_team())

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    def _crisis_close_refusal(self):
        """Why this crisis may not be in its (closed) stage, everything missing in
        one message; ``False`` when nothing is.

        Works on the form's unsaved values too (an onchange's new record): the
        open steps are those saved.
        """
        self.ensure_one()
        if not self.stage_id.is_closed:
            return False
        missing = self._crisis_close_missing()
        if not missing:
            return False
        return self.env._(
            "Crisis %(reference)s cannot be closed yet:\n%(missing)s",
            reference=self.reference,
            missing="\n".join(f"- {line}" for line in missing),
        )

    def _crisis_close_missing(self):
        """What this crisis lacks to be closed: a list of sentences."""
        self.ensure_one()
        missing = []
        open_count = self._origin.action_open_count
        if open_count:
            missing.append(
                self.env._(
                    "%(count)s open action step(s): finish or cancel them (a Crisis Manager "
                    "can cancel them all with Cancel Open Steps).",
                    count=open_count,
                )
            )
        if is_html_empty(self.root_cause):
            missing.append(
                self.env._(
                    "No root cause: a crisis is not closed without a root cause. Describe it "
                    "in the Analysis tab."
                )
            )
        return missing

    @api.constrains("stage_id", "root_cause")
    def _check_can_close(self):
        for crisis in self:
            refusal = crisis._crisis_close_refusal()
            if refusal:
                raise ValidationError(refusal)

    @api.onchange("stage_id")
    def _onchange_stage_id_refused(self):
        """A refused move leaves the form on the stage it came from, with the
        message: the status bar saves right after its change, and a refused
        stage would stay behind as an unsaved change (each later button
        repeating the error, leaving the form offering to discard what was
        typed). What was typed is saved with the stage it came from.
        """
        refusal = self._crisis_close_refusal()
        if not refusal:
            return None
        self.stage_id = self._origin.stage_id or self._default_stage_id()
        return {
            "warning": {
                "title": self.env._("The crisis stays in its stage"),
                "message": refusal,
            }
        }

    @api.constrains(
        "date_detected", "date_declared", "date_acknowledged", "date_resolved", "date_closed"
    )
    def _check_dates(self):
        for crisis in self:
            declared = crisis.date_declared
            if crisis.date_detected and crisis.date_detected > declared:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be detected after it was declared.",
                        reference=crisis.reference,
                    )
                )
            if crisis.date_acknowledged and crisis.date_acknowledged < declared:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be acknowledged before it was declared.",
                        reference=crisis.reference,
                    )
                )
            if crisis.date_resolved and crisis.date_resolved < declared:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be resolved before it was declared.",
                        reference=crisis.reference,
                    )
                )
            if crisis.date_closed and crisis.date_closed < declared:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be closed before it was declared.",
                        reference=crisis.reference,
                    )
                )

    @api.constrains("date_declared")
    def _check_date_declared_not_far_ahead(self):
        latest = fields.Datetime.now() + timedelta(hours=MAX_HOURS)
        for crisis in self:
            if crisis.date_declared and crisis.date_declared > latest:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be declared more than one year ahead "
                        "(%(date)s).",
                        reference=crisis.reference,
                        date=fields.Datetime.to_string(crisis.date_declared),
                    )
                )

    @api.constrains("update_interval_hours")
    def _check_update_interval_hours(self):
        for crisis in self:
            if not 0 <= crisis.update_interval_hours <= MAX_HOURS:
                raise ValidationError(
                    self.env._(
                        "The customer update interval of crisis %(reference)s must be between "
                        "0 (no cadence) and %(max)s hours (one year).",
                        reference=crisis.reference,
                        max=MAX_HOURS,
                    )
                )

    @api.constrains("name")
    def _check_name_single_line(self):
        for crisis in self:
            if crisis.name and ("\n" in crisis.name or "\r" in crisis.name):
                raise ValidationError(
                    self.env._(
                        "The title of crisis %(reference)s must fit on one line: it is the "
                        "subject of the emails to customers. Remove the line breaks.",
                        reference=crisis.reference,
                    )
                )

    @api.constrains("date_detected")
    def _check_date_detected_bounds(self):
        latest = fields.Datetime.now() + DETECTED_AHEAD
        for crisis in self:
            if not crisis.date_detected:
                continue
            if crisis.date_detected < EARLIEST_DETECTED:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be detected before the year 2000 "
                        "(%(date)s): check the date.",
                        reference=crisis.reference,
                        date=fields.Datetime.to_string(crisis.date_detected),
                    )
                )
            if crisis.date_detected > latest:
                raise ValidationError(
                    self.env._(
                        "Crisis %(reference)s cannot be detected in the future (%(date)s): "
                        "check the date.",
                        reference=crisis.reference,
                        date=fields.Datetime.to_string(crisis.date_detected),
                    )
                )

    @api.constrains("name", "public_title")
    def _check_title_length(self):
        for crisis in self:
            self._crisis_check_title_length([crisis.name, crisis.public_title], crisis.reference)

    @api.model
    def _crisis_check_title_length(self, titles, reference):
        """:raise ValidationError: one of ``titles`` is longer than ``TITLE_MAX``."""
        if any(title and len(title) > TITLE_MAX for title in titles):
            raise ValidationError(
                self.env._(
                    "The titles of crisis %(reference)s are limited to %(max)s characters: "
                    "they are the subject of the emails to customers. Shorten them.",
                    reference=reference,
                    max=TITLE_MAX,
                )
            )

    @api.model
    def _crisis_check_severity(self, vals_list):
        """:raise ValidationError: a severity of ``vals_list`` (or of the context's
        default) is not one of the four."""
        severities = dict(SEVERITIES)
        values = [vals["severity"] for vals in vals_list if vals.get("severity")]
        if self.env.context.get("default_severity"):
            values.append(self.env.context["default_severity"])
        for severity in values:
            if not isinstance(severity, str) or severity not in severities:
                raise ValidationError(
                    self.env._(
                        "The severity of a crisis is low, medium, high or critical, not "
                        "%(severity)s.",
                        severity=severity,
                    )
                )

    @api.constrains("public_title")
    def _check_public_title_single_line(self):
        for crisis in self:
            if crisis.public_title and (
                "\n" in crisis.public_title or "\r" in crisis.public_title
            ):
                raise ValidationError(
                    self.env._(
                        "The customer-facing title of crisis %(reference)s must fit on one line: "
                        "it is in the subject of the emails to customers. Remove the line breaks.",
                        reference=crisis.reference,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self = self._crisis_check_values(vals_list, create=True)
        self._crisis_check_severity(vals_list)
        for vals in vals_list:
            if not vals.get("reference") or vals["reference"] == self.env._("New"):
                company = (
                    self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                )
                declared = vals.get("date_declared") or fields.Datetime.now()
                vals["reference"] = company._crisis_sequence().next_by_id(
                    sequence_date=fields.Datetime.to_datetime(declared)
                )
            # whoever declares a crisis with its statement or customer-facing title wrote them
            if "statement_editor_ids" not in vals and any(
                vals.get(name) and not (name == "public_statement" and is_html_empty(vals[name]))
                for name in STATEMENT_FIELDS
            ):
                vals["statement_editor_ids"] = [Command.link(self.env.uid)]
        crises = super().create(vals_list)
        for crisis in crises:
            if crisis.playbook_id and crisis.company_id.crisis_auto_apply_playbook:
                crisis.action_apply_playbook()
        return crises

    def write(self, vals):
        self._crisis_check_values([vals])
        self._crisis_check_severity([vals])
        self._crisis_check_closed()
        if "company_id" in vals and not self._crisis_is_workflow():
            self._check_company_change(vals["company_id"])
        # editing an approved statement or customer-facing title (in the
        # language of the write) sends it back to draft, whoever edits it;
        # the editor is one of its writers
        if vals.keys() & set(STATEMENT_FIELDS):
            self.filtered(lambda c: c._crisis_statement_changed(vals))._crisis_statement_written()
        moved = self.browse()
        if vals.get("stage_id"):
            moved = self.filtered(lambda c: c.stage_id.id != vals["stage_id"])
        result = super().write(vals)
        if "public_title" in vals and not vals["public_title"]:
            # an emptied customer-facing title is the title again
            self.env.add_to_compute(self._fields["public_title"], self)
        if "user_id" in vals:
            self.sudo().impact_ids._crisis_subscribe_owners()  # the new lead follows the lines
        if moved:
            moved._notify_stage_customers()
        if "date_last_update" in vals and self:
            # an update went out: the "customer update due" reminder is done
            self.activity_feedback([UPDATE_DUE])
        return result

    def _crisis_check_closed(self):
        """A closed crisis is kept as it is, whatever the path (the form shows it
        read-only): only a Crisis Manager changes it, to reopen or correct it."""
        if (
            self.env.su
            or self._crisis_is_workflow()
            or self.env.user.has_group("crisis_management.group_crisis_manager")
        ):
            return
        closed = self.filtered("is_closed")
        if closed:
            raise UserError(
                self.env._(
                    "%(references)s is closed: it is kept as it is. Only a Crisis Manager "
                    "can change it, or reopen it by moving it back to an open stage.",
                    references=", ".join(closed.mapped("reference")),
                )
            )

    def _crisis_statement_written(self):
        """The current user changed what customers read of these crises (the
        statement or the customer-facing title, in a language): they are one
        of its writers. An approved statement goes back to draft, and its
        writers are those of the new text only.
        """
        approved = self.filtered(lambda c: c.statement_state == "approved")
        if approved:
            approved.action_reset_statement()
            as_workflow(approved).write({"statement_editor_ids": [Command.set([self.env.uid])]})
        drafts = self - approved
        if drafts:
            as_workflow(drafts).write({"statement_editor_ids": [Command.link(self.env.uid)]})

    def _crisis_statement_changed(self, vals):
        """Whether ``vals`` changes what customers read of this crisis (in the
        language of the write)."""
        self.ensure_one()
        if "public_statement" in vals and (self.public_statement or "") != (
            vals["public_statement"] or ""
        ):
            return True
        if "public_title" in vals:
            # an empty customer-facing title is the title
            new_title = vals["public_title"] or vals.get("name", self.name)
            return (self.public_title or "") != (new_title or "")
        return False

    def _update_field_translations(self, field_name, translations, digest=None, source_lang=None):
        """The translations of the statement and title, written outside ``write``
        (the translation dialog, ``update_field_translations``): changing one
        of an approved statement sends it back to draft, as ``write`` does."""
        if field_name not in STATEMENT_FIELDS:
            return super()._update_field_translations(
                field_name, translations, digest=digest, source_lang=source_lang
            )
        self.ensure_one()
        if field_name == "public_title":
            self._crisis_check_title_length(translations.values(), self.reference)
        field = self._fields[field_name]
        before = field._get_stored_translations(self)
        result = super()._update_field_translations(
            field_name, translations, digest=digest, source_lang=source_lang
        )
        if field._get_stored_translations(self) != before:
            self._crisis_statement_written()
        return result

    def unlink(self):
        """The affected-customer lines, action steps and plans go first,
        through the ORM.

        The database cascade would leave their ratings, messages, followers
        and activities behind: it runs none of Odoo's unlink.

        Odoo runs the ``@api.ondelete`` guards in ``super()``, once these
        children are gone: they run here first, while the crisis still has
        what they guard (those of other modules too).
        """
        if not self:
            return True
        # what super() checks first, while the children are still there
        self.check_access("unlink")
        uninstalling = self.env.context.get(MODULE_UNINSTALL_FLAG)
        for guard in self._ondelete_methods:
            if guard._ondelete or not uninstalling:
                guard(self)
        # sudo: the user may delete these crises, and their children go with them
        children = self.sudo().with_context(active_test=False)
        children.action_ids.unlink()
        children.action_plan_ids.unlink()
        children.impact_ids.unlink()
        return super().unlink()

    def _check_company_change(self, company_id):
        """A crisis keeps its company once it has customers, plans or compensations."""
        moving = self.filtered(lambda c: c.company_id.id != company_id)
        if not moving:
            return
        for model in (
            "crisis.impact",
            "crisis.action.plan",
            "crisis.compensation",
            "crisis.update",
        ):
            # sudo: whether children exist, even those the user may not read
            child = self.env[model].sudo().search([("crisis_id", "in", moving.ids)], limit=1)
            if child:
                raise UserError(
                    self.env._(
                        "Crisis %(reference)s already has affected customers, action plans, "
                        "compensations or customer updates in %(company)s: it cannot move to "
                        "another company.",
                        reference=child.crisis_id.reference,
                        company=child.crisis_id.company_id.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_customers(self):
        if self.env.user.has_group("crisis_management.group_crisis_manager"):
            return
        with_customers = self.filtered("affected_count")
        if with_customers:
            raise UserError(
                self.env._(
                    "Crisis %(reference)s has affected customers: archive it instead of "
                    "deleting it, or ask a Crisis Manager.",
                    reference=with_customers[0].reference,
                )
            )

    @api.ondelete(at_uninstall=True)
    def _unlink_except_with_compensations(self):
        # sudo: whether compensations exist, even those the user may not read
        compensation = (
            self.env["crisis.compensation"].sudo().search([("crisis_id", "in", self.ids)], limit=1)
        )
        if compensation:
            raise UserError(
                self.env._(
                    "Crisis %(reference)s has compensations: archive the crisis instead of "
                    "deleting it, or delete its compensations first.",
                    reference=compensation.crisis_id.reference,
                )
            )

    # ------------------------------------------------------------------
    # Views
    # ------------------------------------------------------------------

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """A form that shows ``can_edit`` is read-only for whoever may not
        change the crisis: each of its fields (those of the form itself, not
        of its embedded lists, which follow their field) is also read-only
        when ``can_edit`` is false, fields added by other views included.

        Fields read-only anyway, and those whose ``readonly`` already speaks
        of ``can_edit`` (the status bar: a Crisis Manager reopens a closed
        crisis), are left as they are.
        """
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type != "form" or not arch.xpath("//field[@name='can_edit']"):
            return arch, view
        for node in arch.xpath("//field[not(ancestor::field)]"):
            readonly = node.get("readonly")
            if readonly is None:
                field = self._fields.get(node.get("name"))
                if field is not None and not field.readonly:
                    node.set("readonly", "not can_edit")
            elif readonly.strip() not in ("1", "True") and "can_edit" not in readonly:
                node.set("readonly", f"({readonly}) or not can_edit")
        return arch, view

    # ------------------------------------------------------------------
    # Chatter: the events people follow
    # ------------------------------------------------------------------

    def _creation_subtype(self):
        return self.env.ref("crisis_management.mt_crisis_declared")

    def _track_subtype(self, initial_values):
        self.ensure_one()
        if (
            "stage_id" in initial_values
            and self.stage_id.is_resolved
            and not initial_values["stage_id"].is_resolved
        ):
            return self.env.ref("crisis_management.mt_crisis_resolved")
        if "statement_state" in initial_values and self.statement_state == "approved":
            return self.env.ref("crisis_management.mt_crisis_statement_approved")
        return super()._track_subtype(initial_values)

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

    def action_approve_statement(self):
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(
                self.env._("Only a Crisis Manager can approve the public statement.")
            )
        empty = self.filtered(lambda c: is_html_empty(c.public_statement))
        if empty:
            raise UserError(
                self.env._(
                    "Crisis %(reference)s has no public statement to approve.",
                    reference=empty[0].reference,
                )
            )
        written = self.filtered(
            lambda c: c._crisis_text_approval_refusal(c.statement_editor_ids) == "writer"
        )
        if written:
            raise UserError(
                self.env._(
                    "Crisis %(reference)s: you wrote or changed its public statement or "
                    "customer-facing title since it was last approved. Another Crisis Manager "
                    "approves it: what customers read of this crisis is approved by a second "
                    "person.",
                    reference=written[0].reference,
                )
            )
        self.check_access("write")
        as_workflow(self).write(
            {
                "statement_state": "approved",
                "statement_approved_by_id": self.env.uid,
                "date_statement_approved": fields.Datetime.now(),
            }
        )
        return True

    # ------------------------------------------------------------------
    # One voice: who approves what customers read
    # ------------------------------------------------------------------

    def _crisis_second_approver_required(self):
        """Whether what this crisis says to customers is approved by someone
        who did not write it: always for high and critical crises, from the
        company's chosen severity for the others (Crisis Settings). Drills
        too: they rehearse the real approval."""
        self.ensure_one()
        rank = {level: number for number, (level, _label) in enumerate(SEVERITIES)}
        company = self.company_id or self.env.company
        threshold = min(
            rank.get(company.crisis_statement_four_eyes_severity, rank["high"]), rank["high"]
        )
        return rank.get(self.severity or "medium", 0) >= threshold

    def _crisis_text_approval_refusal(self, writers):
        """Why the current user may not approve a text of this crisis written
        by ``writers`` (users): ``"manager"`` (not a Crisis Manager),
        ``"writer"`` (one of them, and a second approver is required), or
        ``False`` when they may."""
        self.ensure_one()
        user = self.env.user
        if not user.has_group("crisis_management.group_crisis_manager"):
            return "manager"
        if user in writers and self._crisis_second_approver_required():
            return "writer"
        return False

    @api.model
    def _crisis_same_text(self, body, other):
        """Whether two HTML texts say the same words (the editor of the notify
        wizard may rewrite the markup)."""
        words = html2plaintext(body or "").split()
        return bool(words) and words == html2plaintext(other or "").split()

    def _crisis_may_send(self, body):
        """Whether the current user may send ``body`` to the customers of this
        crisis: nothing (the statement is sent), the statement in one of its
        languages, the edited message once approved, or a text they may
        approve themselves (a Crisis Manager, when no second approver is
        required)."""
        self.ensure_one()
        if is_html_empty(body) or self._crisis_is_statement(body):
            return True
        if self.edited_message_approved_by_id and self._crisis_same_text(
            body, self.edited_message
        ):
            return True
        return not self._crisis_text_approval_refusal(self.env.user)

    def _crisis_check_message(self, body):
        """Raise unless the current user may send ``body`` to the customers of
        these crises (``_crisis_may_send``)."""
        for crisis in self:
            if not crisis._crisis_may_send(body):
                raise UserError(
                    self.env._(
                        "Crisis %(reference)s: this message is not the approved public "
                        "statement, and nobody else approved it. Request its approval from the "
                        "Notify Customers window (a Crisis Manager who did not write it "
                        "approves it), or send the public statement as it is.",
                        reference=crisis.reference,
                    )
                )

    def _crisis_request_message_approval(self, body):
        """Keep ``body``, written by the current user, as the message to send
        to the customers of this crisis once a Crisis Manager approves it
        (another one, when a second approver is required); it replaces the
        message kept before. The Crisis Managers who may approve it get an
        activity."""
        self.ensure_one()
        self._check_can_speak_to_customers()
        self.check_access("write")
        if is_html_empty(body):
            raise UserError(self.env._("Write the message to approve first."))
        self._crisis_close_message_activities(decided=False)
        as_workflow(self).write(
            {
                "edited_message": body,
                "edited_message_user_id": self.env.uid,
                "edited_message_approved_by_id": False,
            }
        )
        self.message_post(
            body=Markup("%s<blockquote>%s</blockquote>")
            % (
                self.env._(
                    "%(user)s asks to send this message to the affected customers:",
                    user=self.env.user.name,
                ),
                self.edited_message,
            ),
            subtype_xmlid="mail.mt_note",
        )
        managers = (
            self.env.ref("crisis_management.group_crisis_manager")
            .sudo()
            .users.filtered(
                lambda user: (
                    user.active
                    and not user.share
                    and self.company_id in user.company_ids
                    and (user != self.env.user or not self.second_approver_required)
                )
            )
        )
        self.env["crisis.reminder.mixin"]._crisis_schedule_activities(
            [(self, manager) for manager in managers],
            summary_of=lambda crisis: crisis.env._("Message to approve"),
            date_of=lambda crisis: fields.Date.context_today(crisis),
            note_of=lambda crisis: crisis.env._(
                "%(user)s asks to send a message to the affected customers of %(crisis)s: "
                "approve it in the Communication tab.",
                user=crisis.edited_message_user_id.name,
                crisis=crisis.display_name,
            ),
            activity_type_xmlid=MESSAGE_TO_APPROVE,
        )
        return True

    def action_approve_edited_message(self):
        """Approve the message waiting for approval: it may then be sent as it
        is, from the Notify Customers window."""
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(self.env._("Only a Crisis Manager can approve a message."))
        for crisis in self:
            if is_html_empty(crisis.edited_message) or crisis.edited_message_approved_by_id:
                raise UserError(
                    self.env._(
                        "Crisis %(reference)s has no message waiting for approval.",
                        reference=crisis.reference,
                    )
                )
            if crisis._crisis_text_approval_refusal(crisis.edited_message_user_id):
                raise UserError(
                    self.env._(
                        "Crisis %(reference)s: you wrote this message. Another Crisis Manager "
                        "approves it: what customers read of this crisis is approved by a "
                        "second person.",
                        reference=crisis.reference,
                    )
                )
        self.check_access("write")
        as_workflow(self).write({"edited_message_approved_by_id": self.env.uid})
        self._crisis_close_message_activities()
        for crisis in self:
            crisis.message_post(
                body=self.env._(
                    "The message of %(user)s is approved: send it from Notify Customers.",
                    user=crisis.edited_message_user_id.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_discard_edited_message(self):
        """Drop the message kept for sending (waiting for approval or approved):
        its writer or a Crisis Manager."""
        is_manager = self.env.user.has_group("crisis_management.group_crisis_manager")
        others = self.filtered(lambda c: c.edited_message_user_id != self.env.user)
        if others and not is_manager:
            raise AccessError(
                self.env._("Only its writer or a Crisis Manager can discard the message.")
            )
        self.check_access("write")
        self._crisis_close_message_activities(decided=False)
        as_workflow(self).write(
            {
                "edited_message": False,
                "edited_message_user_id": False,
                "edited_message_approved_by_id": False,
            }
        )
        return True

    def action_send_edited_message(self):
        """The Notify Customers window with the approved message."""
        self.ensure_one()
        if not self.edited_message_approved_by_id:
            raise UserError(
                self.env._(
                    "Crisis %(reference)s has no approved message to send.",
                    reference=self.reference,
                )
            )
        action = self.action_notify_customers()
        action["context"] = dict(action.get("context") or {}, default_body=self.edited_message)
        return action

    def _crisis_close_message_activities(self, decided=True):
        """The approvers' "Message to Approve" activities end with the request:
        the deciding user's one is done, the others go."""
        crises = self.sudo()
        if decided:
            crises.activity_feedback([MESSAGE_TO_APPROVE], user_id=self.env.uid)
        crises.activity_unlink([MESSAGE_TO_APPROVE])

    def action_reset_statement(self):
        """Back to draft: the statement must be approved again before it is sent."""
        self.check_access("write")
        as_workflow(self).write(
            {
                "statement_state": "draft",
                "statement_approved_by_id": False,
                "date_statement_approved": False,
            }
        )
        return True

    def _crisis_notify(
        self,
        audience,
        template,
        kind="progress",
        body=None,
        audience_kind="all",
        detail=False,
        is_public=False,
        **values,
    ):
        """Send ``template`` to the affected customers ``audience`` of this crisis.

        ``audience`` is a recordset of ``crisis.impact`` or a domain on them
        (searched with the user's rights): with a domain, nothing is read per
        customer at the click, whatever the audience size. One
        ``crisis.update`` records the send (see ``crisis.update._crisis_queue``).

        :param body: the text of the update (``update_body`` in templates);
            the approved public statement when empty
        :param is_public: the update is also shown on the public status page
        :param values: more values of the ``crisis.update`` (bridge modules)
        """
        self.ensure_one()
        if template.model != "crisis.impact":
            raise UserError(
                self.env._("Template %s is not an email to affected customers.", template.name)
            )
        self._check_can_speak_to_customers()
        self.check_access("write")
        Impact = self.env["crisis.impact"]
        if isinstance(audience, models.BaseModel):
            audience = audience.filtered(lambda line: line.crisis_id == self)
            first = audience[:1]
        else:
            audience = expression.AND([audience, [("crisis_id", "=", self.id)]])
            first = Impact.search(audience, order="id", limit=1)
        # the subject of the update: the template's, rendered for one of its
        # customers once per language (not per customer), stored translated
        Update = self.env["crisis.update"]
        subjects = Update._crisis_render_subjects(template, first)
        update = Update._crisis_queue(
            self,
            audience,
            template,
            kind,
            body=body,
            name=subjects.get(self.env.lang or "en_US") or single_line(template.name),
            audience=audience_kind,
            audience_detail=detail,
            is_public=is_public,
            **values,
        )
        update._crisis_store_translations(subjects)
        self.sudo().date_last_update = fields.Datetime.now()
        return update

    def _notify_stage_customers(self):
        """The stage's email, if it has one, to the affected customers of real crises."""
        for stage, crises in self.grouped("stage_id").items():
            template = stage.mail_template_id
            crises = crises.filtered(lambda c: not c.is_drill and c.affected_count)
            if not template or not crises:
                continue
            kind = "resolution" if stage.is_resolved else "progress"
            for crisis in crises:
                crisis._crisis_notify(
                    crisis.impact_ids, template, kind, **crisis._crisis_stage_notice_values(kind)
                )

    def _crisis_stage_notice_values(self, kind):
        """More values of the ``crisis.update`` of a stage notice of ``kind``
        (a hook: the SMS bridge sends them by SMS too, when set so)."""
        self.ensure_one()
        return {}

    def action_notify_customers(self):
        self.ensure_one()
        self._check_can_speak_to_customers()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management.crisis_notify_wizard_action"
        )
        action["context"] = {"default_crisis_id": self.id}
        return action

    def action_send_resolution_notice(self):
        """The notify wizard, set for the resolution notice (offered once resolved)."""
        action = self.action_notify_customers()
        action["context"] = dict(action.get("context") or {}, default_kind="resolution")
        return action

    def _crisis_action(self, xmlid, domain, context=None, name=None):
        """The window action ``xmlid`` on ``domain``, with ``context`` (empty
        when not given) and, if given, ``name`` as its title."""
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = domain
        action["context"] = context or {}
        if name:
            action["display_name"] = name
        return action

    def action_view_updates(self):
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_update_action",
            [("crisis_id", "=", self.id)],
            context={"default_crisis_id": self.id},
            name=self.env._("Customer Updates of %s", self.reference),
        )

    def action_view_ratings(self):
        self.ensure_one()
        return self._crisis_action(
            "rating.rating_rating_action",
            [
                ("parent_res_model", "=", self._name),
                ("parent_res_id", "=", self.id),
                ("consumed", "=", True),
            ],
        )

    def _check_can_speak_to_customers(self):
        """Raise unless the crises may send something to their customers."""
        for crisis in self:
            if crisis.is_drill:
                raise UserError(
                    self.env._(
                        "%(reference)s is a drill: drills never send anything to customers.",
                        reference=crisis.reference,
                    )
                )
            if crisis.statement_state != "approved":
                raise UserError(
                    self.env._(
                        "Crisis %(reference)s: nothing goes to customers before a Crisis Manager "
                        "approves the public statement.",
                        reference=crisis.reference,
                    )
                )

    def _crisis_is_statement(self, body):
        """Whether ``body`` says what the public statement says, in one of its
        languages: such an update is sent to each customer with the statement
        in their language.

        Compared as text: the editor of the notify wizard may rewrite the
        markup of the statement it proposes.
        """
        self.ensure_one()
        crisis = self._origin
        words = html2plaintext(body or "").split()
        if not words or not crisis.id:
            return False
        stored = crisis._fields["public_statement"]._get_stored_translations(crisis) or {}
        return any(html2plaintext(value or "").split() == words for value in stored.values())

    def _crisis_untranslated_langs(self, field_names=STATEMENT_FIELDS):
        """The active languages, English aside, in which one of ``field_names``
        (the public statement, the customer-facing title) has no translation of
        its own: customers speaking them read the English text."""
        self.ensure_one()
        crisis = self._origin
        if not crisis.id:
            return set()
        langs = {code for code, _name in self.env["res.lang"].get_installed()} - {"en_US"}
        missing = set()
        for name in field_names:
            stored = crisis._fields[name]._get_stored_translations(crisis) or {}
            source = stored.get("en_US")
            if not source or (name == "public_statement" and is_html_empty(source)):
                continue
            missing |= {lang for lang in langs if stored.get(lang) in (None, "", source)}
        return missing

    def action_apply_playbook(self, playbook=None):
        """Create (or complete) the action plan of ``playbook`` on the crisis.

        One step per playbook step, assigned to the team member holding the
        step's role (the crisis lead when nobody does), due at declaration plus
        the step's offset. Steps already created from the playbook are kept, so
        applying twice adds nothing.
        """
        self.ensure_one()
        if isinstance(playbook, int) and not isinstance(playbook, bool):  # id, e.g. XML-RPC
            playbook_id, playbook = (
                playbook,
                self.env["crisis.playbook"].search([("id", "=", playbook)]),
            )
            if not playbook:
                raise UserError(
                    self.env._("There is no playbook %(id)s you can apply.", id=playbook_id)
                )
        elif playbook and not (
            isinstance(playbook, models.BaseModel)
            and playbook._name == "crisis.playbook"
            and len(playbook) == 1
        ):
            raise UserError(self.env._("Give one playbook (record or id) to apply."))
        playbook = playbook or self.playbook_id
        if not playbook:
            raise UserError(self.env._("Choose the playbook to apply to the crisis first."))
        if playbook.company_id and playbook.company_id != self.company_id:
            raise UserError(
                self.env._(
                    "Playbook %(playbook)s belongs to another company than crisis %(reference)s.",
                    playbook=playbook.display_name,
                    reference=self.reference,
                )
            )
        plan = self.action_plan_ids.filtered(lambda p: p.playbook_id == playbook)[:1]
        if not plan:
            plan = self.env["crisis.action.plan"].create(
                {
                    "name": playbook.name,
                    "crisis_id": self.id,
                    "playbook_id": playbook.id,
                    "user_id": self.user_id.id,
                }
            )
        done_steps = plan.action_ids.playbook_step_id
        new_steps = playbook.step_ids - done_steps
        if not new_steps:
            # said, not silently done: a notification (a dict, fine over XML-RPC)
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": self.env._("Nothing to add"),
                    "message": self.env._(
                        "Every step of playbook %(playbook)s is already in the action plan of "
                        "%(reference)s.",
                        playbook=playbook.display_name,
                        reference=self.reference,
                    ),
                    "type": "info",
                    "sticky": False,
                },
            }
        holders = self._crisis_role_holders()
        self.env["crisis.action"].create(
            [
                {
                    "plan_id": plan.id,
                    "playbook_step_id": step.id,
                    "name": step.name,
                    "description": step.description,
                    "sequence": step.sequence,
                    "role": step.role,
                    "user_id": (holders.get(step.role) or self.user_id).id,
                    "date_deadline": self.date_declared + timedelta(hours=step.deadline_hours),
                }
                for step in new_steps
            ]
        )
        return True

    def _crisis_role_holders(self):
        """{role: user} of the response team: the first member holding each
        role, the team leader for *Crisis Lead* when no member holds it."""
        self.ensure_one()
        holders = {}
        for member in self.team_id.member_ids:
            holders.setdefault(member.role, member.user_id)
        if self.team_id.leader_id:
            holders.setdefault("lead", self.team_id.leader_id)
        return holders

    def _crisis_steps_outside_team(self):
        """The open steps assigned to someone who is neither the crisis lead
        nor in its response team (its leader or members). Corrective actions
        are not: their owners are whoever the review chose."""
        self.ensure_one()
        members = self.user_id | self.team_id.leader_id | self.team_id.member_ids.user_id
        return self.action_ids.filtered(
            lambda step: (
                step.state in OPEN_STATES
                and not step.is_corrective
                and step.user_id
                and step.user_id not in members
            )
        )

    def action_reassign_open_steps(self):
        """Give the open steps assigned outside the response team to the team:
        each to the member holding the step's role, else to the crisis lead.

        Offered on the form when the team changes; one write per new assignee
        (tracked on each step), one note on the crisis.
        """
        # the members as they are now (a many2many condition of the record
        # rules does not flush them)
        self.flush_model(["member_user_ids"])
        for crisis in self:
            crisis.check_access("write")
            holders = crisis._crisis_role_holders()
            steps = crisis._crisis_steps_outside_team()
            by_user = {}
            for step in steps:
                user = holders.get(step.role) or crisis.user_id
                if user:
                    by_user[user] = by_user.get(user, step.browse()) | step
            if not by_user:
                continue
            for user, user_steps in by_user.items():
                user_steps.write({"user_id": user.id})
            count = sum(len(user_steps) for user_steps in by_user.values())
            crisis.message_post(
                body=(
                    self.env._("1 open step reassigned to the response team.")
                    if count == 1
                    else self.env._(
                        "%(count)s open steps reassigned to the response team.", count=count
                    )
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_cancel_open_steps(self):
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(self.env._("Only a Crisis Manager can cancel the open steps."))
        # the response plan's steps: corrective actions outlive the crisis
        self.action_ids.filtered(
            lambda a: a.state in OPEN_STATES and not a.is_corrective
        ).action_cancel()
        return True

    def action_view_actions(self):
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_action_action",
            [("crisis_id", "=", self.id)],
            context={"search_default_group_by_plan": 1},
            name=self.env._("Action Steps of %s", self.reference),
        )

    def action_view_compensations(self):
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_compensation_action",
            [("crisis_id", "=", self.id)],
            name=self.env._("Compensations of %s", self.reference),
        )

    def action_view_compensations_to_approve(self):
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_compensation_action",
            [("crisis_id", "=", self.id)],
            context={"search_default_to_approve": 1},
            name=self.env._("Compensations of %s", self.reference),
        )

    def action_view_impacts(self):
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_impact_action",
            [("crisis_id", "=", self.id)],
            context={"default_crisis_id": self.id},
            name=self.env._("Affected Customers of %s", self.reference),
        )

    def action_add_customers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management.crisis_impact_wizard_action"
        )
        action["context"] = {"default_crisis_id": self.id}
        return action

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

    @api.model
    def _cron_remind_updates(self):
        """Open crises whose next customer update is due: one activity, per due time."""
        due = SQL(
            "active AND is_drill IS NOT TRUE AND date_next_update <= %s"
            " AND COALESCE(communication_user_id, user_id) IS NOT NULL"
            " AND reminded_update IS DISTINCT FROM date_next_update"
            " AND stage_id IN (SELECT id FROM crisis_stage WHERE is_resolved IS NOT TRUE)",
            fields.Datetime.now(),
        )
        self._crisis_remind_once(
            due,
            "date_next_update",
            "reminded_update",
            summary_of=lambda crisis: crisis.env._("Customer update due for %s", crisis.reference),
            date_of=lambda crisis: fields.Date.context_today(crisis, crisis.date_next_update),
            note_of=lambda crisis: crisis.env._(
                "The affected customers of %(crisis)s expect an update: use Notify Customers.",
                crisis=crisis.display_name,
            ),
            user_of=lambda crisis: crisis.communication_user_id or crisis.user_id,
            activity_type_xmlid=UPDATE_DUE,
        )

    @api.model
    def _cron_request_satisfaction(self, batch_size=50):
        """Some days after resolution, ask every notified customer for a rating, once.

        Crises are handled ``batch_size`` at a time, each with all its notified
        customers; the delay and template are the company's (Crisis Settings).
        Crises whose statement is no longer approved wait until it is.
        """
        due = SQL(
            "active AND is_drill IS NOT TRUE AND date_satisfaction_requested IS NULL"
            " AND statement_state = 'approved' AND date_resolved IS NOT NULL"
            " AND date_resolved <= %s::timestamp - make_interval(days => ("
            "SELECT crisis_satisfaction_days FROM res_company WHERE id = company_id))",
            fields.Datetime.now(),
        )
        crises = self._crisis_lock_due(due, limit=batch_size)
        Impact = self.env["crisis.impact"]
        impacts = Impact.search(
            [
                ("crisis_id", "in", crises.ids),
                ("date_last_contact", "!=", False),
                ("date_rating_requested", "=", False),
            ]
        )
        for company, company_impacts in impacts.grouped("company_id").items():
            template = company._crisis_satisfaction_template()
            if template:
                company_impacts._crisis_request_rating(template)
        as_workflow(crises).date_satisfaction_requested = fields.Datetime.now()
        self.env["ir.cron"]._notify_progress(
            done=len(crises), remaining=self._crisis_count_due(due)
        )
