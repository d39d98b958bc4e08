"""The Atom feeds of the status page, read by a real feed parser, and the
links to them (and to the JSON summary) in the pages' head."""

from datetime import timedelta

import feedparser
from lxml import html

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.crisis_management.tests.common import CARD_OUTAGE, CrisisCase
from odoo.addons.crisis_management_status.controllers import feed, status

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"


@tagged("post_install", "-at_install")
class TestStatusFeed(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["res.lang"]._activate_lang("zh_CN")
        # the demo data's published crises are not part of these feeds
        env["crisis.crisis"].search([("is_published", "=", True)]).sudo().action_unpublish()
        cls.crisis = cls._create_card_outage_crisis()
        cls.crisis.with_user(cls.user_manager).action_publish()
        now = fields.Datetime.now()
        Update = env["crisis.update"].sudo()
        cls.older = Update.create(
            {
                "crisis_id": cls.crisis.id,
                "name": "We are looking into it",
                "body": "<p>Card payments fail <b>since 9:00</b> &amp; we investigate.</p>",
                "is_public": True,
                "date_sent": now - timedelta(hours=3),
            }
        )
        cls.newer = Update.create(
            {
                "crisis_id": cls.crisis.id,
                "name": "Payments are back",
                "body": "<p>Payments work again since noon.</p>",
                "is_public": True,
                "date_sent": now - timedelta(hours=1),
            }
        )
        cls.newer.update_field_translations("name", {"zh_CN": "支付已恢复"})
        # what the page never shows
        cls.private = Update.create(
            {
                "crisis_id": cls.crisis.id,
                "name": "Your voucher inside",
                "body": "<p>Private offer.</p>",
                "date_sent": now - timedelta(minutes=30),
            }
        )
        cls.cancelled = Update.create(
            {
                "crisis_id": cls.crisis.id,
                "name": "Sent by mistake",
                "is_public": True,
                "state": "cancelled",
            }
        )
        cls.drill = cls._create_approved_crisis(
            public_title="Drill: data leak", public_statement=STATEMENT, is_drill=True
        )
        cls.unpublished = cls._create_approved_crisis(
            public_title="Warehouse flooded", public_statement=STATEMENT
        )
        cls.other = cls._create_crisis(
            user=cls.user_manager_2,
            company_id=cls.company_2.id,
            public_title="Company two outage",
            public_statement=STATEMENT,
        )
        cls.other.with_user(cls.user_manager_2).action_approve_statement()
        cls.other.with_user(cls.user_manager_2).action_publish()
        Update.create(
            [
                {
                    "crisis_id": crisis.id,
                    "name": f"Hidden update of {crisis.public_title}",
                    "body": "<p>Not on this page.</p>",
                    "is_public": True,
                }
                for crisis in (cls.drill, cls.unpublished, cls.other)
            ]
        )

    def setUp(self):
        super().setUp()
        status._VALUES.clear()
        self.addCleanup(status._VALUES.clear)
        self.authenticate(None, None)

    def _feed(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertEqual(response.headers["Content-Type"], "application/atom+xml; charset=utf-8")
        parsed = feedparser.parse(response.content)
        self.assertFalse(parsed.bozo, parsed.get("bozo_exception"))
        self.assertEqual(parsed.version, "atom10")
        return parsed

    def test_company_feed(self):
        parsed = self._feed("/status/feed.atom")
        base = self.crisis.get_base_url()
        self.assertTrue(parsed.feed.id.startswith("tag:"))
        self.assertTrue(parsed.feed.id.endswith(f":crisis-status/company/{self.company.id}"))
        self.assertEqual(parsed.feed.title, f"Status of {self.company.name}")
        self.assertEqual(parsed.feed.language, "en-US")
        self.assertEqual(parsed.feed.author_detail.name, self.company.name)
        links = {link.rel: link.href for link in parsed.feed.links}
        self.assertEqual(links["alternate"], f"{base}/status")
        self.assertEqual(links["self"], f"{base}/status/feed.atom")
        # the public updates of the published crisis only, newest first
        titles = [entry.title for entry in parsed.entries]
        self.assertEqual(
            titles,
            [
                f"{CARD_OUTAGE['title']}: Payments are back",
                f"{CARD_OUTAGE['title']}: We are looking into it",
            ],
        )
        newer, older = parsed.entries
        self.assertTrue(newer.id.startswith("tag:"))
        self.assertTrue(newer.id.endswith(f":crisis-status/update/{self.newer.id}"))
        self.assertNotEqual(newer.id, older.id)
        self.assertEqual(
            fields.Datetime.to_datetime(
                "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format(*newer.published_parsed[:6])
            ),
            self.newer.date_sent.replace(microsecond=0),
        )
        self.assertEqual(newer.updated_parsed, newer.published_parsed)
        # the feed changed when its newest entry did
        self.assertEqual(parsed.feed.updated_parsed, newer.updated_parsed)
        self.assertTrue(parsed.feed.updated.endswith("Z"))
        self.assertEqual(newer.link, f"{base}/status/{self.crisis.id}#update-{self.newer.id}")
        # the body as HTML, escaped in the XML and whole again for the reader
        self.assertEqual(older.content[0].type, "text/html")
        self.assertIn("<b>since 9:00</b> &amp; we investigate", older.content[0].value)
        for hidden in ("voucher", "mistake", "Hidden update", "Private"):
            self.assertNotIn(hidden, str(parsed))

    def test_feed_in_the_readers_language(self):
        parsed = self._feed(f"/status/{self.crisis.id}/feed.atom?lang=zh_CN")
        self.assertEqual(parsed.feed.language, "zh-CN")
        self.assertEqual(parsed.feed.title, CARD_OUTAGE["title_zh"])
        self.assertEqual(parsed.entries[0].title, "支付已恢复")
        links = {link.rel: link.href for link in parsed.feed.links}
        self.assertTrue(links["self"].endswith(f"/status/{self.crisis.id}/feed.atom?lang=zh_CN"))
        self.assertTrue(links["alternate"].endswith(f"/status/{self.crisis.id}?lang=zh_CN"))
        # an id does not depend on the language
        english = self._feed(f"/status/{self.crisis.id}/feed.atom")
        self.assertEqual(english.feed.id, parsed.feed.id)
        self.assertEqual(english.entries[0].title, "Payments are back")
        self.assertEqual([e.id for e in english.entries], [e.id for e in parsed.entries])

    def test_crisis_feed_and_the_crises_it_refuses(self):
        parsed = self._feed(f"/status/{self.crisis.id}/feed.atom")
        self.assertTrue(parsed.feed.id.endswith(f":crisis-status/crisis/{self.crisis.id}"))
        self.assertEqual(
            [entry.title for entry in parsed.entries],
            ["Payments are back", "We are looking into it"],
        )
        for crisis in (self.drill, self.unpublished, self.other.browse(999999)):
            with self.subTest(crisis=crisis.id):
                self.assertEqual(self.url_open(f"/status/{crisis.id}/feed.atom").status_code, 404)
        # the other company's feed has its own crisis only
        parsed = self._feed(f"/status/company/{self.company_2.id}/feed.atom")
        self.assertEqual(
            [entry.title for entry in parsed.entries],
            ["Company two outage: Hidden update of Company two outage"],
        )
        # unpublished: gone
        self.crisis.with_user(self.user_manager).action_unpublish()
        self.assertEqual(self.url_open(f"/status/{self.crisis.id}/feed.atom").status_code, 404)
        self.assertEqual(self._feed("/status/feed.atom").entries, [])

    def test_feed_keeps_the_newest_entries(self):
        now = fields.Datetime.now()
        self.env["crisis.update"].sudo().create(
            [
                {
                    "crisis_id": self.crisis.id,
                    "name": f"Minute {minute}",
                    "is_public": True,
                    "date_sent": now - timedelta(minutes=minute),
                }
                for minute in range(1, feed.FEED_LIMIT + 5)
            ]
        )
        parsed = self._feed(f"/status/{self.crisis.id}/feed.atom")
        self.assertEqual(len(parsed.entries), feed.FEED_LIMIT)
        self.assertEqual(parsed.entries[0].title, "Minute 1")
        self.assertEqual(parsed.entries[-1].title, f"Minute {feed.FEED_LIMIT}")

    def test_feed_cached_a_minute_with_an_etag(self):
        response = self.url_open("/status/feed.atom")
        self.assertEqual(response.headers["Cache-Control"], "public, max-age=60")
        self.assertNotIn("Set-Cookie", response.headers)
        etag = response.headers["ETag"]
        again = self.url_open("/status/feed.atom", headers={"If-None-Match": etag})
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")

    def test_pages_advertise_their_feed_and_summary(self):
        for url, atom, summary in (
            ("/status", "/status/feed.atom", "/status/summary.json"),
            (
                f"/status/company/{self.company_2.id}",
                f"/status/company/{self.company_2.id}/feed.atom",
                f"/status/company/{self.company_2.id}/summary.json",
            ),
            (
                f"/status/{self.crisis.id}?lang=zh_CN",
                f"/status/{self.crisis.id}/feed.atom?lang=zh_CN",
                f"/status/{self.crisis.id}/summary.json?lang=zh_CN",
            ),
        ):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 200)
                head = html.fromstring(response.content).find("head")
                atom_links = head.xpath("link[@rel='alternate'][@type='application/atom+xml']")
                json_links = head.xpath("link[@rel='alternate'][@type='application/json']")
                self.assertEqual([link.get("href") for link in atom_links], [atom])
                self.assertEqual([link.get("href") for link in json_links], [summary])
                self.assertTrue(atom_links[0].get("title"))
                # the links lead to a feed and a summary
                self.assertEqual(self.url_open(atom).status_code, 200)
                self.assertEqual(self.url_open(summary).status_code, 200)
