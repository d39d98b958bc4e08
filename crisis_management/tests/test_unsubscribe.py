"""Unsubscribe from the notices of one crisis: by the link, and by one click (RFC 8058)."""

import copy
import email.policy
import io
import re
from ast import literal_eval
from email.generator import BytesGenerator
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import MockEmail

from ..models.crisis_impact import CUSTOMER_EMAIL_LAYOUT, CUSTOMER_EMAIL_SUBTYPE
from .common import CrisisCase

STATEMENT = "<p>Payments failed for six hours; every refused payment can be made again.</p>"
FOOTER = "Stop receiving updates about this incident"
PROGRESS = "crisis_management.mail_template_impact_progress"
# a list header of RFC 2369 §2, unfolded: "<uri>" or "<uri>, <uri>…", nothing else
RFC2369_LIST = re.compile(r"<[^<>\s]+>(?:[ \t]*,[ \t]*<[^<>\s]+>)*")


def header_fields(raw):
    """The header fields of the raw bytes of an email, as a strict reader
    takes them: ASCII lines of at most 998 characters (RFC 5322 §2.1.1),
    unfolded (§2.2.3: a line starting with a space or a tab continues the
    field, only the CRLF is removed).

    :return: [(name, value)] in order
    """
    head, separator, _body = raw.partition(b"\r\n\r\n")
    assert separator, "the header ends with an empty line"
    fields = []
    for line in head.decode("ascii").split("\r\n"):
        assert len(line) <= 998, f"line longer than 998 characters: {line[:60]}…"
        if line[:1] in (" ", "\t"):
            assert fields, "a continuation line opens the header"
            fields[-1][1] += line
        else:
            name, colon, value = line.partition(":")
            assert colon and name and " " not in name, f"not a header field: {line[:60]}"
            fields.append([name, value])
    return [(name, value) for name, value in fields]


def list_header_uris(raw, name="List-Unsubscribe"):
    """The URIs of the list header ``name`` of the raw email, parsed strictly
    (RFC 2369 §2): one field, ``<uri>(, <uri>)*``, no RFC 2047 encoded word."""
    values = [value for field, value in header_fields(raw) if field.lower() == name.lower()]
    assert len(values) == 1, f"{name}: {len(values)} fields"
    value = values[0].strip()
    assert "=?" not in value, f"{name} is RFC 2047-encoded: {value[:60]}"
    assert RFC2369_LIST.fullmatch(value), f"{name} is no list of <URI>s: {value[:60]}"
    return re.findall(r"<([^<>]+)>", value)


