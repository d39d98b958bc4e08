from ast import literal_eval

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.crisis_type import SEVERITIES


class CrisisImpactWizard(models.TransientModel):
    _name = "crisis.impact.wizard"
    _description = "Add Affected Customers"

    crisis_id = fields.Many2one(
        "crisis.crisis", string="Crisis", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="crisis_id.company_id")
    selection_mode = fields.Selection(
        [
            ("domain", "Customers matching a filter"),
            ("tags", "Customers with tags"),
            ("partners", "Selected customers"),
        ],
        string="Add",
        required=True,
        default="domain",
    )
    partner_domain = fields.Char(
        string="Filter",
        default="[]",
        help="Every contact matching this filter is added to the crisis.",
    )
    category_ids = fields.Many2many("res.partner.category", string="Contact Tags")
    partner_ids = fields.Many2many("res.partner", string="Customers")
    impact_level = fields.Selection(SEVERITIES, string="Impact", required=True, default="medium")
    is_priority = fields.Boolean(string="Priority Customers")
    user_id = fields.Many2one(
        "res.users", string="Agent", domain="[('share', '=', False)]", check_company=True
    )
    match_count = fields.Integer(string="Matching Contacts", compute="_compute_match_count")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        # "Add to crisis..." from a selection in Contacts
        if context.get("active_model") == "res.partner" and context.get("active_ids"):
            values["selection_mode"] = "partners"
            values["partner_ids"] = [fields.Command.set(context["active_ids"])]
        return values

    @api.depends("selection_mode", "partner_domain", "category_ids", "partner_ids")
    def _compute_match_count(self):
        for wizard in self:
            try:
                domain = wizard._partner_domain()
            except UserError:
                wizard.match_count = 0
                continue
            wizard.match_count = self.env["res.partner"].search_count(domain)

    def _partner_domain(self):
        self.ensure_one()
        if self.selection_mode == "tags":
            if not self.category_ids:
                raise UserError(self.env._("Choose at least one contact tag."))
            return [("category_id", "in", self.category_ids.ids)]
        if self.selection_mode == "partners":
            return [("id", "in", self.partner_ids.ids)]
        try:
            domain = literal_eval(self.partner_domain or "[]")
        except (ValueError, SyntaxError) as error:
            raise UserError(self.env._("The customer filter is not valid.")) from error
        if not isinstance(domain, list):
            raise UserError(self.env._("The customer filter is not valid."))
        return domain

    def action_add(self):
        self.ensure_one()
        crisis = self.crisis_id
        partner_ids = self.env["res.partner"]._search(self._partner_domain())
        partner_ids = list(partner_ids)
        if not partner_ids:
            raise UserError(self.env._("No contact matches: nobody was added."))
        # customers of another company cannot be linked (one query for all)
        foreign = self.env["res.partner"].search_fetch(
            [
                ("id", "in", partner_ids),
                ("company_id", "not in", [crisis.company_id.id, False]),
            ],
            ["display_name"],
            limit=5,
        )
        if foreign:
            raise UserError(
                self.env._(
                    "Some of these contacts belong to another company than the crisis "
                    "(%(company)s), for example: %(names)s. Narrow the selection.",
                    company=crisis.company_id.name,
                    names=", ".join(foreign.mapped("display_name")),
                )
            )
        existing = {
            partner.id
            for [partner] in self.env["crisis.impact"]._read_group(
                [("crisis_id", "=", crisis.id)], ["partner_id"]
            )
        }
        new_ids = [pid for pid in partner_ids if pid not in existing]
        if new_ids:
            # tracking_disable: no chatter work per created line. Otherwise
            # mail.thread auto-subscribes the agent record by record: one
            # follower and one "assigned to you" email per customer, about 12
            # queries each. The agent follows the lines in one go below.
            lines = self.env["crisis.impact"].with_context(tracking_disable=True)
            impacts = lines.create(
                [
                    {
                        "crisis_id": crisis.id,
                        "partner_id": partner_id,
                        "impact_level": self.impact_level,
                        "is_priority": self.is_priority,
                        "user_id": self.user_id.id,
                    }
                    for partner_id in new_ids
                ]
            )
            if self.user_id:
                impacts._message_subscribe(partner_ids=self.user_id.partner_id.ids)
        skipped = len(partner_ids) - len(new_ids)
        message = self.env._(
            "%(added)s affected customers added, %(skipped)s already linked and skipped.",
            added=len(new_ids),
            skipped=skipped,
        )
        crisis.message_post(body=message)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Affected customers"),
                "message": message,
                "type": "success" if new_ids else "warning",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
