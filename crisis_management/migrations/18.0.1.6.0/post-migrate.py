"""The customer updates count what the channels reported, not what was queued.

Before 18.0.1.6.0 a recipient in state *Sent* only said that an email was
queued. Its email is now traced from the customer's email notification
(``crisis.update.recipient.mail_notification_id``). The emails already sent
are linked here: on each line, the customer's notices (the messages of the
customer-email subtype, with their email notification to the customer) and
the recipients whose email was queued are taken in the same order; a line
whose numbers differ (a notice deleted since) is left without trace. The
traces are then applied by the reach job (``reach_todo``): the lines' contact
status (*Unreachable* after a failure or a bounce), the updates' counts and
the crises' *Customers Reached* KPI.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

CUSTOMER_EMAIL_SUBTYPE = "crisis_management.mt_impact_customer_email"


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Recipient = env["crisis.update.recipient"]
    subtype = env.ref(CUSTOMER_EMAIL_SUBTYPE, raise_if_not_found=False)
    if subtype:
        link_notifications(cr, subtype.id)
    cr.execute(
        """
        UPDATE crisis_update_recipient recipient
           SET email_state = CASE notification.notification_status
                   WHEN 'pending' THEN 'sent'
                   WHEN 'sent' THEN 'sent'
                   WHEN 'bounce' THEN 'bounced'
                   WHEN 'exception' THEN 'failed'
                   WHEN 'canceled' THEN 'cancelled'
                   ELSE 'queued' END,
               email_failure_type = CASE
                   WHEN notification.notification_status IN ('bounce', 'exception')
                   THEN COALESCE(notification.failure_type, 'unknown') END,
               email_failure_reason = CASE
                   WHEN notification.notification_status IN ('bounce', 'exception')
                   THEN notification.failure_reason END
          FROM mail_notification notification
         WHERE notification.id = recipient.mail_notification_id
           AND recipient.email_state IS NULL
        """
    )
    # the reach policy starts with the upgrade: the notices sent before it are
    # never followed by a text message or a call (a Crisis Manager turns the
    # policy on for a crisis to follow its next updates)
    cr.execute("UPDATE crisis_crisis SET reach_fallback = FALSE")
    # every update's counts, every line's reach: applied by the reach job
    cr.execute(
        "UPDATE crisis_update_recipient SET reach_todo = TRUE"
        " WHERE state IN ('sent', 'failed') RETURNING id"
    )
    recipients = Recipient.browse(row[0] for row in cr.fetchall())
    env.add_to_compute(Recipient._fields["reach"], recipients)
    recipients.flush_recordset(["reach"])
    cron = env.ref("crisis_management.ir_cron_crisis_apply_reach", raise_if_not_found=False)
    if cron and recipients:
        cron._trigger()


def link_notifications(cr, subtype_id):
    """Link the recipients whose email was queued to their notification, in
    the order of the notices on each line."""
    cr.execute(
        SQL(
            """
            WITH notices AS (
                SELECT message.res_id AS impact_id,
                       notification.id AS notification_id,
                       ROW_NUMBER() OVER (PARTITION BY message.res_id
                                          ORDER BY message.id, notification.id) AS rank,
                       COUNT(*) OVER (PARTITION BY message.res_id) AS total
                  FROM mail_message message
                  JOIN crisis_impact impact ON impact.id = message.res_id
                  JOIN mail_notification notification
                    ON notification.mail_message_id = message.id
                   AND notification.notification_type = 'email'
                   AND notification.res_partner_id = impact.partner_id
                 WHERE message.model = 'crisis.impact' AND message.subtype_id = %(subtype)s
            ), queued AS (
                SELECT id, impact_id,
                       ROW_NUMBER() OVER (PARTITION BY impact_id ORDER BY update_id, id) AS rank,
                       COUNT(*) OVER (PARTITION BY impact_id) AS total
                  FROM crisis_update_recipient
                 WHERE state = 'sent'
            )
            UPDATE crisis_update_recipient recipient
               SET mail_notification_id = notices.notification_id
              FROM queued
              JOIN notices ON notices.impact_id = queued.impact_id
                          AND notices.rank = queued.rank
                          AND notices.total = queued.total
             WHERE recipient.id = queued.id AND recipient.mail_notification_id IS NULL
            """,
            subtype=subtype_id,
        )
    )
