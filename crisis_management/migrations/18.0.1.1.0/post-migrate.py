"""Crisis and compensation references show the year of their counter.

Before 18.0.1.1.0 the crisis sequences had the prefix ``CRI/%(year)s/``:
today's year, while the number counts per year of declaration, so backdated
crises and those declared around New Year got references already taken.

The compensation sequences had the prefix ``CMP/%(year)s/`` and no date
ranges: one counter that never restarted, under today's year. They now count
per year of request (``CMP/%(range_year)s/``, a date range per year). Every
year that already has references gets a range that goes on from the old
counter, so that no reference is given twice; the other years start at 1.
"""

from odoo import SUPERUSER_ID, api

OLD_PREFIX = "CRI/%(year)s/"
NEW_PREFIX = "CRI/%(range_year)s/"
OLD_COMPENSATION_PREFIX = "CMP/%(year)s/"
NEW_COMPENSATION_PREFIX = "CMP/%(range_year)s/"


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE ir_sequence
           SET prefix = %s
         WHERE code = 'crisis.crisis' AND use_date_range AND prefix = %s
        """,
        (NEW_PREFIX, OLD_PREFIX),
    )
    _compensation_counters_per_year(api.Environment(cr, SUPERUSER_ID, {}))


def _compensation_counters_per_year(env):
    sequences = env["ir.sequence"].search(
        [("code", "=", "crisis.compensation"), ("prefix", "=", OLD_COMPENSATION_PREFIX)]
    )
    # already counting per date range: the prefix shows the range's year now
    sequences.filtered("use_date_range").prefix = NEW_COMPENSATION_PREFIX
    env["crisis.compensation"].flush_model(["reference", "company_id"])
    for sequence in sequences.filtered(lambda s: not s.use_date_range):
        sequence.invalidate_recordset(["number_next_actual"])
        next_number = sequence.number_next_actual
        # the years the old references show (their year of creation)
        env.cr.execute(
            """
            SELECT DISTINCT substring(reference FROM '^CMP/([0-9]{4})/')
              FROM crisis_compensation
             WHERE reference ~ '^CMP/[0-9]{4}/'
               AND (%(company)s IS NULL OR company_id = %(company)s)
            """,
            {"company": sequence.company_id.id or None},
        )
        for (year,) in env.cr.fetchall():
            ranges = sequence.date_range_ids.filtered(
                lambda r, first=f"{year}-01-01": str(r.date_from) <= first <= str(r.date_to)
            )
            if ranges:
                for date_range in ranges:
                    if date_range.number_next_actual < next_number:
                        date_range.number_next_actual = next_number
            else:
                env["ir.sequence.date_range"].create(
                    {
                        "sequence_id": sequence.id,
                        "date_from": f"{year}-01-01",
                        "date_to": f"{year}-12-31",
                        "number_next_actual": next_number,
                    }
                )
        sequence.write({"use_date_range": True, "prefix": NEW_COMPENSATION_PREFIX})
