"""The one background job engine of the addon.

Every bulk action above a company's threshold (adding customers, call
campaigns, submitting, approving, rejecting and delivering compensations,
their credit notes and gift cards) is a concrete ``crisis.job``: a row that
says what to do, for whom, and how far it got. Odoo's scheduler is the
engine; the job is its work list.
"""

import logging
from collections import namedtuple

from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .crisis_workflow_mixin import as_workflow

_logger = logging.getLogger(__name__)

JOB_STATES = [
    ("queued", "Queued"),
    ("running", "In Progress"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("stopped", "Stopped"),
]
# the states of a job the scheduler still works on
ACTIVE_STATES = ("queued", "running")
# the fields of every job that only the engine writes
JOB_FIELDS = (
    "state",
    "user_id",
    "total_count",
    "processed_count",
    "date_done",
    "error",
    "stopped_by_id",
)
# errors of a batch that end the job with their reason (access, validation,
# missing records are UserErrors); a concurrent change is retried instead
JOB_ERRORS = (UserError, ValueError, SyntaxError)
# what a batch did: the items it took from the job's work (``processed``),
# the job's own fields to write with it (its position, its counts), and
# whether nothing is left after it (``done``)
Batch = namedtuple("Batch", ["processed", "values", "done"])


class CrisisJob(models.AbstractModel):
    """A bulk action done in the background, in committed batches.

    The life of a job:

    * **Queue** (``_crisis_job_queue``): the click records the job, as the
      user who clicked (``user_id``), and triggers its scheduled action
      (``_crisis_job_cron``, an XML id). The click returns at once.
    * **Run** (``_crisis_run_due``, the one scheduler loop): each call of the
      scheduled action locks one due job (``FOR UPDATE SKIP LOCKED``: another
      worker takes another job, never the same batch), runs one batch of it
      (``_crisis_job_batch``, as its user) and writes what the batch did
      (position, counts, ``processed_count``) in the same transaction. Odoo's
      scheduler commits after each call and calls again at once while the
      progress it is told (``ir.cron._notify_progress``) says jobs remain.
    * **Resume**: a worker killed in a batch loses that batch's transaction
      only; the job's state and position are those of its last committed
      batch, and the next call goes on from there. Nothing is done twice.
    * **Stop** (``action_stop``): the user who started it or a Crisis Manager
      stops a queued or running job; the scheduler never takes it again.
    * **Finish** (``_crisis_job_finish``): done, failed (a batch refused, with
      the reason; the batch leaves nothing behind) or stopped: the chatter
      of its crises gets a summary with the counts, and its user a
      notification.

    A concrete job gives its scheduled action and batch size, its own fields,
    ``_crisis_job_batch`` and, if it wants its own words,
    ``_crisis_job_message``.
    """

    _name = "crisis.job"
    _description = "Crisis: Background Job"
    _inherit = ["crisis.workflow.mixin", "crisis.reminder.mixin"]
    _order = "id desc"
    # the XML id of the scheduled action running the jobs of the model
    _crisis_job_cron = None
    # the items of one batch, unless the scheduled action says otherwise
    _crisis_job_batch_size = 500

    state = fields.Selection(
        JOB_STATES, required=True, default="queued", readonly=True, index=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Started By",
        readonly=True,
        help="The job works as this user, with their rights, as their click would.",
    )
    total_count = fields.Integer(string="To Process", readonly=True)
    processed_count = fields.Integer(string="Processed", readonly=True, default=0)
    progress = fields.Float(compute="_compute_progress")
    date_done = fields.Datetime(string="Finished On", readonly=True)
    error = fields.Text(readonly=True)
    stopped_by_id = fields.Many2one("res.users", readonly=True)
    can_stop = fields.Boolean(
        compute="_compute_can_stop",
        help="The job is queued or running, and you started it or are a Crisis Manager.",
    )

    @api.depends("processed_count", "total_count")
    def _compute_progress(self):
        for job in self:
            job.progress = self._crisis_job_progress(job.processed_count, job.total_count)

    @api.depends("state", "user_id")
    @api.depends_context("uid")
    def _compute_can_stop(self):
        manager = self.env.user.has_group("crisis_management.group_crisis_manager")
        for job in self:
            job.can_stop = job.state in ACTIVE_STATES and (manager or job.user_id == self.env.user)

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(dict.fromkeys(JOB_FIELDS, True))
        return guarded

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_stop(self):
        """Stop these jobs: no batch starts after this one.

        For the user who started a job, or a Crisis Manager. A batch under
        way (the scheduler holds the job's row) ends first: the stop waits
        for it, and what it did stays.
        """
        self.check_access("read")
        jobs = self.filtered(lambda job: job.state in ACTIVE_STATES)
        if not jobs:
            raise UserError(self.env._("Only a queued or running job can be stopped."))
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            others = jobs.filtered(lambda job: job.user_id != self.env.user)
            if others:
                raise AccessError(
                    self.env._(
                        "%(job)s: only the person who started it or a Crisis Manager can stop it.",
                        job=others[0].display_name,
                    )
                )
        # wait for the batch under way, then read the job as it left it
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id IN %s FOR UPDATE",
                SQL.identifier(self._table),
                tuple(jobs.ids),
            )
        )
        jobs.invalidate_recordset()
        jobs = jobs.filtered(lambda job: job.state in ACTIVE_STATES)
        jobs._crisis_job_finish("stopped")
        return True

    # ------------------------------------------------------------------
    # The engine
    # ------------------------------------------------------------------

    @api.model
    def _crisis_job_queue(self, values):
        """Record a job of ``values`` for the current user; start its scheduled action.

        :return: the job, in the caller's environment
        """
        job = as_workflow(self.sudo()).create({"user_id": self.env.uid, **values})
        self._crisis_job_trigger()
        return job.with_env(self.env)

    @api.model
    def _crisis_job_trigger(self):
        cron = self.env.ref(self._crisis_job_cron, raise_if_not_found=False)
        if cron and cron.sudo().active:
            cron.sudo()._trigger()

    @api.model
    def _crisis_job_due(self):
        """SQL condition on the jobs the scheduler works on."""
        return SQL("state IN %s", ACTIVE_STATES)

    @api.model
    def _cron_run_jobs(self, batch_size=None):
        self._crisis_run_due(batch_size)

    @api.model
    def _crisis_run_due(self, batch_size=None):
        """The scheduler loop of every job: one batch of one due job per call.

        The job row is locked (``FOR UPDATE SKIP LOCKED``): a second cron
        worker takes another job, never the same batch. The scheduler commits
        after the call, and calls again while due jobs remain.

        :return: the job worked on (none when every due job is taken)
        """
        due = self._crisis_job_due()
        jobs = self._crisis_lock_due(due, limit=1, skip_conflicts=True)
        for job in jobs:
            job._crisis_job_run(batch_size or job._crisis_job_batch_size)
        remaining = self._crisis_count_due(due) if jobs else 0
        self.env["ir.cron"]._notify_progress(done=len(jobs), remaining=remaining)
        return jobs

    def _crisis_job_run(self, batch_size):
        """One batch of this job (locked), and what it did written with it."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                batch = self._crisis_job_batch(batch_size)
        except (errors.SerializationFailure, errors.LockNotAvailable, errors.DeadlockDetected):
            # the batch met a concurrent change (a user, another job): it left
            # nothing behind and is tried again
            _logger.info(
                "%s %s: a batch met a concurrent change, tried again", self._name, self.id
            )
            self.env.invalidate_all()
            self._crisis_job_trigger()
            return
        except JOB_ERRORS as error:
            _logger.info("%s %s failed: %s", self._name, self.id, error)
            self.env.invalidate_all()
            self._crisis_job_finish("failed", error=_error_text(error))
            return
        as_workflow(self.sudo()).write(
            {
                "state": "running",
                "processed_count": self.processed_count + batch.processed,
                **batch.values,
            }
        )
        if batch.done:
            self._crisis_job_finish("done")

    def _crisis_job_batch(self, batch_size):
        """Do the next batch of this job, up to ``batch_size`` items, as its user.

        Raise a ``UserError`` (or ``ValueError``) to end the job as failed,
        with the error as its reason: the batch's work is rolled back.

        :return: a ``Batch``
        """
        raise NotImplementedError

    def _crisis_job_user_env(self, companies):
        """The environment of the user who started the job, in ``companies``."""
        return self.with_user(self.user_id).with_context(allowed_company_ids=companies.ids).env

    def _crisis_job_finish(self, state, error=False):
        """End these jobs in ``state`` (done, failed, stopped); tell it."""
        values = {"state": state, "date_done": fields.Datetime.now(), "error": error}
        if state == "stopped":
            values["stopped_by_id"] = self.env.uid
        as_workflow(self.sudo()).write(values)
        self._crisis_job_tell(state)
        return True

    def _crisis_job_tell(self, state):
        """The summary of each job that ended in ``state``: a note on its
        crises, in its user's language, and a notification to its user."""
        # sudo: the summary names what the job did, whoever ends it
        for job in self.sudo():
            in_lang = job.with_context(lang=job.user_id.lang or self.env.lang)
            self._crisis_job_post(
                job._crisis_job_crises(),
                in_lang._crisis_job_message(state),
                author=self.env.user if state == "stopped" else job.user_id,
                user=job.user_id,
                title=in_lang.display_name,
                state=state,
                subtype_xmlid=job._crisis_job_subtype(state),
            )

    def _crisis_job_crises(self):
        """The crises whose chatter tells what this job did."""
        self.ensure_one()
        return self.crisis_id if "crisis_id" in self._fields else self.env["crisis.crisis"]

    def _crisis_job_subtype(self, state):
        """The subtype of the summary of this job ended in ``state``, to
        notify the crises' followers of it; none: a log note."""
        return None

    def _crisis_job_message(self, state):
        """What this job did, ended in ``state``: concrete jobs say it their way."""
        self.ensure_one()
        if state == "done":
            return self.env._(
                "%(job)s: done, %(processed)s of %(total)s processed.",
                job=self.display_name,
                processed=self.processed_count,
                total=self.total_count,
            )
        if state == "failed":
            return self.env._(
                "%(job)s failed after %(processed)s of %(total)s: %(error)s",
                job=self.display_name,
                processed=self.processed_count,
                total=self.total_count,
                error=self.error,
            )
        return self._crisis_job_stopped_message()

    def _crisis_job_stopped_message(self):
        self.ensure_one()
        return self.env._(
            "%(job)s was stopped by %(user)s after %(processed)s of %(total)s.",
            job=self.display_name,
            user=self.stopped_by_id.name,
            processed=self.processed_count,
            total=self.total_count,
        )

    # ------------------------------------------------------------------
    # Pieces shared with the sending of customer updates
    # ------------------------------------------------------------------

    @api.model
    def _crisis_job_progress(self, done, total):
        """The share of ``total`` that is ``done``, in percent."""
        return min(100.0, 100.0 * done / total) if total else 0.0

    @api.model
    def _crisis_job_post(
        self, crises, body, author, user=None, title=None, state="done", subtype_xmlid=None
    ):
        """Tell what a background work did: ``body`` as a note on ``crises``,
        by ``author`` (posted to their followers of ``subtype_xmlid`` if
        given), and as a notification to ``user`` if they are online."""
        for crisis in crises.sudo():
            if subtype_xmlid:
                crisis.message_post(
                    body=body, author_id=author.partner_id.id, subtype_xmlid=subtype_xmlid
                )
            else:
                crisis._message_log(body=body, author_id=author.partner_id.id)
        if user:
            user._bus_send(
                "simple_notification",
                {
                    "type": {"done": "success", "failed": "danger"}.get(state, "warning"),
                    "title": title or "",
                    "message": body,
                    "sticky": state != "done",
                },
            )
        return True


def _error_text(error):
    return str(error.args[0] if error.args else error)
