from odoo import api, fields, models
from odoo.exceptions import AccessError


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
    crisis_sla_critical_hours = fields.Float(
        related="company_id.crisis_sla_critical_hours",
        readonly=False,
        string="Critical",
        required=True,
    )
    crisis_sla_high_hours = fields.Float(
        related="company_id.crisis_sla_high_hours", readonly=False, string="High", required=True
    )
    crisis_sla_medium_hours = fields.Float(
        related="company_id.crisis_sla_medium_hours",
        readonly=False,
        string="Medium",
        required=True,
    )
    crisis_sla_low_hours = fields.Float(
        related="company_id.crisis_sla_low_hours", readonly=False, string="Low", required=True
    )
    crisis_update_critical_hours = fields.Float(
        related="company_id.crisis_update_critical_hours",
        readonly=False,
        string="Critical crises",
        required=True,
    )
    crisis_update_high_hours = fields.Float(
        related="company_id.crisis_update_high_hours",
        readonly=False,
        string="High crises",
        required=True,
    )
    crisis_update_medium_hours = fields.Float(
        related="company_id.crisis_update_medium_hours",
        readonly=False,
        string="Medium crises",
        required=True,
    )
    crisis_update_low_hours = fields.Float(
        related="company_id.crisis_update_low_hours",
        readonly=False,
        string="Low crises",
        required=True,
    )
    crisis_satisfaction_days = fields.Integer(
        related="company_id.crisis_satisfaction_days",
        readonly=False,
        string="Ask for a rating after (days)",
        help="Days after a crisis is resolved before its notified customers are asked "
        "for a satisfaction rating.",
    )
    crisis_step_reminder_hours = fields.Integer(
        related="company_id.crisis_step_reminder_hours",
        readonly=False,
        string="Remind assignees (hours before the deadline)",
        help="Assignees get an activity for an action step this many hours before its "
        "deadline, and for overdue steps.",
    )
    crisis_send_background_threshold = fields.Integer(
        related="company_id.crisis_send_background_threshold",
        readonly=False,
        string="Send in the background above (customers)",
        help="Customer updates to more customers than this are emailed in the background, "
        "in batches, by the sending jobs; smaller ones at once.",
    )
    crisis_war_room_severity = fields.Selection(
        related="company_id.crisis_war_room_severity", readonly=False
    )
    crisis_add_background_threshold = fields.Integer(
        related="company_id.crisis_add_background_threshold",
        readonly=False,
        string="Add customers in the background above",
        help="When more contacts than this match, the Add Affected Customers wizard adds "
        "them in the background, in batches; fewer at once.",
    )
    crisis_call_background_threshold = fields.Integer(
        related="company_id.crisis_call_background_threshold",
        readonly=False,
        string="Schedule calls in the background above (customers)",
        help="Call campaigns for more customers than this are scheduled in the background, "
        "in batches; smaller ones at once.",
    )
    crisis_inbox_hourly_limit = fields.Integer(
        related="company_id.crisis_inbox_hourly_limit",
        readonly=False,
        string="New customers per hour from an inbox",
        help="At most this many unknown senders per hour become self-reported customers of "
        "a crisis through its inbox (email address); the emails of the others are kept on "
        "the crisis as internal notes. 0: the inbox never adds customers.",
    )
    crisis_call_max_tries = fields.Integer(
        related="company_id.crisis_call_max_tries",
        readonly=False,
        string="Call tries per customer",
        help="A customer who does not answer, or asks to be called back, is called again "
        "until this many calls were made.",
    )
    crisis_satisfaction_template_id = fields.Many2one(
        related="company_id.crisis_satisfaction_template_id",
        readonly=False,
        string="Satisfaction request",
        domain="[('model', '=', 'crisis.impact')]",
        help="The email asking notified customers to rate how the crisis was handled.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    crisis_compensation_user_limit = fields.Monetary(
        related="company_id.crisis_compensation_user_limit",
        readonly=False,
        string="Crisis users approve up to",
        currency_field="currency_id",
        help="A Crisis User may approve another person's compensation up to this amount; "
        "0 means never. Crisis Managers approve any amount.",
    )
    crisis_compensation_background_threshold = fields.Integer(
        related="company_id.crisis_compensation_background_threshold",
        readonly=False,
        string="Process in the background above (compensations)",
        help="Proposing a compensation to more affected customers than this, or submitting, "
        "approving, rejecting or delivering more compensations than this at once runs in the "
        "background, in batches, as the user who clicked; fewer at once.",
    )
    crisis_auto_apply_playbook = fields.Boolean(
        related="company_id.crisis_auto_apply_playbook",
        readonly=False,
        string="Apply playbooks on declaration",
        help="A new crisis gets the action plan of its type's default playbook.",
    )
    crisis_statement_four_eyes_severity = fields.Selection(
        related="company_id.crisis_statement_four_eyes_severity",
        readonly=False,
        string="Second approver for",
        help="For crises of this severity or above, the public statement and any other message "
        "sent to the affected customers are approved by a Crisis Manager who did not write "
        "them. Always for high and critical crises.",
    )
    crisis_reach_fallback_severity = fields.Selection(
        related="company_id.crisis_reach_fallback_severity",
        readonly=False,
        string="Reach the others for",
        help="New crises of this severity or above reach the customers their customer updates "
        "did not reach: a text message when the SMS app is installed, then a call task. "
        "Always for high and critical crises.",
    )
    crisis_reach_fallback_hours = fields.Integer(
        related="company_id.crisis_reach_fallback_hours",
        readonly=False,
        string="Not opened after (hours)",
        help="A customer who has not opened their page this many hours after their mail "
        "server accepted a customer update is reached by the next channel.",
    )

    # Odoo's settings are for administrators; crisis managers change these
    # company fields through this dialog only: the related fields write them
    # as superuser once the user is checked
    @api.model_create_multi
    def create(self, vals_list):
        self._crisis_check_may_change(
            self.env["res.company"].browse(
                vals.get("company_id") or self.env.company.id for vals in vals_list
            )
        )
        return super(CrisisConfigSettings, self.sudo()).create(vals_list).sudo(False)

    def write(self, vals):
        self._crisis_check_may_change(self.company_id)
        return super(CrisisConfigSettings, self.sudo()).write(vals)

    @api.model
    def _crisis_check_may_change(self, companies):
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(self.env._("Only Crisis Managers can change the crisis settings."))
        if companies - self.env.companies:
            raise AccessError(self.env._("You cannot change the settings of another company."))

    def action_save(self):
        """The values are saved with the dialog (the related fields): close it."""
        return {"type": "ir.actions.act_window_close"}
