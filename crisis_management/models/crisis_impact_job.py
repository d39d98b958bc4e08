import ast
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crisis_type import SEVERITIES
from .crisis_workflow_mixin import as_workflow

_logger = logging.getLogger(__name__)

# contacts linked per call of the job; the scheduler commits after each call
ADD_BATCH_SIZE = 1000

JOB_STATES = [
    ("queued", "Queued"),
    ("running", "Adding"),
    ("done", "Done"),
    ("failed", "Failed"),
]


class CrisisImpactJob(models.Model):
    """Affected customers added in the background, a batch at a time.

    The *Add Affected Customers* wizard records one when more contacts match
    than the company's threshold. The contacts are those matching the filter
    at the click (ids up to the highest one then); the job of Odoo's
    scheduler links them in batches of ``ADD_BATCH_SIZE``, through
    ``crisis.impact._link_partners`` (the ORM, as a small add), as the user
    who clicked. Each batch commits with the id it reached: a worker killed
    in the middle loses nothing, the next run goes on from there.
    """

    _name = "crisis.impact.job"
    _description = "Affected Customers Being Added"
    _inherit = ["crisis.workflow.mixin", "crisis.reminder.mixin"]
    _order = "id desc"
    _crisis_workflow_fields = (
        "state",
        "partner_domain",
        "max_partner_id",
        "last_partner_id",
        "total_count",
        "processed_count",
        "added_count",
        "user_id",
        "agent_id",
        "impact_level",
        "is_priority",
        "date_done",
        "error",
    )

    crisis_id = fields.Many2one("crisis.crisis", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="crisis_id.company_id", store=True)
    state = fields.Selection(JOB_STATES, required=True, default="queued", readonly=True)
    user_id = fields.Many2one("res.users", string="Added By", readonly=True)
    partner_domain = fields.Text(string="Filter", readonly=True)
    max_partner_id = fields.Integer(readonly=True)
    last_partner_id = fields.Integer(readonly=True)
    agent_id = fields.Many2one("res.users", readonly=True)
    impact_level = fields.Selection(SEVERITIES, string="Impact", readonly=True)
    is_priority = fields.Boolean(string="Priority Customers", readonly=True)
    total_count = fields.Integer(string="Matching Contacts", readonly=True)
    processed_count = fields.Integer(string="Processed", readonly=True)
    added_count = fields.Integer(string="Added", readonly=True)
    progress = fields.Float(compute="_compute_progress")
    date_done = fields.Datetime(string="Finished On", readonly=True)
    error = fields.Text(readonly=True)

    @api.depends("processed_count", "total_count")
    def _compute_progress(self):
        for job in self:
            total = job.total_count
            job.progress = 100.0 * job.processed_count / total if total else 0.0

    @api.depends("crisis_id", "total_count")
    def _compute_display_name(self):
        for job in self:
            job.display_name = self.env._(
                "%(crisis)s: %(count)s customers",
                crisis=job.crisis_id.reference,
                count=job.total_count,
            )

    # ------------------------------------------------------------------
    # Queueing
    # ------------------------------------------------------------------

    @api.model
    def _crisis_queue(self, crisis, domain, total, impact_level, is_priority, agent):
        """Record the adding of the contacts of ``domain`` to ``crisis``; start the job."""
        Partner = self.env["res.partner"]
        last = Partner.search(domain, order="id desc", limit=1)
        job = as_workflow(self.sudo()).create(
            {
                "crisis_id": crisis.id,
                "user_id": self.env.uid,
                "partner_domain": repr(domain),
                "max_partner_id": last.id,
                "total_count": total,
                "impact_level": impact_level,
                "is_priority": is_priority,
                "agent_id": agent.id,
            }
        )
        self.env.ref("crisis_management.ir_cron_crisis_add_customers").sudo()._trigger()
        return job.with_env(self.env)

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------

    @api.model
    def _cron_add_customers(self, batch_size=ADD_BATCH_SIZE):
        """One batch of one job per call; the scheduler calls again while work remains.

        The job row is locked (``FOR UPDATE SKIP LOCKED``): another worker
        takes another job, never the same batch.
        """
        jobs = self._crisis_lock_due(self._crisis_job_condition(), limit=1)
        for job in jobs:
            job._crisis_add_batch(batch_size)
        self.env["ir.cron"]._notify_progress(
            done=len(jobs), remaining=self._crisis_count_due(self._crisis_job_condition())
        )

    @api.model
    def _crisis_job_condition(self):
        return SQL("state IN ('queued', 'running')")

    def _crisis_add_batch(self, batch_size):
        self.ensure_one()
        user = self.user_id
        env = self.with_user(user).with_context(allowed_company_ids=[self.company_id.id]).env
        try:
            domain = ast.literal_eval(self.partner_domain or "[]")
            partners = env["res.partner"].search(
                [
                    *domain,
                    ("id", ">", self.last_partner_id),
                    ("id", "<=", self.max_partner_id),
                ],
                order="id",
                limit=batch_size,
            )
            with self.env.cr.savepoint():
                added = env["crisis.impact"]._link_partners(
                    env["crisis.crisis"].browse(self.crisis_id.id),
                    partners.ids,
                    impact_level=self.impact_level,
                    is_priority=self.is_priority,
                    user=env["res.users"].browse(self.agent_id.id),
                )
        except (UserError, ValueError, SyntaxError) as error:
            _logger.info("Adding customers to %s failed: %s", self.crisis_id.reference, error)
            self._crisis_finish("failed", error=str(error.args[0] if error.args else error))
            return
        values = {
            "state": "running",
            "processed_count": self.processed_count + len(partners),
            "added_count": self.added_count + len(added),
        }
        if partners:
            values["last_partner_id"] = partners[-1].id
        as_workflow(self).write(values)
        if len(partners) < batch_size:
            self._crisis_finish("done")

    def _crisis_finish(self, state, error=False):
        as_workflow(self).write(
            {"state": state, "date_done": fields.Datetime.now(), "error": error}
        )
        crisis = self.crisis_id.sudo()
        if state == "done":
            body = self.env._(
                "%(added)s affected customers added, %(skipped)s already linked and skipped.",
                added=self.added_count,
                skipped=self.processed_count - self.added_count,
            )
        else:
            body = self.env._(
                "Adding affected customers stopped after %(added)s: %(error)s",
                added=self.added_count,
                error=error,
            )
        crisis.message_post(body=body, author_id=self.user_id.partner_id.id)
