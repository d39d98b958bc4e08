"""The customer updates count the text messages the SMS provider accepted, not
those queued.

The text messages already sent are linked to the customer's SMS notification
(``sms_notification_id``): on each line, the SMS logs (messages of type SMS,
with their SMS notification to the customer) and the recipients whose text
message was queued are taken in the same order; a line whose numbers differ
is left without trace. Their state follows the notification, and the reach
job applies them (lines, update counts, KPIs).
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Recipient = env["crisis.update.recipient"]
    cr.execute(
        """
        WITH texts AS (
            SELECT message.res_id AS impact_id,
                   notification.id AS notification_id,
                   ROW_NUMBER() OVER (PARTITION BY message.res_id
                                      ORDER BY message.id, notification.id) AS rank,
                   COUNT(*) OVER (PARTITION BY message.res_id) AS total
              FROM mail_message message
              JOIN crisis_impact impact ON impact.id = message.res_id
              JOIN mail_notification notification
                ON notification.mail_message_id = message.id
               AND notification.notification_type = 'sms'
               AND notification.res_partner_id = impact.partner_id
             WHERE message.model = 'crisis.impact' AND message.message_type = 'sms'
        ), queued AS (
            SELECT id, impact_id,
                   ROW_NUMBER() OVER (PARTITION BY impact_id ORDER BY update_id, id) AS rank,
                   COUNT(*) OVER (PARTITION BY impact_id) AS total
              FROM crisis_update_recipient
             WHERE sms_state = 'queued'
        )
        UPDATE crisis_update_recipient recipient
           SET sms_notification_id = texts.notification_id
          FROM queued
          JOIN texts ON texts.impact_id = queued.impact_id
                    AND texts.rank = queued.rank
                    AND texts.total = queued.total
         WHERE recipient.id = queued.id AND recipient.sms_notification_id IS NULL
        """
    )
    cr.execute(
        """
        UPDATE crisis_update_recipient recipient
           SET sms_state = CASE notification.notification_status
                   WHEN 'pending' THEN 'sent'
                   WHEN 'sent' THEN 'delivered'
                   WHEN 'bounce' THEN 'bounced'
                   WHEN 'exception' THEN 'failed'
                   WHEN 'canceled' THEN 'cancelled'
                   ELSE 'queued' END,
               sms_failure_type = CASE
                   WHEN notification.notification_status IN ('bounce', 'exception')
                   THEN COALESCE(notification.failure_type, 'unknown') END,
               sms_failure_reason = CASE
                   WHEN notification.notification_status IN ('bounce', 'exception')
                   THEN notification.failure_reason END
          FROM mail_notification notification
         WHERE notification.id = recipient.sms_notification_id
        """
    )
    cr.execute(
        "UPDATE crisis_update_recipient SET reach_todo = TRUE"
        " WHERE sms_state IS NOT NULL OR reach_todo RETURNING id"
    )
    recipients = Recipient.browse(row[0] for row in cr.fetchall())
    env.add_to_compute(Recipient._fields["reach"], recipients)
    recipients.flush_recordset(["reach"])
    cron = env.ref("crisis_management.ir_cron_crisis_apply_reach", raise_if_not_found=False)
    if cron and recipients:
        cron._trigger()
