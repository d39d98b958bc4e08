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
    "crisis_update_critical_hours",
    "crisis_update_high_hours",
    "crisis_update_medium_hours",
    "crisis_update_low_hours",
    "crisis_satisfaction_days",
    "crisis_satisfaction_template_id",
    "crisis_step_reminder_hours",
    "crisis_send_background_threshold",
    "crisis_add_background_threshold",
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
    crisis_update_critical_hours = fields.Float(string="Critical crises", required=True)
    crisis_update_high_hours = fields.Float(string="High crises", required=True)
    crisis_update_medium_hours = fields.Float(string="Medium crises", required=True)
    crisis_update_low_hours = fields.Float(string="Low crises", required=True)
    crisis_satisfaction_days = fields.Integer(
        string="Ask for a rating after (days)",
        help="Days after a crisis is resolved before its notified customers are asked "
        "for a satisfaction rating.",
    )
    crisis_step_reminder_hours = fields.Integer(
        string="Remind assignees (hours before the deadline)",
        help="Assignees get an activity for an action step this many hours before its "
        "deadline, and for overdue steps.",
    )
    crisis_send_background_threshold = fields.Integer(
        string="Send in the background above (customers)",
        help="Customer updates to more customers than this are emailed in the background, "
        "in batches, by the sending jobs; smaller ones at once.",
    )
    crisis_add_background_threshold = fields.Integer(
        string="Add customers in the background above",
        help="When more contacts than this match, the Add Affected Customers wizard adds "
        "them in the background, in batches; fewer at once.",
    )
    crisis_satisfaction_template_id = fields.Many2one(
        "mail.template",
        string="Satisfaction request",
        domain="[('model', '=', 'crisis.impact')]",
        help="The email asking notified customers to rate how the crisis was handled.",
    )
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
        if "crisis_satisfaction_template_id" in fields_list:
            values["crisis_satisfaction_template_id"] = company._crisis_satisfaction_template().id
        return values

    def action_save(self):
        self.ensure_one()
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(self.env._("Only Crisis Managers can change the crisis settings."))
        if self.company_id not in self.env.companies:
            raise AccessError(self.env._("You cannot change the settings of another company."))
        self.company_id.sudo().write({name: self[name] for name in COMPANY_FIELDS})
        return {"type": "ir.actions.act_window_close"}
