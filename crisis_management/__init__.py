from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from . import controllers
from . import models
from . import wizard


def uninstall_hook(env):
    """Delete the crises before Odoo deletes the module's records.

    Crises hold on to their stages (ondelete restrict) and compensations to
    the affected-customer lines: Odoo could not delete the stages, and every
    attempt would log an error. Deleted through the ORM, the lines take their
    ratings, messages, followers and activities with them.
    """
    env = env(context={**env.context, MODULE_UNINSTALL_FLAG: True, "active_test": False})
    env["crisis.compensation"].sudo().search([]).unlink()
    env["crisis.crisis"].sudo().search([]).unlink()
    # the activities left of the module's activity types (playbook reviews):
    # they would hold the types back (ondelete restrict)
    types = env["ir.model.data"].search(
        [("module", "=", "crisis_management"), ("model", "=", "mail.activity.type")]
    )
    env["mail.activity"].sudo().search(
        [("activity_type_id", "in", types.mapped("res_id"))]
    ).unlink()
