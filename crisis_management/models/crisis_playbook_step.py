from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crisis_team_member import TEAM_ROLES
from .res_company import MAX_HOURS


class CrisisPlaybookStep(models.Model):
    _name = "crisis.playbook.step"
    _description = "Crisis Playbook Step"
    _inherit = ["crisis.workflow.mixin"]
    _order = "playbook_id, sequence, id"

    playbook_id = fields.Many2one("crisis.playbook", required=True, ondelete="cascade", index=True)
    # the playbook's: steps of another company's playbook are hidden like it
    company_id = fields.Many2one(
        related="playbook_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True)
    role = fields.Selection(TEAM_ROLES, required=True, default="lead")
    deadline_hours = fields.Float(
        string="Due After (hours)",
        help="Deadline of the step, in hours after the crisis was declared.",
    )

    @api.constrains("deadline_hours")
    def _check_deadline_hours(self):
        if any(step.deadline_hours < 0 for step in self):
            raise ValidationError(
                self.env._("A step cannot be due before the crisis is declared.")
            )
        if any(step.deadline_hours > MAX_HOURS for step in self):
            raise ValidationError(
                self.env._(
                    "A step cannot be due more than %(max)s hours (one year) after the crisis "
                    "is declared.",
                    max=MAX_HOURS,
                )
            )
