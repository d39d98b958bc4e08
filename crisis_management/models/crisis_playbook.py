from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .res_company import MAX_MONTHS

# the reminder of a playbook past its next review date (scheduled job)
REVIEW_DUE = "crisis_management.mail_act_crisis_playbook_review"


class CrisisPlaybook(models.Model):
    _name = "crisis.playbook"
    _description = "Crisis Playbook"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "crisis.workflow.mixin",
        "crisis.reminder.mixin",
    ]
    _crisis_workflow_fields = ("reminded_review",)
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Leave empty to share the playbook with every company.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
        default=lambda self: self.env.user,
        help="Keeps the playbook up to date and runs its drills.",
    )
    type_ids = fields.Many2many("crisis.type", string="Crisis Types")
    description = fields.Html(help="When to use this playbook and what it aims at.")
    step_ids = fields.One2many("crisis.playbook.step", "playbook_id", string="Steps", copy=True)
    step_count = fields.Integer(compute="_compute_step_count", string="Steps Count")
    mail_template_ids = fields.Many2many(
        "mail.template",
        string="Message Templates",
        domain="[('model', 'in', ('crisis.crisis', 'crisis.impact'))]",
        help="The messages to customers this playbook relies on.",
    )
    compensation_guideline = fields.Html(
        help="What to offer affected customers, and up to which amount."
    )
    review_interval = fields.Integer(
        string="Review Every (months)",
        default=12,
        help="How often the playbook must be reviewed; 0 means no scheduled review.",
    )
    date_last_review = fields.Date(string="Last Review", tracking=True)
    date_next_review = fields.Date(
        string="Next Review",
        compute="_compute_date_next_review",
        store=True,
        readonly=False,
        tracking=True,
    )
    reminded_review = fields.Date(
        copy=False, help="The review date the owner was last reminded of (scheduled reminders)."
    )
    date_next_drill = fields.Date(string="Next Drill", tracking=True)
    drill_ids = fields.One2many("crisis.crisis", "drill_playbook_id", string="Drills")
    drill_count = fields.Integer(compute="_compute_drill_count", string="Drills Count")

    @api.depends("step_ids")
    def _compute_step_count(self):
        for playbook in self:
            playbook.step_count = len(playbook.step_ids)

    @api.depends("date_last_review", "review_interval")
    def _compute_date_next_review(self):
        for playbook in self:
            if playbook.date_last_review and 0 < playbook.review_interval <= MAX_MONTHS:
                playbook.date_next_review = playbook.date_last_review + relativedelta(
                    months=playbook.review_interval
                )
            elif not playbook.review_interval:
                playbook.date_next_review = False

    def _compute_drill_count(self):
        counts = dict(
            self.env["crisis.crisis"]
            .with_context(active_test=False)
            ._read_group(
                [("drill_playbook_id", "in", self.ids)], ["drill_playbook_id"], ["__count"]
            )
        )
        for playbook in self:
            playbook.drill_count = counts.get(playbook, 0)

    @api.constrains("review_interval")
    def _check_review_interval(self):
        for playbook in self:
            if not 0 <= playbook.review_interval <= MAX_MONTHS:
                raise ValidationError(
                    self.env._(
                        "The review interval of playbook %(playbook)s must be between 0 "
                        "(no scheduled review) and %(max)s months.",
                        playbook=playbook.display_name,
                        max=MAX_MONTHS,
                    )
                )

    def write(self, vals):
        next_reviews = {}
        if "date_next_review" in vals:
            next_reviews = {playbook.id: playbook.date_next_review for playbook in self}
        result = super().write(vals)
        if "date_last_review" in vals and self:
            # reviewed: the review reminder is done
            self.activity_feedback([REVIEW_DUE])
        else:
            # a review put off: the scheduled job reminds of the new date
            put_off = self.filtered(
                lambda playbook: (
                    playbook.id in next_reviews
                    and playbook.date_next_review != next_reviews[playbook.id]
                )
            )
            if put_off:
                put_off.activity_unlink([REVIEW_DUE])
        return result

    @api.model
    def _cron_remind_reviews(self):
        """Playbooks past their next review date: one activity for their owner, once."""
        due = SQL(
            "active AND date_next_review <= %s AND user_id IS NOT NULL"
            " AND reminded_review IS DISTINCT FROM date_next_review",
            fields.Date.context_today(self),
        )
        self._crisis_remind_once(
            due,
            "date_next_review",
            "reminded_review",
            summary_of=lambda playbook: playbook.env._("Review the playbook %s", playbook.name),
            date_of=lambda playbook: playbook.date_next_review,
            activity_type_xmlid=REVIEW_DUE,
        )

    def action_mark_reviewed(self):
        self.write({"date_last_review": fields.Date.context_today(self)})
        return True

    def action_start_drill(self):
        """A rehearsal: a crisis marked as a drill, with this playbook applied."""
        self.ensure_one()
        crisis = self.env["crisis.crisis"].create(
            {
                "name": self.env._("Drill: %s", self.name),
                "is_drill": True,
                "drill_playbook_id": self.id,
                "playbook_id": self.id,
                "type_id": self.type_ids[:1].id,
                "user_id": self.env.user.id,
            }
        )
        crisis.action_apply_playbook()  # idempotent if applied on creation already
        return {
            "type": "ir.actions.act_window",
            "res_model": "crisis.crisis",
            "res_id": crisis.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_view_drills(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management.crisis_crisis_action"
        )
        action["domain"] = [("drill_playbook_id", "=", self.id)]
        action["context"] = {"active_test": False}
        action["display_name"] = self.env._("Drills of %s", self.name)
        return action
