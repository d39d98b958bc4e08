from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.crisis_management.models.crisis_update_recipient import (
    CrisisUpdateRecipient as CoreRecipient,
)
from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

# what became of the text message of a customer of an update: skipped (and
# why), or queued, then what Odoo's SMS queue and the provider reported
RECIPIENT_SMS_STATES = [
    ("queued", "SMS Queued"),
    ("sent", "SMS Sent"),
    ("delivered", "SMS Delivered"),
    ("failed", "SMS Failed"),
    ("bounced", "SMS Bounced"),
    ("cancelled", "SMS Cancelled"),
    ("no_mobile", "No Mobile Number"),
    ("blacklisted", "Phone Blacklisted"),
    ("unverified", "Not Verified"),
    ("unsubscribed", "Unsubscribed"),
]
# {status of Odoo's SMS notification: SMS state}
SMS_STATE_OF_NOTIFICATION = {
    "ready": "queued",
    "process": "queued",
    "pending": "sent",
    "sent": "delivered",
    "bounce": "bounced",
    "exception": "failed",
    "canceled": "cancelled",
}
# {SMS state: the trace of the SMS channel (see crisis.update.recipient.reach)}
SMS_REACH = {
    "queued": "queued",
    "sent": "sent",
    "delivered": "sent",
    "failed": "failed",
    "bounced": "bounced",
}
# the SMS states of a text message made for the customer
SMS_MADE = ("queued", "sent", "delivered", "failed", "bounced", "cancelled")


class CrisisUpdateRecipient(models.Model):
    """The text message of a customer of an update, beside their email.

    ``sms_state`` is what the send did (queued, or skipped and why), then
    what became of the text message, copied from the customer's SMS
    notification (``sms_notification_id``) as Odoo's SMS queue and the
    provider's delivery reports change it: *SMS Sent* when the provider
    accepted it, *SMS Delivered* on its delivery report, *SMS Failed* or *SMS
    Bounced* with Odoo's failure type (no credit, a wrong number, …). The SMS
    channel counts in the notice's ``reach`` as the email does.

    An update sent by SMS only leaves its customers in ``sms_only`` (no email
    was meant for them), those who unsubscribed in ``unsubscribed``, the
    self-reported ones no agent verified in ``unverified``.
    """

    _inherit = "crisis.update.recipient"
    _crisis_workflow_fields = (
        *CoreRecipient._crisis_workflow_fields,
        "sms_state",
        "sms_notification_id",
        "sms_failure_type",
        "sms_failure_reason",
        "date_sms_sent",
    )

    state = fields.Selection(
        selection_add=[("sms_only", "By SMS Only")],
        ondelete={"sms_only": "cascade"},
    )
    sms_state = fields.Selection(RECIPIENT_SMS_STATES, string="SMS", readonly=True)
    sms_notification_id = fields.Many2one(
        "mail.notification",
        string="SMS Notification",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="Odoo's notification of the customer's text message: it follows the SMS queue "
        "and the provider's delivery reports.",
    )
    sms_failure_type = fields.Selection(
        selection="_selection_failure_type", string="SMS Failure", readonly=True
    )
    sms_failure_reason = fields.Text(string="SMS Failure Reason", readonly=True)
    date_sms_sent = fields.Datetime(
        string="SMS Sent On",
        readonly=True,
        help="When the SMS provider accepted the text message.",
    )

    @api.model
    def _crisis_reach_depends(self):
        return [*super()._crisis_reach_depends(), "sms_state"]

    def _crisis_channel_reach(self):
        return [*super()._crisis_channel_reach(), SMS_REACH.get(self.sms_state, False)]

    @api.model
    def _crisis_notification_domain(self, notification_ids):
        return [
            "|",
            *super()._crisis_notification_domain(notification_ids),
            ("sms_notification_id", "in", notification_ids),
        ]

    def _crisis_notification_ids(self):
        ids = super()._crisis_notification_ids()
        if self.sms_notification_id:
            ids.append(self.sms_notification_id.id)
        return ids

    def _crisis_notification_values(self, notification):
        values = super()._crisis_notification_values(notification)
        if notification == self.sms_notification_id:
            values.update(self._crisis_sms_values(notification))
            if values["sms_state"] in ("sent", "delivered") and not self.date_sms_sent:
                values["date_sms_sent"] = fields.Datetime.now()
        return values

    @api.model
    def _crisis_sms_values(self, notification):
        """The SMS trace of a recipient whose SMS notification is ``notification``."""
        state = SMS_STATE_OF_NOTIFICATION.get(notification.notification_status, "queued")
        values = {"sms_state": state}
        if state in ("failed", "bounced"):
            values.update(
                sms_failure_type=notification.failure_type or "unknown",
                sms_failure_reason=notification.failure_reason or False,
            )
        else:
            values.update(sms_failure_type=False, sms_failure_reason=False)
        return values

    def _crisis_link_sms(self, sms_records):
        """Link these recipients (one batch) to the SMS notification of their
        customer among the notifications of ``sms_records``: one query."""
        if not sms_records:
            return
        self._crisis_link_notifications(
            sms_records.mail_message_id, "sms", "sms_notification_id", self._crisis_sms_values
        )

    # ------------------------------------------------------------------
    # The reach policy's first step: the update's text message
    # ------------------------------------------------------------------

    @api.model
    def _crisis_sms_reached(self):
        return SQL("recipient.sms_state IN ('sent', 'delivered')")

    @api.model
    def _crisis_fallback_sms_failed(self):
        return SQL("recipient.sms_state IN ('failed', 'bounced', 'cancelled')")

    def _crisis_fallback_sms(self):
        """Text the update to these customers (its kind's SMS template), those
        with a valid number not on the phone blacklist; the text is logged on
        their line and traced here as the update's own SMS. A customer the
        update itself texted is not texted again: their SMS step is done
        unless that text message failed."""
        done = super()._crisis_fallback_sms()
        recipients = self.sudo()
        made = recipients.filtered(lambda recipient: recipient.sms_state in SMS_MADE)
        done |= made.filtered(
            lambda recipient: recipient.sms_state not in ("failed", "bounced", "cancelled")
        )
        fresh = recipients - made
        if not fresh:
            return done
        Impact = self.env["crisis.impact"].sudo()
        classified = Impact.browse(fresh.impact_id.ids)._crisis_classify_sms()
        now = fields.Datetime.now()
        for update, batch in fresh.grouped("update_id").items():
            template = self.env["crisis.update"]._crisis_sms_template_of(update.kind).sudo()
            numbers = {
                recipient.impact_id.id: classified[recipient.impact_id.id][1]
                for recipient in batch
                if classified.get(recipient.impact_id.id, ("",))[0] == "sent"
            }
            if not template or not numbers:
                continue
            texted = batch.filtered(lambda recipient, ids=numbers: recipient.impact_id.id in ids)
            sms_records = Impact.browse(list(numbers))._crisis_sms_template(template, numbers)
            as_workflow(texted).write(
                {"sms_state": "queued", "date_fallback_sms": now, "reach_todo": True}
            )
            texted._crisis_link_sms(sms_records)
            done |= texted
        if done:
            self._crisis_trigger_apply()
        return done
