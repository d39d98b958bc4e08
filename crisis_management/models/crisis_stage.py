from odoo import fields, models


class CrisisStage(models.Model):
    _name = "crisis.stage"
    _description = "Crisis Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean(
        string="Folded in Kanban",
        help="Fold this stage's column on the crisis board when it is empty.",
    )
    is_resolved = fields.Boolean(
        string="Resolved Stage",
        help="Crises entering this stage count as resolved: the cause is fixed "
        "and customers are no longer harmed.",
    )
    is_closed = fields.Boolean(
        string="Closed Stage",
        help="Crises entering this stage are closed: analysis done, lessons "
        "learned, nothing left to do.",
    )
    description = fields.Text(
        translate=True,
        help="What a crisis in this stage needs; shown on the kanban column.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Customer Email",
        domain="[('model', '=', 'crisis.impact')]",
        help="When a crisis enters this stage, its affected customers get this email "
        "(never for drills). The public statement must be approved.",
    )
