from odoo import api, fields, models

from .crisis_compensation import TOLD_LATER
from .crisis_job import Batch

# compensations handled per call of the job; the scheduler commits after each call
BULK_BATCH_SIZE = 200
BULK_ACTIONS = [
    ("submit", "Submit for Approval"),
    ("approve", "Approve"),
    ("reject", "Reject"),
    ("deliver", "Deliver"),
]


class CrisisCompensationBulkJob(models.Model):
    """Submit, Approve, Reject or Deliver on more compensations than the
    company's threshold: done in the background, a batch at a time.

    The buttons of the compensations record one per company and return at
    once (``crisis.compensation._crisis_in_background``), after the checks
    of the click: the states, the rights and the four-eyes rule. Each batch
    of the job (``crisis.job``) does what the button does
    (``crisis.compensation._crisis_do``) to the next ``BULK_BATCH_SIZE``
    compensations, in the order of their ids, as the user who clicked, the
    same checks included; it commits with the id it reached. Compensations
    no longer in the state the button works on (approved by hand meanwhile,
    cancelled) are skipped and counted.
    """

    _name = "crisis.compensation.bulk.job"
    _description = "Compensations Processed in the Background"
    _inherit = ["crisis.compensation.job"]
    _crisis_job_cron = "crisis_management.ir_cron_crisis_compensation_jobs"
    _crisis_job_batch_size = BULK_BATCH_SIZE
    _crisis_workflow_fields = ("action", "company_id", "last_compensation_id", "changed_count")

    action = fields.Selection(BULK_ACTIONS, required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    last_compensation_id = fields.Integer(readonly=True)
    changed_count = fields.Integer(string="Done", readonly=True, default=0)

    @api.depends("action", "total_count")
    def _compute_display_name(self):
        actions = dict(self._fields["action"]._description_selection(self.env))
        for job in self:
            job.display_name = self.env._(
                "%(action)s: %(count)s compensations",
                action=actions.get(job.action, ""),
                count=job.total_count,
            )

    @api.model
    def _cron_run_jobs(self, batch_size=BULK_BATCH_SIZE):
        """The scheduled action of the bulk compensation jobs."""
        self._crisis_run_due(batch_size)

    def _crisis_job_batch(self, batch_size):
        self.ensure_one()
        pending_ids = self._crisis_pending_ids(self.last_compensation_id)
        batch_ids = pending_ids[:batch_size]
        env = self._crisis_job_user_env(self.company_id)
        compensations = env["crisis.compensation"].browse(batch_ids)
        due = compensations._crisis_due_for(self.action)
        # one summary per person when the job ends, not one per batch or record
        due.with_context(crisis_bulk_told_later=TOLD_LATER)._crisis_do(self.action)
        values = {"changed_count": self.changed_count + len(due)}
        if batch_ids:
            values["last_compensation_id"] = batch_ids[-1]
        return Batch(len(batch_ids), values, len(pending_ids) <= batch_size)

    def _crisis_job_finish(self, state, error=False):
        # each person told once (before the job's own note, the latest)
        for job in self.sudo().filtered(lambda j: j.action == "submit"):
            job.compensation_ids.filtered(
                lambda c, user=job.user_id: c.state == "to_approve" and c.submitted_by_id == user
            )._crisis_tell_submitted(job.user_id)
        for job in self.sudo().filtered(lambda j: j.action in ("approve", "reject")):
            decided = "approved" if job.action == "approve" else "rejected"
            user = job.user_id
            changed = job.compensation_ids.filtered(
                lambda c, decided=decided, user=user: (
                    c.state == decided and (decided == "rejected" or c.approved_by_id == user)
                )
            )
            changed._crisis_tell_requesters(job.action, user)
        return super()._crisis_job_finish(state, error=error)

    def _crisis_job_message(self, state):
        self.ensure_one()
        skipped = self.processed_count - self.changed_count
        if state == "done":
            messages = {
                "submit": self.env._(
                    "%(done)s compensation(s) submitted for approval in the background by "
                    "%(user)s; %(skipped)s skipped (no longer drafts).",
                    done=self.changed_count,
                    user=self.user_id.name,
                    skipped=skipped,
                ),
                "approve": self.env._(
                    "%(done)s compensation(s) approved in the background by %(user)s; "
                    "%(skipped)s skipped (no longer waiting for approval).",
                    done=self.changed_count,
                    user=self.user_id.name,
                    skipped=skipped,
                ),
                "reject": self.env._(
                    "%(done)s compensation(s) rejected in the background by %(user)s; "
                    "%(skipped)s skipped (no longer waiting for approval).",
                    done=self.changed_count,
                    user=self.user_id.name,
                    skipped=skipped,
                ),
                "deliver": self.env._(
                    "%(done)s compensation(s) delivered in the background by %(user)s; "
                    "%(skipped)s skipped (delivered or cancelled meanwhile).",
                    done=self.changed_count,
                    user=self.user_id.name,
                    skipped=skipped,
                ),
            }
            return messages[self.action]
        if state == "failed":
            return self.env._(
                "%(job)s, started by %(user)s, failed after %(done)s of %(total)s: %(error)s",
                job=self.display_name,
                user=self.user_id.name,
                done=self.processed_count,
                total=self.total_count,
                error=self.error,
            )
        return self.env._(
            "%(job)s, started by %(user)s, was stopped by %(stopper)s: %(done)s done, "
            "%(processed)s of %(total)s processed.",
            job=self.display_name,
            user=self.user_id.name,
            stopper=self.stopped_by_id.name,
            done=self.changed_count,
            processed=self.processed_count,
            total=self.total_count,
        )
