from odoo import models

from .mail_mail import CrisisDelivery


class MailNotification(models.Model):
    _inherit = "mail.notification"

    def write(self, vals):
        """Odoo changes the status of notifications when the mail queue sends
        or fails an email, when a delivery failure report comes back, and for
        SMS when the provider answers: the reach traces of the customer
        updates follow (``crisis.update.recipient``), in one query per call."""
        result = super().write(vals)
        if "notification_status" not in vals or not self:
            return result
        if self.env.context.get("crisis_reach_trigger_later") and not self.env.context.get(
            "crisis_mail_outcome"
        ):
            # a sending job delivering its batch: Odoo's mail.mail._send marks
            # each email's notifications failed before it sends it, then writes
            # what happened, in the same transaction; only that is traced
            return result
        delivery = self.env.context.get("crisis_delivery")
        if isinstance(delivery, CrisisDelivery):
            # a sending job delivering a group: its traces follow once, at the
            # end of the group, before it is committed
            delivery.notification_ids.update(self.ids)
            return result
        self.env["crisis.update.recipient"]._crisis_on_notifications(self)
        return result
