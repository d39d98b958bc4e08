from collections import defaultdict

from odoo import api, models

from .crisis_mail_batch import DELIVERY_GRACE

# documents whose emails go to the affected customers of a crisis (``crisis_id``)
CUSTOMER_DOCUMENTS = ("crisis.impact", "crisis.compensation")


class CrisisDelivery:
    """One delivery of a sending job's emails (``crisis.update._crisis_deliver``),
    in the context of ``mail.mail.send`` (key ``crisis_delivery``; a Python
    object, which no external caller can send).

    Odoo's ``_send`` commits after each email, and a commit clears the ORM
    cache: each email would read back every email of the batch it is in (its
    prefetch). A delivery sends each email with its own prefetch, and removes
    the emails Odoo deletes once sent (``auto_delete``) in one go at
    its end (``unlink_ids``) instead of one by one. Sent emails left by a
    worker killed before that end are removed by the next delivery
    (``mail.mail._crisis_unlink_delivered``).
    """

    def __init__(self):
        self.unlink_ids = set()


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model_create_multi
    def create(self, vals_list):
        mails = super().create(vals_list)
        mails._crisis_check_customer_emails()
        return mails

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") == "cancel":
            self._crisis_trace_dropped()
        return result

    def unlink(self):
        delivery = self.env.context.get("crisis_unlink_later")
        if isinstance(delivery, CrisisDelivery):
            # sent by a delivery: removed at its end, with the others
            delivery.unlink_ids.update(self.ids)
            return True
        self._crisis_trace_dropped()
        return super().unlink()

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        """What the mail server answered, written on the notifications: the
        reach traces follow it (see ``mail.notification.write``)."""
        mails = self.with_context(crisis_mail_outcome=True)
        delivery = self.env.context.get("crisis_delivery")
        if isinstance(delivery, CrisisDelivery):
            mails = mails.with_context(crisis_unlink_later=delivery)
        return super(MailMail, mails)._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )

    def _send(self, *args, **kwargs):
        """Odoo's sending of these emails (its arguments passed on); in a
        delivery of a sending job (``CrisisDelivery``), one email at a time,
        each read alone: after the commit of the one before, the others of the
        batch are not read back with it."""
        delivery = self.env.context.get("crisis_delivery")
        batches = (
            [self.browse(mail_id).with_prefetch((mail_id,)) for mail_id in self.ids]
            if isinstance(delivery, CrisisDelivery)
            else [self]
        )
        for mails in batches:
            super(MailMail, mails)._send(*args, **kwargs)
        return True

    @api.model
    def _crisis_unlink_delivered(self, delivery):
        """Remove the emails ``delivery`` sent (and those a killed worker's
        delivery left sent): as Odoo's ``auto_delete`` would have, in one go."""
        # left over: sent longer ago than any delivery runs (another worker's
        # delivery under way removes its own, never two workers the same rows)
        leftovers = self.sudo().search(
            [
                ("state", "=", "sent"),
                ("auto_delete", "=", True),
                ("model", "in", CUSTOMER_DOCUMENTS),
                ("write_date", "<", self.env.cr.now() - DELIVERY_GRACE),
            ]
        )
        mails = (self.sudo().browse(delivery.unlink_ids) | leftovers).exists()
        mails.unlink()
        return True

    def _crisis_trace_dropped(self):
        """Emails to customers cancelled, or removed from the queue, before they
        were sent: Odoo leaves their notifications *ready*; the reach traces of
        their customers say *cancelled*. Sent or failed emails (Odoo removes
        them once their notification says so) are left as they are."""
        mails = self.sudo().filtered(
            lambda mail: mail.model in CUSTOMER_DOCUMENTS and mail.state in ("outgoing", "cancel")
        )
        if not mails:
            return
        notifications = (
            self.env["mail.notification"]
            .sudo()
            .search(
                [
                    ("mail_mail_id", "in", mails.ids),
                    ("notification_type", "=", "email"),
                    ("notification_status", "in", ("ready", "process")),
                ]
            )
        )
        if notifications:
            self.env["crisis.update.recipient"]._crisis_on_dropped(notifications)

    def _crisis_check_customer_emails(self):
        """Refuse emails to customers of crises that may not speak to them now
        (the gate, ``crisis.crisis._crisis_speak_refusal``): a drill, a
        statement not approved.

        Every email Odoo sends becomes a ``mail.mail``: chatter messages,
        composers in both modes, ``mail.template.send_mail``. An email about an
        affected customer's line or compensation that reaches anybody but an
        internal user (a customer or portal partner, or a raw address) is
        refused with the crisis' own error; internal notifications still go.
        One search per document model, whatever the number of emails.
        """
        res_ids = defaultdict(set)
        for mail in self.sudo():
            if mail.model not in CUSTOMER_DOCUMENTS or not mail.res_id:
                continue
            if (
                mail.email_to
                or mail.email_cc
                or any(partner.partner_share for partner in mail.recipient_ids)
            ):
                res_ids[mail.model].add(mail.res_id)
        for model, ids in res_ids.items():
            documents = (
                self.env[model]
                .sudo()
                .with_context(active_test=False)
                .search([("id", "in", list(ids))])
            )
            documents.crisis_id._check_can_speak_to_customers()
