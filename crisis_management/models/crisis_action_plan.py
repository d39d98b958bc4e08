from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from .crisis_workflow_mixin import as_workflow

# the marker crisis.crisis.create puts in the context when it applies the
# playbook of a crisis being declared: a Python object, which no caller of the
# external API can send (a forged context never marks a plan)
DECLARING = object()


class CrisisActionPlan(models.Model):
    _name = "crisis.action.plan"
    _description = "Crisis Action Plan"
    _inherit = ["mail.thread", "crisis.workflow.mixin"]
    _order = "crisis_id, id"
    _check_company_auto = True
    _crisis_workflow_fields = ("is_corrective", "applied_on_declaration")

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
    applied_on_declaration = fields.Boolean(
        readonly=True,
        copy=False,
        help="Made from the playbook when the crisis was declared (the company applies "
        "playbooks on declaration).",
    )
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

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("action_ids.state")
    def _compute_progress(self):
        progress = self.env["crisis.action"]._progress_by("plan_id", self.ids)
        for plan in self:
            plan.action_open_count, plan.progress = progress.get(plan.id, (0, 0.0))

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        moved = self._crisis_moving("crisis_id", vals)
        result = super().write(vals)
        if moved:
            # the record rules must still let the user change the plan where it went
            moved.check_access("write")
        return result

    # ------------------------------------------------------------------
    # Business methods: a playbook applied to a crisis
    # ------------------------------------------------------------------

    @api.model
    def _crisis_apply_playbook(self, crisis, playbook=None):
        """Create (or complete) the action plan of ``playbook`` on ``crisis``
        (``crisis.crisis.action_apply_playbook``).

        One step per playbook step, assigned to the team member holding the
        step's role (the crisis lead when nobody does), due at declaration plus
        the step's offset. Steps already created from the playbook are kept, so
        applying twice adds nothing.
        """
        crisis.ensure_one()
        playbook = self._crisis_playbook_to_apply(crisis, playbook)
        plan = crisis.action_plan_ids.filtered(lambda p: p.playbook_id == playbook)[:1]
        if not plan:
            plan = self.create(
                {
                    "name": playbook.name,
                    "crisis_id": crisis.id,
                    "playbook_id": playbook.id,
                    "user_id": crisis.user_id.id,
                }
            )
            if self.env.context.get("crisis_declaring") is DECLARING:
                as_workflow(plan).applied_on_declaration = True
        done_steps = plan.action_ids.playbook_step_id
        new_steps = playbook.step_ids - done_steps
        if not new_steps:
            # said, not silently done: a notification (a dict, fine over XML-RPC)
            if plan.applied_on_declaration:
                title = self.env._("Already applied")
                message = self.env._(
                    "Playbook %(playbook)s was applied when %(reference)s was declared: every "
                    "step of it is in the action plan.",
                    playbook=playbook.display_name,
                    reference=crisis.reference,
                )
            else:
                title = self.env._("Nothing to add")
                message = self.env._(
                    "Every step of playbook %(playbook)s is already in the action plan of "
                    "%(reference)s.",
                    playbook=playbook.display_name,
                    reference=crisis.reference,
                )
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {"title": title, "message": message, "type": "info", "sticky": False},
            }
        holders = crisis._crisis_role_holders()
        self.env["crisis.action"].create(
            [
                {
                    "plan_id": plan.id,
                    "playbook_step_id": step.id,
                    "name": step.name,
                    "description": step.description,
                    "sequence": step.sequence,
                    "role": step.role,
                    "user_id": (holders.get(step.role) or crisis.user_id).id,
                    "date_deadline": crisis.date_declared + timedelta(hours=step.deadline_hours),
                }
                for step in new_steps
            ]
        )
        return True

    @api.model
    def _crisis_playbook_to_apply(self, crisis, playbook):
        """The playbook to apply to ``crisis``: ``playbook`` as a record or as
        its id (XML-RPC), else the crisis' playbook.

        :raise UserError: no such playbook the user may read, not one
            playbook, none chosen, or one of another company than the crisis
        """
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
        playbook = playbook or crisis.playbook_id
        if not playbook:
            raise UserError(self.env._("Choose the playbook to apply to the crisis first."))
        if playbook.company_id and playbook.company_id != crisis.company_id:
            raise UserError(
                self.env._(
                    "Playbook %(playbook)s belongs to another company than crisis %(reference)s.",
                    playbook=playbook.display_name,
                    reference=crisis.reference,
                )
            )
        return playbook
