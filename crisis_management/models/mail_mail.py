import logging
from collections import defaultdict

from odoo import api, models
from odoo.tools import SQL, split_every

from .crisis_mail_batch import DELIVERY_GRACE

_logger = logging.getLogger(__name__)

# documents whose emails go to the affected customers of a crisis (``crisis_id``)
CUSTOMER_DOCUMENTS = ("crisis.impact", "crisis.compensation")
# emails a sending job's delivery sends between two commits
DELIVERY_COMMIT_EVERY = 50


class CrisisDelivery:
    """One delivery of a sending job's emails (``crisis.update._crisis_deliver``),
    in the context of ``mail.mail.send`` (key ``crisis_delivery``; a Python
    object, which no external caller can send).

    Odoo's ``_send`` with ``auto_commit`` commits after each email, so that a
    killed worker never sends one twice, and each commit empties the ORM
    cache: the next email reads its message, recipient, company and user
    again. A delivery sends its emails with Odoo's ``_send`` in groups of
    ``DELIVERY_COMMIT_EVERY``, read together, and commits after each group.
    The promise holds with a journal (``crisis.mail.accepted``): each email
    the SMTP server accepts is written there at once, on the connection
    ``journal_cr`` (in autocommit: each statement is its own transaction, one
    round trip to the database); a group rolled back by a killed
    worker leaves its accepted emails there, and they are recorded as sent,
    never sent again, by whoever sends them next
    (``mail.mail._crisis_recover_accepted``). Without ``journal_cr`` (tests,
    which commit nothing), the journal is written in the delivery's own
    transaction.

    The reach traces of the group follow its notifications once, at the end
    of the group (``notification_ids``), and the emails Odoo deletes once
    sent (``auto_delete``) are removed in one go at the end of the delivery
    (``unlink_ids``) instead of one by one. Sent emails left by a worker
    killed before that end are removed by the next delivery
    (``mail.mail._crisis_unlink_delivered``).
    """

    def __init__(self, journal_cr=None):
        self.journal_cr = journal_cr
        self.unlink_ids = set()
        self.notification_ids = set()

    def accepted(self, mails, success_pids, failure_type):
        """The SMTP server accepted ``mails``: journaled, and committed at once
        (``journal_cr`` commits each statement)."""
        Journal = mails.env["crisis.mail.accepted"]
        for mail in mails:
            Journal._crisis_record(
                self.journal_cr or mails.env.cr, mail, success_pids, failure_type
            )

    def group_done(self, env, mail_ids, commit):
        """The group ``mail_ids`` is sent: its traces follow its notifications,
        then (when ``commit``) it is committed and its journal rows removed."""
        if self.notification_ids:
            notifications = env["mail.notification"].browse(sorted(self.notification_ids))
            self.notification_ids.clear()
            env["crisis.update.recipient"]._crisis_on_notifications(notifications)
        if commit:
            env.cr.commit()  # pylint: disable=invalid-commit
        # the journal's rows are read in the transaction that wrote them, or
        # after it committed: the group's own could not see them
        Journal = env["crisis.mail.accepted"]
        Journal._crisis_forget(self.journal_cr or env.cr, mail_ids)


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model_create_multi
    def create(self, vals_list):
        mails = super().create(vals_list)
        mails._crisis_check_customer_emails()
        return mails

    def write(self, vals):
        if (
            "message_id" in vals
            and isinstance(self.env.context.get("crisis_delivery"), CrisisDelivery)
            and all(mail.message_id == vals["message_id"] for mail in self)
        ):
            # Odoo's _send writes back the Message-Id the email was built with:
            # unchanged, it would write the message and look for its emails
            vals = {name: value for name, value in vals.items() if name != "message_id"}
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
        reach traces follow it (see ``mail.notification.write``). In a
        delivery, what the server accepted is journaled first."""
        mails = self.with_context(crisis_mail_outcome=True)
        delivery = self.env.context.get("crisis_delivery")
        if isinstance(delivery, CrisisDelivery):
            # Odoo's _send wrote "sent" on the email the server accepted
            delivery.accepted(
                self.filtered(lambda mail: mail.state == "sent"), success_pids, failure_type
            )
            mails = mails.with_context(crisis_unlink_later=delivery)
        return super(MailMail, mails)._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )

    def _send(
        self,
        auto_commit=False,
        raise_exception=False,
        smtp_session=None,
        alias_domain_id=False,
        mail_server=False,
        post_send_callback=None,
    ):
        """Odoo's sending of these emails. The emails a killed delivery got
        accepted are recorded as sent, not sent again. In a delivery of a
        sending job (``CrisisDelivery``), the others go in groups, each read
        together, with a commit after each group instead of each email."""
        mails = self._crisis_recover_accepted()
        options = {
            "raise_exception": raise_exception,
            "smtp_session": smtp_session,
            "alias_domain_id": alias_domain_id,
            "mail_server": mail_server,
        }
        delivery = self.env.context.get("crisis_delivery")
        if not isinstance(delivery, CrisisDelivery):
            return super(MailMail, mails)._send(
                auto_commit=auto_commit, post_send_callback=post_send_callback, **options
            )
        for mail_ids in split_every(DELIVERY_COMMIT_EVERY, mails.ids, list):
            group = self.browse(mail_ids)
            group._crisis_read_for_sending()
            super(MailMail, group)._send(auto_commit=False, **options)
            if auto_commit is True and post_send_callback:
                post_send_callback(mail_ids)
            delivery.group_done(self.env, mail_ids, commit=auto_commit is True)
        return True

    def _crisis_read_for_sending(self):
        """Read together what Odoo's ``_send`` reads of each email once it has
        browsed it alone: its message, its recipients and its attachments."""
        self.mapped("mail_message_id.subject")
        self.mapped("recipient_ids.email")
        self.mapped("attachment_ids")

    def _crisis_recover_accepted(self):
        """Record as sent the emails of ``self`` that the SMTP server accepted
        in a delivery whose worker died before committing them (journal
        ``crisis.mail.accepted``), as Odoo's ``_send`` would have: their
        Message-Id, their notifications sent (or failed for the recipients
        refused), deleted when ``auto_delete``.

        :return: the others, still to send
        """
        if not self.ids:
            return self
        self.flush_model(["state"])
        self.env.cr.execute(
            SQL(
                """
                SELECT accepted.mail_id, accepted.message_id, accepted.partner_ids,
                       accepted.failure_type
                  FROM crisis_mail_accepted accepted
                  JOIN mail_mail mail ON mail.id = accepted.mail_id
                 WHERE accepted.mail_id = ANY(%s) AND mail.state = 'outgoing'
                   -- accepted since the email was last written (queued again
                   -- by hand after a sending: sent again)
                   AND accepted.date >= mail.write_date
                """,
                self.ids,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return self
        recovered = self.browse()
        outside = self.with_context(crisis_delivery=False)
        for mail_id, message_id, partner_ids, failure_type in rows:
            mail = outside.browse(mail_id)
            mail.write({"state": "sent", "message_id": message_id, "failure_reason": False})
            mail._postprocess_sent_message(
                success_pids=list(self.env["res.partner"].browse(partner_ids or [])),
                failure_type=failure_type or None,
            )
            recovered |= self.browse(mail_id)
        self.env["crisis.mail.accepted"]._crisis_forget(self.env.cr, recovered.ids)
        _logger.info(
            "%s email(s) accepted by the SMTP server before their worker died recorded as"
            " sent, not sent again",
            len(recovered),
        )
        return self - recovered

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
        self.env["crisis.mail.accepted"]._crisis_gc()
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
