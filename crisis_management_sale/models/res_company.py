from odoo import api, fields, models
from odoo.exceptions import ValidationError

# the longest window of the retention comparison: a year before and after
MAX_RETENTION_DAYS = 365


class ResCompany(models.Model):
    _inherit = "res.company"

    crisis_retention_days = fields.Integer(
        string="Retention Window (days)",
        default=90,
        help="The revenue of the affected customers is compared over this many days before "
        "and after the declaration of a crisis (fewer while the crisis is younger), against "
        "comparable customers who were not affected.",
    )

    @api.constrains("crisis_retention_days")
    def _check_crisis_retention_days(self):
        for company in self:
            if not 1 <= company.crisis_retention_days <= MAX_RETENTION_DAYS:
                raise ValidationError(
                    self.env._(
                        "The retention window is between 1 and %(max)s days.",
                        max=MAX_RETENTION_DAYS,
                    )
                )
