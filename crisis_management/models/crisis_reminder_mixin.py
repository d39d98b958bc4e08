from psycopg2 import errors

from odoo import api, models
from odoo.tools import SQL

from .crisis_workflow_mixin import as_workflow

# records handled per cron call; the cron runs again while some remain
BATCH_SIZE = 500


class CrisisReminderMixin(models.AbstractModel):
    """Shared by the crisis crons: pick due records safely, give activities once.

    ``_crisis_lock_due`` and ``_crisis_count_due`` are the primitives of every
    scheduled work of the addon: the reminders here, the job engine
    (``crisis.job``) and the sending of customer updates. Each step is a
    method, so that a model may override it.
    """

    _name = "crisis.reminder.mixin"
    _description = "Crisis: Reminders of the Scheduled Jobs"

    @api.model
    def _crisis_lock_due(self, condition, limit=BATCH_SIZE, order=None, skip_conflicts=False):
        """Lock and return up to ``limit`` records of this model matching ``condition``.

        ``FOR UPDATE SKIP LOCKED``: a second worker running the same cron at the
        same time skips the rows the first one holds, so nothing is handled twice.

        :param order: SQL of the order to take them in (``id`` by default)
        :param skip_conflicts: none of the rows that another worker changed
            since this transaction began (Odoo's transactions are repeatable
            reads: they cannot be locked here, that worker handled them): an
            empty recordset rather than a serialization failure
        """
        self.env.flush_all()
        query = SQL(
            "SELECT id FROM %s WHERE %s ORDER BY %s LIMIT %s FOR UPDATE SKIP LOCKED",
            SQL.identifier(self._table),
            condition,
            order or SQL("id"),
            limit,
        )
        if not skip_conflicts:
            self.env.cr.execute(query)
            return self.browse(row[0] for row in self.env.cr.fetchall())
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                return self.browse(row[0] for row in self.env.cr.fetchall())
        except (errors.SerializationFailure, errors.LockNotAvailable):
            return self.browse()

    @api.model
    def _crisis_count_due(self, condition):
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT COUNT(*) FROM %s WHERE %s", SQL.identifier(self._table), condition)
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _crisis_schedule_activities(
        self, pairs, summary_of, date_of, note_of=None, *, activity_type_xmlid
    ):
        """One activity of type ``activity_type_xmlid`` per (record, user) pair,
        created in one batch.

        The summary and note are in the user's language: ``summary_of`` and
        ``note_of`` get the record in it (the record's own language for a user
        without one), and translate with the record's ``env``.

        The activities are ``automated`` (the system made them, as
        ``activity_schedule`` does): the record closes them with
        ``activity_feedback`` / ``activity_unlink`` when their reason ends.
        """
        if not pairs:
            return None
        env = pairs[0][0].env
        activity_type = env.ref(activity_type_xmlid)
        values = []
        for record, user in pairs:
            in_lang = record.with_context(lang=user.lang or record.env.lang)
            values.append(
                {
                    "res_model_id": env["ir.model"]._get_id(record._name),
                    "res_id": record.id,
                    "activity_type_id": activity_type.id,
                    "automated": True,
                    "summary": summary_of(in_lang),
                    "note": note_of(in_lang) if note_of else False,
                    "date_deadline": date_of(record),
                    "user_id": user.id,
                }
            )
        # no "you have been assigned" email per activity: the activity is the reminder
        return env["mail.activity"].with_context(mail_activity_quick_update=True).create(values)

    @api.model
    def _crisis_remind_once(
        self,
        due,
        source_field,
        marker_field,
        summary_of,
        date_of,
        note_of=None,
        user_of=None,
        *,
        activity_type_xmlid,
    ):
        """The cron pattern: an activity of type ``activity_type_xmlid`` for the
        user of each due record, once.

        The user is the record's ``user_id`` unless ``user_of`` tells another.

        ``due`` must exclude the records whose ``marker_field`` already holds the
        value of their ``source_field`` (the date they were reminded of); the
        records handled get it. Progress goes to the scheduler.
        """
        records = self._crisis_lock_due(due)
        user_of = user_of or (lambda record: record.user_id)
        self._crisis_schedule_activities(
            [(record, user_of(record)) for record in records],
            summary_of,
            date_of,
            note_of,
            activity_type_xmlid=activity_type_xmlid,
        )
        # one write per date reminded of, not one per record
        for value, group in records.grouped(lambda record: record[source_field]).items():
            as_workflow(group)[marker_field] = value
        self.env["ir.cron"]._notify_progress(
            done=len(records), remaining=self._crisis_count_due(due)
        )
