from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

CALL_AUDIENCES = [
    ("priority", "Priority customers and customers emails do not reach"),
    ("all", "Every customer"),
]


class CrisisCallWizard(models.TransientModel):
    """Call Customers: a call activity for each chosen affected customer.

    From the crisis (its affected customers) or from a selection of lines
    (those lines). The audience is, by default, the priority customers and
    those emails do not reach (no valid address, or blacklisted); or every
    customer. Lines with an open call already, and customers without any
    phone number, are skipped and counted.
    """

    _name = "crisis.call.wizard"
    _inherit = ["crisis.impact.selection.mixin"]
    _description = "Call Affected Customers"
    # "Call Customers" on a selection of affected customers: all of them
    _crisis_selection_audience = "all"

    crisis_id = fields.Many2one("crisis.crisis", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="crisis_id.company_id")
    is_drill = fields.Boolean(related="crisis_id.is_drill")
    impact_ids = fields.Many2many("crisis.impact", string="Selected Customers")
    audience = fields.Selection(
        CALL_AUDIENCES,
        string="Call",
        required=True,
        default="priority",
        help="Emails do not reach customers without a valid email address or whose address "
        "is blacklisted. Customers who unsubscribed from this crisis are called only when "
        "they are priority customers, or with Every customer.",
    )
    call_count = fields.Integer(string="Calls to Schedule", compute="_compute_counts")
    scheduled_count = fields.Integer(
        string="Already Scheduled",
        compute="_compute_counts",
        help="Customers with an open call activity already: skipped.",
    )
    no_phone_count = fields.Integer(
        string="Without Phone",
        compute="_compute_counts",
        help="Customers without a phone or mobile number: skipped.",
    )
    date_deadline = fields.Date(
        string="Due On",
        compute="_compute_date_deadline",
        help="Within the response time of the crisis's severity (Crisis Settings).",
    )
    assignment = fields.Text(string="Assigned To", compute="_compute_assignment")

    def _target_domain(self):
        self.ensure_one()
        domain = [("crisis_id", "=", self.crisis_id.id)]
        if self.impact_ids:
            domain.append(("id", "in", self.impact_ids._origin.ids))
        return domain

    @api.depends("crisis_id", "impact_ids", "audience")
    def _compute_counts(self):
        Impact = self.env["crisis.impact"]
        for wizard in self:
            if not wizard.crisis_id:
                wizard.call_count = wizard.scheduled_count = wizard.no_phone_count = 0
                continue
            counts = Impact._crisis_count_call_states(wizard._target_domain(), wizard.audience)
            wizard.call_count = counts["call"]
            wizard.scheduled_count = counts["scheduled"]
            wizard.no_phone_count = counts["no_phone"]

    @api.depends("crisis_id.severity", "crisis_id.company_id")
    def _compute_date_deadline(self):
        for wizard in self:
            wizard.date_deadline = wizard.crisis_id and wizard.crisis_id._crisis_call_deadline()

    @api.depends("crisis_id")
    def _compute_assignment(self):
        for wizard in self:
            crisis = wizard.crisis_id
            if not crisis:
                wizard.assignment = False
                continue
            callers = crisis._crisis_call_callers()
            if callers:
                wizard.assignment = self.env._(
                    "Each customer's agent. Customers without an agent are shared in turn "
                    "between the customer service of the crisis team: %(names)s.",
                    names=", ".join(callers.mapped("name")),
                )
            else:
                lead = crisis.sudo().user_id or self.env.user
                wizard.assignment = self.env._(
                    "Each customer's agent. The crisis team has no customer service member: "
                    "customers without an agent are called by %(lead)s.",
                    lead=lead.name,
                )

    def action_schedule(self):
        """Schedule the calls: now, or in the background above the company's threshold."""
        self.ensure_one()
        crisis = self.crisis_id
        if crisis.is_closed:
            raise UserError(
                self.env._(
                    "%(crisis)s is closed: no more calls are made for it.",
                    crisis=crisis.display_name,
                )
            )
        crisis.check_access("write")
        domain = self._target_domain()
        counts = self.env["crisis.impact"]._crisis_count_call_states(domain, self.audience)
        total = counts["call"]
        if not total:
            raise UserError(
                self.env._(
                    "Nobody to call: %(scheduled)s customer(s) already have a call to make, "
                    "%(no_phone)s have no phone number.",
                    scheduled=counts["scheduled"],
                    no_phone=counts["no_phone"],
                )
            )
        deadline = crisis._crisis_call_deadline()
        skipped = self.env._(
            "Skipped: %(scheduled)s already scheduled, %(no_phone)s without phone.",
            scheduled=counts["scheduled"],
            no_phone=counts["no_phone"],
        )
        if total > crisis.company_id.crisis_call_background_threshold:
            self.env["crisis.impact.job"]._crisis_queue_calls(
                crisis, domain, self.audience, sum(counts.values()), deadline
            )
            message = self.env._(
                "%(count)s calls are being scheduled in the background. The crisis's chatter "
                "says when they are all scheduled.",
                count=total,
            )
            return self._crisis_notification(f"{message} {skipped}", "info")
        Impact = self.env["crisis.impact"]
        states = Impact._crisis_call_states(domain, self.audience)
        lines = Impact.browse(id_ for id_, state in states if state == "call")
        lines.check_access("write")
        activities, _turn = lines._crisis_schedule_calls(deadline)
        message = self.env._(
            "%(count)s calls scheduled, due on %(date)s. %(skipped)s",
            count=len(activities),
            date=fields.Date.to_string(deadline),
            skipped=skipped,
        )
        crisis.message_post(body=message)
        return self._crisis_notification(message, "success")

    def _crisis_notification(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Call campaign"),
                "message": message,
                "type": kind,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }


class CrisisCallBackWizard(models.TransientModel):
    """Call Back Later: the customer asked to be called back on a given day."""

    _name = "crisis.call.back.wizard"
    _description = "Call Back Later"

    impact_ids = fields.Many2many("crisis.impact", string="Customers", required=True)
    date = fields.Date(
        string="Call Back On",
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=1),
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "crisis.impact" and context.get("active_ids"):
            values["impact_ids"] = [fields.Command.set(context["active_ids"])]
        return values

    def action_confirm(self):
        self.ensure_one()
        self.impact_ids.action_call_back_later(date=self.date)
        return {"type": "ir.actions.act_window_close"}
