"""The affected customers of a crisis: their totals (stored, counted by the
database), and those being added in the background."""

from odoo import api, fields, models

# the customer totals of a crisis, computed together by _compute_impact_stats
IMPACT_STATS = (
    "affected_count",
    "contacted_count",
    "priority_count",
    "to_contact_count",
    "contacted_rate",
)


class CrisisCrisis(models.Model):
    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    # affected customers
    impact_ids = fields.One2many("crisis.impact", "crisis_id", string="Affected Customers")
    affected_count = fields.Integer(
        string="Affected", compute="_compute_impact_stats", store=True, aggregator="sum"
    )
    contacted_count = fields.Integer(
        string="Contacted",
        compute="_compute_impact_stats",
        store=True,
        aggregator="sum",
        help="Affected customers contacted: a notice reached them, or an agent talked with "
        "them (neither To Contact nor Unreachable).",
    )
    priority_count = fields.Integer(
        string="Priority Customers", compute="_compute_impact_stats", store=True, aggregator="sum"
    )
    to_contact_count = fields.Integer(
        string="Not Contacted",
        compute="_compute_impact_stats",
        store=True,
        aggregator="sum",
        help="Affected customers not contacted yet: To Contact, or Unreachable (every notice "
        "failed or bounced).",
    )
    contacted_rate = fields.Float(
        string="Contacted (%)",
        compute="_compute_impact_stats",
        store=True,
        aggregator="avg",
        help="Share of the affected customers contacted at least once.",
    )
    # customers being added in the background (see crisis.impact.job)
    impact_job_ids = fields.One2many(
        "crisis.impact.job", "crisis_id", string="Customers Being Added"
    )
    adding_count = fields.Integer(
        compute="_compute_adding", string="Contacts Being Added", compute_sudo=True
    )
    adding_progress = fields.Float(compute="_compute_adding", compute_sudo=True)
    # a compensation being proposed to many of them (crisis.compensation.propose.job)
    propose_job_ids = fields.One2many(
        "crisis.compensation.propose.job", "crisis_id", string="Compensations Being Proposed"
    )
    proposing_count = fields.Integer(
        compute="_compute_proposing", string="Customers Being Compensated", compute_sudo=True
    )
    proposing_progress = fields.Float(compute="_compute_proposing", compute_sudo=True)

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("impact_ids.contact_status", "impact_ids.is_priority")
    def _compute_impact_stats(self):
        # sudo: counting lines is not reading them, and a stored total must not
        # depend on who triggered its recomputation
        groups = (
            self.env["crisis.impact"]
            .sudo()
            ._read_group(
                [("crisis_id", "in", self.ids)],
                ["crisis_id", "contact_status", "is_priority"],
                ["__count"],
            )
        )
        stats = {crisis.id: [0, 0, 0] for crisis in self}
        for crisis, status, is_priority, count in groups:
            total = stats[crisis.id]
            total[0] += count
            # unreachable: every notice failed or bounced, not contacted yet
            if status not in ("to_contact", "unreachable"):
                total[1] += count
            if is_priority:
                total[2] += count
        for crisis in self:
            affected, contacted, priority = stats.get(crisis.id, (0, 0, 0))
            crisis.affected_count = affected
            crisis.contacted_count = contacted
            crisis.priority_count = priority
            crisis.to_contact_count = affected - contacted
            crisis.contacted_rate = 100.0 * contacted / affected if affected else 0.0

    @api.depends("impact_job_ids.state", "impact_job_ids.processed_count")
    def _compute_adding(self):
        for crisis in self:
            jobs = crisis.impact_job_ids.filtered(lambda job: job.state in ("queued", "running"))
            total = sum(jobs.mapped("total_count"))
            crisis.adding_count = total
            crisis.adding_progress = (
                100.0 * sum(jobs.mapped("processed_count")) / total if total else 0.0
            )

    @api.depends("propose_job_ids.state", "propose_job_ids.processed_count")
    def _compute_proposing(self):
        Job = self.env["crisis.job"]
        for crisis in self:
            jobs = crisis.propose_job_ids.filtered(lambda job: job.state in ("queued", "running"))
            total = sum(jobs.mapped("total_count"))
            crisis.proposing_count = total
            crisis.proposing_progress = Job._crisis_job_progress(
                sum(jobs.mapped("processed_count")), total
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_impacts(self):
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_impact_action",
            [("crisis_id", "=", self.id)],
            context={"default_crisis_id": self.id},
            name=self.env._("Affected Customers of %s", self.reference),
        )

    def action_view_propose_jobs(self):
        """The compensations being proposed to this crisis's customers in the
        background (to follow, or stop)."""
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_compensation_propose_job_action",
            [("crisis_id", "=", self.id)],
            context={"search_default_in_progress": 1},
            name=self.env._("Compensations Being Proposed for %(crisis)s", crisis=self.reference),
        )

    def action_view_impact_jobs(self):
        """The work in the background on this crisis's customers: being
        added, calls being scheduled (to follow, or stop)."""
        self.ensure_one()
        return self._crisis_action(
            "crisis_management.crisis_impact_job_action",
            [("crisis_id", "=", self.id)],
            context={"search_default_in_progress": 1},
            name=self.env._("Background Jobs of %(crisis)s", crisis=self.reference),
        )

    def action_add_customers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management.crisis_impact_wizard_action"
        )
        action["context"] = {"default_crisis_id": self.id}
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _crisis_defer_impact_stats(self):
        """Leave the customer totals of these crises to ``_crisis_recompute_impact_stats``."""
        for name in IMPACT_STATS:
            self.env.remove_to_compute(self._fields[name], self)

    def _crisis_recompute_impact_stats(self):
        for name in IMPACT_STATS:
            self.env.add_to_compute(self._fields[name], self)
