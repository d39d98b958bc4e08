from odoo import models


class CrisisCrisis(models.Model):
    _inherit = "crisis.crisis"

    def _crisis_stage_notice_values(self, kind):
        """Stage notices go by SMS too when the company says so."""
        values = super()._crisis_stage_notice_values(kind)
        if self.company_id.crisis_stage_sms:
            template = self.env["crisis.update"]._crisis_sms_template_of(kind)
            if template:
                values.update(channel="both", sms_template_id=template.id)
        return values
