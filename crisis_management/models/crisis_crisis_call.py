"""The call campaign of a crisis: its progress, and the Call Customers button."""

from datetime import timedelta

from odoo import api, fields, models

from .crisis_impact_call import CALL_ACTIVITY


class CrisisCrisis(models.Model):
    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    call_todo_count = fields.Integer(
        string="To Call",
        compute="_compute_call_progress",
        help="Affected customers with a call to make (an open call activity).",
    )
    call_done_count = fields.Integer(
        string="Called",
        compute="_compute_call_progress",
        help="Affected customers called at least once.",
    )
    call_reached_count = fields.Integer(
        string="Reached",
        compute="_compute_call_progress",
        help="Affected customers whose last call reached them.",
    )
    call_progress = fields.Float(
        string="Calls Made (%)",
        compute="_compute_call_progress",
        help="Share of the customers of the campaign (called or to call) called already.",
    )
    calling_count = fields.Integer(
        string="Calls Being Scheduled",
        compute="_compute_adding",
        compute_sudo=True,
    )

    def _compute_call_progress(self):
        # counted by the database, two queries whatever the number of lines
        Impact = self.env["crisis.impact"]
        done = {crisis: [0, 0] for crisis in self}
        for crisis, outcome, count in Impact._read_group(
            [("crisis_id", "in", self.ids), ("call_count", ">", 0)],
            ["crisis_id", "call_outcome"],
            ["__count"],
        ):
            done[crisis][0] += count
            if outcome == "reached":
                done[crisis][1] += count
        todo = dict(
            Impact._read_group(
                [
                    ("crisis_id", "in", self.ids),
                    ("activity_ids.activity_type_id", "=", self.env.ref(CALL_ACTIVITY).id),
                ],
                ["crisis_id"],
                ["__count"],
            )
        )
        for crisis in self:
            called, reached = done.get(crisis, (0, 0))
            to_call = todo.get(crisis, 0)
            crisis.call_done_count = called
            crisis.call_reached_count = reached
            crisis.call_todo_count = to_call
            crisis.call_progress = 100.0 * called / (called + to_call) if called + to_call else 0.0

    @api.depends(
        "impact_job_ids.state", "impact_job_ids.processed_count", "impact_job_ids.job_type"
    )
    def _compute_adding(self):
        # the impact jobs add customers, or schedule the calls of a campaign
        for crisis in self:
            jobs = crisis.impact_job_ids.filtered(lambda job: job.state in ("queued", "running"))
            adding = jobs.filtered(lambda job: job.job_type != "call")
            total = sum(adding.mapped("total_count"))
            crisis.adding_count = total
            crisis.adding_progress = (
                100.0 * sum(adding.mapped("processed_count")) / total if total else 0.0
            )
            crisis.calling_count = sum((jobs - adding).mapped("total_count"))

    def _crisis_call_callers(self):
        """The customer-service members of the crisis team, in the team's order,
        each once: they share the calls of the customers without an agent."""
        self.ensure_one()
        members = self.sudo().team_id.member_ids.filtered(
            lambda member: member.role == "customer_service" and member.user_id.active
        )
        members = members.sorted(lambda member: (member.sequence, member.id))
        # each user once, in the order of their first role
        return members.user_id.with_env(self.env)

    def _crisis_call_deadline(self):
        """The due date of the calls: within the response time of the severity."""
        self.ensure_one()
        company = self.company_id or self.env.company
        hours = company._crisis_sla_hours(self.severity)
        return fields.Date.context_today(self, fields.Datetime.now() + timedelta(hours=hours))

    def action_call_customers(self):
        """The Call Customers wizard, for the affected customers of this crisis."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management.crisis_call_wizard_action"
        )
        action["context"] = {"default_crisis_id": self.id}
        return action

    def action_view_calls(self):
        """The affected customers of the campaign: to call, or called."""
        self.ensure_one()
        action = self._crisis_action(
            "crisis_management.crisis_impact_action",
            [
                ("crisis_id", "=", self.id),
                "|",
                ("call_count", ">", 0),
                ("activity_ids.activity_type_id", "=", self.env.ref(CALL_ACTIVITY).id),
            ],
            context={"default_crisis_id": self.id},
            name=self.env._("Calls of %(crisis)s", crisis=self.reference),
        )
        action["views"] = [
            (self.env.ref("crisis_management.crisis_impact_view_list_calls").id, "list"),
            (False, "kanban"),
            (False, "form"),
        ]
        action["view_mode"] = "list,kanban,form"
        return action
