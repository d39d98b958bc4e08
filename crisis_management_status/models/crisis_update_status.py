from odoo import api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow


class CrisisUpdate(models.Model):
    """Customer updates shown on the public status page, by choice."""

    _inherit = "crisis.update"  # pylint: disable=consider-merging-classes-inherited

    is_public = fields.Boolean(
        string="On the Status Page",
        readonly=True,
        copy=False,
        index=True,
        help="Shown on the public status page with its subject, date and text, while its "
        "crisis is published.",
    )

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded["is_public"] = True
        return guarded

    def _crisis_set_public(self, public):
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(
                self.env._("Only a Crisis Manager can show or hide an update on the status page.")
            )
        self.check_access("read")
        # sudo: updates are written only by the sends and the workflow buttons
        as_workflow(self.sudo()).write({"is_public": public})
        return True

    def action_make_public(self):
        """Show the updates on the public status page."""
        return self._crisis_set_public(True)

    def action_make_private(self):
        """Take the updates off the public status page."""
        return self._crisis_set_public(False)
