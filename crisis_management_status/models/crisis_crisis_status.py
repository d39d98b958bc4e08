from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

# what the publication adds to the fields only the workflow writes
STATUS_FIELDS = ("is_published", "date_published")


class CrisisCrisis(models.Model):
    """The publication of a crisis on the public status page (``/status``).

    A Crisis Manager publishes a real crisis whose public statement is
    approved; the page then shows its customer-facing title, its customer
    status, its approved statement and the customer updates marked public.
    """

    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    is_published = fields.Boolean(
        string="Published",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
        help="Shown on the public status page: its customer-facing title, customer status, "
        "approved public statement and the customer updates marked public.",
    )
    date_published = fields.Datetime(string="Published On", readonly=True, copy=False)
    status_url = fields.Char(
        string="Public Page",
        compute="_compute_status_url",
        help="The page of this crisis on the public status page.",
    )

    @api.depends("is_published")
    def _compute_status_url(self):
        for crisis in self:
            crisis.status_url = (
                f"{crisis.get_base_url()}/status/{crisis._origin.id}"
                if crisis._origin.id
                else False
            )

    @api.constrains("is_published", "is_drill")
    def _check_published_not_drill(self):
        if self.filtered(lambda c: c.is_published and c.is_drill):
            raise ValidationError(
                self.env._("A drill is never published: unpublish it before making it a drill.")
            )

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(dict.fromkeys(STATUS_FIELDS, True))
        return guarded

    def _crisis_check_publisher(self):
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(
                self.env._("Only a Crisis Manager can publish a crisis on the status page.")
            )
        self.check_access("write")

    def action_publish(self):
        """Show the crises on the public status page."""
        self._crisis_check_publisher()
        drills = self.filtered("is_drill")
        if drills:
            raise UserError(
                self.env._(
                    "%(references)s is a drill: drills are never published.",
                    references=", ".join(drills.mapped("reference")),
                )
            )
        unapproved = self.filtered(lambda c: c.statement_state != "approved")
        if unapproved:
            raise UserError(
                self.env._(
                    "%(references)s: a Crisis Manager approves the public statement before "
                    "the crisis is published.",
                    references=", ".join(unapproved.mapped("reference")),
                )
            )
        as_workflow(self.filtered(lambda c: not c.is_published)).write(
            {"is_published": True, "date_published": fields.Datetime.now()}
        )
        return True

    def action_unpublish(self):
        """Take the crises off the public status page."""
        self._crisis_check_publisher()
        as_workflow(self.filtered("is_published")).write(
            {"is_published": False, "date_published": False}
        )
        return True

    def action_open_status_page(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": f"/status/{self.id}", "target": "new"}
