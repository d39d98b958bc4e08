from odoo import api, fields, models

from odoo.addons.crisis_management.models.crisis_job import Batch

# compensations delivered per call of the job; the scheduler commits after each call
DELIVER_BATCH_SIZE = 500


class CrisisCompensationDeliveryJob(models.Model):
    """Compensations delivered in the background, a batch at a time.

    The *Deliver* button of the compensation list records one when more
    vouchers of a company are selected than its threshold. Each batch of the
    job (``crisis.job``, the engine) delivers the next ``DELIVER_BATCH_SIZE``
    of them, in the order of their ids, through
    ``crisis.compensation.action_deliver`` (the gift cards, eWallet credits
    and emails, as a click does), as the user who clicked, and commits with
    the id it reached; compensations delivered meanwhile (by hand) are
    skipped.
    """

    _name = "crisis.compensation.delivery.job"
    _description = "Compensations Being Delivered"
    _inherit = ["crisis.compensation.job"]
    _crisis_workflow_fields = ("last_compensation_id", "delivered_count")
    _crisis_job_cron = "crisis_management_loyalty.ir_cron_crisis_deliver_compensations"
    _crisis_job_batch_size = DELIVER_BATCH_SIZE

    last_compensation_id = fields.Integer(readonly=True)
    delivered_count = fields.Integer(string="Delivered", readonly=True)

    @api.depends("total_count")
    def _compute_display_name(self):
        for job in self:
            job.display_name = self.env._(
                "Gift cards and eWallet credit of %(count)s compensations", count=job.total_count
            )

    @api.model
    def _cron_deliver_compensations(self, batch_size=DELIVER_BATCH_SIZE):
        self._crisis_run_due(batch_size)

    def _crisis_job_batch(self, batch_size):
        self.ensure_one()
        pending_ids = self._crisis_pending_ids(self.last_compensation_id)
        batch_ids = pending_ids[:batch_size]
        companies = self.env["crisis.compensation"].browse(batch_ids).company_id
        env = self._crisis_user_env(companies)
        compensations = env["crisis.compensation"].browse(batch_ids)
        # delivered meanwhile, cancelled: not this job's any more
        due = compensations.filtered(lambda c: c.state == "approved")
        due.action_deliver()
        values = {"delivered_count": self.delivered_count + len(due)}
        if batch_ids:
            values["last_compensation_id"] = batch_ids[-1]
        return Batch(len(batch_ids), values, len(pending_ids) <= batch_size)

    def _crisis_job_message(self, state):
        self.ensure_one()
        if state == "done":
            return self.env._(
                "%(delivered)s compensation(s) delivered in the background, with their gift "
                "cards or eWallet credit; %(skipped)s skipped (delivered or cancelled meanwhile).",
                delivered=self.delivered_count,
                skipped=self.processed_count - self.delivered_count,
            )
        if state == "failed":
            return self.env._(
                "Delivering compensations stopped after %(delivered)s: %(error)s",
                delivered=self.delivered_count,
                error=self.error,
            )
        return self.env._(
            "Delivering compensations with their gift cards or eWallet credit was stopped by "
            "%(user)s: %(delivered)s delivered, %(processed)s of %(total)s processed.",
            user=self.stopped_by_id.name,
            delivered=self.delivered_count,
            processed=self.processed_count,
            total=self.total_count,
        )
