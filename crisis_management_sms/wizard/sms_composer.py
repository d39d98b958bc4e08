from odoo import models

from odoo.addons.crisis_management.models.mail_mail import CUSTOMER_DOCUMENTS


class SmsComposer(models.TransientModel):
    _inherit = "sms.composer"

    def _action_send_sms(self):
        self._crisis_check_customer_sms()
        return super()._action_send_sms()

    def _crisis_check_customer_sms(self):
        """Refuse, before any text message is made, what Odoo's SMS composer
        would text about affected-customer lines or compensations of crises
        that may not speak to their customers now (the gate,
        ``crisis.crisis._crisis_speak_refusal``), with the crisis' own error.

        The mail queue's guard (``mail.mail``) does not see text messages:
        whatever its mode (a record, several, numbers typed in), the composer
        texts the customers of these documents.
        """
        for composer in self:
            if composer.res_model not in CUSTOMER_DOCUMENTS:
                continue
            records = composer._get_records()
            if records:
                records.sudo().crisis_id._check_can_speak_to_customers()
