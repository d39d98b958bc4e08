import logging
import threading
from collections import defaultdict

from psycopg2 import errors

from odoo import api, fields, models, modules
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .crisis_update_recipient import REACHED
from .crisis_workflow_mixin import as_workflow
from .mail_mail import CrisisDelivery

_logger = logging.getLogger(__name__)

# customers emailed per call of the sending job; the scheduler calls it again
# (and another cron worker takes the next batch) while some remain
SEND_BATCH_SIZE = 500
# the sending jobs shipped: as many cron workers can work on one send at once
SEND_CRON_XMLIDS = tuple(
    f"crisis_management.ir_cron_crisis_send_updates_{number}" for number in range(1, 5)
)

UPDATE_STATES = [
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("cancelled", "Cancelled"),
]

UPDATE_KINDS = [
    ("initial", "Initial Notice"),
    ("progress", "Progress Update"),
    ("resolution", "Resolution Notice"),
    ("satisfaction", "Satisfaction Survey"),
    ("other", "Other"),
]

# the kinds of update whose email never carries the public statement (the
# crisis instructions): their template says it all, with the text written at
# the send, if any
NO_STATEMENT_KINDS = ("resolution",)
AUDIENCES = [
    ("all", "All Affected Customers"),
    ("not_contacted", "Not Yet Contacted"),
    ("priority", "Priority Customers"),
    ("impact_level", "Impact Level"),
    ("contact_status", "Contact Status"),
    ("selection", "Selected Customers"),
]


