"""What the SMTP server accepted while a sending job delivered its batch.

Odoo's mail queue commits after each email it sends, so that a worker killed
midway never sends one twice; each commit also empties the ORM cache, and the
next email reads its message, recipient, company and user again. A sending
job's delivery (``crisis.update._crisis_deliver``) commits after a group of
emails instead, and keeps the same promise with this journal: the moment the
SMTP server accepts an email, its row is written and committed on a
connection of its own, outside the group's transaction. If the worker dies
before the group is committed, its emails are back to *outgoing*; whoever
sends them next (Odoo's mail queue, once their grace period is over) first
finds the accepted ones here and records them as sent, with what the server
answered, without sending them again (``mail.mail._crisis_recover_accepted``).
"""

from datetime import timedelta

from odoo import fields, models
from odoo.tools import SQL

# how long a row outlives its email's delivery: past this, and once its email
# no longer waits to be sent, nobody will read it again
JOURNAL_KEEP = timedelta(hours=1)


class CrisisMailAccepted(models.Model):
    _name = "crisis.mail.accepted"
    _description = "Crisis: Email Accepted by the Mail Server"
    _log_access = False

    # Written in SQL by the deliveries only: nobody may write the model through
    # the ORM (administrators may read it; no other access right). No foreign
    # key: the row is written beside the transaction that owns the email, and
    # must survive its rollback.
    mail_id = fields.Integer(string="Email", required=True)
    message_id = fields.Char(string="Message-Id")
    partner_ids = fields.Json(string="Recipients Accepted")
    failure_type = fields.Char()
    date = fields.Datetime(string="Accepted On", required=True)

    _sql_constraints = [
        ("mail_unique", "UNIQUE(mail_id)", "An email is accepted once."),
    ]

    def _crisis_record(self, cr, mail, success_pids, failure_type):
        """Write (on ``cr``) that the SMTP server accepted ``mail``."""
        cr.execute(
            SQL(
                """
                INSERT INTO crisis_mail_accepted
                            (mail_id, message_id, partner_ids, failure_type, date)
                VALUES (%s, %s, %s, %s, now() AT TIME ZONE 'UTC')
                ON CONFLICT (mail_id) DO UPDATE
                   SET message_id = EXCLUDED.message_id, partner_ids = EXCLUDED.partner_ids,
                       failure_type = EXCLUDED.failure_type, date = EXCLUDED.date
                """,
                mail.id,
                mail.message_id,
                self._fields["partner_ids"].convert_to_column(
                    [partner.id for partner in success_pids], self
                ),
                failure_type or None,
            )
        )

    def _crisis_forget(self, cr, mail_ids):
        """Remove (on ``cr``) the rows of ``mail_ids``: their outcome is committed."""
        cr.execute(SQL("DELETE FROM crisis_mail_accepted WHERE mail_id = ANY(%s)", list(mail_ids)))

    def _crisis_gc(self):
        """Remove the rows nobody will read again: old, and their email sent,
        failed or gone (a worker killed between committing its group and
        removing them)."""
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM crisis_mail_accepted accepted
                 WHERE accepted.date < %s
                   AND NOT EXISTS (
                       SELECT 1 FROM mail_mail mail
                        WHERE mail.id = accepted.mail_id AND mail.state = 'outgoing')
                """,
                self.env.cr.now() - JOURNAL_KEEP,
            )
        )
