from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.crisis_management.models.crisis_workflow_mixin import WORKFLOW, as_workflow


class AccountMove(models.Model):
    """The credit notes of crisis compensations, and what their life does to them.

    A compensation is delivered while its credit note is posted: posting it
    delivers the compensation, resetting it to draft or cancelling it sends
    the compensation back to approved, with a message in its chatter. The
    hook is ``write`` of ``state``, the one door every path goes through
    (``_post``, ``button_draft``, ``button_cancel``, reversals, imports).
    """

    _inherit = "account.move"

    crisis_compensation_ids = fields.Many2many(
        "crisis.compensation",
        "crisis_compensation_account_move_rel",
        "move_id",
        "compensation_id",
        string="Crisis Compensations",
        readonly=True,
        copy=False,
        groups="crisis_management.group_crisis_user",
        help="The crisis compensations this credit note pays: posting it delivers them.",
    )
    crisis_compensation_count = fields.Integer(
        string="Compensations", compute="_compute_crisis_compensation_count"
    )

    @api.depends("crisis_compensation_ids")
    def _compute_crisis_compensation_count(self):
        # sudo: the count, for accountants outside the crisis team too
        for move in self:
            move.crisis_compensation_count = len(move.sudo().crisis_compensation_ids)

    @api.model_create_multi
    def create(self, vals_list):
        self._crisis_check_link(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._crisis_check_link([vals])
        result = super().write(vals)
        if "state" in vals:
            self._crisis_sync_compensations()
        return result

    def unlink(self):
        # a deleted draft credit note: its compensations stay approved, told so
        compensations = self.sudo().crisis_compensation_ids.filtered(lambda c: c.move_id in self)
        bodies = {
            compensation.id: self.env._(
                "The draft credit note of this compensation was deleted: deliver it again to "
                "make a new one."
            )
            for compensation in compensations
        }
        result = super().unlink()
        if bodies:
            compensations.exists()._message_log_batch(bodies=bodies)
        return result

    def button_draft(self):
        """A cancelled credit note comes back only if its compensations have no
        other one and may still be delivered: never two for one compensation."""
        for move in self.filtered(lambda m: m.state == "cancel"):
            for compensation in move.sudo().crisis_compensation_ids:
                if compensation.move_id or compensation.state != "approved":
                    raise UserError(
                        self.env._(
                            "%(move)s cannot go back to draft: its compensation %(reference)s "
                            "already has another credit note or is no longer approved.",
                            move=move.display_name,
                            reference=compensation.reference,
                        )
                    )
        return super().button_draft()

    def action_view_crisis_compensations(self):
        self.ensure_one()
        compensations = self.crisis_compensation_ids
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Compensations"),
            "res_model": "crisis.compensation",
            "context": {"create": False},
        }
        if len(compensations) == 1:
            action.update(view_mode="form", views=[(False, "form")], res_id=compensations.id)
        else:
            action.update(
                view_mode="list,form",
                views=[(False, "list"), (False, "form")],
                domain=[("id", "in", compensations.ids)],
            )
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _crisis_check_link(self, vals_list):
        """The link to the compensations is made by the compensations' delivery only."""
        if self.env.su or self.env.context.get("crisis_workflow") is WORKFLOW:
            return
        if any("crisis_compensation_ids" in vals for vals in vals_list):
            raise UserError(
                self.env._(
                    "The compensations of a credit note are linked by delivering them "
                    "(Deliver on the compensation), not by hand."
                )
            )

    def _crisis_sync_compensations(self):
        """Deliver the approved compensations whose credit note is now posted;
        send the delivered ones whose credit note is no longer posted back to
        approved; tell the approved ones that lost their credit note.

        sudo: posting or cancelling is the accountant's decision, who need not
        be in the crisis team; only the workflow fields are written.
        """
        compensations = self.sudo().crisis_compensation_ids
        if not compensations:
            return
        compensations.invalidate_recordset(["move_id"])
        delivered, back, lost = (compensations.browse() for _i in range(3))
        bodies = {}
        for compensation in compensations:
            move = compensation.move_id
            if compensation.state == "approved" and move.state == "posted":
                delivered |= compensation
                bodies[compensation.id] = self.env._(
                    "Delivered: the credit note %(move)s is posted.", move=move._get_html_link()
                )
            elif compensation.state == "delivered" and move.state != "posted":
                back |= compensation
                gone = (compensation.credit_note_ids & self).filtered(
                    lambda m: m.state != "posted"
                )[:1]
                bodies[compensation.id] = (
                    self.env._(
                        "The credit note %(move)s was reset to draft: the compensation is back "
                        "to approved until it is posted again.",
                        move=gone._get_html_link(),
                    )
                    if gone.state == "draft"
                    else self.env._(
                        "The credit note %(move)s was cancelled: the compensation is back to "
                        "approved. Deliver it again to make a new credit note.",
                        move=gone._get_html_link(),
                    )
                )
            elif compensation.state == "approved" and not move:
                cancelled = (compensation.credit_note_ids & self).filtered(
                    lambda m: m.state == "cancel"
                )[:1]
                if cancelled:
                    lost |= compensation
                    bodies[compensation.id] = self.env._(
                        "The draft credit note %(move)s was cancelled: deliver the compensation "
                        "again to make a new one.",
                        move=cancelled._get_html_link(),
                    )
        if delivered:
            as_workflow(delivered).write(
                {"state": "delivered", "date_delivered": fields.Datetime.now()}
            )
        if back:
            as_workflow(back).write({"state": "approved", "date_delivered": False})
        changed = delivered | back | lost
        if changed:
            changed._message_log_batch(
                bodies={compensation.id: bodies[compensation.id] for compensation in changed},
                author_id=self.env.user.partner_id.id,
            )
