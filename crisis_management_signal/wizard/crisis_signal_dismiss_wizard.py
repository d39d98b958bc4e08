from odoo import fields, models


class CrisisSignalDismissWizard(models.TransientModel):
    _name = "crisis.signal.dismiss.wizard"
    _description = "Dismiss a Suspected Crisis"

    crisis_ids = fields.Many2many("crisis.crisis", string="Suspected Crises", required=True)
    reason = fields.Text(
        required=True,
        help="Why it is a false alarm: kept on the crisis and listed on its signal rule, to "
        "tune the rule.",
    )

    def action_dismiss(self):
        self.ensure_one()
        self.crisis_ids._signal_dismiss(self.reason)
        return {"type": "ir.actions.act_window_close"}
