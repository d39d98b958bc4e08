from odoo import Command
from odoo.http import Request, _generate_routing_rules
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.base.tests.test_ir_cron import CronMixinCase

PORTAL_STATEMENT = "<p>Payments failed for six hours; every refused payment can be made again.</p>"
# a crisis told in English and Chinese (``CrisisCase._create_card_outage_crisis``)
CARD_OUTAGE = {
    "title": "Card payments outage",
    "title_zh": "银行卡支付中断",
    "statement": "Payments failed for six hours; every refused payment can be made again.",
    "statement_zh": "支付中断了六个小时；所有被拒绝的付款都可以重新支付。",
}


class CrisisCase(TransactionCase):
    """Users of every kind the addon cares about, in two companies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.company_2 = cls.env["res.company"].create({"name": "Crisis Company Two"})
        cls.user_crisis = new_test_user(
            cls.env,
            login="crisis_user",
            name="Carol Crisis-User",
            groups="crisis_management.group_crisis_user",
        )
        cls.user_crisis_2 = new_test_user(
            cls.env,
            login="crisis_user_2",
            name="Dora Other-User",
            groups="crisis_management.group_crisis_user",
        )
        cls.user_manager = new_test_user(
            cls.env,
            login="crisis_manager",
            name="Marc Crisis-Manager",
            groups="crisis_management.group_crisis_manager",
        )
        cls.user_internal = new_test_user(
            cls.env,
            login="plain_employee",
            name="Ivan Internal",
            groups="base.group_user",
        )
        cls.user_portal = new_test_user(
            cls.env,
            login="portal_customer",
            name="Paula Portal",
            groups="base.group_portal",
        )
        cls.user_manager_2 = new_test_user(
            cls.env,
            login="crisis_manager_2",
            name="Otto Second-Company",
            groups="crisis_management.group_crisis_manager",
            company_id=cls.company_2.id,
            company_ids=[(6, 0, cls.company_2.ids)],
        )
        # a Crisis User who leads no crisis and is in no team
        cls.user_outsider = new_test_user(
            cls.env,
            login="crisis_outsider",
            name="Olga Outsider",
            groups="crisis_management.group_crisis_user",
        )
        cls.user_portal_other = new_test_user(
            cls.env, login="portal_other", name="Olga Other-Portal", groups="base.group_portal"
        )
        cls.type_outage = cls.env.ref("crisis_management.crisis_type_service_outage")
        cls.stage_new = cls.env.ref("crisis_management.crisis_stage_new")
        cls.stage_responding = cls.env.ref("crisis_management.crisis_stage_responding")
        cls.stage_resolved = cls.env.ref("crisis_management.crisis_stage_resolved")
        cls.stage_closed = cls.env.ref("crisis_management.crisis_stage_closed")
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Customer {i}", "email": f"customer{i}@example.com"} for i in range(5)]
        )

    @classmethod
    def _create_second_manager(cls):
        """A second Crisis Manager of the company: the one who may approve what
        the first one prepared. Made by the tests that need one: every Crisis
        Manager is an approver, with a reminder of each request."""
        return new_test_user(
            cls.env,
            login="crisis_manager_b",
            name="Bea Other-Manager",
            groups="crisis_management.group_crisis_manager",
        )

    @classmethod
    def _create_team(cls, name, leader=None, members=()):
        """A crisis team led by ``leader`` (by default, whoever creates it), with
        ``members``: (user, role) pairs."""
        values = {
            "name": name,
            "member_ids": [
                Command.create({"user_id": user.id, "role": role}) for user, role in members
            ],
        }
        if leader:
            values["leader_id"] = leader.id
        return cls.env["crisis.team"].create(values)

    @classmethod
    def _create_crisis_user_team(cls, name="Recall team"):
        """The Crisis User leads it; the other Crisis User is in it (sales)."""
        return cls._create_team(name, cls.user_crisis, [(cls.user_crisis_2, "sales")])

    @classmethod
    def _create_manager_team(cls, name="Outage team"):
        """The Crisis Manager leads it; the other Crisis User (technical) and the
        Crisis User (communications) are in it."""
        return cls._create_team(
            name,
            cls.user_manager,
            [(cls.user_crisis_2, "technical"), (cls.user_crisis, "communications")],
        )

    @classmethod
    def _create_crisis(cls, **values):
        user = values.pop("user", cls.user_manager)
        crisis = (
            cls.env["crisis.crisis"]
            .with_user(user)
            .create({"name": "Checkout down", "type_id": cls.type_outage.id, **values})
        )
        return crisis.with_env(cls.env)

    def assertKpis(self, crisis, **expected):
        """The KPIs of ``crisis`` are ``expected`` (module crisis_management_review,
        when installed: the reach figures it counts agree with the lines)."""
        if "crisis.review" in self.env:
            self.assertEqual({name: crisis[name] for name in expected}, expected)

    @classmethod
    def _create_approved_crisis(cls, **values):
        """A crisis led by the Crisis User, its statement approved by the Crisis
        Manager."""
        crisis = cls._create_crisis(user=cls.user_crisis, **values)
        crisis.with_user(cls.user_manager).action_approve_statement()
        return crisis

    @classmethod
    def _create_published_crisis(cls, **values):
        """An approved crisis (``_create_approved_crisis``) published on the
        status page (module ``crisis_management_status``)."""
        crisis = cls._create_approved_crisis(**values)
        crisis.with_user(cls.user_manager).action_publish()
        return crisis

    @classmethod
    def _create_bilingual_crisis(cls, title, title_zh, statement, statement_zh, **values):
        """A crisis led by the Crisis User whose customer-facing title and
        one-paragraph statement are in English and Chinese, its statement
        approved by the Crisis Manager."""
        crisis = cls._create_crisis(
            user=cls.user_crisis,
            public_title=title,
            public_statement=f"<p>{statement}</p>",
            **values,
        )
        crisis.update_field_translations("public_title", {"zh_CN": title_zh})
        crisis.update_field_translations("public_statement", {"zh_CN": {statement: statement_zh}})
        crisis.with_user(cls.user_manager).action_approve_statement()
        return crisis

    @classmethod
    def _create_card_outage_crisis(cls):
        """The card payments outage, told in English and Chinese
        (``CARD_OUTAGE``), its statement approved."""
        return cls._create_bilingual_crisis(
            CARD_OUTAGE["title"],
            CARD_OUTAGE["title_zh"],
            CARD_OUTAGE["statement"],
            CARD_OUTAGE["statement_zh"],
        )

    @classmethod
    def _create_portal_crisis(cls):
        """A crisis of the Crisis Manager, its statement approved, that
        affects the portal user; its talking points name a vendor that never
        reaches customers."""
        crisis = cls._create_crisis(
            public_title="Card payments outage",
            public_statement=PORTAL_STATEMENT,
            talking_points="<p>Internal only: do not mention the vendor Zebracorp.</p>",
        )
        crisis.with_user(cls.user_manager).action_approve_statement()
        cls.env["crisis.impact"]._link_partners(crisis, cls.user_portal.partner_id.ids)
        return crisis

    def _send_update(self, crisis, user=None, kind="progress", **values):
        """The notify wizard's send on ``crisis``, as ``user`` (the Crisis
        Manager by default) in their language, as in their browser; the update."""
        user = user or self.user_manager
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(user)
            .with_context(lang=user.lang, default_crisis_id=crisis.id)
            .create({"kind": kind, **values})
        )
        wizard.action_send()
        return crisis.update_ids.sorted("id")[-1:]

    def _notify_customers(self, crisis, kind="progress"):
        """Notify Customers on ``crisis``, as its crisis team does: the whole
        audience. Return the crisis' customer updates."""
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=crisis.id)
            .create({"kind": kind})
        )
        wizard.action_send()
        return crisis.update_ids

    def _crisis_send_mail_queue(self):
        """Odoo's mail queue sends the emails waiting to customers, then the
        reach job applies what was reported. For test classes that are also a
        ``MockEmail``: a mocked SMTP server accepts what Odoo's own checks of
        the addresses let through."""
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    ("model", "in", ("crisis.impact", "crisis.compensation")),
                    ("state", "=", "outgoing"),
                ]
            )
        )
        with self.mock_mail_gateway():
            mails.send()
        self._crisis_apply_reach()

    def _crisis_apply_reach(self):
        """The reach job, as its trigger runs it, until nothing is left to apply."""
        Recipient = self.env["crisis.update.recipient"].sudo()
        for _call in range(100):
            Recipient._cron_apply_reach()
            if not Recipient.search_count([("reach_todo", "=", True)]):
                break


