from odoo import api, fields, models


class CrisisImpact(models.Model):
    """Affected customers who subscribed themselves from the public status page.

    A visitor who confirms a subscription to a published crisis (see
    ``crisis.subscription``) becomes an affected customer of it: a line with
    impact level low, flagged ``is_subscriber``. Only that confirmation sets
    the flag.
    """

    _inherit = "crisis.impact"  # pylint: disable=consider-merging-classes-inherited

    is_subscriber = fields.Boolean(
        string="Subscriber",
        readonly=True,
        copy=False,
        help="Subscribed from the public status page: the customer confirmed their address "
        "to receive the updates of this crisis.",
    )

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded["is_subscriber"] = True
        return guarded
