"""The public status page: what anyone reads of the published crises."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields, sql_db
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.registry import Registry
from odoo.tests import HttpCase, tagged

from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.crisis_management_status.controllers import status

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"


@tagged("post_install", "-at_install")
class TestStatusPage(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the demo data's published recall is not part of these pages
        cls.env["crisis.crisis"].search([("is_published", "=", True)]).sudo().action_unpublish()
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis,
            name="Internal: checkout bug of the Paris team",
            public_title="Checkout unavailable",
            public_statement=STATEMENT,
            talking_points="<p>Say nothing about the supplier Acme.</p>",
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.impact = cls.env["crisis.impact"].create(
            {"crisis_id": cls.crisis.id, "partner_id": cls.customers[0].id}
        )
        Update = cls.env["crisis.update"].sudo()
        cls.public_update = Update.create(
            {
                "crisis_id": cls.crisis.id,
                "name": "Checkout is back",
                "kind": "progress",
                "body": "<p>Payments work again since noon.</p>",
                "is_public": True,
                "date_sent": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        cls.private_update = Update.create(
            {
                "crisis_id": cls.crisis.id,
                "name": "Your voucher inside",
                "kind": "other",
                "body": "<p>Private offer for you.</p>",
            }
        )
        cls.crisis.with_user(cls.user_manager).action_publish()

    def _page(self, url="/status", **kwargs):
        self.authenticate(None, None)
        response = self.url_open(url, **kwargs)
        return response

    def _approved_crisis(self, manager=None, **values):
        manager = manager or self.user_manager
        crisis = self._create_crisis(user=manager, public_statement=STATEMENT, **values)
        crisis.with_user(manager).action_approve_statement()
        return crisis

    def test_page_shows_published_crisis_and_its_public_updates(self):
        response = self._page()
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn("Checkout unavailable", page)
        self.assertIn("rolled back", page)
        self.assertIn("Checkout is back", page)
        self.assertIn("Payments work again since noon.", page)
        self.assertIn("Investigating", page)
        # what stays inside
        for hidden in (
            "Your voucher inside",
            "Private offer",
            "Internal: checkout bug",
            "Acme",
            self.customers[0].name,
            self.user_crisis.name,
        ):
            self.assertNotIn(hidden, page)
        # its own page, with its timeline
        page = self._page(f"/status/{self.crisis.id}").text
        self.assertIn("Checkout unavailable", page)
        self.assertIn("Payments work again since noon.", page)
        self.assertNotIn("Private offer", page)

    def test_unpublished_drills_other_companies_never_appear(self):
        unpublished = self._approved_crisis(public_title="Warehouse flooded")
        drill = self._approved_crisis(public_title="Drill: data leak", is_drill=True)
        other = self._approved_crisis(
            public_title="Company two outage",
            company_id=self.company_2.id,
            manager=self.user_manager_2,
        )
        other.with_user(self.user_manager_2).action_publish()
        page = self._page().text
        self.assertIn("Checkout unavailable", page)
        for title in ("Warehouse flooded", "Drill: data leak", "Company two outage"):
            self.assertNotIn(title, page)
        for crisis in (unpublished, drill):
            self.assertEqual(self._page(f"/status/{crisis.id}").status_code, 404)
        # the second company has a page of its own, without the first one's crises
        page = self._page(f"/status/company/{self.company_2.id}").text
        self.assertIn("Company two outage", page)
        self.assertNotIn("Checkout unavailable", page)
        self.assertEqual(self._page("/status/company/999999").status_code, 404)
        # unpublished: gone from the page and its own page
        self.crisis.with_user(self.user_manager).action_unpublish()
        self.assertNotIn("Checkout unavailable", self._page().text)
        self.assertEqual(self._page(f"/status/{self.crisis.id}").status_code, 404)

    def test_statement_back_to_draft_is_not_shown(self):
        self.crisis.with_user(self.user_crisis).public_statement = "<p>Unreviewed draft.</p>"
        self.assertEqual(self.crisis.statement_state, "draft")
        page = self._page().text
        self.assertNotIn("Unreviewed draft", page)
        self.assertNotIn("Checkout unavailable", page)
        self.assertEqual(self._page(f"/status/{self.crisis.id}").status_code, 404)

    def test_resolved_crises_of_the_last_90_days(self):
        self.crisis.stage_id = self.stage_resolved
        self.assertTrue(self.crisis.date_resolved)
        old = self._approved_crisis(
            public_title="Old outage", date_declared=fields.Datetime.now() - timedelta(days=130)
        )
        old.with_user(self.user_manager).action_publish()
        old.stage_id = self.stage_resolved
        old.sudo().date_resolved = fields.Datetime.now() - timedelta(days=120)
        page = self._page().text
        self.assertIn("Resolved in the last 90 days", page)
        self.assertIn("Checkout unavailable", page)
        self.assertNotIn("Old outage", page)
        self.assertIn("No ongoing incident", page)

    def test_publishing_is_for_managers_with_an_approved_statement(self):
        crisis = self._create_crisis(user=self.user_crisis, public_statement=STATEMENT)
        with self.assertRaisesRegex(UserError, "approves the public statement"):
            crisis.with_user(self.user_manager).action_publish()
        crisis.with_user(self.user_manager).action_approve_statement()
        with self.assertRaisesRegex(AccessError, "Only a Crisis Manager"):
            crisis.with_user(self.user_crisis).action_publish()
        self.assertIs(crisis.with_user(self.user_manager).action_publish(), True)
        self.assertTrue(crisis.is_published)
        self.assertTrue(crisis.date_published)
        crises = crisis | self.crisis
        self.assertEqual(
            crises.mapped("status_url"),
            [f"{c.get_base_url()}/status/{c.id}" for c in crises],
        )
        with self.assertRaisesRegex(AccessError, "Only a Crisis Manager"):
            crisis.with_user(self.user_crisis).action_unpublish()
        self.assertIs(crisis.with_user(self.user_manager).action_unpublish(), True)
        self.assertFalse(crisis.is_published)
        # not through write, whoever writes
        for user in (self.user_crisis, self.user_manager):
            with self.assertRaisesRegex(UserError, "cannot be set directly"):
                crisis.with_user(user).write({"is_published": True})
            with self.assertRaisesRegex(UserError, "cannot be set directly"):
                self.env["crisis.crisis"].with_user(user).create(
                    {"name": "Forged", "is_published": True}
                )
        self.assertFalse(crisis.is_published)

    def test_drills_are_never_published(self):
        drill = self._approved_crisis(is_drill=True)
        with self.assertRaisesRegex(UserError, "drills are never published"):
            drill.with_user(self.user_manager).action_publish()
        self.assertFalse(drill.is_published)
        with self.assertRaises(ValidationError):
            self.crisis.with_user(self.user_manager).is_drill = True

    def test_public_updates_from_the_wizard_and_by_managers(self):
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create({"kind": "progress", "is_public": True, "body": "<p>Refunds start today.</p>"})
        )
        # a message other than the statement: approved first (test_four_eyes.py)
        wizard.action_request_approval()
        self.crisis.with_user(self.user_manager).action_approve_edited_message()
        wizard.action_send()
        update = self.crisis.update_ids.filtered(lambda u: "Refunds start" in (u.body or ""))
        self.assertTrue(update.is_public)
        self.assertIn("Refunds start today.", self._page().text)
        # the sender cannot take it back; a manager can
        with self.assertRaises(AccessError):
            update.with_user(self.user_crisis).action_make_private()
        with self.assertRaises(UserError):
            update.with_user(self.user_manager).write({"is_public": False})
        self.assertIs(update.with_user(self.user_manager).action_make_private(), True)
        self.assertNotIn("Refunds start today.", self._page().text)
        self.private_update.with_user(self.user_manager).action_make_public()
        self.assertIn("Private offer for you.", self._page().text)
        # the box is ticked when the crisis is published, not otherwise
        Wizard = self.env["crisis.notify.wizard"].with_user(self.user_crisis)
        self.assertTrue(
            Wizard.with_context(default_crisis_id=self.crisis.id)
            .create({"kind": "progress"})
            .is_public
        )
        unpublished = self._create_published_crisis(
            public_title="Not out yet", public_statement="<p>Soon.</p>"
        )
        unpublished.with_user(self.user_manager).action_unpublish()
        self.assertFalse(
            Wizard.with_context(default_crisis_id=unpublished.id)
            .create({"kind": "progress"})
            .is_public
        )
        # the box unticked: not public
        wizard = Wizard.with_context(default_crisis_id=self.crisis.id).create(
            {"kind": "progress", "is_public": False, "body": "<p>Internal-ish note.</p>"}
        )
        wizard.action_request_approval()
        self.crisis.with_user(self.user_manager).action_approve_edited_message()
        wizard.action_send()
        self.assertFalse(
            self.crisis.update_ids.filtered(lambda u: "Internal-ish" in u.body).is_public
        )

    def test_cache_headers_etag_and_304(self):
        response = self._page()
        self.assertEqual(response.headers["Cache-Control"], "public, max-age=30")
        etag = response.headers["ETag"]
        self.assertTrue(etag.startswith('"'))
        again = self._page(headers={"If-None-Match": etag})
        self.assertEqual(again.status_code, 304)
        self.assertFalse(again.content)
        self.assertEqual(again.headers["ETag"], etag)
        # as a proxy may send it back (weak), or among others
        self.assertEqual(self._page(headers={"If-None-Match": f"W/{etag}"}).status_code, 304)
        self.assertEqual(
            self._page(headers={"If-None-Match": f'"other", {etag}'}).status_code, 304
        )
        # no session cookie for proxies to keep and give to everyone
        self.assertNotIn("session_id", again.headers.get("Set-Cookie", ""))
        self.assertNotIn("session_id", response.headers.get("Set-Cookie", ""))
        # a change of what the page shows: a new version
        self.public_update.with_user(self.user_manager).action_make_private()
        changed = self._page(headers={"If-None-Match": etag})
        self.assertEqual(changed.status_code, 200)
        self.assertNotEqual(changed.headers["ETag"], etag)
        self.assertNotIn("Payments work again", changed.text)
        # another language: another version
        self.env["res.lang"]._activate_lang("zh_CN")
        chinese = self._page(
            "/status?lang=zh_CN", headers={"If-None-Match": changed.headers["ETag"]}
        )
        self.assertEqual(chinese.status_code, 200)
        self.assertNotEqual(chinese.headers["ETag"], changed.headers["ETag"])
        # a signed-in visitor's page (the header names them) is theirs only
        self.authenticate(self.user_manager.login, self.user_manager.login)
        response = self.url_open("/status")
        self.assertEqual(response.headers["Cache-Control"], "private, no-cache")

    def test_page_in_the_visitors_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["crisis_management", "crisis_management_status"], ["zh_CN"]
        )
        self.crisis.with_context(lang="zh_CN").public_title = "结账不可用"
        self.crisis.with_user(self.user_manager).action_approve_statement()
        self.crisis.update_field_translations(
            "public_statement",
            {
                "zh_CN": {
                    "A faulty update stopped our checkout; it is rolled back.": "故障更新已回滚。"
                }
            },
        )
        self.crisis.with_user(self.user_manager).action_approve_statement()
        status_zh = dict(
            self.env["crisis.stage"]
            .with_context(lang="zh_CN")
            ._fields["customer_status"]
            ._description_selection(self.env(context={"lang": "zh_CN"}))
        )["investigating"]
        for url, cookies in (
            ("/status?lang=zh_CN", None),
            ("/status", {"frontend_lang": "zh_CN"}),
        ):
            with self.subTest(url=url, cookies=cookies):
                self.authenticate(None, None)
                if cookies:
                    self.opener.cookies.update(cookies)
                page = self.url_open(url).text
                self.assertIn('lang="zh-CN"', page)
                self.assertIn("结账不可用", page)
                self.assertIn("故障更新已回滚。", page)
                self.assertIn(status_zh, page)
                self.assertNotIn("Checkout unavailable", page)
        # an unknown language: the default one
        self.opener.cookies.clear()
        self.assertIn("Checkout unavailable", self._page("/status?lang=xx_XX").text)
        # English stays English
        self.opener.cookies.clear()
        page = self._page("/status?lang=en_US").text
        self.assertIn("Checkout unavailable", page)

    def test_cached_page_of_another_database_is_never_served(self):
        """Databases made from one template share their row versions: a page
        kept for one of them is not another's."""
        status._VALUES.clear()
        self.addCleanup(status._VALUES.clear)
        # this database's pages, served as those of a twin database
        Registry.registries["crisis_twin"] = self.registry
        try:
            with patch.object(
                sql_db.TestCursor, "dbname", property(lambda cr: "crisis_twin"), create=True
            ):
                twin = self._page()
        finally:
            del Registry.registries["crisis_twin"]
        self.assertIn("Checkout unavailable", twin.text)
        # what the twin database showed for the same row versions
        for _deadline, _etag, values in status._VALUES.values():
            for row in values["open"]:
                row["public_title"] = "Only in the twin database"
        page = self._page()
        self.assertIn("Checkout unavailable", page.text)
        self.assertNotIn("Only in the twin database", page.text)
        self.assertNotEqual(page.headers["ETag"], twin.headers["ETag"])
        self.assertEqual(
            self._page(headers={"If-None-Match": twin.headers["ETag"]}).status_code,
            200,
            "the other database's ETag does not answer 304",
        )

    def test_public_page_sets_no_cookie(self):
        """Proxies keep a public page for everyone: it sets no cookie, not
        even the frontend language of the first visitor."""
        self.env["res.lang"]._activate_lang("zh_CN")
        for url in ("/status", "/status?lang=zh_CN", f"/status/{self.crisis.id}"):
            with self.subTest(url=url):
                self.opener.cookies.clear()
                response = self._page(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers["Cache-Control"], "public, max-age=30")
                self.assertNotIn("Set-Cookie", response.headers)
