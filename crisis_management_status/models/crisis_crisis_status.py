from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

# what the publication adds to the fields only the workflow writes
STATUS_FIELDS = ("is_published", "date_published")
# the fields of a crisis that put it on the status page or take it off
# (``_crisis_status_domain``): a change of one of them may show public updates
VISIBILITY_FIELDS = ("is_published", "statement_state", "is_drill", "active")


def iso_utc(value):
    """``value`` (a naive UTC datetime) in ISO 8601 / RFC 3339, UTC: ``2025-05-01T09:30:00Z``."""
    return value and fields.Datetime.to_datetime(value).replace(microsecond=0).isoformat() + "Z"


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

    def write(self, vals):
        was_published = self.filtered("is_published") if "is_published" in vals else self
        result = super().write(vals)
        if set(VISIBILITY_FIELDS).intersection(vals):
            # their public updates may be on the page now: the integrators hear of them
            self._crisis_webhook_notify(published=self - was_published)
        return result

    def _crisis_webhook_notify(self, published=None):
        """Queue the webhook deliveries of what these crises now show on the
        status page: their public updates not delivered yet, and ``published``
        (the crises just published)."""
        Delivery = self.env["crisis.webhook.delivery"]
        shown = self.sudo().filtered_domain(self._crisis_status_domain()).filtered("active")
        if not shown:
            return Delivery
        deliveries = Delivery._crisis_queue_crises(shown & published) if published else Delivery
        updates = shown.mapped("update_ids")._crisis_status_visible()
        return deliveries | Delivery._crisis_queue_updates(updates)

    # ------------------------------------------------------------------
    # What anyone may read of the published crises (the status page, its
    # feeds and summary, the webhooks)
    # ------------------------------------------------------------------

    @api.model
    def _crisis_status_domain(self):
        """The crises anyone may read of: published, and they may speak to
        their customers (the gate as a domain: real, statement approved)."""
        return expression.AND([[("is_published", "=", True)], self._crisis_speak_domain()])

    def _crisis_status_url(self):
        self.ensure_one()
        return f"{self.get_base_url()}/status/{self.id}"

    def _crisis_status_data(self, updates=None):
        """What anyone may read of each crisis (read in the language of the
        context), for the JSON summary and the webhooks: a list of dicts.

        :param updates: the public updates to list with them (``crisis.update``,
            read in their order), or ``None`` for none (no ``updates`` key)
        """
        labels = dict(
            self.env["crisis.stage"]._fields["customer_status"]._description_selection(self.env)
        )
        by_crisis = {}
        if updates is not None:
            for update, data in zip(updates, updates._crisis_status_data(), strict=True):
                by_crisis.setdefault(update.crisis_id.id, []).append(data)
        result = []
        for crisis in self:
            data = {
                "id": crisis.id,
                "reference": crisis.reference,
                "title": crisis.public_title or "",
                "status": crisis.customer_status or "",
                "status_label": labels.get(crisis.customer_status, ""),
                "date_published": iso_utc(crisis.date_published) or None,
                "date_resolved": iso_utc(crisis.date_resolved) or None,
                "url": crisis._crisis_status_url(),
            }
            if updates is not None:
                data["updates"] = by_crisis.get(crisis.id, [])
            result.append(data)
        return result

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
