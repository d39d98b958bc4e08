from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.crisis_management.models.crisis_workflow_mixin import WORKFLOW, as_workflow


class StockPicking(models.Model):
    """The deliveries and returns of replacement compensations.

    A replacement is delivered when its delivery is done; a delivery
    cancelled before that leaves it approved, told so in its chatter. The
    hooks are the moves' ``_action_done`` and ``_action_cancel``, the doors
    every validation and cancellation goes through (``stock.move``).
    """

    _inherit = "stock.picking"

    crisis_compensation_id = fields.Many2one(
        "crisis.compensation",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="crisis_management.group_crisis_user",
        help="The crisis compensation this transfer ships (a replacement) or takes back "
        "(the affected units).",
    )
    has_crisis_compensation = fields.Boolean(compute="_compute_has_crisis_compensation")

    def _compute_has_crisis_compensation(self):
        # sudo: whether there is one, for the warehouse team outside the crisis team
        for picking in self:
            picking.has_crisis_compensation = bool(picking.sudo().crisis_compensation_id)

    @api.model_create_multi
    def create(self, vals_list):
        self._crisis_check_link(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._crisis_check_link([vals])
        return super().write(vals)

    def action_view_crisis_compensation(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Compensation"),
            "res_model": "crisis.compensation",
            "view_mode": "form",
            "views": [(False, "form")],
            "res_id": self.crisis_compensation_id.id,
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _crisis_check_link(self, vals_list):
        """The link to a compensation is made by delivering it, not by hand."""
        if self.env.su or self.env.context.get("crisis_workflow") is WORKFLOW:
            return
        if any(vals.get("crisis_compensation_id") for vals in vals_list):
            raise UserError(
                self.env._(
                    "The transfers of a compensation are made by delivering it (Deliver on the "
                    "compensation), not by hand."
                )
            )

    def _crisis_sync_compensations(self):
        """Deliver the approved replacements whose delivery is now done; tell
        those whose delivery was cancelled.

        sudo: validating or cancelling is the warehouse's decision, whose
        people need not be in the crisis team; only the workflow fields are
        written.
        """
        pickings = self.sudo().filtered(
            lambda p: p.crisis_compensation_id and p.picking_type_code == "outgoing"
        )
        delivered = self.env["crisis.compensation"].sudo()
        bodies = {}
        for picking in pickings:
            compensation = picking.crisis_compensation_id
            if compensation.state != "approved" or compensation.id in bodies:
                continue
            if picking.state == "done":
                delivered |= compensation
                bodies[compensation.id] = self.env._(
                    "Delivered: the delivery %(picking)s is done.",
                    picking=picking._get_html_link(),
                )
            elif picking.state == "cancel" and not compensation._crisis_replacement_deliveries():
                bodies[compensation.id] = self.env._(
                    "The delivery %(picking)s was cancelled: the compensation is still "
                    "approved. Deliver it again to make a new delivery.",
                    picking=picking._get_html_link(),
                )
        if delivered:
            as_workflow(delivered).write(
                {"state": "delivered", "date_delivered": fields.Datetime.now()}
            )
        if bodies:
            compensations = self.env["crisis.compensation"].sudo().browse(list(bodies))
            compensations._message_log_batch(bodies=bodies, author_id=self.env.user.partner_id.id)
