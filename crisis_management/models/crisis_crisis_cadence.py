"""The customer update cadence of a crisis: while it is open, its affected
customers hear from it every few hours (set by severity, Crisis Settings);
its communications owner is reminded when the next update is due."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .res_company import MAX_HOURS

UPDATE_DUE = "crisis_management.mail_act_crisis_update_due"


class CrisisCrisis(models.Model):
    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    # customer updates: a cadence until resolution
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

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

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

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

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

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        result = super().write(vals)
        if "date_last_update" in vals and self:
            # an update went out: the "customer update due" reminder is done
            self.activity_feedback([UPDATE_DUE])
        return result

    # ------------------------------------------------------------------
    # Scheduled jobs
    # ------------------------------------------------------------------

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
