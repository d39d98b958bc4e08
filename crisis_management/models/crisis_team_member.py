from odoo import fields, models

TEAM_ROLES = [
    ("lead", "Crisis Lead"),
    ("communications", "Communications"),
    ("customer_service", "Customer Service"),
    ("legal", "Legal"),
    ("technical", "Technical"),
    ("sales", "Sales"),
    ("management", "Management"),
]


class CrisisTeamMember(models.Model):
    _name = "crisis.team.member"
    _description = "Response Team Member"
    _inherit = ["crisis.workflow.mixin"]
    _order = "team_id, sequence, id"
    _check_company_auto = True

    team_id = fields.Many2one("crisis.team", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="team_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    user_id = fields.Many2one(
        "res.users",
        string="Member",
        required=True,
        ondelete="cascade",
        check_company=True,
        domain="[('share', '=', False)]",
    )
    role = fields.Selection(TEAM_ROLES, required=True, default="customer_service")

    _sql_constraints = [
        (
            "team_user_role_uniq",
            "unique (team_id, user_id, role)",
            "This person already holds this role in the team.",
        ),
    ]
