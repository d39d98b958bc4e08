"""Webhooks: each update shown on the status page POSTed, signed, to the
integrators' endpoints, in the background with retries."""

import hashlib
import hmac
import json
import threading
import time
import xmlrpc.client
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.base.tests.test_ir_cron import CronMixinCase
from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.crisis_management_status.models import crisis_webhook_delivery

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
CRON = "crisis_management_status.ir_cron_crisis_webhook_deliveries"


class Receiver(ThreadingHTTPServer):
    """An integrator's endpoint on 127.0.0.1: keeps what it receives, answers ``status``."""

    def __init__(self):
        self.received = []
        self.status = 200
        super().__init__(("127.0.0.1", 0), ReceiverHandler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/crisis"


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.received.append((self.path, dict(self.headers), body))
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok" if self.server.status < 300 else b"receiver broken")

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: the test asserts what was received."""


@tagged("post_install", "-at_install")
class TestWebhook(CronMixinCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receiver = Receiver()
        thread = threading.Thread(target=cls.receiver.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(cls.receiver.server_close)
        cls.addClassCleanup(cls.receiver.shutdown)
        cls.env["crisis.crisis"].search([("is_published", "=", True)]).sudo().action_unpublish()
        cls.webhook = (
            cls.env["crisis.webhook"]
            .with_user(cls.user_manager)
            .create({"name": "Incident bot", "url": cls.receiver.url})
        ).with_env(cls.env)
        cls.crisis = cls._create_approved_crisis(
            public_title="Checkout unavailable", public_statement=STATEMENT
        )
        cls.Delivery = cls.env["crisis.webhook.delivery"]

    def setUp(self):
        super().setUp()
        self.receiver.received.clear()
        self.receiver.status = 200

    def _public_update(self, crisis=None, **values):
        return (
            self.env["crisis.update"]
            .sudo()
            .create(
                {
                    "crisis_id": (crisis or self.crisis).id,
                    "name": "Payments are back",
                    "body": "<p>Payments work again since noon.</p>",
                    "is_public": True,
                    **values,
                }
            )
        )

    def _deliveries(self, **domain):
        return self.Delivery.search(
            [("webhook_id", "=", self.webhook.id)]
            + [(name, "=", value) for name, value in domain.items()],
            order="id",
        )

    def _run_cron(self):
        """The scheduled action, as Odoo's scheduler runs it, until nothing is due."""
        for _call in range(20):
            if not self.Delivery._cron_deliver():
                break

    def assertSigned(self, headers, body, secret):
        parts = dict(part.split("=", 1) for part in headers["X-Crisis-Signature"].split(","))
        timestamp = int(parts["t"])
        self.assertLess(abs(time.time() - timestamp), 60, "a fresh timestamp")
        expected = hmac.new(
            secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        self.assertTrue(hmac.compare_digest(parts["v1"], expected))

    def test_public_update_is_posted_signed(self):
        self.crisis.with_user(self.user_manager).action_publish()
        # the publication itself is news for the integrators
        (published,) = self._deliveries()
        self.assertEqual(published.event, "crisis.published")
        with self.capture_triggers(CRON) as triggers:
            update = self._public_update()
        (delivery,) = self._deliveries(event="update.published")
        self.assertEqual(delivery.state, "queued")
        self.assertEqual(delivery.update_id, update)
        self.assertTrue(triggers.records, "the scheduler is woken up")
        self.assertFalse(self.receiver.received, "nothing is sent in the user's transaction")

        self._run_cron()
        self.assertEqual(len(self.receiver.received), 2)
        path, headers, body = self.receiver.received[-1]
        self.assertEqual(path, "/hooks/crisis")
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(headers["X-Crisis-Event"], "update.published")
        self.assertEqual(headers["X-Crisis-Delivery"], str(delivery.id))
        self.assertIn("webhook", headers["User-Agent"])
        self.assertSigned(headers, body, self.webhook.secret)
        # a wrong secret does not check out
        with self.assertRaises(AssertionError):
            self.assertSigned(headers, body, "not the secret")
        payload = json.loads(body)
        self.assertEqual(payload["event"], "update.published")
        self.assertEqual(payload["company"]["id"], self.company.id)
        self.assertEqual(payload["crisis"]["title"], "Checkout unavailable")
        self.assertEqual(payload["update"]["id"], update.id)
        self.assertEqual(payload["update"]["title"], "Payments are back")
        self.assertEqual(payload["update"]["body_text"], "Payments work again since noon.")
        self.assertEqual(body.decode(), delivery.payload)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.attempt_count, 1)
        self.assertEqual(delivery.response_status, 200)
        self.assertTrue(delivery.date_delivered)
        self.assertEqual(published.state, "done")

        # once per update and webhook: shown again, republished, nothing new
        update.with_user(self.user_manager).action_make_private()
        update.with_user(self.user_manager).action_make_public()
        self.crisis.with_user(self.user_manager).action_unpublish()
        self.crisis.with_user(self.user_manager).action_publish()
        self.assertEqual(len(self._deliveries(event="update.published")), 1)

    def test_only_what_the_status_page_shows(self):
        drill = self._create_approved_crisis(
            public_title="Drill", public_statement=STATEMENT, is_drill=True
        )
        other = self._create_crisis(
            user=self.user_manager_2,
            company_id=self.company_2.id,
            public_statement=STATEMENT,
        )
        other.with_user(self.user_manager_2).action_approve_statement()
        other.with_user(self.user_manager_2).action_publish()
        # not published yet, a drill, another company's, private, cancelled
        waiting = self._public_update()
        self._public_update(crisis=drill)
        self._public_update(crisis=other)
        published = self.crisis.with_user(self.user_manager)
        self._public_update(is_public=False, name="Private")
        self.assertFalse(self._deliveries())
        # published: the update it held back goes, once
        published.action_publish()
        self.assertEqual(self._deliveries(event="update.published").update_id, waiting)
        # an archived webhook, or one without the event, is told nothing
        self.webhook.active = False
        self._public_update(name="While archived")
        self.webhook.write({"active": True, "event_update_published": False})
        self._public_update(name="Not wanted")
        self.assertEqual(len(self._deliveries(event="update.published")), 1)

    def test_failing_endpoint_retried_with_backoff_then_failed(self):
        self.webhook.event_crisis_published = False
        self.crisis.with_user(self.user_manager).action_publish()
        self.receiver.status = 500
        self._public_update()
        (delivery,) = self._deliveries()
        expected = [timedelta(minutes=m) for m in (1, 5, 30, 120, 720)]
        for attempt, delay in enumerate(expected, start=1):
            with self.capture_triggers(CRON) as triggers:
                self._run_cron()
            self.assertEqual(delivery.attempt_count, attempt)
            self.assertEqual(delivery.state, "queued")
            self.assertEqual(delivery.response_status, 500)
            self.assertIn("HTTP 500", delivery.last_error)
            self.assertEqual(delivery.next_attempt_date - delivery.date_last_attempt, delay)
            self.assertIn(delivery.next_attempt_date, triggers.records.mapped("call_at"))
            # not due yet: the scheduler leaves it
            self._run_cron()
            self.assertEqual(len(self.receiver.received), attempt)
            # the time has come
            delivery.sudo().next_attempt_date = fields.Datetime.now() - timedelta(seconds=1)
        self._run_cron()
        self.assertEqual(len(self.receiver.received), crisis_webhook_delivery.MAX_ATTEMPTS)
        self.assertEqual(delivery.state, "failed")
        self.assertEqual(delivery.attempt_count, 6)
        self.assertFalse(delivery.next_attempt_date)
        self.assertIn("HTTP 500: receiver broken", delivery.error)
        self.assertIn("failed after 6 attempts", self.webhook.message_ids[0].body)
        # never again by itself; Retry starts over
        self._run_cron()
        self.assertEqual(len(self.receiver.received), 6)
        self.receiver.status = 204
        delivery.with_user(self.user_manager).action_retry()
        self._run_cron()
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.response_status, 204)

    def test_unreachable_endpoint_is_retried(self):
        self.webhook.url = "http://127.0.0.1:9/closed"
        self.webhook.with_user(self.user_manager).action_send_test()
        self._run_cron()
        (delivery,) = self._deliveries()
        self.assertEqual(delivery.state, "queued")
        self.assertEqual(delivery.response_status, 0)
        self.assertTrue(delivery.last_error)

    def test_send_test(self):
        result = self.webhook.with_user(self.user_manager).action_send_test()
        # an answer XML-RPC can carry
        xmlrpc.client.dumps((result,), allow_none=False)
        (delivery,) = self._deliveries()
        self.assertEqual(delivery.event, "ping")
        # the scheduled action itself, as Odoo's scheduler (or Run Manually) runs it
        self.env.ref(CRON).method_direct_trigger()
        (_path, headers, body) = self.receiver.received[0]
        self.assertEqual(headers["X-Crisis-Event"], "ping")
        self.assertSigned(headers, body, self.webhook.secret)
        self.assertEqual(json.loads(body)["webhook"]["name"], "Incident bot")
        self.assertEqual(delivery.state, "done")
        # a new secret signs from now on
        old = self.webhook.secret
        self.webhook.with_user(self.user_manager).action_regenerate_secret()
        self.assertNotEqual(self.webhook.secret, old)
        self.assertEqual(len(self.webhook.secret), 64)

    def test_managers_only_and_per_company(self):
        Webhook = self.env["crisis.webhook"]
        with self.assertRaises(AccessError):
            Webhook.with_user(self.user_crisis).create({"name": "Mine", "url": "https://a.test"})
        with self.assertRaises(AccessError):
            self.webhook.with_user(self.user_crisis).read(["secret"])
        with self.assertRaises(AccessError):
            self.Delivery.with_user(self.user_crisis).search([])
        with self.assertRaises(AccessError):
            self.webhook.with_user(self.user_crisis).action_send_test()
        # the other company's manager sees none of them
        manager_2 = Webhook.with_user(self.user_manager_2)
        self.assertFalse(manager_2.search([]))
        with self.assertRaises(AccessError):
            self.webhook.with_user(self.user_manager_2).read(["secret"])
        self.webhook.with_user(self.user_manager).action_send_test()
        self.assertFalse(self.Delivery.with_user(self.user_manager_2).search([]))
        # the manager of the company reads the secret, made for them
        secret = self.webhook.with_user(self.user_manager).read(["secret"])[0]["secret"]
        self.assertRegex(secret, r"^[0-9a-f]{64}$")
        # deliveries are written by the engine only
        delivery = self._deliveries()
        with self.assertRaises(UserError):
            delivery.with_user(self.user_manager).write({"state": "done"})

    def test_url_is_checked(self):
        Webhook = self.env["crisis.webhook"].with_user(self.user_manager)
        for url in (
            "http://example.com/hook",
            "ftp://example.com/hook",
            "https://",
            "https://user:password@example.com/hook",
            "https://exa mple.com/hook",
            "https://example.com/\x00",
            "https://example.com:99999/hook",
            "example.com/hook",
            "javascript:alert(1)",
        ):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                Webhook.create({"name": "Bad", "url": url})
        for url in ("https://hooks.example.com/crisis", "http://localhost:8080/hook"):
            self.assertTrue(Webhook.create({"name": "Good", "url": url}))
        with self.assertRaises(ValidationError):
            self.webhook.with_user(self.user_manager).url = "http://10.0.0.1/hook"
