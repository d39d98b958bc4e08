from odoo import fields, models


class CrisisNotifyWizard(models.TransientModel):
    """The notify wizard: the update on the public status page too."""

    _inherit = "crisis.notify.wizard"

    is_public = fields.Boolean(
        string="Show on the Status Page",
        help="Also show this update (subject, date and message) on the public status page, "
        "while the crisis is published. A Crisis Manager can change it later.",
    )

    def _crisis_send_values(self):
        return {**super()._crisis_send_values(), "is_public": self.is_public}
