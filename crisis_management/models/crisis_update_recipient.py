import logging
from collections import defaultdict

from psycopg2 import errors

from odoo import api, fields, models
from odoo.tools import SQL

from .crisis_workflow_mixin import as_workflow

_logger = logging.getLogger(__name__)

RECIPIENT_STATES = [
    ("pending", "To Send"),
    ("sent", "Email Queued"),
    ("no_email", "No Email"),
    ("blacklisted", "Blacklisted"),
    ("unverified", "Not Verified"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]

# what became of the email of a customer, as Odoo's mail queue reports it
EMAIL_STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("bounced", "Bounced"),
    ("cancelled", "Cancelled"),
]
# {status of Odoo's email notification: email state}
EMAIL_STATE_OF_NOTIFICATION = {
    "ready": "queued",
    "process": "queued",
    "pending": "sent",
    "sent": "sent",
    "bounce": "bounced",
    "exception": "failed",
    "canceled": "cancelled",
}
# what became of the notice for the customer, all channels together (the
# trace of ``mailing.trace``): queued, then sent (accepted by the channel) or
# failed or bounced, then opened and answered by the customer
REACH = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("bounced", "Bounced"),
    ("opened", "Opened"),
    ("answered", "Answered"),
]
# the notice reached the customer / it did not, on any channel tried
REACHED = ("sent", "opened", "answered")
UNREACHED = ("failed", "bounced")
# the contact statuses the reach of the notices moves a line between
REACH_STATUSES = ("to_contact", "notified", "unreachable")
# recipients applied to their lines, updates and crises per call of the reach job
APPLY_BATCH_SIZE = 2000
APPLY_CRON_XMLID = "crisis_management.ir_cron_crisis_apply_reach"
# what the reach policy did for a customer an update did not reach
FALLBACK_STATES = [
    ("sms", "Texted"),
    ("call", "Call Scheduled"),
]
# recipients handled per call of the reach policy job
FALLBACK_BATCH_SIZE = 500
FALLBACK_CRON_XMLID = "crisis_management.ir_cron_crisis_reach_fallback"
# Odoo's Call activity type, the call campaign's (crisis_impact_call.py)
CALL_ACTIVITY = "mail.mail_activity_data_call"


