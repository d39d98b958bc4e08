from odoo import models


class MailNotification(models.Model):
    _inherit = "mail.notification"

    def write(self, vals):
        """Odoo changes the status of notifications when the mail queue sends
        or fails an email, when a delivery failure report comes back, and for
        SMS when the provider answers: the reach traces of the customer
        updates follow (``crisis.update.recipient``), in one query per call."""
        result = super().write(vals)
        if "notification_status" in vals and self:
            self.env["crisis.update.recipient"]._crisis_on_notifications(self)
        return result
