from odoo import fields, models

SEVERITIES = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
]


class CrisisType(models.Model):
    _name = "crisis.type"
    _description = "Crisis Type"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    default_severity = fields.Selection(
        SEVERITIES,
        required=True,
        default="medium",
        help="Severity proposed for a new crisis of this type.",
    )
    color = fields.Integer()
    playbook_id = fields.Many2one(
        "crisis.playbook",
        string="Default Playbook",
        ondelete="set null",
        help="Applied to every new crisis of this type when the company's settings say so.",
    )
    crisis_count = fields.Integer(compute="_compute_crisis_count", string="Crises")

    _sql_constraints = [
        ("name_uniq", "unique (name)", "A crisis type with this name already exists."),
    ]

    def _compute_crisis_count(self):
        counts = dict(
            self.env["crisis.crisis"]._read_group(
                [("type_id", "in", self.ids)], ["type_id"], ["__count"]
            )
        )
        for crisis_type in self:
            crisis_type.crisis_count = counts.get(crisis_type, 0)
