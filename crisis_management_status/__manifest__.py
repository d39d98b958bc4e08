{
    "name": "Crisis Management Status Page",
    "version": "18.0.1.1.0",
    "category": "Services/Crisis Management",
    "summary": "A public status page of the published crises, with subscriptions to their "
    "updates (double opt-in), Atom feeds, a JSON summary and webhooks",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    # public pages without login: installed on purpose, never by itself
    "depends": ["crisis_management"],
    "data": [
        "security/ir.model.access.csv",
        "security/crisis_subscription_security.xml",
        "security/crisis_webhook_security.xml",
        "data/crisis_subscription_mail_data.xml",
        "data/ir_cron_data.xml",
        "views/crisis_status_views.xml",
        "views/crisis_status_templates.xml",
        "views/crisis_subscription_views.xml",
        "views/crisis_subscription_templates.xml",
        "views/crisis_webhook_views.xml",
    ],
    "demo": ["demo/crisis_status_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "crisis_management_status/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "auto_install": False,
}
