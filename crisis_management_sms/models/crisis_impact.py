from collections import Counter

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.sms.tools.sms_tools import sms_content_to_rendered_html

# what became of the SMS of a customer (the states of Odoo's SMS notifications)
SMS_STATES = [
    ("ready", "In Queue"),
    ("process", "Processing"),
    ("pending", "Sent"),
    ("sent", "Delivered"),
    ("bounce", "Bounced"),
    ("exception", "Error"),
    ("canceled", "Cancelled"),
]


class CrisisImpact(models.Model):
    """Text messages to the affected customers, as Odoo's SMS composer sends them
    in mass mode: one ``sms.sms`` per customer in Odoo's SMS queue, made in one
    ``create`` per batch, and a log of the text on the customer's line."""

    _inherit = "crisis.impact"

    sms_state = fields.Selection(
        SMS_STATES,
        string="Last SMS",
        compute="_compute_sms_state",
        help="What became of the last text message sent to this customer about this crisis "
        "(Odoo's SMS queue and the provider's delivery report).",
    )

    def _compute_sms_state(self):
        """The status of the last SMS notification on each line, in one query."""
        states = {}
        ids = [impact_id for impact_id in self.ids if impact_id]
        if ids:
            self.env["mail.notification"].flush_model(["notification_status", "mail_message_id"])
            self.env["mail.message"].flush_model(["model", "res_id"])
            self.env.cr.execute(
                SQL(
                    """
                    SELECT DISTINCT ON (message.res_id) message.res_id, notif.notification_status
                      FROM mail_message message
                      JOIN mail_notification notif ON notif.mail_message_id = message.id
                     WHERE message.model = %s AND message.res_id = ANY(%s)
                       AND notif.notification_type = 'sms'
                  ORDER BY message.res_id, message.id DESC, notif.id DESC
                    """,
                    self._name,
                    ids,
                )
            )
            states = dict(self.env.cr.fetchall())
        for impact in self:
            impact.sms_state = states.get(impact.id, False)

    # ------------------------------------------------------------------
    # Who can be texted
    # ------------------------------------------------------------------

    @api.model
    def _crisis_sms_recipient_state(self):
        """SQL: what an SMS to the customer of ``impact`` (partner ``partner``)
        becomes: ``no_mobile`` (no valid number: Odoo's ``phone_sanitized``,
        from the mobile, else the phone), ``blacklisted`` (the number is on
        Odoo's phone blacklist), ``unverified`` (a self-reported line no agent
        verified yet), ``unsubscribed`` (the customer asked to stop the notices
        of this crisis), else ``sent``."""
        return SQL(
            """CASE WHEN COALESCE(partner.phone_sanitized, '') = '' THEN 'no_mobile'
                    WHEN EXISTS (SELECT 1 FROM phone_blacklist phone_bl
                                  WHERE phone_bl.number = partner.phone_sanitized
                                    AND phone_bl.active) THEN 'blacklisted'
                    WHEN impact.is_self_reported THEN 'unverified'
                    WHEN impact.is_unsubscribed THEN 'unsubscribed'
                    ELSE 'sent' END"""
        )

    @api.model
    def _crisis_sms_only_without_email(self, only_without_email):
        """SQL: the lines an "email, else SMS" send texts (no valid email address)."""
        if not only_without_email:
            return SQL("TRUE")
        return SQL("COALESCE(partner.email_normalized, '') = ''")

    def _crisis_classify_sms(self, only_without_email=False):
        """{line id: (state, sanitized number)} of these lines, in one query
        (see ``_crisis_sms_recipient_state``). With ``only_without_email``,
        only the lines without a valid email address are returned."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT impact.id, %(state)s, partner.phone_sanitized
                  FROM crisis_impact impact
                  JOIN res_partner partner ON partner.id = impact.partner_id
                 WHERE impact.id = ANY(%(ids)s) AND %(only)s
              ORDER BY impact.id
                """,
                state=self._crisis_sms_recipient_state(),
                ids=self.ids,
                only=self._crisis_sms_only_without_email(only_without_email),
            )
        )
        return {impact_id: (state, number) for impact_id, state, number in self.env.cr.fetchall()}

    @api.model
    def _crisis_count_sms_recipients(self, domain, only_without_email=False):
        """{``sent`` | ``no_mobile`` | ``blacklisted`` | ``unverified`` |
        ``unsubscribed``: number of lines} of ``domain``, counted by the database
        (nothing read per line)."""
        query = self._search(domain)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT %(state)s, COUNT(*)
                  FROM crisis_impact impact
                  JOIN res_partner partner ON partner.id = impact.partner_id
                 WHERE impact.id IN %(ids)s AND %(only)s
              GROUP BY 1
                """,
                state=self._crisis_sms_recipient_state(),
                ids=query.subselect(),
                only=self._crisis_sms_only_without_email(only_without_email),
            )
        )
        return Counter(dict(self.env.cr.fetchall()))

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def _crisis_sms_template(self, template, numbers):
        """Text ``template`` to the customer of each line, at ``numbers``
        ({line id: sanitized number}); the caller checked they may be texted.

        What Odoo's SMS composer does in mass mode, in one ``create`` per
        model whatever the number of lines: each text rendered in the
        customer's language, one ``sms.sms`` each in Odoo's SMS queue (sent
        by its own scheduled action, never here), and the text logged on the
        customer's line (``_message_log_batch``, message type SMS). Each log
        gets its SMS notification and tracker, as ``_message_sms`` makes them,
        so that the provider's delivery reports show on the line
        (``sms_state``) and in its chatter.

        :return: the ``sms.sms`` records created
        """
        impacts = self.filtered(lambda impact: impact.id in numbers)
        if not impacts:
            return self.env["sms.sms"]
        bodies = template._render_field("body", impacts.ids, compute_lang=True)
        messages = impacts._message_log_batch(
            bodies={
                impact.id: sms_content_to_rendered_html(bodies[impact.id]) for impact in impacts
            },
            message_type="sms",
        )
        message_by_impact = {message.res_id: message for message in messages}
        partner_of = {impact.id: impact.partner_id.id for impact in impacts}
        sms_all = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "body": bodies[impact.id],
                        "number": numbers[impact.id],
                        "partner_id": partner_of[impact.id],
                        "mail_message_id": message_by_impact[impact.id].id,
                        "state": "outgoing",
                    }
                    for impact in impacts
                ]
            )
        )
        author_id = messages[:1].author_id.id
        notifications = (
            self.env["mail.notification"]
            .sudo()
            .create(
                [
                    {
                        "author_id": author_id,
                        "mail_message_id": sms.mail_message_id.id,
                        "res_partner_id": sms.partner_id.id,
                        "sms_number": sms.number,
                        "notification_type": "sms",
                        "sms_id_int": sms.id,
                        "is_read": True,
                        "notification_status": "ready",
                    }
                    for sms in sms_all
                ]
            )
        )
        # the trackers that carry the provider's reports to the notifications
        self.env["sms.tracker"].sudo().create(
            [
                {"sms_uuid": sms.uuid, "mail_notification_id": notification.id}
                for sms, notification in zip(sms_all, notifications, strict=True)
            ]
        )
        # Odoo's SMS queue sends them, in its own transaction, soon
        self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()
        return sms_all

    def _crisis_portal_sent_updates(self):
        """The updates this customer was emailed or texted, the latest first."""
        self.ensure_one()
        recipients = (
            self.env["crisis.update.recipient"]
            .sudo()
            .search(
                [
                    ("impact_id", "=", self.id),
                    "|",
                    ("state", "=", "sent"),
                    ("sms_notification_id", "!=", False),
                ]
            )
        )
        return recipients.update_id.sorted(lambda u: (u.date_sent, u.id), reverse=True)
