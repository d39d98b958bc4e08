from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

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
