from odoo import models

from ..models.mail_mail import CUSTOMER_DOCUMENTS


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _action_send_mail(self, auto_commit=False):
        self._crisis_check_customer_emails()
        return super()._action_send_mail(auto_commit=auto_commit)

    def _crisis_check_customer_emails(self):
        """Refuse, before anything is written or sent, what the email guard would.

        The guard on ``mail.mail`` is the rule; this says it earlier, for all
        the records at once, before a mass mailing sends its first batch:
        mass mailing affected-customer lines or compensations emails their
        customers; in comment mode, when customers are among the recipients
        (or, for several records, the template names recipients). Customers
        who follow a record are left to the guard.
        """
        for wizard in self:
            if wizard.model not in CUSTOMER_DOCUMENTS:
                continue
            template = wizard.template_id
            if (
                wizard.composition_mode != "mass_mail"
                and not any(partner.partner_share for partner in wizard.partner_ids)
                and not (
                    wizard.composition_batch
                    and (
                        template.partner_to
                        or template.email_to
                        or template.email_cc
                        or template.use_default_to
                    )
                )
            ):
                continue
            if wizard.res_domain:
                domain = wizard._evaluate_res_domain()
            else:
                domain = [("id", "in", wizard._evaluate_res_ids())]
            self.env[wizard.model].search(domain).crisis_id._check_can_speak_to_customers()
