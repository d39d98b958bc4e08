{
    "name": "Crisis Management",
    "version": "18.0.1.0.0",
    "category": "Services/Crisis Management",
    "summary": "Declare crises, reach every affected customer with one voice, "
    "compensate them and learn from it",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["mail"],
    "data": [
        "security/crisis_security.xml",
        "security/ir.model.access.csv",
        "data/crisis_stage_data.xml",
        "views/crisis_stage_views.xml",
        "views/crisis_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crisis_management/static/tests/tours/**/*",
        ],
    },
    "application": True,
    "installable": True,
}
