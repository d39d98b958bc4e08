"""Crisis references show the year of their counter, the year of declaration.

Before 18.0.1.1.0 the crisis sequences had the prefix ``CRI/%(year)s/``:
today's year, while the number counts per year of declaration, so backdated
crises and those declared around New Year got references already taken.
"""

OLD_PREFIX = "CRI/%(year)s/"
NEW_PREFIX = "CRI/%(range_year)s/"


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
