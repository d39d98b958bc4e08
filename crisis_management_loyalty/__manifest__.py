{
    "name": "Crisis Management Loyalty",
    "version": "18.0.1.0.0",
    "category": "Services/Crisis Management",
    "summary": "Voucher compensations of a crisis become gift cards or eWallet credit, "
    "their code emailed to the customer and shown on their page",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["crisis_management", "loyalty"],
    "data": [
        "security/ir.model.access.csv",
        "security/crisis_loyalty_security.xml",
        "data/mail_message_subtype_data.xml",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "views/crisis_compensation_views.xml",
        "views/crisis_compensation_delivery_job_views.xml",
        "wizard/crisis_config_settings_views.xml",
    ],
    "demo": ["demo/crisis_loyalty_demo.xml"],
    "installable": True,
    "auto_install": True,
}
