from odoo import api, fields, models


class CrisisActionPlan(models.Model):
    _name = "crisis.action.plan"
    _description = "Crisis Action Plan"
    _inherit = ["mail.thread", "crisis.workflow.mixin"]
    _order = "crisis_id, id"
    _check_company_auto = True
    _crisis_workflow_fields = ("is_corrective",)

    name = fields.Char(required=True, tracking=True)
    crisis_id = fields.Many2one(
        "crisis.crisis", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(
        related="crisis_id.company_id", store=True, index=True, precompute=True
    )
    is_drill = fields.Boolean(related="crisis_id.is_drill")
    # the plan of the post-incident review's corrective actions (one per crisis)
    is_corrective = fields.Boolean(string="Corrective Actions", readonly=True, copy=False)
    playbook_id = fields.Many2one("crisis.playbook", ondelete="set null", index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
        default=lambda self: self.env.user,
    )
    action_ids = fields.One2many("crisis.action", "plan_id", string="Steps")
    action_open_count = fields.Integer(compute="_compute_progress", string="Open Steps")
    progress = fields.Float(
        compute="_compute_progress",
        help="Share of the steps done, cancelled steps left out.",
    )

    @api.depends("action_ids.state")
    def _compute_progress(self):
        progress = self.env["crisis.action"]._progress_by("plan_id", self.ids)
        for plan in self:
            plan.action_open_count, plan.progress = progress.get(plan.id, (0, 0.0))

    def write(self, vals):
        moved = self._crisis_moving("crisis_id", vals)
        result = super().write(vals)
        if moved:
            # the record rules must still let the user change the plan where it went
            moved.check_access("write")
        return result
