from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

from .crisis_signal_rule import SIGNAL_ALERT

SIGNAL_STATES = [
    ("suspected", "Suspected"),
    ("confirmed", "Confirmed"),
    ("dismissed", "Dismissed"),
]
# what only the signal workflow writes on a crisis
SIGNAL_FIELDS = (
    "signal_rule_id",
    "signal_state",
    "signal_match_count",
    "signal_dismiss_reason",
    "signal_decided_by_id",
    "date_signal_decided",
)


# one file per feature extending the crisis, as the brief of each asks
class CrisisCrisis(models.Model):
    """The crises a signal rule raises: suspected until a Crisis Manager
    confirms them (they go on as usual) or dismisses them (with a reason the
    rule keeps for tuning; the crisis is archived)."""

    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    signal_rule_id = fields.Many2one(
        "crisis.signal.rule",
        string="Raised by Rule",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The early-warning rule that raised this crisis.",
    )
    signal_state = fields.Selection(
        SIGNAL_STATES,
        string="Signal Status",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="For a crisis raised by a signal rule: suspected until a Crisis Manager confirms "
        "or dismisses it.",
    )
    signal_match_count = fields.Integer(
        string="Matching Rows",
        readonly=True,
        copy=False,
        help="The most rows the rule counted in its window while the crisis was open.",
    )
    signal_dismiss_reason = fields.Text(
        string="Dismissal Reason", readonly=True, copy=False, tracking=True
    )
    signal_decided_by_id = fields.Many2one(
        "res.users", string="Confirmed or Dismissed By", readonly=True, copy=False
    )
    date_signal_decided = fields.Datetime(
        string="Confirmed or Dismissed On", readonly=True, copy=False
    )

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(dict.fromkeys(SIGNAL_FIELDS, True))
        return guarded

    def _signal_check_decision(self):
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(
                self.env._("Only a Crisis Manager can confirm or dismiss a suspected crisis.")
            )
        not_suspected = self.filtered(lambda c: c.signal_state != "suspected")
        if not_suspected:
            raise UserError(
                self.env._(
                    "%(reference)s is not a suspected crisis: only the suspected crises raised "
                    "by a signal rule are confirmed or dismissed.",
                    reference=not_suspected[0].reference,
                )
            )
        self.check_access("write")

    def action_signal_confirm(self):
        """A real crisis: it goes on as usual, with its type's playbook."""
        self._signal_check_decision()
        as_workflow(self).write(
            {
                "signal_state": "confirmed",
                "signal_decided_by_id": self.env.uid,
                "date_signal_decided": fields.Datetime.now(),
            }
        )
        self.activity_feedback(
            [SIGNAL_ALERT],
            feedback=self.env._("Confirmed by %(user)s.", user=self.env.user.name),
        )
        for crisis in self:
            # the playbook waited for the confirmation
            if not crisis.playbook_id and crisis.type_id.playbook_id:
                crisis.playbook_id = crisis.type_id.playbook_id
                if crisis.company_id.crisis_auto_apply_playbook:
                    crisis.action_apply_playbook()
        return True

    def action_signal_dismiss(self):
        """Ask the reason of the dismissal."""
        self._signal_check_decision()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dismiss the Suspected Crisis"),
            "res_model": "crisis.signal.dismiss.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_crisis_ids": self.ids},
        }

    def _signal_dismiss(self, reason):
        """A false alarm: the reason is kept on the crisis (and listed on its
        rule), the alerts are closed, the crisis is archived."""
        self._signal_check_decision()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(
                self.env._("Say why the crisis is dismissed: the reason helps tune the rule.")
            )
        as_workflow(self).write(
            {
                "signal_state": "dismissed",
                "signal_dismiss_reason": reason,
                "signal_decided_by_id": self.env.uid,
                "date_signal_decided": fields.Datetime.now(),
            }
        )
        self.activity_unlink([SIGNAL_ALERT])
        self.action_archive()
        return True
