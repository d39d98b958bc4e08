{
    "name": "Crisis Management Sales",
    "version": "18.0.1.0.0",
    "category": "Services/Crisis Management",
    "summary": "Add the customers who ordered a product, measure the revenue kept against "
    "comparable customers, and warn of affected customers who stopped ordering",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["crisis_management_review", "sale"],
    "data": [
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "views/crisis_crisis_views.xml",
        "views/crisis_impact_views.xml",
        "views/crisis_portal_templates.xml",
        "views/crisis_menus.xml",
        "wizard/crisis_impact_wizard_views.xml",
        "wizard/crisis_config_settings_views.xml",
    ],
    "demo": ["demo/crisis_sale_demo.xml"],
    "installable": True,
    "auto_install": True,
}
