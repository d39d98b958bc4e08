from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

REVIEW_STATES = [
    ("draft", "Draft"),
    ("in_review", "In Review"),
    ("approved", "Approved"),
]
# the sections the team writes; an approved review keeps them as they are
CONTENT_FIELDS = (
    "summary",
    "impact",
    "trigger",
    "detection",
    "root_cause",
    "resolution",
    "went_well",
    "went_wrong",
    "lucky",
    "user_id",
)


class CrisisReview(models.Model):
    """The blameless post-incident review of a crisis (one per crisis).

    Its own record, with its own chatter, rights and approval: the team keeps
    working on it, and on its corrective actions, after the crisis is closed
    (a closed crisis is read-only).
    """

    _name = "crisis.review"
    _description = "Post-Incident Review"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "crisis.workflow.mixin",
        "crisis.four.eyes.mixin",
    ]
    _order = "id desc"
    _check_company_auto = True
    _rec_names_search = ["crisis_id"]
    _crisis_checks_itself = True
    _crisis_workflow_fields = (
        "state",
        "approved_by_id",
        "date_approved",
        "date_submitted",
        "corrective_plan_id",
        "involved_user_ids",
    )
    # whoever names the author takes part in the review: they do not approve it
    _crisis_four_eyes_fields = ("user_id",)

    crisis_id = fields.Many2one(
        "crisis.crisis", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(
        related="crisis_id.company_id", store=True, index=True, precompute=True
    )
    is_drill = fields.Boolean(related="crisis_id.is_drill")
    severity = fields.Selection(related="crisis_id.severity")
    user_id = fields.Many2one(
        "res.users",
        string="Author",
        default=lambda self: self.env.user,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
        help="Who writes the review. A Crisis Manager other than the author approves it.",
    )
    state = fields.Selection(REVIEW_STATES, required=True, default="draft", tracking=True)
    date_submitted = fields.Datetime(string="Submitted On", readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    date_approved = fields.Datetime(string="Approved On", readonly=True, copy=False)
    can_approve = fields.Boolean(compute="_compute_can_approve")

    summary = fields.Html(help="What happened, in a few lines.")
    impact = fields.Html(
        help="Who and what was hurt, and how much. Filled from the crisis' figures; edit freely."
    )
    trigger = fields.Html(help="The event that set the crisis off.")
    detection = fields.Html(help="How it was noticed, and how it could be noticed sooner.")
    root_cause = fields.Html(related="crisis_id.root_cause", readonly=False)
    resolution = fields.Html(help="What ended the harm for the customers.")
    went_well = fields.Html(string="What Went Well")
    went_wrong = fields.Html(string="What Went Wrong")
    lucky = fields.Html(string="Where We Were Lucky")

    corrective_plan_id = fields.Many2one(
        "crisis.action.plan", readonly=True, copy=False, ondelete="set null"
    )
    corrective_action_ids = fields.One2many(
        related="corrective_plan_id.action_ids", readonly=False, string="Corrective Actions"
    )
    corrective_count = fields.Integer(compute="_compute_corrective_progress")
    corrective_open_count = fields.Integer(
        compute="_compute_corrective_progress", string="Open Corrective Actions"
    )
    corrective_progress = fields.Float(
        compute="_compute_corrective_progress",
        help="Share of the corrective actions done, cancelled ones left out.",
    )
    timeline_html = fields.Html(
        string="Timeline", compute="_compute_timeline_html", sanitize=False
    )

    _sql_constraints = [
        (
            "crisis_uniq",
            "unique(crisis_id)",
            "A crisis has one post-incident review.",
        ),
    ]

    @api.depends("crisis_id")
    def _compute_display_name(self):
        for review in self:
            review.display_name = self.env._(
                "Review of %(crisis)s", crisis=review.crisis_id.display_name or ""
            )

    @api.depends_context("uid")
    @api.depends("state", "user_id", "create_uid", "involved_user_ids")
    def _compute_can_approve(self):
        for review in self:
            review.can_approve = review.state == "in_review" and not review._approval_refusal()

    @api.depends("corrective_action_ids.state")
    def _compute_corrective_progress(self):
        progress = self.env["crisis.action"]._progress_by("plan_id", self.corrective_plan_id.ids)
        for review in self:
            actions = review.corrective_action_ids
            review.corrective_count = len(actions)
            review.corrective_open_count, review.corrective_progress = progress.get(
                review.corrective_plan_id.id, (0, 0.0)
            )

    @api.depends_context("lang", "tz")
    @api.depends("crisis_id")
    def _compute_timeline_html(self):
        for review in self:
            review.timeline_html = self.env["ir.qweb"]._render(
                "crisis_management_review.crisis_review_timeline",
                {"events": review.crisis_id._crisis_timeline()},
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self = self._crisis_check_values(vals_list, create=True)
        crises = self.env["crisis.crisis"].browse(
            {vals["crisis_id"] for vals in vals_list if vals.get("crisis_id")}
        )
        # the plan of its corrective actions comes with the review (made by the
        # workflow: a plan is corrective only so), before it: the review's
        # corrective actions may be given with its values
        with_crisis = [vals for vals in vals_list if vals.get("crisis_id")]
        plans = as_workflow(self.env["crisis.action.plan"]).create(
            [
                {
                    "name": self.env._("Corrective Actions"),
                    "crisis_id": vals["crisis_id"],
                    "user_id": vals.get("user_id") or self.env.uid,
                    "is_corrective": True,
                }
                for vals in with_crisis
            ]
        )
        for vals, plan in zip(with_crisis, plans, strict=True):
            vals["corrective_plan_id"] = plan.id
            if not vals.get("impact"):
                vals["impact"] = crises.browse(vals["crisis_id"])._crisis_impact_summary()
        return super().create(vals_list)

    def write(self, vals):
        self._crisis_check_values([vals])
        if not self._crisis_is_workflow():
            submitted = self.filtered(lambda review: review.state == "in_review")
            if "user_id" in vals and submitted:
                raise UserError(
                    self.env._(
                        "%(review)s is in review: its author stays as it is. Set it back to "
                        "draft to change it.",
                        review=submitted[0].display_name,
                    )
                )
            edited = [name for name in CONTENT_FIELDS if name in vals]
            approved = self.filtered(lambda review: review.state == "approved")
            if edited and approved:
                raise UserError(
                    self.env._(
                        "%(review)s is approved: it is kept as it is. A Crisis Manager can "
                        "set it back to draft to change it.",
                        review=approved[0].display_name,
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_approved(self):
        if self.filtered(lambda review: review.state == "approved"):
            raise UserError(self.env._("An approved review is never deleted."))

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------

    def _authors(self):
        """Its author, and whoever created it, submitted it or changed its author."""
        self.ensure_one()
        return self.user_id | self._crisis_involved_users()

    def _approval_refusal(self):
        """Why the current user may not approve: "manager" (not a Crisis
        Manager), "author" (they wrote it), or ``False``."""
        self.ensure_one()
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            return "manager"
        if self.env.user in self._authors():
            return "author"
        return False

    def action_submit(self):
        wrong = self.filtered(lambda review: review.state != "draft")
        if wrong:
            raise UserError(self.env._("%(review)s is not a draft.", review=wrong[0].display_name))
        self.check_access("write")
        as_workflow(self).write(
            {
                "state": "in_review",
                "date_submitted": fields.Datetime.now(),
                "involved_user_ids": [Command.link(self.env.uid)],
            }
        )
        return True

    def action_approve(self):
        for review in self:
            if review.state != "in_review":
                raise UserError(
                    self.env._("%(review)s is not in review.", review=review.display_name)
                )
            refusal = review._approval_refusal()
            if refusal == "manager":
                raise AccessError(
                    self.env._("Only a Crisis Manager approves a post-incident review.")
                )
            if refusal == "author":
                raise UserError(
                    self.env._(
                        "%(review)s: its author does not approve it, nor whoever created it, "
                        "submitted it or changed its author; another Crisis Manager does.",
                        review=review.display_name,
                    )
                )
        as_workflow(self.sudo()).write(
            {
                "state": "approved",
                "approved_by_id": self.env.uid,
                "date_approved": fields.Datetime.now(),
            }
        )
        return True

    def action_draft(self):
        approved = self.filtered(lambda review: review.state == "approved")
        if approved and not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(
                self.env._("Only a Crisis Manager sets an approved review back to draft.")
            )
        self.check_access("write")
        as_workflow(self.sudo() if approved else self).write(
            {"state": "draft", "approved_by_id": False, "date_approved": False}
        )
        return True

    def action_refresh_impact(self):
        """The impact section again from the crisis' figures of now."""
        for review in self:
            review.impact = review.crisis_id._crisis_impact_summary()
        return True

    def _crisis_report_figures(self):
        """The key figures printed with the review: (label, value) pairs."""
        self.ensure_one()
        return self.crisis_id._crisis_key_figures()

    def action_view_corrective_actions(self):
        self.ensure_one()
        return self.crisis_id._crisis_action(
            "crisis_management.crisis_action_action",
            [("plan_id", "=", self.corrective_plan_id.id)],
            context={
                "default_plan_id": self.corrective_plan_id.id,
                "default_kind": "prevent",
            },
            name=self.env._("Corrective Actions of %s", self.crisis_id.reference),
        )
