{
    "name": "Crisis Management Accounting",
    "version": "18.0.1.1.0",
    "category": "Services/Crisis Management",
    "summary": "Refunds and credits of a crisis reach the books: customer credit notes made "
    "on delivery, one by one or in bulk, or partial reversals of a named invoice",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["crisis_management", "account"],
    "data": [
        "security/crisis_account_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/crisis_compensation_views.xml",
        "views/account_move_views.xml",
        "views/crisis_credit_note_job_views.xml",
        "wizard/crisis_config_settings_views.xml",
    ],
    "installable": True,
    "auto_install": True,
}
