import logging

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.crisis_management.models.crisis_compensation_job import JOB_FIELDS
from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

_logger = logging.getLogger(__name__)

# compensations delivered per call of the job; the scheduler commits after each call
JOB_BATCH_SIZE = 200


class CrisisCreditNoteJob(models.Model):
    """Credit notes of many compensations made in the background, a batch at a time.

    ``crisis.compensation.action_deliver_selection`` records one per
    company when more refunds and credits are delivered at once than the
    company's threshold. The job of Odoo's scheduler delivers them in batches
    of ``JOB_BATCH_SIZE`` (``crisis.compensation._crisis_make_credit_notes``,
    as in the foreground), as the user who clicked, in the company of the
    compensations. What is left to do is what the compensations say (approved
    and without a credit note): a batch commits with its credit notes, a
    worker killed in the middle loses nothing, the next run goes on from
    there, and nothing is made twice. The user gets a message when it is done.
    """

    _name = "crisis.credit.note.job"
    _description = "Compensation Credit Notes Being Made"
    _inherit = ["mail.thread", "crisis.compensation.job"]
    _crisis_workflow_fields = (*JOB_FIELDS, "company_id", "done_count", "move_count")
    _crisis_job_cron = "crisis_management_account.ir_cron_crisis_make_credit_notes"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    done_count = fields.Integer(string="Processed", readonly=True)
    move_count = fields.Integer(string="Credit Notes Made", readonly=True)
    progress = fields.Float(compute="_compute_progress")

    @api.depends("done_count", "total_count")
    def _compute_progress(self):
        for job in self:
            total = job.total_count
            job.progress = 100.0 * job.done_count / total if total else 0.0

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

    def _crisis_run_batch(self, batch_size):
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
            self._crisis_finish("done")
            return
        env = self._crisis_user_env(self.company_id)
        try:
            with self.env.cr.savepoint():
                compensations = env["crisis.compensation"].browse(batch.ids)
                compensations._crisis_check_deliverable()
                moves = compensations._crisis_make_credit_notes()
        except (UserError, ValidationError, AccessError) as error:
            _logger.info("Credit notes of job %s failed: %s", self.id, error)
            self._crisis_finish("failed", error=str(error.args[0] if error.args else error))
            return
        as_workflow(self).write(
            {
                "state": "running",
                "done_count": self.done_count + len(batch),
                "move_count": self.move_count + len(moves),
            }
        )
        if len(batch) == len(pending):
            self._crisis_finish("done")

    def _crisis_finish(self, state, error=False):
        result = super()._crisis_finish(state, error=error)
        job = self.with_context(lang=self.user_id.lang or self.env.lang)
        if state == "done":
            body = job.env._(
                "%(done)s compensation(s) delivered in the background: %(moves)s credit "
                "note(s) made.",
                done=self.done_count,
                moves=self.move_count,
            )
        else:
            body = job.env._(
                "Making the credit notes stopped after %(done)s compensation(s): %(error)s",
                done=self.done_count,
                error=error,
            )
        # from OdooBot: the user who clicked gets it in their inbox
        self.with_user(SUPERUSER_ID).sudo().message_post(
            body=body,
            partner_ids=self.user_id.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        return result
