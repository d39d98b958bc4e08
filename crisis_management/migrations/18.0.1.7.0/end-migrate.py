"""18.0.1.7.0: the feature modules installed by this upgrade (see
``pre-migrate.py``) have demo data when the addon has it: their demo records
came with the addon's."""

NEW_MODULES = ("crisis_management_status", "crisis_management_signal", "crisis_management_review")


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE ir_module_module SET demo = true
         WHERE name = ANY(%s) AND state = 'installed' AND NOT demo
           AND (SELECT demo FROM ir_module_module WHERE name = 'crisis_management')
        """,
        [list(NEW_MODULES)],
    )
