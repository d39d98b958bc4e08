from odoo import fields, models


class CrisisCrisis(models.Model):
    _inherit = "crisis.crisis"

    def _crisis_start(self):
        """When the crisis began: detected, else declared, else now. A unit a
        customer returned before then was not affected."""
        self.ensure_one()
        dates = [date for date in (self.date_detected, self.date_declared) if date]
        return min(dates) if dates else fields.Datetime.now()