class CrisisUpdate(models.Model):
    """One message sent to (part of) the affected customers of a crisis.

    The notify wizard, the stage emails and the satisfaction survey create one
    per send, with its audience frozen at the click (``recipient_ids``). Small
    audiences are emailed at once; larger ones are queued and emailed in
    committed batches by the sending jobs on Odoo's scheduler, several cron
    workers at a time, each handing the emails of its batches to the SMTP
    server itself. The emails themselves are on each affected customer's
    line.

    Its counts are what the channels reported, not what was queued: the
    emails still queued, sent (accepted by the customers' mail servers),
    failed and bounced, and the customers reached, who opened their page or
    answered, counted from the reach traces of its recipients
    (``crisis.update.recipient``) when it is done, then each time the reach
    job applies a report (``_crisis_count_reach``).
    """

    _name = "crisis.update"
    _description = "Crisis Customer Update"
    _inherit = ["crisis.workflow.mixin", "crisis.reminder.mixin"]
    _order = "date_sent desc, id desc"
    _check_company_auto = True
    _crisis_workflow_fields = (
        "state",
        "total_count",
        "queued_count",
        "sent_count",
        "bounced_count",
        "opened_count",
        "answered_count",
        "reached_count",
        "no_email_count",
        "blacklisted_count",
        "unsubscribed_count",
        "unverified_count",
        "failed_count",
        "date_done",
        "body_is_statement",
    )

    crisis_id = fields.Many2one(
        "crisis.crisis", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(
        related="crisis_id.company_id", store=True, index=True, precompute=True
    )
    kind = fields.Selection(UPDATE_KINDS, required=True, default="progress")
    # in the reader's language: the customer's page, the status page (see
    # crisis_update_lang.py: rendered once per language at the send)
    name = fields.Char(string="Subject", required=True, translate=True)
    body = fields.Html(translate=True, help="The text sent, from the approved public statement.")
    body_is_statement = fields.Boolean(
        string="Statement Sent",
        readonly=True,
        help="The text is the public statement: each customer is sent the approved statement "
        "in their own language (the text above is the one written in the sender's).",
    )
    audience = fields.Selection(AUDIENCES, required=True, default="all")
    audience_detail = fields.Char(help="The impact level or contact status targeted.")
    template_id = fields.Many2one("mail.template", string="Email Template", ondelete="set null")
    user_id = fields.Many2one(
        "res.users", string="Sent By", default=lambda self: self.env.user, index=True
    )
    date_sent = fields.Datetime(
        string="Sent On",
        default=fields.Datetime.now,
        required=True,
        help="When the update was sent (its audience decided).",
    )
    state = fields.Selection(
        UPDATE_STATES,
        string="Status",
        required=True,
        default="queued",
        index=True,
        help="Queued: waiting for the sending job. Sending: emails are being queued in "
        "batches. Sent: every customer of the audience was handled.",
    )
    date_done = fields.Datetime(
        string="Done On", readonly=True, help="When the last customer of the audience was handled."
    )
    recipient_ids = fields.One2many("crisis.update.recipient", "update_id", string="Recipients")
    total_count = fields.Integer(
        string="Customers in Audience",
        readonly=True,
        help="Customers in the audience, decided at the click.",
    )
    # the reach of the update, from its recipients' traces (see
    # crisis.update.recipient): counted when the update is done, then each
    # time the reach job applies what the channels reported
    queued_count = fields.Integer(
        string="Queued",
        help="Emails waiting in the mail queue: neither accepted nor refused by a mail server "
        "yet.",
    )
    sent_count = fields.Integer(
        string="Sent",
        help="Emails accepted by the customers' mail servers (bounced ones aside).",
    )
    failed_count = fields.Integer(
        string="Failed",
        help="Emails that could not be made or sent: an invalid address, a refusal of the "
        "mail server (the reason is on each recipient).",
    )
    bounced_count = fields.Integer(
        string="Bounced",
        help="Emails accepted by a mail server that came back undelivered (a bounce report).",
    )
    opened_count = fields.Integer(
        string="Opened",
        help="Customers who opened their page after this update reached them.",
    )
    answered_count = fields.Integer(
        string="Answered",
        help="Customers who answered this update: an email on their line, a compensation "
        "accepted or declined.",
    )
    reached_count = fields.Integer(
        string="Reached",
        help="Customers this update reached on at least one channel: accepted by their mail "
        "server or SMS provider and not bounced, or opened, or answered.",
    )
    no_email_count = fields.Integer(
        string="Without Email", help="Customers skipped: no valid email address."
    )
    blacklisted_count = fields.Integer(
        string="Blacklisted", help="Customers skipped: their address is on the email blacklist."
    )
    unsubscribed_count = fields.Integer(
        string="Unsubscribed",
        help="Customers skipped: they unsubscribed from the notices of this crisis.",
    )
    unverified_count = fields.Integer(
        string="Not Verified",
        help="Customers skipped: they wrote to the inbox of the crisis and no agent verified "
        "yet that they are affected (Verify on their line).",
    )
    skipped_count = fields.Integer(
        string="Skipped", compute="_compute_skipped_count", store=True, aggregator="sum"
    )
    progress = fields.Float(
        compute="_compute_progress",
        help="Share of the audience handled: emailed, skipped or failed.",
    )

    @api.depends("no_email_count", "blacklisted_count", "unsubscribed_count", "unverified_count")
    def _compute_skipped_count(self):
        for update in self:
            update.skipped_count = (
                update.no_email_count
                + update.blacklisted_count
                + update.unsubscribed_count
                + update.unverified_count
            )

    @api.depends("total_count", "state")
    def _compute_progress(self):
        running = self.filtered(lambda u: u.state in ("queued", "sending") and u.total_count)
        handled = dict(
            self.env["crisis.update.recipient"]
            .sudo()
            ._read_group(
                [("update_id", "in", running.ids), ("state", "!=", "pending")],
                ["update_id"],
                ["__count"],
            )
        )
        Job = self.env["crisis.job"]
        for update in self:
            if update in running:
                update.progress = Job._crisis_job_progress(
                    handled.get(update, 0), update.total_count
                )
            else:
                update.progress = 100.0 if update.state == "sent" else 0.0

    @api.depends("kind", "name")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for update in self:
            update.display_name = f"{kinds.get(update.kind, '')} ({update.name})"

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    @api.model
    def _crisis_queue(self, crisis, audience_impacts, template, kind, body=False, **values):
        """Record a send to ``audience_impacts`` (recordset or domain) of ``crisis``.

        The audience is frozen now, in one query. Up to the company's
        threshold, the customers are emailed at once; above it, the sending
        jobs are triggered and the update is returned at once, *Queued*.

        Only if the crisis may speak to its customers (the gate,
        ``crisis.crisis._crisis_speak_refusal``): a ``body`` other than the
        approved statement goes only once approved. While it is sent, the
        sending jobs ask the gate's SQL twin (``_crisis_sendable``).
        """
        crisis.with_env(self.env)._check_can_speak_to_customers(kind, body=body)
        updates = as_workflow(self.sudo()).create(
            {
                "crisis_id": crisis.id,
                "kind": kind,
                "body": body or (kind not in NO_STATEMENT_KINDS and crisis.public_statement),
                "body_is_statement": (not body and kind not in NO_STATEMENT_KINDS)
                or bool(body and crisis._crisis_is_statement(body)),
                "template_id": template.id,
                "user_id": self.env.uid,
                "date_sent": fields.Datetime.now(),
                **values,
                "name": values.get("name") or template.name,
            }
        )
        Recipient = self.env["crisis.update.recipient"]
        total = Recipient._crisis_freeze(updates, audience_impacts)
        as_workflow(updates).total_count = total
        threshold = crisis.company_id.crisis_send_background_threshold
        if total <= threshold:
            Recipient._crisis_expand(updates)
            updates._crisis_send_pending()
        else:
            updates._crisis_trigger_sending()
        return updates

    def init(self):
        # the audience frozen at the click, until the sending job makes its
        # recipient rows (see crisis.update.recipient._crisis_freeze)
        self.env.cr.execute(
            "ALTER TABLE crisis_update ADD COLUMN IF NOT EXISTS crisis_audience_ids int[]"
        )

    @api.model
    def _crisis_expand_frozen(self):
        """Make the recipient rows of one update frozen at the click, if any.

        The update's row is locked (``SKIP LOCKED``, as the job engine locks
        its jobs): another worker expands another one, or goes on sending.
        """
        frozen = SQL("crisis_audience_ids IS NOT NULL AND state IN ('queued', 'sending')")
        for update in self._crisis_lock_due(frozen, limit=1, skip_conflicts=True):
            self.env["crisis.update.recipient"]._crisis_expand(update)

    def _crisis_trigger_sending(self):
        for xmlid in SEND_CRON_XMLIDS:
            cron = self.env.ref(xmlid, raise_if_not_found=False)
            if cron and cron.active:
                cron.sudo()._trigger()

    @api.model
    def _crisis_sendable(self):
        """SQL condition on ``update``: it is being sent and its crisis may
        speak to customers now (the gate's SQL twin,
        ``crisis.crisis._crisis_speak_sql``).

        A send whose crisis became a drill or whose statement went back to
        draft waits (its recipients stay pending) until it may again.
        """
        return SQL(
            "update.state IN ('queued', 'sending') AND %s",
            self.env["crisis.crisis"]._crisis_speak_sql(SQL.identifier("update", "crisis_id")),
        )

    @api.model
    def _crisis_pending_condition(self, update_ids=None):
        """SQL condition on the recipients left to email (of ``update_ids``)."""
        return SQL(
            "state = 'pending' AND update_id IN ("
            "SELECT update.id FROM crisis_update update WHERE %(sendable)s %(only)s)",
            sendable=self._crisis_sendable(),
            only=SQL("AND update.id IN %s", tuple(update_ids)) if update_ids else SQL(),
        )

    @api.model
    def _crisis_lock_pending(self, limit, update_ids=None, skip_conflicts=True):
        """Lock and return up to ``limit`` pending recipients, in update and id order.

        ``FOR UPDATE SKIP LOCKED`` on the recipients (the job engine's lock,
        ``_crisis_lock_due``, on their rows rather than the update's): another
        worker takes the next ones, so several cron workers email one large
        send at once, each customer once. When another worker committed the
        first of them since this transaction began (it emailed them), none:
        PostgreSQL refuses to lock them in a repeatable read, and the job's
        next turn, in a new transaction, takes the next ones.

        :param skip_conflicts: False where no other transaction can see the
            rows (made in this one): no savepoint around the lock
        """
        return self.env["crisis.update.recipient"]._crisis_lock_due(
            self._crisis_pending_condition(update_ids),
            limit,
            order=SQL("update_id, id"),
            skip_conflicts=skip_conflicts,
        )

    @api.model
    def _crisis_count_pending(self):
        """The customers left to email: pending rows, and audiences not expanded yet."""
        pending = self.env["crisis.update.recipient"]._crisis_count_due(
            self._crisis_pending_condition()
        )
        self.env.cr.execute(
            SQL(
                "SELECT COALESCE(SUM(cardinality(crisis_audience_ids)), 0) FROM crisis_update"
                " WHERE crisis_audience_ids IS NOT NULL AND state IN ('queued', 'sending')"
            )
        )
        return pending + self.env.cr.fetchone()[0]

    def _crisis_send_pending(self, batch_size=None):
        """Email the pending recipients of these updates now, in this transaction.

        A batch that stays pending (it met a concurrent change) is left to the
        sending jobs, which ``_crisis_send_batch`` triggered.
        """
        while True:
            # the click's own updates: their rows are this transaction's
            recipients = self._crisis_lock_pending(
                batch_size or SEND_BATCH_SIZE, self.ids, skip_conflicts=False
            )
            if not recipients:
                break
            recipients.update_id._crisis_send_batch(recipients)
            if "pending" in recipients.mapped("state"):
                break
        self._crisis_close_done()

    def _crisis_send_batch(self, recipients):
        """Email ``recipients`` (locked, pending) of these updates: one batch.

        A batch that meets a concurrent change (another worker or a user
        changed the same rows) stays pending and is tried again; a batch that
        fails otherwise is marked failed, with the error in the server log.

        :return: the ``mail.message`` records posted on the customers' lines
        """
        messages = self.env["mail.message"]
        for update in self:
            batch = recipients.filtered(lambda r, update=update: r.update_id == update)
            try:
                with self.env.cr.savepoint():
                    posted = update._crisis_email(batch)
                    self.env.flush_all()
                messages |= posted
            except errors.SerializationFailure:
                _logger.info("Crisis update %s: batch met a concurrent change, retried", update.id)
                self.env.invalidate_all()
                self._crisis_trigger_sending()
                continue
            except Exception:  # the customers of this batch are marked failed
                _logger.exception("Crisis update %s: emails could not be made", update.id)
                self.env.invalidate_all()
                as_workflow(batch).write({"state": "failed"})
            update._crisis_mark_sending()
        return messages

    def _crisis_email(self, recipients):
        """Email the customers of ``recipients``, as the user who sent the update.

        :return: the ``mail.message`` records posted on their lines
        """
        self.ensure_one()
        # the sender's name and address, with the rights they had at the click
        sender = self.with_user(self.user_id).sudo() if self.user_id else self.sudo()
        impacts = sender.env["crisis.impact"].browse(recipients.impact_id.ids)
        classified = impacts._crisis_classify_recipients()
        emailed = impacts.browse(classified.impact_ids)
        messages = self.env["mail.message"]
        if emailed:
            template = sender.env["mail.template"].browse(self.template_id.id)
            # the statement goes in each customer's language (update_body)
            body = not self.body_is_statement and self.body or False
            messages = emailed.with_context(
                crisis_update_body=body,
                crisis_update_no_statement=self.kind in NO_STATEMENT_KINDS,
            )._crisis_email_template(template)
            emailed._mark_contacted(self, fields.Datetime.now())
            if self.kind == "satisfaction":
                as_workflow(emailed).date_rating_requested = fields.Datetime.now()
            # the crisis' totals of contacted customers are counted once, when the
            # update is done: no worker writes the crisis while others email
            self.crisis_id._crisis_defer_impact_stats()
        for state, batch in recipients.grouped(
            lambda r: classified.state_by_impact[r.impact_id.id]
        ).items():
            as_workflow(batch).write({"state": state})
        # each customer's email is traced from its notification
        recipients.filtered(lambda r: r.state == "sent")._crisis_link_emails(messages)
        return messages

    def _crisis_try(self, query):
        """Run ``query`` unless another worker holds or just changed its rows.

        The sending jobs run in several workers at once, in Odoo's repeatable
        read transactions: a row another worker changed since this
        transaction began cannot be locked here. That worker did the job.
        """
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                return self.env.cr.fetchall() if self.env.cr.description else []
        except (errors.SerializationFailure, errors.LockNotAvailable):
            return []

    def _crisis_mark_sending(self):
        """Queued becomes Sending when a first batch is emailed (by whichever worker)."""
        if self.state != "queued":
            return
        self.env.flush_all()
        self._crisis_try(
            SQL(
                "UPDATE crisis_update SET state = 'sending', write_date = %s"
                " WHERE id IN %s AND state = 'queued'",
                self.env.cr.now(),
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(["state", "write_date"])

    def _crisis_close_done(self):
        """Updates whose audience is all handled become *Sent*, with their counts
        and a note on the crisis.

        Whichever worker finds one done closes it; if another worker or a user
        changes the same rows meanwhile, a later call closes it.
        """
        try:
            with self.env.cr.savepoint():
                done = self._crisis_close_done_now()
                self.env.flush_all()
        except errors.SerializationFailure:
            self.env.invalidate_all()
            self._crisis_trigger_sending()
            return self.browse()
        return done

    def _crisis_close_done_now(self):
        self.env.flush_all()
        rows = self._crisis_try(
            SQL(
                """
                SELECT update.id FROM crisis_update update
                 WHERE update.state IN ('queued', 'sending') %s
                   AND update.crisis_audience_ids IS NULL
                   AND NOT EXISTS (SELECT 1 FROM crisis_update_recipient recipient
                                    WHERE recipient.update_id = update.id
                                      AND recipient.state = 'pending')
              ORDER BY update.id
                   FOR UPDATE NOWAIT
                """,
                SQL("AND update.id IN %s", tuple(self.ids)) if self else SQL(),
            )
        )
        done = self.browse(row[0] for row in rows or ())
        if not done:
            return done
        counts = defaultdict(dict)
        for update, state, count in self.env["crisis.update.recipient"]._read_group(
            [("update_id", "in", done.ids)], ["update_id", "state"], ["__count"]
        ):
            counts[update.id][state] = count
        done.crisis_id._crisis_recompute_impact_stats()
        for update in done:
            count = counts[update.id]
            as_workflow(update).write(
                {
                    "state": "sent",
                    "date_done": fields.Datetime.now(),
                    "no_email_count": count.get("no_email", 0),
                    "blacklisted_count": count.get("blacklisted", 0),
                    "unsubscribed_count": count.get("unsubscribed", 0),
                    "unverified_count": count.get("unverified", 0),
                }
            )
        done._crisis_count_reach(force=True)
        # in the background, the sender is told too (in the click, the click tells)
        notify = self.env.context.get("crisis_update_in_job")
        for update in done:
            in_lang = update.with_context(lang=update.user_id.lang or self.env.lang)
            self.env["crisis.job"]._crisis_job_post(
                update.crisis_id,
                in_lang.env._(
                    "Customer update %(update)s: %(emailed)s customer(s) emailed, "
                    "%(skipped)s skipped (no email address, blacklisted, "
                    "self-reported and not verified, or unsubscribed), "
                    "%(failed)s failed. Its counts follow what the mail servers report.",
                    update=in_lang.display_name,
                    emailed=counts[update.id].get("sent", 0),
                    skipped=update.skipped_count,
                    failed=update.failed_count,
                ),
                author=update.user_id or self.env.user,
                user=update.user_id if notify else None,
                title=in_lang.display_name,
            )
        return done

    def _crisis_count_reach(self, force=False):
        """Count the reach of these updates from their recipients' traces: two
        grouped queries, whatever the number of updates and recipients. Only
        the counts that changed are written, unless ``force``."""
        updates = self.sudo()
        if not updates:
            return
        Recipient = self.env["crisis.update.recipient"].sudo()
        counts = defaultdict(lambda: defaultdict(int))
        for update, state, email_state, count in Recipient._read_group(
            [("update_id", "in", updates.ids), ("state", "in", ("sent", "failed"))],
            ["update_id", "state", "email_state"],
            ["__count"],
        ):
            key = "failed" if state == "failed" and not email_state else email_state
            counts[update.id][key] += count
        for update, reach, opened, answered, count in Recipient._read_group(
            [("update_id", "in", updates.ids), ("reach", "!=", False)],
            ["update_id", "reach"],
            ["date_opened:count", "date_answered:count", "__count"],
        ):
            total = counts[update.id]
            total["opened"] += opened
            total["answered"] += answered
            if reach in REACHED:
                total["reached"] += count
        for update in updates:
            count = counts[update.id]
            values = {
                "queued_count": count["queued"],
                "sent_count": count["sent"],
                "failed_count": count["failed"],
                "bounced_count": count["bounced"],
                "opened_count": count["opened"],
                "answered_count": count["answered"],
                "reached_count": count["reached"],
            }
            if not force:
                values = {name: value for name, value in values.items() if update[name] != value}
            if values:
                as_workflow(update).write(values)

    @api.model
    def _cron_send_updates(self, batch_size=SEND_BATCH_SIZE):
        """The sending job: one batch of pending recipients per call.

        The scheduler commits after each call and calls again at once while
        some remain (``_notify_progress``); several copies of this job (see
        ``SEND_CRON_XMLIDS``) run in as many cron workers, on one or several
        Odoo servers, each on its own batch. A worker killed mid-batch loses
        nothing: its transaction is rolled back and the batch stays pending.
        """
        self._crisis_expand_frozen()
        recipients = self._crisis_lock_pending(batch_size)
        messages = self.env["mail.message"]
        if recipients:
            messages = recipients.update_id.with_context(
                crisis_deliver_in_job=True
            )._crisis_send_batch(recipients)
        # delivered before the update may close: its counts are then those of
        # the mail servers' answers
        self._crisis_deliver(messages)
        self.with_context(crisis_update_in_job=True)._crisis_close_done()
        remaining = self._crisis_count_pending()
        if remaining:
            # wake the idle cron workers (the scheduler only notifies them of
            # triggers): each job runs 10 batches per turn, then waits its turn
            self._crisis_trigger_sending()
        self.env["ir.cron"]._notify_progress(done=len(recipients), remaining=remaining)

    @api.model
    def _crisis_deliver(self, messages):
        """Hand the emails of ``messages`` (a batch this job made) to the SMTP
        server now, as Odoo's mail queue would: ``mail.mail.send``, with the
        company's mail servers and their ``from_filter``, failures recorded on
        the email and its notification. A worker killed midway sends none
        twice: Odoo's mail queue commits after each email; a delivery commits
        after each group of emails and journals each email the SMTP server
        accepts on a connection of its own (``CrisisDelivery``).

        The batch is committed first: no email leaves before its message, its
        trace and its customer's line are saved. The emails wait in the queue
        with a scheduled date (``DELIVERY_GRACE``): Odoo's mail queue sends
        them only if this worker died before it could, and each cron worker
        delivers its own batches, side by side.
        """
        if not messages:
            return
        Mail = self.env["mail.mail"].sudo()
        mails = Mail.search([("mail_message_id", "in", messages.ids), ("state", "=", "outgoing")])
        if not mails:
            return
        testing = modules.module.current_test or getattr(
            threading.current_thread(), "testing", False
        )
        journal_cr = None
        if not testing:
            # as Odoo's mail queue does (process_email_queue): the scheduler's
            # transaction, committed before anything leaves for the SMTP server
            self.env.cr.commit()  # pylint: disable=invalid-commit
            journal_cr = self.env.registry.cursor()
            # each journal row committed by its own statement: one round trip
            # per accepted email instead of three (BEGIN, INSERT, COMMIT)
            journal_cr.connection.autocommit = True
        try:
            delivery = CrisisDelivery(journal_cr)
            # the reach job is woken once for the batch, not once per email
            mails.with_context(crisis_reach_trigger_later=True, crisis_delivery=delivery).send(
                auto_commit=not testing
            )
        finally:
            if journal_cr:
                if not journal_cr.closed:
                    # back to Odoo's transactions before the pool lends it again
                    journal_cr.connection.autocommit = False
                journal_cr.close()
        Mail._crisis_unlink_delivered(delivery)
        self.env["crisis.update.recipient"]._crisis_trigger_apply()

    def action_cancel(self):
        """Stop a queued or sending update: the customers not emailed yet are not."""
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(self.env._("Only a Crisis Manager can cancel a customer update."))
        running = self.filtered(lambda u: u.state in ("queued", "sending"))
        if not running:
            raise UserError(self.env._("Only a queued or sending update can be cancelled."))
        pending = (
            self.env["crisis.update.recipient"]
            .sudo()
            .search([("update_id", "in", running.ids), ("state", "=", "pending")])
        )
        as_workflow(pending).write({"state": "cancelled"})
        # an audience not expanded yet is dropped: nobody of it is emailed
        self.env.cr.execute(
            SQL(
                "UPDATE crisis_update SET crisis_audience_ids = NULL WHERE id IN %s",
                tuple(running.ids),
            )
        )
        # sudo: updates are written only by the sends, and by this button
        as_workflow(running.sudo()).write(
            {"state": "cancelled", "date_done": fields.Datetime.now()}
        )
        # the summary of a stopped send, as the job engine gives one
        emailed = dict(
            self.env["crisis.update.recipient"]
            .sudo()
            ._read_group(
                [("update_id", "in", running.ids), ("state", "=", "sent")],
                ["update_id"],
                ["__count"],
            )
        )
        for update in running.sudo():
            in_lang = update.with_context(lang=update.user_id.lang or self.env.lang)
            self.env["crisis.job"]._crisis_job_post(
                update.crisis_id,
                in_lang.env._(
                    "Customer update %(update)s was stopped by %(user)s: %(emailed)s of "
                    "%(total)s customer(s) emailed, the others are not.",
                    update=in_lang.display_name,
                    user=self.env.user.name,
                    emailed=emailed.get(update, 0),
                    total=update.total_count,
                ),
                author=self.env.user,
                user=update.user_id,
                title=in_lang.display_name,
                state="stopped",
            )
        return True
