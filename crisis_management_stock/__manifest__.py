{
    "name": "Crisis Management Inventory",
    "version": "18.0.1.0.0",
    "category": "Services/Crisis Management",
    "summary": "Find the affected customers from what they received (products, lots, serial "
    "numbers), and deliver replacement compensations from the warehouse",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["crisis_management", "stock"],
    "data": [
        "security/ir.model.access.csv",
        "security/crisis_stock_security.xml",
        "views/crisis_impact_views.xml",
        "views/crisis_compensation_views.xml",
        "views/stock_picking_views.xml",
        "views/crisis_portal_templates.xml",
        "wizard/crisis_impact_wizard_views.xml",
        "wizard/crisis_config_settings_views.xml",
    ],
    "demo": ["demo/crisis_stock_demo.xml"],
    "installable": True,
    "auto_install": True,
}
