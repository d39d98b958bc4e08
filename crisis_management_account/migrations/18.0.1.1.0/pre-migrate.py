"""The credit note jobs run on the addon's one job engine (``crisis.job``).

The engine counts what a job processed in ``processed_count``: the credit
note job's own count of it, ``done_count``, is that field now. Its column is
renamed before the module loads, so that no job loses its count: the update
then finds the engine's field on it, and removes the metadata of the old
field (its column is gone, nothing is dropped).
"""

from odoo.tools import sql

TABLE = "crisis_credit_note_job"
OLD, NEW = "done_count", "processed_count"


def migrate(cr, version):
    if not version:
        return
    if not sql.column_exists(cr, TABLE, OLD) or sql.column_exists(cr, TABLE, NEW):
        return
    sql.rename_column(cr, TABLE, OLD, NEW)
