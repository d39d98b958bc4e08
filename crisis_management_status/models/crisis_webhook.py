import secrets
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from odoo.addons.base.models.res_partner import _lang_get

# plain http only to this machine (tests, a local relay); anything else over https
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
MAX_URL_LENGTH = 2048


class CrisisWebhook(models.Model):
    """An integrator's endpoint told of what the status page publishes.

    Each event (a public update published, a crisis published) is POSTed as
    JSON to the active webhooks of its company, signed with the webhook's
    secret (``X-Crisis-Signature``), in the background with retries
    (``crisis.webhook.delivery``, a job of the engine). Crisis Managers only.
    """

    _name = "crisis.webhook"
    _description = "Status Page Webhook"
    _inherit = ["mail.thread"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    url = fields.Char(
        string="Endpoint URL",
        required=True,
        tracking=True,
        help="Where the events are POSTed: an https URL (plain http only to localhost, "
        "for tests).",
    )
    secret = fields.Char(
        required=True,
        copy=False,
        default=lambda self: self._crisis_new_secret(),
        groups="crisis_management.group_crisis_manager",
        help="Signs each delivery (header X-Crisis-Signature, HMAC-SHA256): the receiver "
        "checks it with this secret.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    lang = fields.Selection(
        _lang_get,
        string="Language",
        default=lambda self: self.env.company.partner_id.lang or self.env.lang,
        help="The language of the titles and texts sent.",
    )
    event_update_published = fields.Boolean(
        string="Public Updates",
        default=True,
        tracking=True,
        help="An update shown on the status page (event update.published).",
    )
    event_crisis_published = fields.Boolean(
        string="Published Crises",
        default=True,
        tracking=True,
        help="A crisis published on the status page (event crisis.published).",
    )
    delivery_ids = fields.One2many("crisis.webhook.delivery", "webhook_id", string="Deliveries")
    delivery_count = fields.Integer(compute="_compute_delivery_counts")
    failed_count = fields.Integer(string="Failed Deliveries", compute="_compute_delivery_counts")

    def _compute_delivery_counts(self):
        totals = dict.fromkeys(self.ids, 0)
        failed = dict.fromkeys(self.ids, 0)
        for webhook, state, count in self.env["crisis.webhook.delivery"]._read_group(
            [("webhook_id", "in", self.ids)], ["webhook_id", "state"], ["__count"]
        ):
            totals[webhook.id] += count
            if state == "failed":
                failed[webhook.id] += count
        for webhook in self:
            webhook.delivery_count = totals.get(webhook.id, 0)
            webhook.failed_count = failed.get(webhook.id, 0)

    @api.model
    def _crisis_new_secret(self):
        return secrets.token_hex(32)

    # ------------------------------------------------------------------
    # The endpoint: checked before the database sees it
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._crisis_check_url(vals.get("url"))
        return super().create(vals_list)

    def write(self, vals):
        if "url" in vals:
            self._crisis_check_url(vals["url"])
        return super().write(vals)

    @api.model
    def _crisis_check_url(self, url):
        """:raise ValidationError: ``url`` is not an endpoint we POST to.

        An https URL with a host and no credentials in it; plain http only to
        this machine (``LOCAL_HOSTS``: tests, a local relay)."""
        error = self._crisis_url_error(url)
        if error:
            raise ValidationError(
                self.env._(
                    "%(url)s is not a valid webhook URL: %(reason)s",
                    url=repr(url) if isinstance(url, str) else url,
                    reason=error,
                )
            )

    @api.model
    def _crisis_url_error(self, url):
        """Why ``url`` is refused, or ``False``."""
        if (
            not isinstance(url, str)
            or not url
            or len(url) > MAX_URL_LENGTH
            or not url.isascii()
            or not url.isprintable()
            or " " in url
        ):
            return self.env._("write it as https://host.example/path, without spaces.")
        try:
            parts = urlsplit(url)
            # the port is read to refuse a bad one (ValueError)
            host, _port = parts.hostname, parts.port
        except ValueError:
            return self.env._("write it as https://host.example/path, without spaces.")
        if not host:
            return self.env._("it has no host.")
        if parts.username or parts.password:
            return self.env._("it must not carry a user name or password.")
        if parts.scheme == "https":
            return False
        if parts.scheme == "http" and host in LOCAL_HOSTS:
            return False
        return self.env._("it must start with https:// (plain http only to localhost).")

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _crisis_check_manager(self):
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(self.env._("Only a Crisis Manager manages the webhooks."))
        self.check_access("write")

    def action_send_test(self):
        """Queue a test delivery (event ping) to each of these webhooks."""
        self._crisis_check_manager()
        deliveries = self.env["crisis.webhook.delivery"]._crisis_queue_pings(self)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Test delivery queued"),
                "message": self.env._(
                    "%(count)s test deliveries queued: see the deliveries of the webhook "
                    "in a moment.",
                    count=len(deliveries),
                ),
                "sticky": False,
            },
        }

    def action_regenerate_secret(self):
        """Give these webhooks a new secret: the receivers need it from now on."""
        self._crisis_check_manager()
        for webhook in self:
            webhook.secret = self._crisis_new_secret()
            webhook.message_post(
                body=self.env._("A new secret was generated: the receiver needs it now."),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_open_deliveries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management_status.crisis_webhook_delivery_action"
        )
        action["domain"] = [("webhook_id", "=", self.id)]
        action["context"] = {"default_webhook_id": self.id}
        return action
