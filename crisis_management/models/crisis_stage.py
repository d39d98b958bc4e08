from odoo import fields, models

# the status of a crisis in customer words, as status pages put it
CUSTOMER_STATUSES = [
    ("investigating", "Investigating"),
    ("identified", "Identified"),
    ("monitoring", "Monitoring"),
    ("resolved", "Resolved"),
]


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
    # what customers read of the stage (their page, the public status page)
    customer_status = fields.Selection(
        CUSTOMER_STATUSES,
        required=True,
        default="investigating",
        help="What customers read of a crisis in this stage, on their page and on the "
        "public status page.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Customer Email",
        domain="[('model', '=', 'crisis.impact')]",
        help="When a crisis enters this stage, its affected customers get this email "
        "(never for drills). The public statement must be approved.",
    )