class CrisisUpdateRecipient(models.Model):
    """One affected customer of a customer update: the frozen audience of a
    send, and what became of the notice for this customer (its reach trace).

    Made at the click, in one query whatever the audience size (see
    ``_crisis_insert``); the sending job takes them from ``pending`` to what
    it did for the customer (``state``: email queued, or skipped and why).

    Then, like ``mailing.trace`` for a mass mailing, the row follows the
    email (``email_state``) from what Odoo itself reports, never from what we
    queued: the customer's email notification (``mail_notification_id``,
    linked when the email is made) is *ready* while the email waits in
    Odoo's mail queue, *sent* once the recipient's mail server accepted it,
    *exception* when Odoo could not send it (an invalid address, a refusal of
    the SMTP server: ``mail.mail._postprocess_sent_message``) and *bounce*
    when a delivery report came back (``mail.thread._routing_handle_bounce``).
    Each change of those notifications is copied here, in batch
    (``mail.notification.write``), with Odoo's failure type and reason. The
    customer opening their page after the notice (``date_opened``) and
    answering it (``date_answered``: an email on their line, a compensation
    accepted or declined) complete the trace. ``reach`` sums it up, all
    channels together (the SMS bridge adds its own channel).

    The mail and SMS queues only write these rows, so that they never wait
    on (nor fail because of) the lines or the crisis other people change; the
    rows changed are marked (``reach_todo``) and the reach job
    (``_cron_apply_reach``, triggered at once) applies them: the contact
    status of the lines (*Notified* once something reached the customer,
    *Unreachable* when the last notice failed or bounced on every channel),
    the counts of the updates and the KPIs of the crises.
    """

    _name = "crisis.update.recipient"
    _description = "Crisis Customer Update Recipient"
    _inherit = ["crisis.workflow.mixin", "crisis.reminder.mixin"]
    _order = "update_id, id"
    _check_company_auto = True
    _crisis_workflow_fields = (
        "state",
        "mail_notification_id",
        "email_state",
        "email_failure_type",
        "email_failure_reason",
        "date_email_sent",
        "date_opened",
        "date_answered",
        "reach_todo",
        "fallback_state",
        "date_fallback_sms",
        "fallback_call_activity_id",
    )

    update_id = fields.Many2one(
        # no index of its own: the unique (update_id, impact_id) index leads with it
        "crisis.update",
        string="Customer Update",
        required=True,
        ondelete="cascade",
    )
    impact_id = fields.Many2one(
        "crisis.impact",
        string="Affected Customer",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="update_id.company_id", store=True, precompute=True)
    partner_id = fields.Many2one(related="impact_id.partner_id", string="Customer")
    # no index: the sending job's queue has its own (pending rows, see init);
    # fewer indexes make freezing a large audience at the click faster
    state = fields.Selection(
        RECIPIENT_STATES,
        string="Send",
        required=True,
        default="pending",
        help="What the send did for this customer: their email queued, or skipped (and why).",
    )
    mail_notification_id = fields.Many2one(
        "mail.notification",
        string="Email Notification",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="Odoo's notification of the customer's email: it follows the email in the mail "
        "queue.",
    )
    email_state = fields.Selection(
        EMAIL_STATES,
        string="Email",
        readonly=True,
        help="What became of the customer's email. Queued: waiting in the mail queue. Sent: "
        "accepted by the customer's mail server. Failed: not sent (invalid address, refused "
        "by the mail server: see the reason). Bounced: a delivery failure report came back.",
    )
    email_failure_type = fields.Selection(
        selection="_selection_failure_type", string="Email Failure", readonly=True
    )
    email_failure_reason = fields.Text(readonly=True)
    date_email_sent = fields.Datetime(
        string="Email Sent On",
        readonly=True,
        help="When the customer's mail server accepted the email.",
    )
    date_opened = fields.Datetime(
        string="Opened On",
        readonly=True,
        help="When the customer first opened their page after this notice reached them.",
    )
    date_answered = fields.Datetime(
        string="Answered On",
        readonly=True,
        help="When the customer answered this notice: an email on their line, or a "
        "compensation accepted or declined on their page.",
    )
    reach = fields.Selection(
        REACH,
        compute="_compute_reach",
        store=True,
        help="What became of the notice for the customer, all channels together: queued, "
        "sent (accepted by their mail server or SMS provider), failed or bounced on every "
        "channel, opened (their page), answered.",
    )
    # the trace changed since the reach job last applied it (see the class)
    reach_todo = fields.Boolean(string="Reach to Apply", readonly=True, copy=False)
    # the reach policy of the crisis (crisis_crisis_reach.py): what was done,
    # once, for a customer this update did not reach
    fallback_state = fields.Selection(
        FALLBACK_STATES,
        string="Next Channel",
        readonly=True,
        copy=False,
        help="What the reach policy of the crisis did for this customer, whom this update "
        "did not reach: Texted (the update's text message, when the email failed, bounced or "
        "was not opened in time), Call Scheduled (a call task in the call campaign, when the "
        "text message failed or was not possible).",
    )
    date_fallback_sms = fields.Datetime(
        string="Texted On",
        readonly=True,
        copy=False,
        help="When the reach policy texted this customer.",
    )
    fallback_call_activity_id = fields.Many2one(
        "mail.activity",
        string="Fallback Call",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The call task the reach policy gave the agents for this customer.",
    )

    _sql_constraints = [
        (
            "update_impact_uniq",
            "unique (update_id, impact_id)",
            "A customer is in the audience of an update once.",
        ),
    ]

    def init(self):
        # the sending job's queue: the pending recipients, in order
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crisis_update_recipient_pending_idx"
                " ON crisis_update_recipient (update_id, id) WHERE state = 'pending'"
            )
        )
        # the reach policy's second step: the customers texted, waiting for the outcome
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crisis_update_recipient_fallback_sms_idx"
                " ON crisis_update_recipient (id) WHERE fallback_state = 'sms'"
            )
        )
        # the reach job's queue: the traces to apply
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crisis_update_recipient_reach_todo_idx"
                " ON crisis_update_recipient (id) WHERE reach_todo"
            )
        )

    @api.model
    def _selection_failure_type(self):
        # Odoo's failure types of notifications (the SMS module adds its own)
        return self.env["mail.notification"]._fields["failure_type"].selection

    def _crisis_channel_reach(self):
        """[trace value of each channel of this recipient]: ``queued``,
        ``sent``, ``failed``, ``bounced`` or False (nothing on that channel).

        The email channel here; the SMS bridge adds its own.
        """
        self.ensure_one()
        if self.email_state:
            email = self.email_state if self.email_state != "cancelled" else False
        else:
            # an email that could not even be made
            email = "failed" if self.state == "failed" else False
        return [email]

    @api.depends(lambda self: self._crisis_reach_depends())
    def _compute_reach(self):
        for recipient in self:
            recipient.reach = recipient._crisis_reach_of(recipient._crisis_channel_reach())

    @api.model
    def _crisis_reach_depends(self):
        return ["state", "email_state", "date_opened", "date_answered"]

    def _crisis_reach_of(self, channels):
        """The trace of the notice from the traces of its ``channels``."""
        self.ensure_one()
        if self.date_answered:
            return "answered"
        if self.date_opened:
            return "opened"
        for reach in ("sent", "queued", "bounced", "failed"):
            if reach in channels:
                return reach
        return False

    @api.model
    def _crisis_audience(self, impacts):
        """The ids of ``impacts`` (a recordset, or a domain searched with the
        user's rights) as an SQL query of one ``id`` column."""
        if isinstance(impacts, models.BaseModel):
            return SQL("SELECT unnest(%s::int[]) AS id", impacts.ids)
        # the search's own query, not "id IN (subquery)": PostgreSQL may
        # plan that as a nested loop on lines just added (no statistics yet)
        query = self.env["crisis.impact"]._search(impacts)
        return query.select(SQL.identifier("crisis_impact", "id"))

    @api.model
    def _crisis_freeze(self, update, impacts):
        """Freeze the audience of ``update`` now, without a row per customer yet.

        The ids of the lines of ``impacts`` are kept on the update, in one
        array (one row written, whatever the audience size: the click returns
        at once); ``_crisis_expand`` makes their recipient rows later, in the
        sending job. Return the number of customers.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE crisis_update
                   SET crisis_audience_ids = ARRAY(
                       SELECT DISTINCT audience.id FROM (%(source)s) AS audience
                        ORDER BY audience.id)
                 WHERE id = %(update)s
             RETURNING cardinality(crisis_audience_ids)
                """,
                source=self._crisis_audience(impacts),
                update=update.id,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _crisis_expand(self, update):
        """The recipient rows of the audience frozen on ``update`` (``_crisis_freeze``).

        The caller holds the update's row (``FOR UPDATE``): one worker expands
        it, once; the array is cleared in the same transaction.
        """
        self.env.cr.execute(
            SQL("SELECT crisis_audience_ids FROM crisis_update WHERE id = %s", update.id)
        )
        row = self.env.cr.fetchone()
        if not row or row[0] is None:
            return 0
        count = self._crisis_insert(update, SQL("SELECT unnest(%s::int[]) AS id", row[0]))
        self.env.cr.execute(
            SQL("UPDATE crisis_update SET crisis_audience_ids = NULL WHERE id = %s", update.id)
        )
        return count

    @api.model
    def _crisis_insert(self, update, impacts):
        """The audience of ``update``: one pending row per line of ``impacts``.

        ``impacts`` is a recordset or a domain of ``crisis.impact`` (the
        audience, searched with the user's rights), or an SQL query of their
        ids; one INSERT ... SELECT either way. It writes the rows ``create``
        would write (a test compares them).
        """
        source = impacts if isinstance(impacts, SQL) else self._crisis_audience(impacts)
        self.env.flush_all()
        now = self.env.cr.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crisis_update_recipient (
                    update_id, impact_id, company_id, state,
                    create_uid, create_date, write_uid, write_date
                )
                SELECT %(update)s, audience.id, %(company)s, 'pending',
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM (%(source)s) AS audience
              ORDER BY audience.id
                    ON CONFLICT (update_id, impact_id) DO NOTHING
                """,
                update=update.id,
                company=update.company_id.id,
                uid=self.env.uid,
                now=now,
                source=source,
            )
        )
        count = self.env.cr.rowcount
        update.invalidate_recordset(["recipient_ids"])
        return count

    # ------------------------------------------------------------------
    # The trace, from Odoo's own signals
    # ------------------------------------------------------------------

    def _crisis_link_emails(self, messages):
        """Link these recipients (one batch of a send) to the email notification
        of their customer among ``messages`` (the messages posted on their
        lines): their email is *Queued*. One query for the batch."""
        self._crisis_link_notifications(
            messages, "email", "mail_notification_id", self._crisis_email_values
        )

    def _crisis_link_notifications(self, messages, notification_type, field, values_of):
        """Link these recipients to the ``notification_type`` notification of
        their customer among ``messages`` (in ``field``), with the trace
        ``values_of(notification)`` gives: one query for the batch, whatever
        the channel (the SMS bridge links its text messages the same way)."""
        if not self or not messages:
            return
        notifications = (
            self.env["mail.notification"]
            .sudo()
            .search_fetch(
                [
                    ("mail_message_id", "in", messages.ids),
                    ("notification_type", "=", notification_type),
                ],
                ["mail_message_id", "res_partner_id", "notification_status"],
            )
        )
        by_line = {
            (notification.mail_message_id.res_id, notification.res_partner_id.id): notification
            for notification in notifications
        }
        for recipient in self:
            notification = by_line.get((recipient.impact_id.id, recipient.partner_id.id))
            if notification:
                as_workflow(recipient).write({field: notification.id, **values_of(notification)})

    @api.model
    def _crisis_email_values(self, notification):
        """The email trace of a recipient whose notification is ``notification``."""
        state = EMAIL_STATE_OF_NOTIFICATION.get(notification.notification_status, "queued")
        values = {"email_state": state}
        if state in UNREACHED:
            values.update(
                email_failure_type=notification.failure_type or "unknown",
                email_failure_reason=notification.failure_reason or False,
            )
        else:
            values.update(email_failure_type=False, email_failure_reason=False)
        return values

    @api.model
    def _crisis_notification_domain(self, notification_ids):
        """The recipients traced by the notifications ``notification_ids``."""
        return [("mail_notification_id", "in", notification_ids)]

    def _crisis_notification_values(self, notification):
        """The trace of this recipient as ``notification`` (one of its) reports it."""
        self.ensure_one()
        if notification != self.mail_notification_id:
            return {}
        values = self._crisis_email_values(notification)
        if values["email_state"] == "sent" and not self.date_email_sent:
            values["date_email_sent"] = fields.Datetime.now()
        return values

    @api.model
    def _crisis_on_notifications(self, notifications):
        """Odoo changed the status of ``notifications``: copy it to the traces
        they follow. One query finds them, whatever the number of notifications;
        the traces changed the same way are written in one go."""
        notifications = notifications.sudo()
        if not notifications:
            return
        recipients = as_workflow(self.sudo()).search(
            self._crisis_notification_domain(notifications.ids)
        )
        if not recipients:
            return
        by_id = {notification.id: notification for notification in notifications}
        # the traces changed the same way, written together
        changes = defaultdict(list)
        for recipient in recipients:
            values = {}
            for notification_id in recipient._crisis_notification_ids():
                if notification_id in by_id:
                    values.update(recipient._crisis_notification_values(by_id[notification_id]))
            values = {
                name: value
                for name, value in values.items()
                if recipient._fields[name].convert_to_write(recipient[name], recipient) != value
            }
            if values:
                changes[tuple(sorted(values.items()))].append(recipient.id)
        for values, ids in changes.items():
            recipients.browse(ids).write(dict(values, reach_todo=True))
        if changes:
            self._crisis_trigger_apply()

    @api.model
    def _crisis_on_dropped(self, notifications):
        """The emails of ``notifications`` will never be sent (cancelled or
        removed from the mail queue): their traces say so."""
        recipients = as_workflow(self.sudo()).search(
            [("mail_notification_id", "in", notifications.ids), ("email_state", "=", "queued")]
        )
        if recipients:
            recipients.write({"email_state": "cancelled", "reach_todo": True})
            self._crisis_trigger_apply()

    def _crisis_notification_ids(self):
        """The ids of the notifications this recipient follows."""
        self.ensure_one()
        return [self.mail_notification_id.id] if self.mail_notification_id else []

    @api.model
    def _crisis_mark_opened(self, impact):
        """The customer of ``impact`` opened their page: the notices that reached
        them, not yet opened, are now. The first time only: later visits cost
        one query, which finds nothing."""
        recipients = as_workflow(self.sudo()).search(
            [("impact_id", "=", impact.id), ("reach", "=", "sent")]
        )
        if recipients:
            recipients.write({"date_opened": fields.Datetime.now(), "reach_todo": True})
            self._crisis_trigger_apply()
        return recipients

    @api.model
    def _crisis_mark_answered(self, impacts):
        """The customers of ``impacts`` answered: the last notice that reached
        each of them is answered (and opened), unless it was already. One
        query finds them all."""
        if not impacts:
            return self.browse()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (impact_id) id
                  FROM crisis_update_recipient
                 WHERE impact_id = ANY(%s) AND reach IN %s
              ORDER BY impact_id, update_id DESC, id DESC
                """,
                impacts.ids,
                REACHED,
            )
        )
        recipients = as_workflow(self.sudo()).browse(row[0] for row in self.env.cr.fetchall())
        recipients = recipients.filtered(lambda recipient: recipient.reach != "answered")
        if recipients:
            now = fields.Datetime.now()
            for opened, batch in recipients.grouped(lambda r: bool(r.date_opened)).items():
                values = {"date_answered": now, "reach_todo": True}
                if not opened:
                    values["date_opened"] = now
                batch.write(values)
            self._crisis_trigger_apply()
        return recipients

    # ------------------------------------------------------------------
    # The reach job: lines, updates and crises follow the traces
    # ------------------------------------------------------------------

    @api.model
    def _crisis_trigger_apply(self):
        """Wake the reach job, unless the caller does once for many changes
        (context key ``crisis_reach_trigger_later``: a sending job delivering
        its batch, one commit per group of emails)."""
        if self.env.context.get("crisis_reach_trigger_later"):
            return
        cron = self.env.ref(APPLY_CRON_XMLID, raise_if_not_found=False)
        if cron and cron.active:
            cron.sudo()._trigger()

    def _crisis_apply(self):
        """Apply these traces: the lines' contact status and reach, the
        updates' counts (the crises' KPIs follow them)."""
        recipients = self.sudo()
        recipients.impact_id._crisis_apply_reach()
        recipients.update_id._crisis_count_reach()
        as_workflow(recipients).write({"reach_todo": False})
        # a failure or a bounce, or news of a text message of the reach policy,
        # may be the reach policy's next step
        if any(
            recipient.reach in UNREACHED or recipient.fallback_state == "sms"
            for recipient in recipients
        ):
            self._crisis_trigger_fallback()

    @api.model
    def _cron_apply_reach(self, batch_size=APPLY_BATCH_SIZE):
        """The reach job: apply the traces the channels changed, a batch per call.

        The scheduler calls again at once while some remain
        (``_notify_progress``). A batch that meets a concurrent change (a user
        editing a line, a send closing an update) is left for the next call.
        """
        recipients = (
            as_workflow(self.sudo())
            .with_context(active_test=False)
            .search([("reach_todo", "=", True)], order="id", limit=batch_size)
        )
        done = 0
        if recipients:
            try:
                with self.env.cr.savepoint():
                    recipients._crisis_apply()
                    self.env.flush_all()
                done = len(recipients)
            except (errors.SerializationFailure, errors.LockNotAvailable):
                _logger.info("Crisis reach: a batch met a concurrent change, tried again")
                self.env.invalidate_all()
                self._crisis_trigger_apply()
        remaining = self.sudo().search_count([("reach_todo", "=", True)]) if done else 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    # ------------------------------------------------------------------
    # The reach policy: the next channel for the customers not reached
    # ------------------------------------------------------------------

    @api.model
    def _crisis_trigger_fallback(self):
        cron = self.env.ref(FALLBACK_CRON_XMLID, raise_if_not_found=False)
        if cron and cron.active:
            cron.sudo()._trigger()

    @api.model
    def _crisis_sms_reached(self):
        """SQL condition on ``recipient``: a text message reached the customer
        (the SMS bridge says when; never without it)."""
        return SQL("FALSE")

    @api.model
    def _crisis_fallback_sms_failed(self):
        """SQL condition on ``recipient``: the text message of the reach policy's
        first step failed (the SMS bridge says when; never without it)."""
        return SQL("FALSE")

    @api.model
    def _crisis_fallback_due(self, now):
        """SQL condition on ``recipient`` (joined with ``update``, ``crisis``,
        ``stage``, ``impact`` and ``company``): the reach policy owes this
        customer its next step.

        The crisis has the policy, is not closed, and may speak to its
        customers (the gate's SQL twin, ``crisis.crisis._crisis_speak_sql``:
        no drill, its statement approved; else the policy waits); the update
        is being sent or was (not cancelled); the line still follows its
        notices (To Contact, Notified, Unreachable), the customer did not
        unsubscribe and is no self-reported customer an agent has not
        verified yet. Then either nothing was done yet and the update
        did not reach them (failed or bounced on every channel tried, or
        accepted by their mail server but not opened after the company's
        hours), or they were texted and the text message failed.
        """
        return SQL(
            """crisis.reach_fallback AND crisis.active AND %(speaks)s
               AND stage.is_closed IS NOT TRUE
               AND update.state IN ('sending', 'sent')
               AND impact.contact_status IN %(statuses)s
               AND impact.is_unsubscribed IS NOT TRUE AND impact.is_self_reported IS NOT TRUE
               AND (
                   (recipient.fallback_state IS NULL
                    AND (recipient.reach IN %(unreached)s
                         OR (recipient.reach = 'sent' AND recipient.date_email_sent
                             <= %(now)s - make_interval(
                                    hours => COALESCE(company.crisis_reach_fallback_hours, 12)))))
                   OR (recipient.fallback_state = 'sms' AND %(sms_failed)s)
               )""",
            speaks=self.env["crisis.crisis"]._crisis_speak_sql(SQL.identifier("crisis", "id")),
            statuses=REACH_STATUSES,
            unreached=UNREACHED,
            now=now,
            sms_failed=self._crisis_fallback_sms_failed(),
        )

    @api.model
    def _crisis_fallback_query(self, select, now, tail=None):
        return SQL(
            """
            SELECT %(select)s
              FROM crisis_update_recipient recipient
              JOIN crisis_update update ON update.id = recipient.update_id
              JOIN crisis_crisis crisis ON crisis.id = update.crisis_id
              JOIN crisis_impact impact ON impact.id = recipient.impact_id
         LEFT JOIN crisis_stage stage ON stage.id = crisis.stage_id
         LEFT JOIN res_company company ON company.id = crisis.company_id
             WHERE %(due)s
            %(tail)s
            """,
            select=select,
            due=self._crisis_fallback_due(now),
            tail=tail or SQL(),
        )

    @api.model
    def _crisis_lock_fallback(self, limit, now):
        """Lock and return up to ``limit`` recipients the reach policy owes a
        step, in id order. ``FOR UPDATE SKIP LOCKED``: another worker takes
        the next ones; each step is marked on the row in the same transaction,
        so that it is never done twice."""
        self.env.flush_all()
        self.env.cr.execute(
            self._crisis_fallback_query(
                SQL("recipient.id"),
                now,
                SQL(
                    "ORDER BY recipient.id LIMIT %s FOR UPDATE OF recipient SKIP LOCKED",
                    limit,
                ),
            )
        )
        return self.sudo().browse(row[0] for row in self.env.cr.fetchall())

    def _crisis_fallback_sms(self):
        """The first step for these recipients (nothing done yet): text them the
        update. Return the recipients whose SMS step is done: texted now, or
        already by the update itself (its text message not failed).

        Without the SMS app, nobody is texted: the second step (a call) follows.
        The SMS bridge implements it.
        """
        return self.browse()

    def _crisis_fallback_call(self):
        """The second step for these recipients: a call task in the call campaign
        of their crisis, as the Call Customers wizard makes them (a line that
        already has one keeps it, it is not given a second)."""
        recipients = self.sudo()
        if not recipients:
            return
        lines = recipients.impact_id
        open_calls = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "crisis.impact"),
                    ("res_id", "in", lines.ids),
                    ("activity_type_id", "=", self.env.ref(CALL_ACTIVITY).id),
                ],
                order="id",
            )
        )
        call_of = {}
        for activity in open_calls:
            call_of.setdefault(activity.res_id, activity)
        for crisis, crisis_lines in (
            (lines - lines.browse(list(call_of))).grouped("crisis_id").items()
        ):
            activities, _turn = crisis_lines._crisis_schedule_calls(crisis._crisis_call_deadline())
            for activity in activities or ():
                call_of.setdefault(activity.res_id, activity)
        for recipient in recipients:
            as_workflow(recipient).write(
                {
                    "fallback_state": "call",
                    "fallback_call_activity_id": call_of[recipient.impact_id.id].id,
                }
            )

    def _crisis_reach_fallback(self):
        """The reach policy's next step for these recipients (locked, due)."""
        recipients = self.sudo()
        first = recipients.filtered(lambda recipient: not recipient.fallback_state)
        texted = first._crisis_fallback_sms()
        if texted:
            as_workflow(texted).write({"fallback_state": "sms"})
        (recipients - texted)._crisis_fallback_call()

    @api.model
    def _cron_reach_fallback(self, batch_size=FALLBACK_BATCH_SIZE):
        """The reach policy job: a batch of customers an update did not reach
        per call; the scheduler commits after each and calls again at once
        while some remain (``_notify_progress``). Triggered by the reach job
        when a failure is applied; its interval catches the updates not
        opened in time."""
        now = fields.Datetime.now()
        recipients = self._crisis_lock_fallback(batch_size, now)
        if recipients:
            recipients._crisis_reach_fallback()
            self.env.flush_all()
        remaining = 0
        if recipients:
            self.env.cr.execute(self._crisis_fallback_query(SQL("COUNT(*)"), now))
            remaining = self.env.cr.fetchone()[0]
        self.env["ir.cron"]._notify_progress(done=len(recipients), remaining=remaining)
