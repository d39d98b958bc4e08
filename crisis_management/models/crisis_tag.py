from random import randint

from odoo import fields, models


class CrisisTag(models.Model):
    _name = "crisis.tag"
    _description = "Crisis Tag"
    _order = "name"

    def _default_color(self):
        return randint(1, 11)

    name = fields.Char(required=True, translate=True)
    color = fields.Integer(default=_default_color)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("name_uniq", "unique (name)", "A crisis tag with this name already exists."),
    ]
