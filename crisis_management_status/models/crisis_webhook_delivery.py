import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import requests

from odoo import api, fields, models, release
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.crisis_management.models.crisis_job import ACTIVE_STATES, Batch
from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

_logger = logging.getLogger(__name__)

EVENTS = [
    ("ping", "Test"),
    ("update.published", "Public Update Published"),
    ("crisis.published", "Crisis Published"),
]
# the waits after each failed attempt; after the last one, the delivery fails
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# seconds to connect and to wait for the answer
TIMEOUT = 10
# the part of an answer kept in the log
ERROR_LENGTH = 500
USER_AGENT = f"Odoo/{release.major_version} crisis_management_status webhook"


def signature(secret, timestamp, body):
    """``X-Crisis-Signature`` of ``body`` (str) sent at ``timestamp`` (int, unix time)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class CrisisWebhookDelivery(models.Model):
    """One event POSTed to one webhook: a job of the engine (``crisis.job``).

    Queued when the event happens, with its payload frozen then (what the
    status page showed, in the webhook's language). Each batch of the job is
    one attempt, as superuser (a system delivery, whoever published): the
    JSON body signed with the webhook's secret, POSTed with a timeout of
    ``TIMEOUT`` seconds. A 2xx answer ends it *Done*; otherwise it waits
    (``next_attempt_date``, ``RETRY_DELAYS``: the scheduler is triggered for
    then) and is tried again, up to ``MAX_ATTEMPTS`` attempts, then it is
    *Failed*, with the last answer or error. Receivers may get an event
    twice (a worker killed after the POST): ``X-Crisis-Delivery`` tells.
    """

    _name = "crisis.webhook.delivery"
    _description = "Status Page Webhook Delivery"
    _inherit = ["crisis.job"]
    _order = "id desc"
    _crisis_job_cron = "crisis_management_status.ir_cron_crisis_webhook_deliveries"
    # one attempt per batch: one HTTP request
    _crisis_job_batch_size = 1
    _crisis_workflow_fields = (
        "webhook_id",
        "event",
        "update_id",
        "crisis_id",
        "payload",
        "attempt_count",
        "response_status",
        "last_error",
        "next_attempt_date",
        "date_last_attempt",
        "date_delivered",
    )

    webhook_id = fields.Many2one(
        "crisis.webhook", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="webhook_id.company_id", store=True, index=True)
    event = fields.Selection(EVENTS, required=True, readonly=True)
    update_id = fields.Many2one(
        "crisis.update",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    crisis_id = fields.Many2one("crisis.crisis", readonly=True, ondelete="set null", index=True)
    payload = fields.Text(readonly=True, help="The JSON body sent.")
    attempt_count = fields.Integer(string="Attempts", readonly=True, default=0)
    response_status = fields.Integer(
        string="Last Response", readonly=True, help="The HTTP status of the last answer."
    )
    last_error = fields.Text(readonly=True)
    next_attempt_date = fields.Datetime(string="Next Attempt", readonly=True, index=True)
    date_last_attempt = fields.Datetime(string="Last Attempt", readonly=True)
    date_delivered = fields.Datetime(string="Delivered On", readonly=True)

    def init(self):
        # an update is delivered once to a webhook: the last guard of the
        # check of _crisis_queue_updates (two transactions at once)
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS crisis_webhook_delivery_update_uniq"
                " ON crisis_webhook_delivery (webhook_id, update_id)"
                " WHERE event = 'update.published'"
            )
        )

    @api.depends("webhook_id", "event")
    def _compute_display_name(self):
        labels = dict(self._fields["event"]._description_selection(self.env))
        for delivery in self:
            delivery.display_name = self.env._(
                "%(webhook)s: %(event)s #%(id)s",
                webhook=delivery.webhook_id.name,
                event=labels.get(delivery.event, ""),
                id=delivery.id,
            )

    # ------------------------------------------------------------------
    # Queueing
    # ------------------------------------------------------------------

    @api.model
    def _crisis_queue(self, vals_list):
        """Record the deliveries of ``vals_list`` for the current user; start the job."""
        if not vals_list:
            return self.browse()
        deliveries = as_workflow(self.sudo()).create(
            [{"user_id": self.env.uid, "total_count": 1, **vals} for vals in vals_list]
        )
        self._crisis_job_trigger()
        return deliveries.with_env(self.env)

    @api.model
    def _crisis_webhooks(self, companies, event_field):
        return (
            self.env["crisis.webhook"]
            .sudo()
            .search([("company_id", "in", companies.ids), (event_field, "=", True)])
        )

    @api.model
    def _crisis_payload(self, webhook, event, data):
        """The JSON body of ``event`` to ``webhook``: ``data`` with the event and company."""
        company = webhook.company_id
        return json.dumps(
            {
                "event": event,
                "company": {"id": company.id, "name": company.name},
                **data,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @api.model
    def _crisis_queue_updates(self, updates):
        """Queue the delivery of ``updates`` (shown on the status page, as
        superuser) to the webhooks of their company, once per webhook."""
        if not updates:
            return self.browse()
        webhooks = self._crisis_webhooks(updates.company_id, "event_update_published")
        if not webhooks:
            return self.browse()
        done = {
            (delivery.webhook_id.id, delivery.update_id.id)
            for delivery in self.sudo().search(
                [
                    ("event", "=", "update.published"),
                    ("webhook_id", "in", webhooks.ids),
                    ("update_id", "in", updates.ids),
                ]
            )
        }
        vals_list = []
        for lang, lang_webhooks in webhooks.grouped("lang").items():
            in_lang = updates.with_context(lang=lang or self.env.lang)
            crises = dict(
                zip(
                    in_lang.crisis_id.ids,
                    in_lang.crisis_id._crisis_status_data(),
                    strict=True,
                )
            )
            texts = dict(zip(in_lang.ids, in_lang._crisis_status_data(), strict=True))
            for webhook in lang_webhooks:
                for update in updates:
                    if update.company_id != webhook.company_id or (webhook.id, update.id) in done:
                        continue
                    payload = self._crisis_payload(
                        webhook,
                        "update.published",
                        {"crisis": crises[update.crisis_id.id], "update": texts[update.id]},
                    )
                    vals_list.append(
                        {
                            "webhook_id": webhook.id,
                            "event": "update.published",
                            "update_id": update.id,
                            "crisis_id": update.crisis_id.id,
                            "payload": payload,
                        }
                    )
        return self._crisis_queue(vals_list)

    @api.model
    def _crisis_queue_crises(self, crises):
        """Queue the news of ``crises`` just published (as superuser) to the
        webhooks of their company."""
        if not crises:
            return self.browse()
        vals_list = []
        webhooks = self._crisis_webhooks(crises.company_id, "event_crisis_published")
        for lang, lang_webhooks in webhooks.grouped("lang").items():
            in_lang = crises.with_context(lang=lang or self.env.lang)
            texts = dict(zip(in_lang.ids, in_lang._crisis_status_data(), strict=True))
            for webhook in lang_webhooks:
                for crisis in crises.filtered(lambda c, w=webhook: c.company_id == w.company_id):
                    vals_list.append(
                        {
                            "webhook_id": webhook.id,
                            "event": "crisis.published",
                            "crisis_id": crisis.id,
                            "payload": self._crisis_payload(
                                webhook, "crisis.published", {"crisis": texts[crisis.id]}
                            ),
                        }
                    )
        return self._crisis_queue(vals_list)

    @api.model
    def _crisis_queue_pings(self, webhooks):
        """Queue a test delivery to each of ``webhooks``."""
        return self._crisis_queue(
            [
                {
                    "webhook_id": webhook.id,
                    "event": "ping",
                    "payload": self._crisis_payload(
                        webhook,
                        "ping",
                        {
                            "webhook": {"id": webhook.id, "name": webhook.name},
                            "message": self.env._("A test delivery from Odoo: the webhook works."),
                        },
                    ),
                }
                for webhook in webhooks.sudo()
            ]
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_retry(self):
        """Try these failed or stopped deliveries again, from their first attempt."""
        if not self.env.user.has_group("crisis_management.group_crisis_manager"):
            raise AccessError(self.env._("Only a Crisis Manager retries webhook deliveries."))
        self.check_access("read")
        ended = self.filtered(lambda delivery: delivery.state in ("failed", "stopped"))
        if not ended:
            raise UserError(self.env._("Only a failed or stopped delivery can be tried again."))
        as_workflow(ended.sudo()).write(
            {
                "state": "queued",
                "attempt_count": 0,
                "processed_count": 0,
                "next_attempt_date": False,
                "date_done": False,
                "error": False,
                "stopped_by_id": False,
            }
        )
        self._crisis_job_trigger()
        return True

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------

    @api.model
    def _crisis_job_due(self):
        """The deliveries queued or running whose next attempt is due."""
        return SQL(
            "state IN %s AND (next_attempt_date IS NULL OR next_attempt_date <= %s)",
            ACTIVE_STATES,
            fields.Datetime.now(),
        )

    @api.model
    def _cron_deliver(self):
        """The scheduled action of the webhook deliveries: one attempt per call.

        :return: the delivery tried (none when nothing is due)
        """
        return self._crisis_run_due(1)

    def _crisis_job_run(self, batch_size):
        result = super()._crisis_job_run(batch_size)
        # a failed attempt with no retry left leaves the job running: it fails
        # with the reason of that last attempt
        if self.state == "running":
            self._crisis_job_finish("failed", error=self.last_error)
        return result

    def _crisis_job_batch(self, batch_size):
        self.ensure_one()
        # sudo: a system delivery of what the page published, with the secret
        delivery = self.sudo()
        webhook = delivery.webhook_id
        if not webhook.active:
            raise UserError(self.env._("The webhook is archived."))
        if (
            delivery.event == "update.published"
            and not delivery.update_id._crisis_status_visible()
        ):
            raise UserError(self.env._("The update is no longer on the status page."))
        now = fields.Datetime.now()
        status, error = delivery._crisis_post()
        attempts = self.attempt_count + 1
        values = {
            "attempt_count": attempts,
            "response_status": status,
            "last_error": error,
            "date_last_attempt": now,
            "next_attempt_date": False,
        }
        if not error:
            return Batch(1, {**values, "date_delivered": now}, True)
        if attempts < MAX_ATTEMPTS:
            retry = now + RETRY_DELAYS[attempts - 1]
            self._crisis_job_trigger(at=retry)
            # queued again, for later
            return Batch(0, {**values, "state": "queued", "next_attempt_date": retry}, False)
        return Batch(0, values, False)

    @api.model
    def _crisis_job_trigger(self, at=None):
        cron = self.env.ref(self._crisis_job_cron, raise_if_not_found=False)
        if cron and cron.sudo().active:
            cron.sudo()._trigger(at=at)

    def _crisis_post(self):
        """POST this delivery once (as superuser).

        :return: (HTTP status or 0, error text or False)
        """
        self.ensure_one()
        body = self.payload or "{}"
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Crisis-Event": self.event,
            "X-Crisis-Delivery": str(self.id),
            "X-Crisis-Signature": signature(self.webhook_id.secret, timestamp, body),
        }
        try:
            response = requests.post(
                self.webhook_id.url,
                data=body.encode(),
                headers=headers,
                timeout=TIMEOUT,
                # a redirection is an answer, not a place to send the secret's work to
                allow_redirects=False,
            )
        except requests.RequestException as error:
            _logger.info("webhook delivery %s: %s", self.id, error)
            return 0, str(error)[:ERROR_LENGTH]
        if 200 <= response.status_code < 300:
            return response.status_code, False
        return response.status_code, self.env._(
            "HTTP %(status)s: %(answer)s",
            status=response.status_code,
            answer=(response.text or "")[:ERROR_LENGTH],
        )

    # ------------------------------------------------------------------
    # What the engine tells
    # ------------------------------------------------------------------

    def _crisis_job_crises(self):
        return self.env["crisis.crisis"]

    def _crisis_job_tell(self, state):
        """A failed or stopped delivery is logged on its webhook; done ones are
        in the list of deliveries only."""
        if state == "done":
            return
        for delivery in self.sudo():
            in_lang = delivery.with_context(lang=delivery.user_id.lang or self.env.lang)
            delivery.webhook_id._message_log(body=in_lang._crisis_job_message(state))

    def _crisis_job_message(self, state):
        self.ensure_one()
        if state == "failed":
            return self.env._(
                "%(delivery)s failed after %(attempts)s attempts: %(error)s",
                delivery=self.display_name,
                attempts=self.attempt_count,
                error=self.error,
            )
        return self.env._(
            "%(delivery)s was stopped by %(user)s.",
            delivery=self.display_name,
            user=self.stopped_by_id.name,
        )
