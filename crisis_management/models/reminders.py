"""Shared by the crisis crons: pick due records safely, give activities once."""

from odoo.tools import SQL

from .crisis_workflow_mixin import as_workflow

# records handled per cron call; the cron runs again while some remain
BATCH_SIZE = 500


def lock_due(model, condition, limit=BATCH_SIZE):
    """Lock and return up to ``limit`` records of ``model`` matching ``condition``.

    ``FOR UPDATE SKIP LOCKED``: a second worker running the same cron at the
    same time skips the rows the first one holds, so nothing is handled twice.
    """
    model.env.flush_all()
    model.env.cr.execute(
        SQL(
            "SELECT id FROM %s WHERE %s ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            SQL.identifier(model._table),
            condition,
            limit,
        )
    )
    return model.browse(row[0] for row in model.env.cr.fetchall())


def count_due(model, condition):
    model.env.flush_all()
    model.env.cr.execute(
        SQL("SELECT COUNT(*) FROM %s WHERE %s", SQL.identifier(model._table), condition)
    )
    return model.env.cr.fetchone()[0]


def schedule_activities(pairs, summary_of, date_of, note_of=None, *, activity_type_xmlid):
    """One activity of type ``activity_type_xmlid`` per (record, user) pair,
    created in one batch.

    The activities are ``automated`` (the system made them, as
    ``activity_schedule`` does): the record closes them with
    ``activity_feedback`` / ``activity_unlink`` when their reason ends.
    """
    if not pairs:
        return None
    env = pairs[0][0].env
    activity_type = env.ref(activity_type_xmlid)
    values = [
        {
            "res_model_id": env["ir.model"]._get_id(record._name),
            "res_id": record.id,
            "activity_type_id": activity_type.id,
            "automated": True,
            "summary": summary_of(record),
            "note": note_of(record) if note_of else False,
            "date_deadline": date_of(record),
            "user_id": user.id,
        }
        for record, user in pairs
    ]
    # no "you have been assigned" email per activity: the activity is the reminder
    return env["mail.activity"].with_context(mail_activity_quick_update=True).create(values)


def remind_once(
    model,
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
    records = lock_due(model, due)
    user_of = user_of or (lambda record: record.user_id)
    schedule_activities(
        [(record, user_of(record)) for record in records],
        summary_of,
        date_of,
        note_of,
        activity_type_xmlid=activity_type_xmlid,
    )
    # one write per date reminded of, not one per record
    for value, group in records.grouped(lambda record: record[source_field]).items():
        as_workflow(group)[marker_field] = value
    model.env["ir.cron"]._notify_progress(done=len(records), remaining=count_due(model, due))
