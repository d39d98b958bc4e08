from odoo import SUPERUSER_ID, api, fields, models

from odoo.addons.crisis_management.models.crisis_job import Batch

# compensations delivered per call of the job; the scheduler commits after each call
JOB_BATCH_SIZE = 200


class CrisisCreditNoteJob(models.Model):
    """Credit notes of many compensations made in the background, a batch at a time.

    ``crisis.compensation.action_deliver_selection`` records one per
    company when more refunds and credits are delivered at once than the
    company's threshold. Each batch of the job (``crisis.job``, the engine)
    delivers the next ``JOB_BATCH_SIZE`` of them
    (``crisis.compensation._crisis_make_credit_notes``, as in the foreground),
    as the user who clicked, in the company of the compensations. What is
    left to do is what the compensations say (approved and without a credit
    note): a batch commits with its credit notes, a worker killed in the
    middle loses nothing, the next run goes on from there, and nothing is
    made twice. The user gets a message when it is done.
    """

    _name = "crisis.credit.note.job"
    _description = "Compensation Credit Notes Being Made"
    _inherit = ["mail.thread", "crisis.compensation.job"]
    _crisis_workflow_fields = ("company_id", "move_count")
    _crisis_job_cron = "crisis_management_account.ir_cron_crisis_make_credit_notes"
    _crisis_job_batch_size = JOB_BATCH_SIZE

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    move_count = fields.Integer(string="Credit Notes Made", readonly=True)

    @api.depends("total_count", "create_date")
    def _compute_display_name(self):
        for job in self:
            job.display_name = self.env._(
                "Credit notes of %(count)s compensations", count=job.total_count
            )

    @api.model
    def _crisis_queue(self, compensations, **values):
        """For ``compensations`` of one company (checked by the caller)."""
        return super()._crisis_queue(
            compensations, company_id=compensations.company_id.id, **values
        )

    @api.model
    def _cron_make_credit_notes(self, batch_size=JOB_BATCH_SIZE):
        self._crisis_run_due(batch_size)

    def _crisis_pending(self):
        """The job's compensations still to deliver, those of a customer together."""
        self.ensure_one()
        return (
            self.env["crisis.compensation"]
            .sudo()
            .search(
                [
                    ("id", "in", self.compensation_ids.ids),
                    ("state", "=", "approved"),
                    ("move_id", "=", False),
                ],
                order="partner_id, currency_id, id",
            )
        )

    def _crisis_job_batch(self, batch_size):
        self.ensure_one()
        pending = self._crisis_pending()
        batch = pending[:batch_size]
        if self.company_id.crisis_credit_note_group_by_customer and len(pending) > batch_size:
            # a customer's compensations share one credit note: never split them
            last = batch[-1]
            batch |= pending[batch_size:].filtered(
                lambda c: (c.partner_id, c.currency_id) == (last.partner_id, last.currency_id)
            )
        if not batch:
            return Batch(0, {}, True)
        env = self._crisis_user_env(self.company_id)
        compensations = env["crisis.compensation"].browse(batch.ids)
        compensations._crisis_check_deliverable()
        moves = compensations._crisis_make_credit_notes()
        return Batch(
            len(batch), {"move_count": self.move_count + len(moves)}, len(batch) == len(pending)
        )

    def _crisis_job_message(self, state):
        self.ensure_one()
        if state == "done":
            delivered = self.compensation_ids.filtered(lambda c: c.state == "delivered")
            return self.env._(
                "%(done)s compensation(s) processed in the background: %(moves)s credit "
                "note(s) made, %(delivered)s compensation(s) delivered (the others are "
                "delivered when their credit notes are posted).",
                done=self.processed_count,
                moves=self.move_count,
                delivered=len(delivered),
            )
        if state == "failed":
            return self.env._(
                "Making the credit notes stopped after %(done)s compensation(s): %(error)s",
                done=self.processed_count,
                error=self.error,
            )
        return self.env._(
            "Making the credit notes was stopped by %(user)s after %(done)s of %(total)s "
            "compensation(s): %(moves)s credit note(s) made.",
            user=self.stopped_by_id.name,
            done=self.processed_count,
            total=self.total_count,
            moves=self.move_count,
        )

    def _crisis_job_tell(self, state):
        result = super()._crisis_job_tell(state)
        # and in the inbox of the user who clicked, from OdooBot
        for job in self.sudo():
            body = job.with_context(lang=job.user_id.lang or self.env.lang)._crisis_job_message(
                state
            )
            job.with_user(SUPERUSER_ID).message_post(
                body=body,
                partner_ids=job.user_id.partner_id.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        return result
