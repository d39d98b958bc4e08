{
    "name": "Crisis Management Dashboard",
    "version": "18.0.1.1.0",
    "category": "Productivity/Dashboard",
    "summary": "The crisis dashboard in the Dashboards app: open crises, SLA breaches, "
    "customers notified, compensation cost, ratings, response times, corrective actions",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["spreadsheet_dashboard", "crisis_management_review"],
    "data": [
        "data/dashboards.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "spreadsheet_dashboard_crisis_management/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "auto_install": True,
}
