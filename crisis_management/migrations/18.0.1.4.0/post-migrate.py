"""The shipped stages say what customers read of them (``customer_status``).

The stages are ``noupdate`` data: an upgrade does not reload them. The new
column starts as *Investigating*; the shipped stages get the status their
fresh install has, unless someone changed it already.
"""

from odoo import SUPERUSER_ID, api

STATUSES = {
    "crisis_management.crisis_stage_responding": "identified",
    "crisis_management.crisis_stage_monitoring": "monitoring",
    "crisis_management.crisis_stage_resolved": "resolved",
    "crisis_management.crisis_stage_closed": "resolved",
}


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, status in STATUSES.items():
        stage = env.ref(xmlid, raise_if_not_found=False)
        if stage and stage.customer_status == "investigating":
            stage.customer_status = status
    # other stages: resolved ones read as resolved
    env["crisis.stage"].with_context(active_test=False).search(
        [("is_resolved", "=", True), ("customer_status", "=", "investigating")]
    ).customer_status = "resolved"
