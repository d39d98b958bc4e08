from odoo import Command, api, fields, models


class CrisisCompensationJob(models.AbstractModel):
    """What the background jobs on a selection of compensations share.

    A ``crisis.job`` (the engine) whose work is a set of compensations
    (``compensation_ids``, recorded at the click): the core's bulk
    submissions, approvals, rejections and deliveries
    (``crisis.compensation.bulk.job``), and the bridge modules' credit notes
    and gift cards. ``_crisis_queue`` records the compensations and starts the
    job; the chatters of their crises tell what it did.
    """

    _name = "crisis.compensation.job"
    _description = "Crisis: Compensations Processed in the Background"
    _inherit = ["crisis.job"]

    compensation_ids = fields.Many2many(
        "crisis.compensation", string="Compensations", readonly=True
    )
    total_count = fields.Integer(string="Compensations to Process")

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded["compensation_ids"] = True
        return guarded

    @api.model
    def _crisis_queue(self, compensations, **values):
        """Record the job of ``compensations`` (checked by the caller,
        ``values`` for the job's own fields); start it."""
        return self._crisis_job_queue(
            {
                "compensation_ids": [Command.set(compensations.ids)],
                "total_count": len(compensations),
                **values,
            }
        )

    def _crisis_user_env(self, companies):
        """The environment of the user who clicked, in ``companies``."""
        return self._crisis_job_user_env(companies)

    def _crisis_job_crises(self):
        self.ensure_one()
        return self.compensation_ids.crisis_id

    def _crisis_pending_ids(self, after_id):
        """The ids of the job's compensations after ``after_id``, in order."""
        self.ensure_one()
        return sorted(cid for cid in self.compensation_ids.ids if cid > after_id)
