from odoo import fields, models

from odoo.addons.crisis_management.models.crisis_update_recipient import (
    CrisisUpdateRecipient as CoreRecipient,
)

# what became of the text message of a customer of an update
RECIPIENT_SMS_STATES = [
    ("sent", "SMS Queued"),
    ("no_mobile", "No Mobile Number"),
    ("blacklisted", "Phone Blacklisted"),
    ("unverified", "Not Verified"),
    ("unsubscribed", "Unsubscribed"),
    ("failed", "SMS Failed"),
]


class CrisisUpdateRecipient(models.Model):
    """The text message of a customer of an update, beside their email.

    An update sent by SMS only leaves its customers in ``sms_only`` (no email
    was meant for them), those who unsubscribed in ``unsubscribed``, the
    self-reported ones no agent verified in ``unverified``.
    """

    _inherit = "crisis.update.recipient"  # pylint: disable=consider-merging-classes-inherited
    _crisis_workflow_fields = (*CoreRecipient._crisis_workflow_fields, "sms_state")

    state = fields.Selection(
        selection_add=[("sms_only", "By SMS Only")],
        ondelete={"sms_only": "cascade"},
    )
    sms_state = fields.Selection(RECIPIENT_SMS_STATES, string="SMS", readonly=True)
