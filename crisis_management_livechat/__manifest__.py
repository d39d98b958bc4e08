{
    "name": "Crisis Management Live Chat",
    "version": "18.0.1.0.0",
    "category": "Services/Crisis Management",
    "summary": "Visitors of the live chat read the published crises first: their "
    "customer-facing title and a link to the status page",
    "author": "Crisis Management Contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["crisis_management_status", "im_livechat"],
    "installable": True,
    "auto_install": True,
}
