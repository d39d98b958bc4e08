from odoo import Command, api, fields, models
from odoo.tools import SQL

from .crisis_compensation import COMPENSATION_TYPES, TOLD_LATER
from .crisis_job import Batch

# affected customers given a compensation per call of the job; the scheduler
# commits after each call
PROPOSE_JOB_BATCH_SIZE = 500
# the subtype telling the crisis' followers that compensations wait for approval
TO_APPROVE_SUBTYPE = "crisis_management.mt_crisis_compensation_to_approve"


class CrisisCompensationProposeJob(models.Model):
    """The *Propose Compensation* wizard for more affected customers than the
    company's threshold: the compensations are made in the background, a
    batch at a time.

    The click checks what the wizard would (the rights, the amount, the
    currency, the values) and records the job with the affected customers it
    counted then (``impact_ids``). Each batch of the job (``crisis.job``)
    proposes the compensation to the next ``PROPOSE_JOB_BATCH_SIZE`` of them,
    in the order of their ids, through ``crisis.compensation._propose_to``
    (the same checks, as the user who clicked), and commits with the id it
    reached. Affected customers removed meanwhile are left out. When the job
    ends, the crisis says how many were proposed, once: to its followers of
    compensations to approve when they were submitted.
    """

    _name = "crisis.compensation.propose.job"
    _description = "Compensations Being Proposed"
    _inherit = ["crisis.job"]
    _crisis_job_cron = "crisis_management.ir_cron_crisis_propose_compensations"
    _crisis_job_batch_size = PROPOSE_JOB_BATCH_SIZE
    _crisis_workflow_fields = (
        "crisis_id",
        "impact_ids",
        "type",
        "amount",
        "currency_id",
        "description",
        "submit",
        "last_impact_id",
        "compensation_ids",
    )

    crisis_id = fields.Many2one(
        "crisis.crisis", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="crisis_id.company_id", store=True)
    impact_ids = fields.Many2many(
        "crisis.impact",
        "crisis_compensation_propose_job_impact_rel",
        "job_id",
        "impact_id",
        string="Affected Customers",
        readonly=True,
    )
    type = fields.Selection(COMPENSATION_TYPES, required=True, readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    description = fields.Text(readonly=True)
    submit = fields.Boolean(string="Submit for Approval", readonly=True)
    total_count = fields.Integer(string="Customers")
    last_impact_id = fields.Integer(readonly=True)
    compensation_ids = fields.Many2many(
        "crisis.compensation",
        "crisis_compensation_propose_job_compensation_rel",
        "job_id",
        "compensation_id",
        string="Compensations Proposed",
        readonly=True,
    )

    @api.depends("crisis_id", "type", "total_count")
    def _compute_display_name(self):
        types = dict(self._fields["type"]._description_selection(self.env))
        for job in self:
            job.display_name = self.env._(
                "%(crisis)s: %(type)s for %(count)s customers",
                crisis=job.crisis_id.reference,
                type=types.get(job.type, ""),
                count=job.total_count,
            )

    # ------------------------------------------------------------------
    # Queueing
    # ------------------------------------------------------------------

    @api.model
    def _crisis_queue(self, crisis, impacts, values, submit):
        """Record the proposal of ``values`` to ``impacts`` of ``crisis``
        (checked by the caller); start the job."""
        return self._crisis_job_queue(
            {
                "crisis_id": crisis.id,
                "impact_ids": [Command.set(impacts.ids)],
                "total_count": len(impacts),
                "type": values["type"],
                "amount": values.get("amount") or 0.0,
                "currency_id": values["currency_id"],
                "description": values.get("description") or False,
                "submit": submit,
            }
        )

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------

    def _crisis_compensation_values(self):
        """The values of each compensation this job proposes."""
        self.ensure_one()
        return {
            "type": self.type,
            "amount": self.amount,
            "currency_id": self.currency_id.id,
            "description": self.description,
        }

    def _crisis_pending_impact_ids(self, limit):
        """The ids of the next ``limit`` affected customers, after the last one done."""
        self.ensure_one()
        relation = self._fields["impact_ids"]
        self.env.cr.execute(
            SQL(
                "SELECT %(impact)s FROM %(table)s "
                "WHERE %(job)s = %(id)s AND %(impact)s > %(last)s "
                "ORDER BY %(impact)s LIMIT %(limit)s",
                impact=SQL.identifier(relation.column2),
                table=SQL.identifier(relation.relation),
                job=SQL.identifier(relation.column1),
                id=self.id,
                last=self.last_impact_id,
                limit=limit,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _crisis_job_batch(self, batch_size):
        self.ensure_one()
        pending_ids = self._crisis_pending_impact_ids(batch_size + 1)
        batch_ids = pending_ids[:batch_size]
        env = self._crisis_job_user_env(self.company_id)
        impacts = env["crisis.impact"].browse(batch_ids)
        # the approvers' one activity on the crisis is brought up to date by
        # each batch; the crisis' followers are told once, at the end
        compensations = (
            env["crisis.compensation"]
            .with_context(crisis_bulk_told_later=TOLD_LATER)
            ._propose_to(impacts, self._crisis_compensation_values(), submit=self.submit)
        )
        values = {"compensation_ids": [Command.link(cid) for cid in compensations.ids]}
        if batch_ids:
            values["last_impact_id"] = batch_ids[-1]
        return Batch(len(batch_ids), values, len(pending_ids) <= batch_size)

    def _crisis_job_subtype(self, state):
        self.ensure_one()
        if self.submit and self.processed_count:
            return TO_APPROVE_SUBTYPE
        return super()._crisis_job_subtype(state)

    def _crisis_job_message(self, state):
        self.ensure_one()
        if state != "done":
            return super()._crisis_job_message(state)
        kind = dict(self._fields["type"]._description_selection(self.env))[self.type]
        if self.submit:
            return self.env._(
                "%(count)s compensation(s) proposed (%(type)s) in the background by %(user)s, "
                "waiting for approval.",
                count=self.processed_count,
                type=kind,
                user=self.user_id.name,
            )
        return self.env._(
            "%(count)s compensation(s) proposed (%(type)s) in the background by %(user)s.",
            count=self.processed_count,
            type=kind,
            user=self.user_id.name,
        )
