from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    crisis_sla_critical_hours = fields.Float(string="Critical Crisis Response Time", default=1.0)
    crisis_sla_high_hours = fields.Float(string="High Crisis Response Time", default=4.0)
    crisis_sla_medium_hours = fields.Float(string="Medium Crisis Response Time", default=24.0)
    crisis_sla_low_hours = fields.Float(string="Low Crisis Response Time", default=72.0)
    crisis_auto_apply_playbook = fields.Boolean(
        string="Apply Playbooks on Declaration",
        default=True,
        help="A new crisis gets the action plan of its type's default playbook.",
    )

    @api.constrains(
        "crisis_sla_critical_hours",
        "crisis_sla_high_hours",
        "crisis_sla_medium_hours",
        "crisis_sla_low_hours",
    )
    def _check_crisis_sla_hours(self):
        for company in self:
            hours = [
                company.crisis_sla_critical_hours,
                company.crisis_sla_high_hours,
                company.crisis_sla_medium_hours,
                company.crisis_sla_low_hours,
            ]
            if any(h <= 0 for h in hours):
                raise ValidationError(
                    self.env._("Crisis response times must be longer than zero hours.")
                )

    def _crisis_sla_hours(self, severity):
        self.ensure_one()
        return self[f"crisis_sla_{severity or 'medium'}_hours"]

    def _crisis_sequence(self):
        """This company's sequence of crisis references, created on first use."""
        self.ensure_one()
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search([("code", "=", "crisis.crisis"), ("company_id", "=", self.id)], limit=1)
        )
        if not sequence:
            sequence = (
                self.env["ir.sequence"]
                .sudo()
                .create(
                    {
                        "name": self.env._("Crisis reference (%s)", self.name),
                        "code": "crisis.crisis",
                        "company_id": self.id,
                        "prefix": "CRI/%(year)s/",
                        "padding": 4,
                        "use_date_range": True,
                    }
                )
            )
        return sequence
