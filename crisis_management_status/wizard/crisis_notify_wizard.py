from odoo import api, fields, models


class CrisisNotifyWizard(models.TransientModel):
    """The notify wizard: the update on the public status page too."""

    _inherit = "crisis.notify.wizard"

    is_public = fields.Boolean(
        string="Show on the Status Page",
        compute="_compute_is_public",
        store=True,
        readonly=False,
        precompute=True,
        help="Also show this update (subject, date and message) on the public status page, "
        "while the crisis is published: ticked when the crisis is published. A Crisis "
        "Manager can change it later.",
    )

    @api.depends("crisis_id")
    def _compute_is_public(self):
        for wizard in self:
            wizard.is_public = wizard.crisis_id.is_published

    def _crisis_send_values(self):
        return {**super()._crisis_send_values(), "is_public": self.is_public}
