{
    "name": "Crisis Management Early Warning",
    "version": "18.0.1.0.0",
    "category": "Services/Crisis Management",
    "summary": "Signal rules count complaints, bad ratings or any records and raise a "
    "suspected crisis when a threshold is crossed",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["crisis_management"],
    "data": [
        "security/ir.model.access.csv",
        "security/crisis_signal_security.xml",
        "data/crisis_signal_data.xml",
        "wizard/crisis_signal_dismiss_wizard_views.xml",
        "views/crisis_crisis_signal_views.xml",
        "views/crisis_signal_rule_views.xml",
    ],
    "demo": ["demo/crisis_signal_demo.xml"],
    "installable": True,
    "auto_install": True,
}
