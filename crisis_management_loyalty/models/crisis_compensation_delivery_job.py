import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.crisis_management.models.crisis_compensation_job import JOB_FIELDS
from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

_logger = logging.getLogger(__name__)

# compensations delivered per call of the job; the scheduler commits after each call
DELIVER_BATCH_SIZE = 500


class CrisisCompensationDeliveryJob(models.Model):
    """Compensations delivered in the background, a batch at a time.

    The *Deliver* button of the compensation list records one when more
    vouchers of a company are selected than its threshold. The job of
    Odoo's scheduler delivers them in batches of ``DELIVER_BATCH_SIZE``, in
    the order of their ids, through ``crisis.compensation.action_deliver``
    (the gift cards, eWallet credits and emails, as a click does), as the
    user who clicked. Each batch commits with the id it reached: a worker
    killed in the middle loses nothing, the next run goes on from there;
    compensations delivered meanwhile (by hand) are skipped.
    """

    _name = "crisis.compensation.delivery.job"
    _description = "Compensations Being Delivered"
    _inherit = ["crisis.compensation.job"]
    _crisis_workflow_fields = (
        *JOB_FIELDS,
        "last_compensation_id",
        "processed_count",
        "delivered_count",
    )
    _crisis_job_cron = "crisis_management_loyalty.ir_cron_crisis_deliver_compensations"

    last_compensation_id = fields.Integer(readonly=True)
    processed_count = fields.Integer(string="Processed", readonly=True)
    delivered_count = fields.Integer(string="Delivered", readonly=True)

    @api.model
    def _cron_deliver_compensations(self, batch_size=DELIVER_BATCH_SIZE):
        self._crisis_run_due(batch_size)

    def _crisis_run_batch(self, batch_size):
        self.ensure_one()
        pending_ids = sorted(
            cid for cid in self.compensation_ids.ids if cid > self.last_compensation_id
        )
        batch_ids = pending_ids[:batch_size]
        companies = self.env["crisis.compensation"].browse(batch_ids).company_id
        env = self._crisis_user_env(companies)
        compensations = env["crisis.compensation"].browse(batch_ids)
        try:
            with self.env.cr.savepoint():
                # delivered meanwhile, cancelled: not this job's any more
                due = compensations.filtered(lambda c: c.state == "approved")
                due.action_deliver()
        except (UserError, AccessError, ValidationError) as error:
            _logger.info("Delivering compensations failed: %s", error)
            self._crisis_finish("failed", error=str(error.args[0] if error.args else error))
            return
        values = {
            "state": "running",
            "processed_count": self.processed_count + len(batch_ids),
            "delivered_count": self.delivered_count + len(due),
        }
        if batch_ids:
            values["last_compensation_id"] = batch_ids[-1]
        as_workflow(self).write(values)
        if len(pending_ids) <= batch_size:
            self._crisis_finish("done")

    def _crisis_finish(self, state, error=False):
        result = super()._crisis_finish(state, error=error)
        env = self.with_context(lang=self.user_id.lang or self.env.lang).env
        if state == "done":
            message = env._(
                "%(delivered)s compensation(s) delivered in the background, with their gift "
                "cards or eWallet credit; %(skipped)s skipped (delivered or cancelled meanwhile).",
                delivered=self.delivered_count,
                skipped=self.processed_count - self.delivered_count,
            )
        else:
            message = env._(
                "Delivering compensations stopped after %(delivered)s: %(error)s",
                delivered=self.delivered_count,
                error=error,
            )
        # a message on each crisis concerned, and a notice to the user if online
        for crisis in self.compensation_ids.crisis_id.sudo():
            crisis.message_post(body=message, author_id=self.user_id.partner_id.id)
        self.user_id._bus_send(
            "simple_notification",
            {
                "type": "success" if state == "done" else "danger",
                "title": env._("Deliver Compensations"),
                "message": message,
                "sticky": True,
            },
        )
        return result