class FourEyesCase(CrisisCase):
    """With a second Crisis Manager (``user_manager_b``), the one who may
    approve what the first prepared, and a team of the Crisis User."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_manager_b = cls._create_second_manager()
        cls.team = cls._create_crisis_user_team("Four-eyes team")


class PublicRoutesCase:
    """The tools of the bad-input tests of the public and portal routes (with
    ``HttpCase``): plain requests that follow no redirect, and the check that
    every route of some modules has its bad input in a test."""

    def _csrf(self):
        if not getattr(self, "session", None):
            self.authenticate(None, None)
        return Request.csrf_token(self)

    def _get(self, url, **kwargs):
        return self.url_open(url, allow_redirects=False, **kwargs)

    def _post(self, url, data=None, csrf=True):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self._csrf()
        return self.url_open(url, data=data, allow_redirects=False)

    def assertClientError(self, response, statuses=(301, 302, 303, 400, 403, 404, 429)):
        """A redirect or a 4xx: never a server error."""
        self.assertIn(response.status_code, statuses, response.text[:500])

    def assertRoutesCovered(self, modules, covered, exclude=()):
        """Every route of the Python modules ``modules`` (prefixes; less
        ``exclude``) is in ``covered``."""
        rules = set()
        # what ir.http's routing map is made of, for the modules installed
        for url, endpoint in _generate_routing_rules(
            sorted(self.env.registry._init_modules), nodb_only=False
        ):
            function = getattr(endpoint, "original_endpoint", None)
            module = getattr(function, "__module__", "")
            if module.startswith(modules) and not (exclude and module.startswith(exclude)):
                rules.add(url)
        self.assertTrue(rules)
        self.assertEqual(rules - covered, set(), "routes without bad-input cases")


class KilledWorker(Exception):
    """A cron worker dies here: its transaction is rolled back."""


class BackgroundJobCase(CronMixinCase, CrisisCase):
    """A crisis of the Crisis User with seven affected customers, and a
    company that handles more than three compensations in the background."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.crisis_compensation_background_threshold = 3
        cls.crisis = cls._create_crisis(user=cls.user_crisis)
        cls.partners = cls.env["res.partner"].create(
            [{"name": f"Engine customer {i}", "email": f"engine{i}@example.com"} for i in range(7)]
        )
        cls.impacts = cls.env["crisis.impact"]._link_partners(cls.crisis, cls.partners.ids)
