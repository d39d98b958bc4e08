from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import html2plaintext

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

from .crisis_crisis_status import iso_utc


class CrisisUpdate(models.Model):
    """Customer updates shown on the public status page, by choice."""

    _inherit = "crisis.update"  # pylint: disable=consider-merging-classes-inherited

    is_public = fields.Boolean(
        string="On the Status Page",
        readonly=True,
        copy=False,
        index=True,
        help="Shown on the public status page with its subject, date and text, while its "
        "crisis is published.",
    )

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded["is_public"] = True
        return guarded

    @api.model_create_multi
    def create(self, vals_list):
        updates = super().create(vals_list)
        updates.filtered("is_public")._crisis_webhook_notify()
        return updates

    def write(self, vals):
        result = super().write(vals)
        if vals.get("is_public"):
            self._crisis_webhook_notify()
        return result

    def _crisis_webhook_notify(self):
        """Queue the webhook deliveries of these updates, those now on the status page."""
        return self.env["crisis.webhook.delivery"]._crisis_queue_updates(
            self._crisis_status_visible()
        )

    def _crisis_status_visible(self):
        """These updates as superuser, those the status page shows: public, not
        cancelled, of an active crisis it shows (``_crisis_status_domain``)."""
        crises = self.env["crisis.crisis"]._crisis_status_domain()
        return (
            self.sudo()
            .filtered_domain(
                [
                    ("is_public", "=", True),
                    ("state", "!=", "cancelled"),
                    ("crisis_id", "any", crises),
                ]
            )
            .filtered(lambda update: update.crisis_id.active)
        )

    def _crisis_status_url(self):
        self.ensure_one()
        return f"{self.crisis_id._crisis_status_url()}#update-{self.id}"

    def _crisis_status_data(self):
        """What anyone may read of each update (in the language of the
        context), for the JSON summary and the webhooks: a list of dicts."""
        return [
            {
                "id": update.id,
                "crisis_id": update.crisis_id.id,
                "title": update.name or "",
                "date": iso_utc(update.date_sent) or None,
                "body_html": update.body or "",
                "body_text": html2plaintext(update.body or ""),
                "url": update._crisis_status_url(),
            }
            for update in self
        ]

    def _crisis_set_public(self, public):
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(
                self.env._("Only a Crisis Manager can show or hide an update on the status page.")
            )
        self.check_access("read")
        # sudo: updates are written only by the sends and the workflow buttons
        as_workflow(self.sudo()).write({"is_public": public})
        return True

    def action_make_public(self):
        """Show the updates on the public status page."""
        return self._crisis_set_public(True)

    def action_make_private(self):
        """Take the updates off the public status page."""
        return self._crisis_set_public(False)