def smtplib_bytes(message, utf8=False):
    """The bytes smtplib's ``send_message`` puts on the wire for ``message``
    (Python 3.11: a copy, flattened by a BytesGenerator with the message's
    own policy, CRLF line ends; ``utf8`` as for SMTPUTF8 addresses)."""
    buffer = io.BytesIO()
    generator = BytesGenerator(buffer, policy=message.policy.clone(utf8=True) if utf8 else None)
    generator.flatten(copy.copy(message), linesep="\r\n")
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestUnsubscribe(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis, public_title="Card payments outage", public_statement=STATEMENT
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.other_crisis = cls._create_crisis(
            user=cls.user_crisis, public_title="Delivery delays", public_statement=STATEMENT
        )
        cls.other_crisis.with_user(cls.user_manager).action_approve_statement()
        Impact = cls.env["crisis.impact"]
        Impact._link_partners(cls.crisis, cls.customers[:3].ids, user=cls.user_crisis)
        Impact._link_partners(cls.other_crisis, cls.customers[:1].ids, user=cls.user_crisis)
        cls.lines = cls.crisis.impact_ids.sorted("id")
        cls.line, cls.line_b, cls.line_c = cls.lines
        cls.other_line = cls.other_crisis.impact_ids
        cls.template = cls.env.ref(PROGRESS)
        # the lines exist before the tests (Odoo tracks no change of a record
        # made in the same transaction)
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    # ------------------------------------------------------------------
    # helpers

    def _send(self, lines=None, crisis=None):
        """A progress update to ``lines`` (all the crisis' lines by default), as the agent."""
        crisis = crisis or self.crisis
        return (
            self.env["crisis.update"]
            .with_user(self.user_crisis)
            ._crisis_queue(crisis, lines or crisis.impact_ids, self.template, "progress")
        )

    def _mail_of(self, line, partner=None):
        """The email of the latest notice of ``line`` to ``partner`` (its customer)."""
        partner = partner or line.partner_id
        return self.env["mail.mail"].search(
            [
                ("model", "=", "crisis.impact"),
                ("res_id", "=", line.id),
                ("recipient_ids", "in", partner.ids),
            ],
            order="id desc",
            limit=1,
        )

    def _url(self, line):
        return line._crisis_unsubscribe_url()

    def _path(self, line, token=None):
        return f"/crisis/unsubscribe/{line.id}/{token or line._crisis_unsubscribe_token()}"

    def _csrf(self, response):
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        self.assertTrue(match, "the page's forms carry the CSRF token")
        return match.group(1)

    def _flush_tracking(self):
        """What the end of a request does: the tracking messages are posted."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _tracking_messages(self, line):
        self.env.invalidate_all()
        return line.message_ids.filtered(
            lambda m: "is_unsubscribed" in m.tracking_value_ids.field_id.mapped("name")
        )

    def assertNoticeLink(self, mail, line):
        headers = literal_eval(mail.headers)
        url = self._url(line)
        self.assertEqual(headers.get("List-Unsubscribe"), f"<{url}>")
        self.assertEqual(headers.get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click")
        self.assertTrue(url.startswith(f"{line.get_base_url()}/crisis/unsubscribe/{line.id}/"))
        self.assertIn(FOOTER, mail.body_html)
        self.assertIn(url, mail.body_html)

    def assertNoNoticeLink(self, mail):
        headers = literal_eval(mail.headers) if mail.headers else {}
        self.assertNotIn("List-Unsubscribe", headers)
        self.assertNotIn("List-Unsubscribe-Post", headers)
        self.assertNotIn("/crisis/unsubscribe/", mail.body_html)

    # ------------------------------------------------------------------
    # The headers and the footer of the notices

    def test_headers_and_footer_in_batch(self):
        """The batch path (``crisis.mail.batch``): each customer's own signed link."""
        # a partner who follows the customer emails of a line gets them, without
        # the customer's link
        watcher = self.env["res.partner"].create({"name": "Watcher", "email": "w@example.com"})
        self.line_b.message_subscribe(
            partner_ids=watcher.ids, subtype_ids=self.env.ref(CUSTOMER_EMAIL_SUBTYPE).ids
        )
        update = self._send()
        self.assertEqual(update.queued_count, 3)
        for line in self.lines:
            self.assertNoticeLink(self._mail_of(line), line)
        self.assertNotEqual(
            self.line._crisis_unsubscribe_token(), self.line_b._crisis_unsubscribe_token()
        )
        watcher_mail = self._mail_of(self.line_b, watcher)
        self.assertTrue(watcher_mail)
        self.assertNotEqual(watcher_mail, self._mail_of(self.line_b))
        self.assertNoNoticeLink(watcher_mail)

    def test_headers_and_footer_by_message_post(self):
        """Odoo's own path (the composer, ``message_post`` per line) adds them too."""
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.user_crisis)
            .sudo()  # as the sending job: with the rights the sender had at the click
            .with_context(
                default_composition_mode="comment",
                default_model="crisis.impact",
                default_res_ids=self.lines[:2].ids,
                default_template_id=self.template.id,
            )
            .create(
                {
                    "email_layout_xmlid": CUSTOMER_EMAIL_LAYOUT,
                    "force_send": False,
                    "message_type": "comment",
                    "subtype_id": self.env.ref(CUSTOMER_EMAIL_SUBTYPE).id,
                }
            )
        )
        composer._action_send_mail()
        for line in self.lines[:2]:
            self.assertNoticeLink(self._mail_of(line), line)

    def test_not_on_other_emails(self):
        """A message to the customer that is not a notice, and the followers'
        notifications, carry no unsubscribe link."""
        # kept in the queue to be read (Odoo sends a few emails at once in tests)
        line = self.line.with_user(self.user_crisis).with_context(mail_notify_force_send=False)
        line.message_post(
            body="About your refund: it is on its way.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=line.partner_id.ids,
        )
        self.assertNoNoticeLink(self._mail_of(self.line))
        # the crisis lead, notified by email of a comment on the line
        self.user_manager.notification_type = "email"
        self.line.message_subscribe(partner_ids=self.user_manager.partner_id.ids)
        line.message_post(
            body="Called her back.", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertNoNoticeLink(self._mail_of(self.line, self.user_manager.partner_id))

    # ------------------------------------------------------------------
    # The page and the POSTs

    def test_get_shows_page_without_unsubscribing(self):
        response = self.url_open(self._path(self.line))
        self.assertEqual(response.status_code, 200)
        self.assertIn("Card payments outage", response.text)
        self.assertIn("o_crisis_unsubscribe_confirm", response.text)
        self.assertNotIn(self.line.access_token, response.text, "never the page's token")
        self.env.invalidate_all()
        self.assertFalse(
            self.line.is_unsubscribed, "link scanners open links: GET changes nothing"
        )
        # a form POST without its CSRF token is refused
        with self.assertLogs("odoo.http", "WARNING") as logs:
            response = self.url_open(f"{self._path(self.line)}/confirm", data={"confirm": "1"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("No CSRF validation token", logs.output[0])
        self.env.invalidate_all()
        self.assertFalse(self.line.is_unsubscribed)

    def test_post_form_unsubscribes(self):
        page = self.url_open(self._path(self.line))
        response = self.url_open(
            f"{self._path(self.line)}/confirm",
            data={"csrf_token": self._csrf(page)},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("crisis_unsubscribe_done", response.text, "the page says it is done")
        self.assertIn("o_crisis_resubscribe", response.text, "and offers to subscribe again")
        self.env.invalidate_all()
        self.assertTrue(self.line.is_unsubscribed)
        self.assertTrue(self.line.date_unsubscribed)
        self.assertFalse(self.line_b.is_unsubscribed, "only this line")
        self.assertFalse(self.other_line.is_unsubscribed, "only this crisis")
        self.assertFalse(
            self.env["mail.blacklist"].search([("email", "=", "customer0@example.com")]),
            "the address is not blacklisted",
        )
        # the agent sees it in the line's chatter: who, how, the tracked change
        message = self._tracking_messages(self.line)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.line.partner_id)
        self.assertIn("unsubscribed from the notices of this crisis", message.body)
        self.assertIn(self.line.partner_id.name, message.body)
        # the agent follows the line, and reads it there
        self.assertIn(self.user_crisis.partner_id, self.line.message_partner_ids)
        self.assertTrue(
            self.line.with_user(self.user_crisis).message_ids.filtered(
                lambda m: m.id == message.id
            )
        )
        # twice: nothing more
        again = self.url_open(
            f"{self._path(self.line)}/confirm", data={"csrf_token": self._csrf(response)}
        )
        self.assertEqual(again.status_code, 200)
        self.assertEqual(len(self._tracking_messages(self.line)), 1)

    def test_one_click_post(self):
        """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, without a session."""
        url = self._path(self.line_b)
        response = self.url_open(url, data={"List-Unsubscribe": "One-Click"})
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertTrue(self.line_b.is_unsubscribed)
        self.assertIn("one click", self._tracking_messages(self.line_b).body)
        self.assertFalse(
            self.env["mail.blacklist"].search([("email", "=", "customer1@example.com")])
        )
        # multipart, as some providers send it
        response = self.url_open(
            self._path(self.line_c), files={"List-Unsubscribe": (None, "One-Click")}
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertTrue(self.line_c.is_unsubscribed)

    def test_post_without_one_click_body_refused(self):
        response = self.url_open(self._path(self.line), data={"unsubscribe": "1"})
        self.assertEqual(response.status_code, 400)
        self.env.invalidate_all()
        self.assertFalse(self.line.is_unsubscribed)

    def test_wrong_tokens_refused(self):
        """A forged token, another line's, or no such line: the same 404, nothing told."""
        other_token = self.line_b._crisis_unsubscribe_token()
        missing = self.env["crisis.impact"].search([], order="id desc", limit=1).id + 1000
        for path in (
            self._path(self.line, "0" * 64),
            self._path(self.line, other_token),
            self._path(self.line, self.line.access_token),
            f"/crisis/unsubscribe/{missing}/{other_token}",
        ):
            with self.subTest(path=path):
                response = self.url_open(path)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn("Card payments outage", response.text)
                response = self.url_open(path, data={"List-Unsubscribe": "One-Click"})
                self.assertEqual(response.status_code, 404)
                self.assertNotIn("Card payments outage", response.text)
        page = self.url_open(self._path(self.line))
        response = self.url_open(
            f"{self._path(self.line, other_token)}/confirm", data={"csrf_token": self._csrf(page)}
        )
        self.assertEqual(response.status_code, 404)
        self.env.invalidate_all()
        self.assertFalse(self.lines.filtered("is_unsubscribed"))

    def test_resubscribe(self):
        self.line._crisis_unsubscribe()
        self._flush_tracking()
        page = self.url_open(self._path(self.line))
        self.assertIn("crisis_unsubscribe_done", page.text)
        response = self.url_open(
            f"{self._path(self.line)}/resubscribe", data={"csrf_token": self._csrf(page)}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_crisis_unsubscribe_confirm", response.text)
        self.env.invalidate_all()
        self.assertFalse(self.line.is_unsubscribed)
        self.assertFalse(self.line.date_unsubscribed)
        messages = self._tracking_messages(self.line)
        self.assertEqual(len(messages), 2)
        self.assertIn("subscribed again", messages.sorted("id")[-1].body)
        # the next update reaches them again
        self._send(self.line)
        self.assertNoticeLink(self._mail_of(self.line), self.line)

    def test_customer_page_shows_it(self):
        """Their page says they unsubscribed, and lets them subscribe again."""
        page = self.url_open(self.line.get_portal_url())
        self.assertIn("crisis_unsubscribe_link", page.text)
        self.line._crisis_unsubscribe()
        self._flush_tracking()
        page = self.url_open(self.line.get_portal_url())
        self.assertIn("crisis_unsubscribed", page.text)
        # the page's form sends the token of the page it came from: back there
        token = re.search(r'name="access_token" value="([^"]+)"', page.text)
        self.assertEqual(token.group(1), self.line.access_token)
        response = self.url_open(
            f"{self._path(self.line)}/resubscribe",
            data={
                "csrf_token": self._csrf(page),
                "back_to_page": "1",
                "access_token": token.group(1),
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn(
            f"/my/crises/{self.line.id}?access_token={self.line.access_token}",
            response.headers["Location"],
        )
        self.env.invalidate_all()
        self.assertFalse(self.line.is_unsubscribed)

    def test_unsubscribe_link_never_gives_the_page_token(self):
        """Whoever holds only the unsubscribe link (a mail provider, a link
        scanner) never gets the customer's page: no token in any answer."""
        token = self.line.access_token
        path = self._path(self.line)

        def assertNoToken(response):
            self.assertNotIn(token, response.text)
            self.assertNotIn(token, response.headers.get("Location", ""))
            self.assertNotIn("access_token", response.headers.get("Location", ""))

        page = self.url_open(path)
        self.assertEqual(page.status_code, 200)
        assertNoToken(page)
        self.assertNotIn("access_token", page.text)
        self.assertIn("the link in our emails", page.text)
        confirmed = self.url_open(
            f"{path}/confirm", data={"csrf_token": self._csrf(page)}, allow_redirects=False
        )
        assertNoToken(confirmed)
        done = self.url_open(confirmed.headers["Location"])
        assertNoToken(done)
        # subscribing again "back to the page" without the page's token: no token
        for data in ({}, {"access_token": "forged"}, {"access_token": self.line_b.access_token}):
            with self.subTest(data=data):
                self.line._crisis_unsubscribe()
                response = self.url_open(
                    f"{path}/resubscribe",
                    data={"csrf_token": self._csrf(page), "back_to_page": "1", **data},
                    allow_redirects=False,
                )
                self.assertEqual(response.status_code, 303)
                assertNoToken(response)
                self.assertTrue(
                    response.headers["Location"].endswith(f"/my/crises/{self.line.id}")
                )
                followed = self.url_open(response.headers["Location"])
                assertNoToken(followed)
                self.assertNotIn("Card payments outage", followed.text)
        # the one-click POST answers nothing more
        one_click = self.url_open(path, data={"List-Unsubscribe": "One-Click"})
        assertNoToken(one_click)

    def test_unsubscribe_page_links_the_logged_in_customer_to_their_page(self):
        """A customer logged in to the portal gets the link to their page (no token)."""
        self.line.partner_id = self.user_portal.partner_id
        self.authenticate(self.user_portal.login, self.user_portal.login)
        page = self.url_open(self._path(self.line))
        self.assertIn(f'href="/my/crises/{self.line.id}"', page.text)
        self.assertNotIn(self.line.access_token, page.text)

    def test_tour_customer_unsubscribes(self):
        """A logged-out customer opens the link of an email and confirms."""
        self.start_tour(self._path(self.line_b), "crisis_management_unsubscribe_tour")
        self.env.invalidate_all()
        self.assertTrue(self.line_b.is_unsubscribed)
        self.assertFalse(self.line.is_unsubscribed)
        self.assertEqual(self._tracking_messages(self.line_b).author_id, self.line_b.partner_id)


@tagged("post_install", "-at_install")
class TestUnsubscribeOnTheWire(HttpCase, CrisisCase, MockEmail):
    """The List-Unsubscribe header of the notices as Odoo sends them: the
    bytes of the message ``mail.mail._send`` builds, read back strictly."""

    BASE_URL = "https://crisis-test.example.com"
    ALIAS_DOMAIN = "inbox.crisis-test.example.com"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        alias_domain = cls.env["mail.alias.domain"].create(
            {
                "name": cls.ALIAS_DOMAIN,
                "catchall_alias": "catchall",
                "bounce_alias": "bounce",
                "company_ids": [(4, cls.company.id)],
            }
        )
        cls.company.alias_domain_id = alias_domain
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis, public_title="Card payments outage", public_statement=STATEMENT
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.crisis.with_user(cls.user_manager).action_create_inbox()
        cls.no_inbox = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.no_inbox.with_user(cls.user_manager).action_approve_statement()
        Impact = cls.env["crisis.impact"]
        # a long name: the To header is folded, as every email's
        cls.customers[0].name = "Customer Zero With A Rather Long Name, Head Of Procurement"
        cls.lines = Impact._link_partners(cls.crisis, cls.customers[:2].ids, user=cls.user_crisis)
        cls.no_inbox_line = Impact._link_partners(
            cls.no_inbox, cls.customers[:1].ids, user=cls.user_crisis
        )
        cls.template = cls.env.ref(PROGRESS)

    def setUp(self):
        super().setUp()
        # the address of the database's links, as in production (HttpCase sets its own)
        self.env["ir.config_parameter"].set_param("web.base.url", self.BASE_URL)

    def _send_notices(self, lines):
        """Queue a notice to ``lines``, and let Odoo's mail queue send it.

        :return: {line: the email.message.EmailMessage handed to the SMTP
            server for its customer}
        """
        lines.with_user(self.user_crisis)._crisis_send(self.template)
        mails = self.env["mail.mail"].search(
            [("model", "=", "crisis.impact"), ("res_id", "in", lines.ids)]
        )
        self.assertEqual(len(mails), len(lines))
        with self.mock_mail_gateway():
            mails.send()
        sent = [call.args[1] for call in self.send_email_mocked.call_args_list]
        self.assertEqual(len(sent), len(lines))
        messages = {}
        for line in lines:
            [message] = [m for m in sent if line.partner_id.email in m["To"]]
            messages[line] = message
        return messages

    def test_header_on_the_wire(self):
        """``<https://…>, <mailto:inbox?subject=…>``, never encoded, on what
        ``as_bytes()`` and smtplib write."""
        messages = self._send_notices(self.lines)
        for line, message in messages.items():
            url = line._crisis_unsubscribe_url()
            self.assertTrue(url.startswith(f"{self.BASE_URL}/crisis/unsubscribe/{line.id}/"))
            self.assertGreater(len(f"List-Unsubscribe: <{url}>"), 78, "long enough to be folded")
            for raw in (message.as_bytes(), smtplib_bytes(message), smtplib_bytes(message, True)):
                with self.subTest(line=line.id):
                    https, mailto = list_header_uris(raw)
                    self.assertEqual(https, url)
                    mailto = urlsplit(mailto)
                    self.assertEqual(mailto.scheme, "mailto")
                    self.assertEqual(mailto.path, self.crisis.alias_email)
                    self.assertEqual(
                        parse_qs(mailto.query),
                        {"subject": [f"unsubscribe-{line.id}-{line._crisis_unsubscribe_token()}"]},
                    )
                    self.assertEqual(
                        [v.strip() for f, v in header_fields(raw) if f == "List-Unsubscribe-Post"],
                        ["List-Unsubscribe=One-Click"],
                    )
                    # one line: nothing folded inside the header
                    self.assertIn(f"\r\nList-Unsubscribe: <{url}>, <mailto:".encode(), raw)
        # two customers, two signatures
        self.assertNotEqual(*(list_header_uris(m.as_bytes()) for m in messages.values()))

    def test_header_without_inbox(self):
        """A crisis without an inbox: the signed link alone."""
        message = self._send_notices(self.no_inbox_line)[self.no_inbox_line]
        self.assertEqual(
            list_header_uris(message.as_bytes()), [self.no_inbox_line._crisis_unsubscribe_url()]
        )

    def test_other_headers_and_emails_unchanged(self):
        """Only the list headers are written otherwise: the other headers of a
        notice are the bytes Odoo's own policy writes, and emails without a
        list header keep Odoo's policy."""
        message = self._send_notices(self.lines[:1])[self.lines[:1]]
        ours = header_fields(message.as_bytes())
        odoos = header_fields(message.as_bytes(policy=email.policy.SMTP))
        self.assertEqual(
            [field for field in ours if not field[0].lower().startswith("list-")],
            [field for field in odoos if not field[0].lower().startswith("list-")],
        )
        self.assertIn("=?utf-8?", dict(odoos)["List-Unsubscribe"], "what Odoo alone sends")
        plain = self.env["ir.mail_server"].build_email(
            "crisis@example.com",
            ["customer0@example.com"],
            "A subject",
            "<p>Body</p>",
            subtype="html",
            headers={"X-Custom": "x" * 120},
        )
        self.assertIs(plain.policy, email.policy.SMTP, "other emails: Odoo's policy")

    def test_long_list_folded_between_uris(self):
        """Beyond 998 characters, the header is folded between its URIs only."""
        uris = [f"https://crisis-test.example.com/{index}/{'a' * 400}" for index in range(3)]
        message = self.env["ir.mail_server"].build_email(
            "crisis@example.com",
            ["customer0@example.com"],
            "A subject",
            "Body",
            headers={"List-Unsubscribe": ", ".join(f"<{uri}>" for uri in uris)},
        )
        raw = message.as_bytes()
        self.assertEqual(list_header_uris(raw), uris)
        self.assertIn(f"<{uris[0]}>,\r\n <{uris[1]}>".encode(), raw)

    def test_one_click_post_as_a_mail_provider(self):
        """RFC 8058: the provider POSTs ``List-Unsubscribe=One-Click`` to the
        https URI of the header, without cookies nor CSRF token."""
        line = self.lines[1]
        message = self._send_notices(line)[line]
        https, _mailto = list_header_uris(smtplib_bytes(message))
        # the test server answers on its own address
        url = self.base_url() + urlsplit(https).path
        response = requests.post(
            url,
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
            timeout=30,
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.cookies.get("csrf_token"))
        self.env.invalidate_all()
        self.assertTrue(line.is_unsubscribed)
        self.assertFalse(self.lines[0].is_unsubscribed)


@tagged("post_install", "-at_install")
class TestUnsubscribedSkipped(CrisisCase):
    """Unsubscribed lines get no more notices of their crisis, on every path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.other_crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.other_crisis.with_user(cls.user_manager).action_approve_statement()
        Impact = cls.env["crisis.impact"]
        Impact._link_partners(cls.crisis, cls.customers[:4].ids, user=cls.user_crisis)
        Impact._link_partners(cls.other_crisis, cls.customers[:1].ids)
        cls.lines = cls.crisis.impact_ids.sorted("id")
        cls.gone = cls.lines[0]
        cls.gone._crisis_unsubscribe()
        cls.template = cls.env.ref(PROGRESS)

    def _wizard(self, **values):
        return (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create(values)
        )

    def _notices(self, line):
        return line.message_ids.filtered(lambda m: m.message_type == "comment")

    def test_wizard_counts_and_update_skips(self):
        wizard = self._wizard(kind="progress")
        self.assertEqual(
            (wizard.recipient_count, wizard.unsubscribed_count, wizard.blacklisted_count),
            (3, 1, 0),
        )
        wizard.action_review_send()
        wizard.action_send()
        update = self.crisis.update_ids
        self.assertEqual(
            (update.queued_count, update.unsubscribed_count, update.skipped_count), (3, 1, 1)
        )
        self.assertEqual(
            update.recipient_ids.filtered(lambda r: r.impact_id == self.gone).state,
            "unsubscribed",
        )
        self.assertFalse(self._notices(self.gone))
        self.assertFalse(self.gone.last_update_id)
        self.assertEqual(self.gone.contact_status, "to_contact")
        self.assertTrue(all(self._notices(line) for line in self.lines[1:]))
        # the log on the crisis counts them among the skipped
        self.assertIn("1 skipped", self.crisis.message_ids[0].body)

    def test_other_crisis_and_blacklist_untouched(self):
        self.assertFalse(
            self.env["mail.blacklist"]
            .search([])
            .filtered(lambda b: b.email == self.gone.partner_id.email_normalized)
        )
        self.assertEqual(
            self.env["crisis.impact"]._crisis_count_recipients(
                [("crisis_id", "=", self.other_crisis.id)]
            )["sent"],
            1,
        )
        update = (
            self.env["crisis.update"]
            .with_user(self.user_crisis)
            ._crisis_queue(
                self.other_crisis, self.other_crisis.impact_ids, self.template, "progress"
            )
        )
        self.assertEqual(update.queued_count, 1, "the customer still hears about other crises")

    def test_blacklisted_counted_as_blacklisted(self):
        """A blacklisted address stays counted as blacklisted, unsubscribed or not."""
        self.env["mail.blacklist"].create({"email": self.gone.partner_id.email})
        counts = self.env["crisis.impact"]._crisis_count_recipients(
            [("crisis_id", "=", self.crisis.id)]
        )
        self.assertEqual((counts["blacklisted"], counts["unsubscribed"]), (1, 0))

    def test_stage_notice_and_satisfaction_skip_them(self):
        stage = self.stage_resolved
        stage.mail_template_id = self.template
        self.crisis.with_user(self.user_manager).stage_id = stage
        self.assertFalse(self._notices(self.gone))
        update = self.crisis.update_ids
        self.assertEqual(update.unsubscribed_count, 1)
        # the satisfaction request: no rating token, no request date, no email
        self.lines._crisis_request_rating(
            self.env.ref("crisis_management.mail_template_impact_satisfaction")
        )
        self.assertFalse(self.gone.rating_ids)
        self.assertFalse(self.gone.date_rating_requested)
        self.assertFalse(self._notices(self.gone))
        self.assertTrue(self.lines[1].date_rating_requested)

    def test_agent_records_the_customers_request(self):
        """A customer who asks on the phone: the agent stops the notices, and
        resumes them when asked; someone who may not change the line may not."""
        target = self.lines[1]
        line = target.with_user(self.user_crisis)

        def tracked():
            self.env.flush_all()
            self.env.cr.precommit.run()  # the end of the request: tracking posted
            self.env.invalidate_all()
            return target.message_ids.filtered(
                lambda m: "is_unsubscribed" in m.tracking_value_ids.field_id.mapped("name")
            )

        with self.assertRaises(AccessError):
            target.with_user(self.user_crisis_2).action_stop_notices()
        self.assertIs(line.action_stop_notices(), True)
        message = tracked()
        self.assertTrue(target.is_unsubscribed)
        self.assertIn("at the request of", message.body)
        self.assertEqual(message.author_id, self.user_crisis.partner_id)
        self.assertFalse(
            self.env["mail.blacklist"].search([("email", "=", target.partner_id.email)])
        )
        update = (
            self.env["crisis.update"]
            .with_user(self.user_crisis)
            ._crisis_queue(self.crisis, self.lines, self.template, "progress")
        )
        self.assertEqual(update.unsubscribed_count, 2, "this line and the one gone before")
        with self.assertRaises(AccessError):
            target.with_user(self.user_crisis_2).action_resume_notices()
        self.assertIs(line.action_resume_notices(), True)
        self.assertIn("resumed the notices", tracked()[:1].body)
        self.assertFalse(target.is_unsubscribed)

    def test_guarded_fields_refused_to_users(self):
        line = self.lines[1]
        agent_line = line.with_user(self.user_crisis)
        for values in (
            {"is_unsubscribed": True},
            {"date_unsubscribed": "2024-01-01 10:00:00"},
        ):
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(UserError, "cannot be set directly"),
            ):
                agent_line.write(values)
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            self.gone.with_user(self.user_manager).write({"is_unsubscribed": False})
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            self.env["crisis.impact"].with_user(self.user_crisis).create(
                {
                    "crisis_id": self.crisis.id,
                    "partner_id": self.customers[4].id,
                    "is_unsubscribed": True,
                }
            )
        with self.assertRaises(AccessError):
            line.with_user(self.user_portal).write({"is_unsubscribed": True})
        self.assertFalse(line.is_unsubscribed)
        self.assertTrue(self.gone.is_unsubscribed)
