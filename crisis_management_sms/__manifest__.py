{
    "name": "Crisis Management SMS",
    "version": "18.0.1.1.0",
    "category": "Services/Crisis Management",
    "summary": "Text the affected customers of a crisis: SMS notices from the notify wizard, "
    "stage notices, counts and delivery state on each customer line",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["crisis_management", "sms"],
    # Odoo's SMS checks numbers and writes them in international format with it
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "data/crisis_sms_template_data.xml",
        "views/crisis_impact_views.xml",
        "views/crisis_update_views.xml",
        "wizard/crisis_notify_wizard_views.xml",
        "wizard/crisis_config_settings_views.xml",
    ],
    "installable": True,
    "auto_install": True,
}
