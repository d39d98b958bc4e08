from odoo import Command, api, models


class CrisisImpactSelectionMixin(models.AbstractModel):
    """A wizard opened on affected customers: from a crisis (its customers),
    or on a selection in the list of affected customers (those lines, of one
    crisis), which it starts with.

    The wizard has the fields ``crisis_id``, ``impact_ids`` and ``audience``;
    ``_crisis_selection_audience`` is the audience a selection starts with.
    """

    _name = "crisis.impact.selection.mixin"
    _description = "Crisis: Wizard on Selected Affected Customers"
    _crisis_selection_audience = "selection"

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        impacts = self.env["crisis.impact"]._crisis_context_selection()
        if impacts:
            values["crisis_id"] = impacts.crisis_id.id
            values["impact_ids"] = [Command.set(impacts.ids)]
            values["audience"] = self._crisis_selection_audience
        return values
