from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .crisis_team_member import TEAM_ROLES

ACTION_STATES = [
    ("todo", "To Do"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
]
OPEN_STATES = ("todo", "in_progress")
# what a corrective action of a post-incident review is for
CORRECTIVE_KINDS = [
    ("mitigate", "Mitigate"),
    ("prevent", "Prevent"),
    ("process", "Process"),
    ("other", "Other"),
]
# the reminder of a step due soon or overdue (scheduled job)
STEP_DUE = "crisis_management.mail_act_crisis_step_due"


class CrisisAction(models.Model):
    _name = "crisis.action"
    _description = "Crisis Action Step"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "crisis.workflow.mixin",
        "crisis.reminder.mixin",
    ]
    _order = "date_deadline, sequence, id"
    _check_company_auto = True
    _crisis_checks_itself = True
    _crisis_workflow_fields = ("date_done", "reminded_deadline")

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    plan_id = fields.Many2one(
        "crisis.action.plan",
        string="Action Plan",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    # not precomputed: that would leave new records in crisis.action_ids' cache
    crisis_id = fields.Many2one(related="plan_id.crisis_id", store=True, index=True)
    company_id = fields.Many2one(
        related="plan_id.company_id", store=True, index=True, precompute=True
    )
    is_drill = fields.Boolean(related="crisis_id.is_drill")
    # a corrective action of the post-incident review: it stays open after the
    # crisis is closed, and neither the plan's progress nor closing waits for it
    is_corrective = fields.Boolean(
        related="plan_id.is_corrective", store=True, index=True, string="Corrective Action"
    )
    kind = fields.Selection(
        CORRECTIVE_KINDS,
        string="Corrective Kind",
        tracking=True,
        help="What the corrective action is for: limit the harm of such a crisis (mitigate), "
        "keep it from happening again (prevent), change how the team works (process).",
    )
    playbook_step_id = fields.Many2one("crisis.playbook.step", ondelete="set null", index=True)
    description = fields.Text()
    role = fields.Selection(TEAM_ROLES)
    user_id = fields.Many2one(
        "res.users",
        string="Assignee",
        tracking=True,
        index=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    date_deadline = fields.Datetime(string="Deadline", tracking=True, index=True)
    state = fields.Selection(
        ACTION_STATES, required=True, default="todo", tracking=True, index=True, group_expand=True
    )
    date_done = fields.Datetime(string="Done On", readonly=True, copy=False)
    notes = fields.Html()
    is_overdue = fields.Boolean(compute="_compute_deadline_flags", search="_search_is_overdue")
    is_due_today = fields.Boolean(compute="_compute_deadline_flags")
    color = fields.Integer()
    reminded_deadline = fields.Datetime(
        copy=False, help="The deadline the assignee was last reminded of (scheduled reminders)."
    )

    @api.depends("date_deadline", "state")
    def _compute_deadline_flags(self):
        now = fields.Datetime.now()
        today = fields.Date.context_today(self)
        for action in self:
            open_ = action.state in OPEN_STATES and action.date_deadline
            action.is_overdue = bool(open_ and action.date_deadline < now)
            action.is_due_today = bool(
                open_
                and not action.is_overdue
                and fields.Date.context_today(self, action.date_deadline) == today
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue steps."))
        domain = [
            ("state", "in", OPEN_STATES),
            ("date_deadline", "<", fields.Datetime.now()),
        ]
        return domain if (operator == "=") == value else ["!", *domain]

    @api.model
    def _progress_by(self, field_name, ids, domain=()):
        """{id: (open steps, progress %)} of the steps grouped by ``field_name``
        (among those of ``domain``).

        Progress is the share of steps done, cancelled steps left out.
        """
        counts = {}
        for record, state, count in self._read_group(
            [(field_name, "in", ids), *domain], [field_name, "state"], ["__count"]
        ):
            counts.setdefault(record.id, {})[state] = count
        result = {}
        for record_id, by_state in counts.items():
            relevant = sum(by_state.values()) - by_state.get("cancelled", 0)
            done = by_state.get("done", 0)
            result[record_id] = (
                sum(by_state.get(state, 0) for state in OPEN_STATES),
                100.0 * done / relevant if relevant else 0.0,
            )
        return result

    @api.model
    def _cron_remind_steps(self):
        """Steps due soon (24 hours by default, Crisis Settings) or overdue: one
        activity for their assignee.

        Once per step and deadline: a moved deadline is reminded again.
        """
        due = SQL(
            "state IN %s AND user_id IS NOT NULL"
            " AND date_deadline <= %s::timestamp + make_interval(hours => ("
            "SELECT crisis_step_reminder_hours FROM res_company WHERE id = company_id))"
            " AND reminded_deadline IS DISTINCT FROM date_deadline",
            OPEN_STATES,
            fields.Datetime.now(),
        )
        self._crisis_remind_once(
            due,
            "date_deadline",
            "reminded_deadline",
            summary_of=lambda step: step.env._("Crisis step due: %s", step.name),
            date_of=lambda step: fields.Date.context_today(step, step.date_deadline),
            note_of=lambda step: step.crisis_id.display_name,
            activity_type_xmlid=STEP_DUE,
        )

    @api.constrains("kind", "plan_id")
    def _check_kind(self):
        missing = self.filtered(lambda step: step.is_corrective and not step.kind)
        if missing:
            raise ValidationError(
                self.env._(
                    "%(step)s is a corrective action: say what it is for (mitigate, prevent, "
                    "process or other).",
                    step=missing[0].name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self = self._crisis_check_values(vals_list, create=True)
        for vals in vals_list:
            if vals.get("state") == "done":
                vals["date_done"] = fields.Datetime.now()
        return super().create(vals_list)

    def write(self, vals):
        self._crisis_check_values([vals])
        moved = self._crisis_moving("plan_id", vals)
        # a step leaving a plan is removed from its crisis
        moved.check_access("unlink")
        if "state" in vals:
            vals["date_done"] = fields.Datetime.now() if vals["state"] == "done" else False
        deadlines = {}
        if "date_deadline" in vals:
            deadlines = {step.id: step.date_deadline for step in self}
        result = super().write(vals)
        if moved:
            # and added to the target's crisis
            moved.check_access("create")
        self._crisis_close_reminders(vals, deadlines)
        return result

    def action_start(self):
        self.write({"state": "in_progress"})
        return True

    def action_done(self):
        self.write({"state": "done"})
        return True

    def action_cancel(self):
        self.write({"state": "cancelled"})
        return True

    def action_reset(self):
        self.write({"state": "todo"})
        return True

    def _crisis_close_reminders(self, vals, deadlines):
        """The "step due" reminders end with the step, or with its deadline.

        :param deadlines: {step id: deadline before the write}
        """
        if not self:
            return
        if vals.get("state") == "done":
            self.activity_feedback([STEP_DUE])
        elif vals.get("state") == "cancelled":
            self.activity_unlink([STEP_DUE])
        # a moved deadline: the scheduled job reminds of the new one
        rescheduled = self.filtered(
            lambda step: step.id in deadlines and step.date_deadline != deadlines[step.id]
        )
        if rescheduled:
            rescheduled.activity_unlink([STEP_DUE])
