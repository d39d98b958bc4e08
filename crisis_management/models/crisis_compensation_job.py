from odoo import api, fields, models
from odoo.tools import SQL

from .crisis_workflow_mixin import as_workflow

JOB_STATES = [
    ("queued", "Queued"),
    ("running", "Delivering"),
    ("done", "Done"),
    ("failed", "Failed"),
]
# the fields every compensation job's workflow writes
JOB_FIELDS = ("state", "user_id", "compensation_ids", "total_count", "date_done", "error")


class CrisisCompensationJob(models.AbstractModel):
    """What the jobs that deliver compensations in the background share.

    The modules that make a document per compensation (a credit note, a gift
    card) deliver the large selections of *Deliver*
    (``crisis.compensation._crisis_deliver_later``) with a job of this kind:
    ``_crisis_queue`` records the compensations and starts the job's
    scheduled action (``_crisis_job_cron``, its XML id), whose method calls
    ``_crisis_run_due``: one batch of one job per call, committed by the
    scheduler, which calls again while work remains. A model gives
    ``_crisis_run_batch`` (one batch, as the user who clicked) and adds to
    ``_crisis_finish`` (what the user is told).
    """

    _name = "crisis.compensation.job"
    _description = "Crisis: Compensations Delivered in the Background"
    _inherit = ["crisis.workflow.mixin", "crisis.reminder.mixin"]
    _order = "id desc"
    _crisis_workflow_fields = JOB_FIELDS
    # the XML id of the job's scheduled action
    _crisis_job_cron = None

    state = fields.Selection(JOB_STATES, required=True, default="queued", readonly=True)
    user_id = fields.Many2one("res.users", string="Delivered By", readonly=True)
    compensation_ids = fields.Many2many(
        "crisis.compensation", string="Compensations", readonly=True
    )
    total_count = fields.Integer(string="Compensations to Deliver", readonly=True)
    date_done = fields.Datetime(string="Finished On", readonly=True)
    error = fields.Text(readonly=True)

    @api.model
    def _crisis_queue(self, compensations, **values):
        """Record the delivery of ``compensations`` (checked by the caller,
        ``values`` for the job's own fields); start the job."""
        job = as_workflow(self.sudo()).create(
            {
                "user_id": self.env.uid,
                "compensation_ids": [fields.Command.set(compensations.ids)],
                "total_count": len(compensations),
                **values,
            }
        )
        self.env.ref(self._crisis_job_cron).sudo()._trigger()
        return job.with_env(self.env)

    @api.model
    def _crisis_run_due(self, batch_size):
        """One batch of one job; the job row is locked (``FOR UPDATE SKIP
        LOCKED``): another worker takes another job, never the same batch."""
        condition = SQL("state IN ('queued', 'running')")
        jobs = self._crisis_lock_due(condition, limit=1)
        for job in jobs:
            job._crisis_run_batch(batch_size)
        self.env["ir.cron"]._notify_progress(
            done=len(jobs), remaining=self._crisis_count_due(condition)
        )

    def _crisis_run_batch(self, batch_size):
        raise NotImplementedError

    def _crisis_user_env(self, companies):
        """The environment of the user who clicked, in ``companies``."""
        return self.with_user(self.user_id).with_context(allowed_company_ids=companies.ids).env

    def _crisis_finish(self, state, error=False):
        as_workflow(self).write(
            {"state": state, "date_done": fields.Datetime.now(), "error": error}
        )
        return True
