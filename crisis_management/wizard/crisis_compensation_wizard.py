from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..models.crisis_compensation import COMPENSATION_TYPES


class CrisisCompensationWizard(models.TransientModel):
    _name = "crisis.compensation.wizard"
    _inherit = ["crisis.domain.mixin"]
    _description = "Propose a Compensation to Many Customers"

    crisis_id = fields.Many2one("crisis.crisis", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="crisis_id.company_id")
    impact_ids = fields.Many2many("crisis.impact", string="Affected Customers")
    # Empty at first, and an empty filter means every affected customer of this
    # crisis (never of another: see _targets and the widget's crisis_impact_scope
    # context). That is what the filter widget itself says of an empty filter
    # ("all records", with their count in this crisis), what the notify wizard
    # starts with (all affected customers), and the usual goal ("a voucher for
    # everyone hit"): the count is shown before the click, nothing happens
    # without it, and submitted compensations still wait for their approval.
    impact_domain = fields.Char(
        string="Filter",
        help="Used when no affected customer is selected: every affected customer of the "
        "crisis matching this filter gets the compensation (all of them when it is empty).",
    )
    type = fields.Selection(COMPENSATION_TYPES, required=True, default="voucher")
    amount = fields.Monetary(currency_field="currency_id")
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    description = fields.Text()
    submit = fields.Boolean(
        string="Submit for Approval", default=True, help="Otherwise they stay drafts."
    )
    target_count = fields.Integer(string="Customers", compute="_compute_target_count")
    filter_error = fields.Char(compute="_compute_target_count")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "crisis.impact" and context.get("active_ids"):
            impacts = self.env["crisis.impact"].browse(context["active_ids"])
            values["impact_ids"] = [fields.Command.set(impacts.ids)]
            if len(impacts.crisis_id) == 1:
                values["crisis_id"] = impacts.crisis_id.id
        return values

    @api.depends("impact_ids", "impact_domain", "crisis_id")
    def _compute_target_count(self):
        for wizard in self:
            wizard.filter_error = False
            try:
                wizard.target_count = len(wizard._targets())
            except UserError as error:
                wizard.target_count = 0
                wizard.filter_error = error.args[0]

    def _targets(self):
        self.ensure_one()
        if self.impact_ids:
            if self.impact_ids.crisis_id != self.crisis_id:
                raise UserError(self.env._("Select affected customers of one crisis only."))
            return self.impact_ids
        domain = self._crisis_parse_domain(self.impact_domain, "crisis.impact")
        return self.env["crisis.impact"].search(
            expression.AND([[("crisis_id", "=", self.crisis_id.id)], domain])
        )

    def action_propose(self):
        self.ensure_one()
        targets = self._targets()
        if not targets:
            raise UserError(self.env._("No affected customer matches: nothing was proposed."))
        values = {
            "type": self.type,
            "amount": self.amount,
            "currency_id": self.currency_id.id,
            "description": self.description,
        }
        if len(targets) > self.crisis_id.company_id.crisis_compensation_background_threshold:
            return self._propose_in_background(targets, values)
        compensations = self.env["crisis.compensation"]._propose_to(
            targets, values, submit=self.submit
        )
        kind = dict(self._fields["type"]._description_selection(self.env))[self.type]
        count = len(compensations)
        if self.submit:
            message = (
                self.env._("1 compensation proposed (%(type)s), waiting for approval.", type=kind)
                if count == 1
                else self.env._(
                    "%(count)s compensations proposed (%(type)s), waiting for approval.",
                    count=count,
                    type=kind,
                )
            )
            # one notice to the crisis' followers of compensations to approve,
            # not one per compensation
            self.crisis_id.message_post(
                body=message, subtype_xmlid="crisis_management.mt_crisis_compensation_to_approve"
            )
        else:
            message = (
                self.env._("1 compensation proposed (%(type)s).", type=kind)
                if count == 1
                else self.env._(
                    "%(count)s compensations proposed (%(type)s).", count=count, type=kind
                )
            )
            self.crisis_id.message_post(body=message)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Compensations"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _propose_in_background(self, targets, values):
        """More affected customers than the company's threshold: the checks
        of the click now, the compensations made by a background job
        (``crisis.compensation.propose.job``); the crisis says when it is done.

        :return: the notification telling so
        """
        self.env["crisis.compensation"]._crisis_check_propose(targets, values)
        self.env["crisis.compensation.propose.job"]._crisis_queue(
            self.crisis_id, targets, values, self.submit
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Compensations"),
                "message": self.env._(
                    "A compensation is being proposed to %(count)s affected customers in the "
                    "background. The chatter of the crisis says when it is done; Crisis > "
                    "Background Jobs shows the progress.",
                    count=len(targets),
                ),
                "type": "info",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
