from odoo import api, fields, models
from odoo.exceptions import AccessError

# res.company fields a Crisis Manager may change here
COMPANY_FIELDS = [
    "crisis_sla_critical_hours",
    "crisis_sla_high_hours",
    "crisis_sla_medium_hours",
    "crisis_sla_low_hours",
    "crisis_auto_apply_playbook",
    "crisis_compensation_user_limit",
]


class CrisisConfigSettings(models.TransientModel):
    """The crisis settings of the current company, for Crisis Managers.

    Odoo's own Settings page is for administrators only; crisis managers need
    to tune these without being administrators.
    """

    _name = "crisis.config.settings"
    _description = "Crisis Settings"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    crisis_sla_critical_hours = fields.Float(string="Critical", required=True)
    crisis_sla_high_hours = fields.Float(string="High", required=True)
    crisis_sla_medium_hours = fields.Float(string="Medium", required=True)
    crisis_sla_low_hours = fields.Float(string="Low", required=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    crisis_compensation_user_limit = fields.Monetary(
        string="Crisis users approve up to",
        currency_field="currency_id",
        help="A Crisis User may approve another person's compensation up to this amount; "
        "0 means never. Crisis Managers approve any amount.",
    )
    crisis_auto_apply_playbook = fields.Boolean(
        string="Apply playbooks on declaration",
        help="A new crisis gets the action plan of its type's default playbook.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        company = self.env.company
        values.update({name: company[name] for name in COMPANY_FIELDS if name in fields_list})
        return values

    def action_save(self):
        self.ensure_one()
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(self.env._("Only Crisis Managers can change the crisis settings."))
        if self.company_id not in self.env.companies:
            raise AccessError(self.env._("You cannot change the settings of another company."))
        self.company_id.sudo().write({name: self[name] for name in COMPANY_FIELDS})
        return {"type": "ir.actions.act_window_close"}
