from odoo import fields, models

from ..models.crisis_update_status import PUBLIC_UPDATE


class CrisisNotifyWizard(models.TransientModel):
    _inherit = "crisis.notify.wizard"  # pylint: disable=consider-merging-classes-inherited

    is_public = fields.Boolean(
        string="Show on the Status Page",
        help="Also show this update (subject, date and message) on the public status page, "
        "while the crisis is published. A Crisis Manager can change it later.",
    )

    def action_send(self):
        if self.is_public:
            self = self.with_context(crisis_update_public=PUBLIC_UPDATE)
        return super().action_send()
