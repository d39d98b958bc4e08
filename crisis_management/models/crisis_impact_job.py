import ast

from odoo import api, fields, models

from .crisis_job import Batch
from .crisis_type import SEVERITIES

# contacts linked per call of the job; the scheduler commits after each call
ADD_BATCH_SIZE = 1000


class CrisisImpactJob(models.Model):
    """Affected customers added in the background, a batch at a time.

    The *Add Affected Customers* wizard records one when more contacts match
    than the company's threshold. The contacts are those matching the filter
    at the click (ids up to the highest one then); each batch of the job
    (``crisis.job``) links the next ``ADD_BATCH_SIZE`` of them, through
    ``crisis.impact._link_partners`` (the ORM, as a small add), as the user
    who clicked, and commits with the id it reached.
    """

    _name = "crisis.impact.job"
    _description = "Affected Customers Being Added"
    _inherit = ["crisis.job"]
    _crisis_job_cron = "crisis_management.ir_cron_crisis_add_customers"
    _crisis_job_batch_size = ADD_BATCH_SIZE
    _crisis_workflow_fields = (
        "partner_domain",
        "max_partner_id",
        "last_partner_id",
        "added_count",
        "agent_id",
        "impact_level",
        "is_priority",
        "selection_details",
    )

    crisis_id = fields.Many2one("crisis.crisis", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="crisis_id.company_id", store=True)
    partner_domain = fields.Text(string="Filter", readonly=True)
    max_partner_id = fields.Integer(readonly=True)
    last_partner_id = fields.Integer(readonly=True)
    agent_id = fields.Many2one("res.users", readonly=True)
    impact_level = fields.Selection(SEVERITIES, string="Impact", readonly=True)
    is_priority = fields.Boolean(string="Priority Customers", readonly=True)
    selection_details = fields.Json(
        readonly=True,
        help="What the selection tells about each customer (what they received or "
        "ordered), recorded on their lines as they are added.",
    )
    total_count = fields.Integer(string="Matching Contacts")
    added_count = fields.Integer(string="Added", readonly=True)

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
    def _crisis_queue(self, crisis, domain, total, impact_level, is_priority, agent, details=None):
        """Record the adding of the contacts of ``domain`` to ``crisis``; start the job.

        :param details: what the wizard's selection tells about each customer
            (``crisis.impact.wizard._crisis_selection_details``)
        """
        last = self.env["res.partner"].search(domain, order="id desc", limit=1)
        return self._crisis_job_queue(
            {
                "crisis_id": crisis.id,
                "partner_domain": repr(domain),
                "max_partner_id": last.id,
                "total_count": total,
                "impact_level": impact_level,
                "is_priority": is_priority,
                "agent_id": agent.id,
                "selection_details": details or False,
            }
        )

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------

    @api.model
    def _cron_add_customers(self, batch_size=ADD_BATCH_SIZE):
        """The scheduled action of the jobs of affected-customer lines."""
        self._crisis_run_due(batch_size)

    def _crisis_job_batch(self, batch_size):
        self.ensure_one()
        env = self._crisis_job_user_env(self.company_id)
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
        crisis = env["crisis.crisis"].browse(self.crisis_id.id)
        added = env["crisis.impact"]._link_partners(
            crisis,
            partners.ids,
            impact_level=self.impact_level,
            is_priority=self.is_priority,
            user=env["res.users"].browse(self.agent_id.id),
        )
        if self.selection_details and partners:
            env["crisis.impact"]._crisis_link_details(crisis, partners.ids, self.selection_details)
        values = {"added_count": self.added_count + len(added)}
        if partners:
            values["last_partner_id"] = partners[-1].id
        return Batch(len(partners), values, len(partners) < batch_size)

    def _crisis_job_message(self, state):
        self.ensure_one()
        if state == "done":
            return self.env._(
                "%(added)s affected customers added, %(skipped)s already linked and skipped.",
                added=self.added_count,
                skipped=self.processed_count - self.added_count,
            )
        if state == "failed":
            return self.env._(
                "Adding affected customers stopped after %(added)s: %(error)s",
                added=self.added_count,
                error=self.error,
            )
        return self.env._(
            "Adding affected customers was stopped by %(user)s: %(added)s added, "
            "%(processed)s of %(total)s contacts processed.",
            user=self.stopped_by_id.name,
            added=self.added_count,
            processed=self.processed_count,
            total=self.total_count,
        )
