from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .crisis_type import SEVERITIES

SEVERITY_KEYS = ("critical", "high", "medium", "low")
# upper bounds of the durations the addon computes dates with (timedelta overflows
# far beyond them): one year in hours, in days, and ten years in months
MAX_HOURS = 8760
MAX_DAYS = 365
MAX_MONTHS = 120
# the most self-reported customers a crisis inbox may add per hour
MAX_INBOX_HOURLY_LIMIT = 100000

# code: (name, prefix, use date ranges)
SEQUENCES = {
    "crisis.crisis": ("Crisis reference", "CRI/%(range_year)s/", True),
    "crisis.compensation": ("Compensation reference", "CMP/%(range_year)s/", True),
}


class ResCompany(models.Model):
    _inherit = "res.company"

    crisis_sla_critical_hours = fields.Float(string="Critical Crisis Response Time", default=1.0)
    crisis_sla_high_hours = fields.Float(string="High Crisis Response Time", default=4.0)
    crisis_sla_medium_hours = fields.Float(string="Medium Crisis Response Time", default=24.0)
    crisis_sla_low_hours = fields.Float(string="Low Crisis Response Time", default=72.0)
    crisis_compensation_user_limit = fields.Monetary(
        string="Compensation Approval Limit for Crisis Users",
        currency_field="currency_id",
        default=0.0,
        help="A Crisis User may approve another person's compensation up to this amount "
        "(company currency); 0 means never. Crisis Managers approve any amount.",
    )
    crisis_update_critical_hours = fields.Float(
        string="Critical Crisis Update Interval", default=4.0
    )
    crisis_update_high_hours = fields.Float(string="High Crisis Update Interval", default=12.0)
    crisis_update_medium_hours = fields.Float(string="Medium Crisis Update Interval", default=24.0)
    crisis_update_low_hours = fields.Float(string="Low Crisis Update Interval", default=72.0)
    crisis_satisfaction_days = fields.Integer(
        string="Satisfaction Survey Delay",
        default=3,
        help="Days after a crisis is resolved before its notified customers are asked "
        "for a satisfaction rating.",
    )
    crisis_step_reminder_hours = fields.Integer(
        string="Step Reminder Lead Time",
        default=24,
        help="Assignees are reminded of an action step this many hours before its deadline.",
    )
    crisis_send_background_threshold = fields.Integer(
        string="Send in the Background Above",
        default=500,
        help="Customer updates to more customers than this are emailed in the background, "
        "in batches, by the sending jobs; smaller ones at once.",
    )
    crisis_war_room_severity = fields.Selection(
        [*SEVERITIES],
        string="War Room From",
        default="high",
        help="Declaring a crisis of at least this severity (or escalating it to it) opens a "
        "Discuss channel for its team. Empty: never by itself.",
    )
    crisis_add_background_threshold = fields.Integer(
        string="Add Customers in the Background Above",
        default=2000,
        help="When more contacts than this match, the Add Affected Customers wizard adds "
        "them in the background, in batches; fewer at once.",
    )
    crisis_call_background_threshold = fields.Integer(
        string="Schedule Calls in the Background Above",
        default=1000,
        help="Call campaigns for more customers than this are scheduled in the background, "
        "in batches; smaller ones at once.",
    )
    crisis_compensation_background_threshold = fields.Integer(
        string="Process Compensations in the Background Above",
        default=200,
        help="Proposing a compensation to more affected customers than this, or submitting, "
        "approving, rejecting or delivering more compensations than this at once runs in the "
        "background, in batches, as the user who clicked; fewer at once.",
    )
    crisis_inbox_hourly_limit = fields.Integer(
        string="New Customers per Hour from a Crisis Inbox",
        default=50,
        help="At most this many unknown senders per hour become self-reported customers of "
        "a crisis through its inbox; the emails of the others are kept on the crisis as "
        "internal notes. 0: the inbox never adds customers.",
    )
    crisis_call_max_tries = fields.Integer(
        string="Call Tries per Customer",
        default=3,
        help="A customer who does not answer, or asks to be called back, is called again "
        "the next day (or on the chosen date) until this many calls were made.",
    )
    crisis_satisfaction_template_id = fields.Many2one(
        "mail.template",
        string="Satisfaction Request Template",
        domain="[('model', '=', 'crisis.impact')]",
        help="Empty: the template shipped with the module.",
    )
    crisis_auto_apply_playbook = fields.Boolean(
        string="Apply Playbooks on Declaration",
        default=True,
        help="A new crisis gets the action plan of its type's default playbook.",
    )
    crisis_statement_four_eyes_severity = fields.Selection(
        [
            ("low", "Every crisis"),
            ("medium", "Medium, high and critical crises"),
            ("high", "High and critical crises"),
        ],
        string="Second Approver for What Customers Read",
        default="high",
        required=True,
        help="For crises of this severity or above, the public statement and any other message "
        "sent to the affected customers are approved by a Crisis Manager who did not write "
        "them. Always for high and critical crises.",
    )

    crisis_reach_fallback_severity = fields.Selection(
        [
            ("low", "Every crisis"),
            ("medium", "Medium, high and critical crises"),
            ("high", "High and critical crises"),
        ],
        string="Reach the Others",
        default="high",
        required=True,
        help="New crises of this severity or above reach the customers their customer updates "
        "did not reach (email failed or bounced, or not opened in time): a text message when "
        "the SMS app is installed, then a call task. Always for high and critical crises; "
        "each crisis can still change it.",
    )
    crisis_reach_fallback_hours = fields.Integer(
        string="Not Opened After (Hours)",
        default=12,
        required=True,
        help="A customer who has not opened their page this many hours after their mail "
        "server accepted a customer update is reached by the next channel.",
    )

    @api.constrains(
        "crisis_sla_critical_hours",
        "crisis_sla_high_hours",
        "crisis_sla_medium_hours",
        "crisis_sla_low_hours",
    )
    def _check_crisis_sla_hours(self):
        for company in self:
            hours = [
                company.crisis_sla_critical_hours,
                company.crisis_sla_high_hours,
                company.crisis_sla_medium_hours,
                company.crisis_sla_low_hours,
            ]
            if any(h <= 0 for h in hours):
                raise ValidationError(
                    self.env._("Crisis response times must be longer than zero hours.")
                )
            if any(h > MAX_HOURS for h in hours):
                raise ValidationError(
                    self.env._(
                        "Crisis response times cannot be longer than %(max)s hours (one year).",
                        max=MAX_HOURS,
                    )
                )

    @api.constrains(
        "crisis_update_critical_hours",
        "crisis_update_high_hours",
        "crisis_update_medium_hours",
        "crisis_update_low_hours",
        "crisis_satisfaction_days",
        "crisis_step_reminder_hours",
    )
    def _check_crisis_update_intervals(self):
        for company in self:
            hours = [company._crisis_update_hours(severity) for severity in SEVERITY_KEYS]
            if any(h <= 0 for h in hours):
                raise ValidationError(
                    self.env._("Customer update intervals must be longer than zero hours.")
                )
            if any(h > MAX_HOURS for h in hours):
                raise ValidationError(
                    self.env._(
                        "Customer update intervals cannot be longer than %(max)s hours "
                        "(one year).",
                        max=MAX_HOURS,
                    )
                )
            if company.crisis_step_reminder_hours < 0:
                raise ValidationError(
                    self.env._("The step reminder lead time cannot be negative.")
                )
            if company.crisis_step_reminder_hours > MAX_HOURS:
                raise ValidationError(
                    self.env._(
                        "The step reminder lead time cannot be longer than %(max)s hours "
                        "(one year).",
                        max=MAX_HOURS,
                    )
                )
            if company.crisis_satisfaction_days < 0:
                raise ValidationError(
                    self.env._("The satisfaction survey delay cannot be negative.")
                )
            if company.crisis_satisfaction_days > MAX_DAYS:
                raise ValidationError(
                    self.env._(
                        "The satisfaction survey delay cannot be longer than %(max)s days "
                        "(one year).",
                        max=MAX_DAYS,
                    )
                )

    @api.constrains("crisis_send_background_threshold", "crisis_add_background_threshold")
    def _check_crisis_send_background_threshold(self):
        if any(
            company.crisis_send_background_threshold < 0
            or company.crisis_add_background_threshold < 0
            for company in self
        ):
            raise ValidationError(
                self.env._("The numbers of customers handled at once cannot be negative.")
            )

    @api.constrains("crisis_compensation_background_threshold")
    def _check_crisis_compensation_background_threshold(self):
        if any(company.crisis_compensation_background_threshold < 0 for company in self):
            raise ValidationError(
                self.env._("The numbers of compensations handled at once cannot be negative.")
            )

    @api.constrains("crisis_call_background_threshold", "crisis_call_max_tries")
    def _check_crisis_call_settings(self):
        for company in self:
            if company.crisis_call_background_threshold < 0:
                raise ValidationError(
                    self.env._("The numbers of customers handled at once cannot be negative.")
                )
            if company.crisis_call_max_tries < 1:
                raise ValidationError(
                    self.env._("A customer is called at least once: set at least one try.")
                )

    @api.constrains("crisis_inbox_hourly_limit")
    def _check_crisis_inbox_hourly_limit(self):
        for company in self:
            if not 0 <= company.crisis_inbox_hourly_limit <= MAX_INBOX_HOURLY_LIMIT:
                raise ValidationError(
                    self.env._(
                        "The new customers per hour from a crisis inbox must be between 0 and "
                        "%(max)s.",
                        max=MAX_INBOX_HOURLY_LIMIT,
                    )
                )

    @api.constrains("crisis_compensation_user_limit")
    def _check_crisis_compensation_user_limit(self):
        if any(company.crisis_compensation_user_limit < 0 for company in self):
            raise ValidationError(
                self.env._("The compensation approval limit cannot be negative.")
            )

    @api.constrains("crisis_reach_fallback_hours")
    def _check_crisis_reach_fallback_hours(self):
        for company in self:
            if company.crisis_reach_fallback_hours < 1:
                raise ValidationError(
                    self.env._(
                        "The hours after which an unopened customer update is followed by "
                        "another channel must be at least 1."
                    )
                )

    def _crisis_sla_hours(self, severity):
        self.ensure_one()
        return self[f"crisis_sla_{severity or 'medium'}_hours"]

    def _crisis_update_hours(self, severity):
        self.ensure_one()
        return self[f"crisis_update_{severity or 'medium'}_hours"]

    def _crisis_satisfaction_template(self):
        self.ensure_one()
        return self.crisis_satisfaction_template_id or self.env.ref(
            "crisis_management.mail_template_impact_satisfaction", raise_if_not_found=False
        )

    def _crisis_sequence(self, code="crisis.crisis"):
        """This company's sequence ``code`` (see SEQUENCES), created on first use."""
        self.ensure_one()
        Sequence = self.env["ir.sequence"].sudo()
        sequence = Sequence.search([("code", "=", code), ("company_id", "=", self.id)], limit=1)
        if not sequence:
            name, prefix, use_date_range = SEQUENCES[code]
            sequence = Sequence.create(
                {
                    "name": f"{name} ({self.name})",
                    "code": code,
                    "company_id": self.id,
                    "prefix": prefix,
                    "padding": 4,
                    "use_date_range": use_date_range,
                }
            )
        return sequence

    def _crisis_next_references(self, code, count, date=None):
        """``count`` new references of sequence ``code`` for ``date``, in one query.

        What ``count`` calls of ``next_by_id(sequence_date=date)`` give: with
        date ranges, the numbers of the range holding ``date`` (today by
        default; the range is made on first use, as Odoo's ``_next`` does),
        drawn at once from the PostgreSQL sequence of the standard
        implementation (the range's own ``ir_sequence_XXX_YYY``). The "no gap"
        implementation draws them one by one.
        """
        sequence = self._crisis_sequence(code)
        if count <= 0:
            return []
        if sequence.implementation != "standard":
            return [sequence.next_by_id(sequence_date=date) for _i in range(count)]
        if sequence.use_date_range:
            date = date or self.env.context.get("ir_sequence_date") or fields.Date.today()
            date_range = sequence._get_current_sequence(sequence_date=date)
            pg_sequence = f"ir_sequence_{sequence.id:03d}_{date_range.id:03d}"
            sequence = sequence.with_context(ir_sequence_date_range=date_range.date_from)
        else:
            pg_sequence = f"ir_sequence_{sequence.id:03d}"
        self.env.cr.execute(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", pg_sequence, count)
        )
        # the prefix and suffix of this draw, interpolated once
        prefix, suffix = sequence._get_prefix_suffix()
        number_format = f"%0{sequence.padding}d"
        return [prefix + number_format % number + suffix for (number,) in self.env.cr.fetchall()]
