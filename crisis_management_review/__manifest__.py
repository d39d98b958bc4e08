{
    "name": "Crisis Management Reviews and KPIs",
    "version": "18.0.1.0.0",
    "category": "Services/Crisis Management",
    "summary": "Post-incident reviews with four-eyes approval and corrective actions, the "
    "KPIs of each crisis and the Crisis Analysis",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["crisis_management"],
    "data": [
        "security/ir.model.access.csv",
        "security/crisis_review_security.xml",
        "data/crisis_kpi_data.xml",
        "report/crisis_review_report.xml",
        "views/crisis_review_views.xml",
        "views/crisis_kpi_views.xml",
        "wizard/crisis_config_settings_views.xml",
    ],
    "demo": ["demo/crisis_review_demo.xml"],
    "installable": True,
    "auto_install": True,
}
