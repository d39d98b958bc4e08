from odoo import api, fields, models


class CrisisTeam(models.Model):
    _name = "crisis.team"
    _description = "Crisis Response Team"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    leader_id = fields.Many2one(
        "res.users",
        string="Team Leader",
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
        default=lambda self: self.env.user,
    )
    member_ids = fields.One2many("crisis.team.member", "team_id", string="Members")
    user_ids = fields.Many2many(
        "res.users",
        compute="_compute_user_ids",
        string="People",
        help="The leader and every member of the team.",
    )
    color = fields.Integer()
    crisis_ids = fields.One2many("crisis.crisis", "team_id", string="Crises")
    crisis_count = fields.Integer(compute="_compute_crisis_count", string="Crises Count")

    @api.depends("leader_id", "member_ids.user_id")
    def _compute_user_ids(self):
        for team in self:
            team.user_ids = team.leader_id | team.member_ids.user_id

    def _compute_crisis_count(self):
        counts = dict(
            self.env["crisis.crisis"]._read_group(
                [("team_id", "in", self.ids)], ["team_id"], ["__count"]
            )
        )
        for team in self:
            team.crisis_count = counts.get(team, 0)
