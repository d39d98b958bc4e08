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
        "data/ir_sequence_data.xml",
        "data/crisis_stage_data.xml",
        "data/crisis_type_data.xml",
        "views/crisis_stage_views.xml",
        "views/crisis_type_views.xml",
        "views/crisis_team_views.xml",
        "views/crisis_playbook_views.xml",
        "views/crisis_action_views.xml",
        "views/crisis_impact_views.xml",
        "views/crisis_crisis_views.xml",
        "views/res_partner_views.xml",
        "wizard/crisis_impact_wizard_views.xml",
        "wizard/crisis_config_settings_views.xml",
        "views/crisis_menus.xml",
    ],
    "demo": [
        "demo/crisis_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crisis_management/static/tests/tours/**/*",
        ],
    },
    "application": True,
    "installable": True,
}
