"""The response of a crisis: its playbook, its action plans and their steps,
held by its response team."""

from odoo import api, fields, models
from odoo.exceptions import AccessError

from .crisis_action import OPEN_STATES


class CrisisCrisis(models.Model):
    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

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

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("type_id")
    def _compute_playbook_id(self):
        for crisis in self:
            if crisis.type_id.playbook_id:
                crisis.playbook_id = crisis.type_id.playbook_id

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
    # Actions
    # ------------------------------------------------------------------

    def action_apply_playbook(self, playbook=None):
        """Create (or complete) the action plan of ``playbook`` (a record, or
        its id over XML-RPC; the crisis' playbook by default) on the crisis:
        see ``crisis.action.plan._crisis_apply_playbook``."""
        self.ensure_one()
        return self.env["crisis.action.plan"]._crisis_apply_playbook(self, playbook)

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

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

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
