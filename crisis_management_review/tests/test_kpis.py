"""The KPIs of a crisis: their values after a scripted crisis, their
recomputation when their inputs change, the Crisis Analysis and who reads them."""

from contextlib import contextmanager
from datetime import datetime, timedelta

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.mail.tests.common import MockEmail

T = datetime(2026, 3, 2, 8, 0, 0)
STATEMENT = "<p>Checkout is down. We are on it and will write again within the day.</p>"
KPI_FIELDS = [
    "kpi_ack_hours",
    "date_first_notice",
    "kpi_first_notice_hours",
    "kpi_resolve_hours",
    "kpi_close_hours",
    "kpi_update_count",
    "kpi_update_gap_hours",
    "kpi_notified_count",
    "kpi_notified_rate",
    "kpi_compensation_proposed_count",
    "kpi_compensation_proposed_amount",
    "kpi_compensation_approved_count",
    "kpi_compensation_approved_amount",
    "kpi_compensation_delivered_count",
    "kpi_compensation_delivered_amount",
    "kpi_compensation_approval_hours",
    "kpi_rating_requested_count",
    "kpi_rating_count",
    "kpi_rating_avg",
    "kpi_rating_response_rate",
    "kpi_churn_count",
    "kpi_lost_count",
    "kpi_steps_overdue_count",
]


class KpiCase(CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a type without playbook: no action plan made on declaration
        cls.type_kpi = cls.env["crisis.type"].create({"name": "KPI Type"})
        cls.type_kpi_2 = cls.env["crisis.type"].create({"name": "KPI Type Two"})
        cls.template_initial = cls.env.ref("crisis_management.mail_template_impact_initial")
        cls.template_progress = cls.env.ref("crisis_management.mail_template_impact_progress")
        cls.template_satisfaction = cls.env.ref(
            "crisis_management.mail_template_impact_satisfaction"
        )
        cls.no_email = cls.env["res.partner"].create({"name": "Customer Without Email"})
        currency = cls.company.currency_id
        cls.foreign = cls.env.ref("base.EUR" if currency.name != "EUR" else "base.USD")
        cls.foreign.active = True
        # 1 company currency unit = 0.5 foreign units: 100 foreign = 200 company
        cls.env["res.currency.rate"].create(
            {
                "name": "2026-01-01",
                "rate": 0.5,
                "currency_id": cls.foreign.id,
                "company_id": cls.company.id,
            }
        )

    @contextmanager
    def at(self, hours):
        """At ``hours`` after T; what is computed then (the resolution date,
        the overdue steps) is computed before the clock moves on, as at the
        end of a request."""
        with freeze_time(T + timedelta(hours=hours)):
            yield
            self.env.flush_all()

    def _declare(self, hours=0, **values):
        with self.at(hours):
            crisis = self._create_crisis(
                user=self.user_crisis,
                type_id=self.type_kpi.id,
                public_statement=STATEMENT,
                **values,
            )
            crisis.with_user(self.user_manager).action_approve_statement()
        return crisis

    def _link(self, crisis, partners):
        return self.env["crisis.impact"].create(
            [{"crisis_id": crisis.id, "partner_id": partner.id} for partner in partners]
        )

    def _notify(self, crisis, impacts, hours, template=None, kind="progress"):
        """Notify ``impacts`` at ``hours``; the mail queue sends the emails then."""
        with self.at(hours):
            update = crisis.with_user(self.user_crisis)._crisis_notify(
                impacts, template or self.template_progress, kind
            )
            self._crisis_send_mail_queue()
        return update

    @classmethod
    def _accepted(cls, updates):
        """The mail server accepted the emails of ``updates``, as Odoo's mail
        queue records it on their notifications (for the classes' data, made
        before any test runs its mail queue); then the reach job runs."""
        updates.recipient_ids.mail_notification_id.write({"notification_status": "sent"})
        cls.env["crisis.update.recipient"]._cron_apply_reach()

    def _request(self, impact, amount, currency=None, hours=3):
        with self.at(hours):
            return (
                self.env["crisis.compensation"]
                .with_user(self.user_crisis)
                .create(
                    {
                        "impact_id": impact.id,
                        "amount": amount,
                        "currency_id": (currency or self.company.currency_id).id,
                    }
                )
            )

    def _move(self, crisis, stage, hours):
        with self.at(hours):
            crisis.with_user(self.user_manager).stage_id = stage


@tagged("post_install", "-at_install")
class TestKpiValues(KpiCase):
    def test_scripted_crisis(self):
        crisis = self._declare()
        c0, c1, c2, c3 = impacts = self._link(crisis, self.customers[:3] | self.no_email)
        c0.is_priority = True
        with self.at(0.5):
            crisis.with_user(self.user_crisis).action_acknowledge()
        # the first notice to all: the customer without email is not notified
        self._notify(crisis, impacts, 2, self.template_initial, "initial")
        # compensations: one in a foreign currency, delivered; one approved;
        # one draft; one rejected; one cancelled
        voucher = self._request(c0, 100, self.foreign)
        refund = self._request(c1, 50)
        self._request(c2, 30)
        rejected = self._request(c2, 20)
        cancelled = self._request(c3, 40)
        with self.at(4):
            (voucher | refund | rejected).with_user(self.user_crisis).action_submit()
            cancelled.with_user(self.user_crisis).action_cancel()
        with self.at(6):
            voucher.with_user(self.user_manager).action_approve()
            rejected.with_user(self.user_manager).action_reject()
        with self.at(8):
            voucher.with_user(self.user_crisis).action_deliver()
        with self.at(9):
            refund.with_user(self.user_manager).action_approve()
        # a second update, to the priority customer
        self._notify(crisis, c0, 10)
        self._move(crisis, self.stage_resolved, 20)
        # after the resolution: the satisfaction survey (not news of the crisis)
        with self.at(22):
            (c0 | c1 | c2 | c3).with_user(self.user_crisis)._crisis_request_rating(
                self.template_satisfaction
            )
        with self.at(24):
            c0.rating_apply(5, rating=c0.rating_ids)
            c1.rating_apply(2, rating=c1.rating_ids)  # unhappy: a churn risk
            c2.with_user(self.user_crisis).churn_risk = True
            c3.with_user(self.user_crisis).contact_status = "lost"
        with self.at(30):
            crisis.with_user(self.user_manager).write(
                {"root_cause": "<p>An expired certificate.</p>", "stage_id": self.stage_closed.id}
            )

        self.assertEqual(voucher.amount_company, 200.0, "converted at the request date")
        self.assertRecordValues(
            crisis,
            [
                {
                    "kpi_ack_hours": 0.5,
                    "date_first_notice": T + timedelta(hours=2),
                    "kpi_first_notice_hours": 2.0,
                    "kpi_resolve_hours": 20.0,
                    "kpi_close_hours": 30.0,
                    "affected_count": 4,
                    "priority_count": 1,
                    "kpi_notified_count": 3,
                    "kpi_notified_rate": 75.0,
                    # declared, +2h, +10h, resolved +20h: the survey at +22h is not
                    "kpi_update_count": 2,
                    "kpi_update_gap_hours": 10.0,
                    # voucher 200 + refund 50 + draft 30 + rejected 20
                    "kpi_compensation_proposed_count": 4,
                    "kpi_compensation_proposed_amount": 300.0,
                    "kpi_compensation_approved_count": 2,
                    "kpi_compensation_approved_amount": 250.0,
                    "kpi_compensation_delivered_count": 1,
                    "kpi_compensation_delivered_amount": 200.0,
                    # submitted at +4h, approved at +6h and +9h
                    "kpi_compensation_approval_hours": 3.5,
                    # the customer without email is never asked
                    "kpi_rating_requested_count": 3,
                    "kpi_rating_count": 2,
                    "kpi_rating_avg": 3.5,
                    "kpi_churn_count": 2,
                    "kpi_lost_count": 1,
                    "kpi_steps_overdue_count": 0,
                }
            ],
        )
        self.assertAlmostEqual(crisis.kpi_rating_response_rate, 200 / 3)

    def test_nothing_yet(self):
        crisis = self._declare()
        self.assertRecordValues(
            crisis,
            [
                {
                    "kpi_ack_hours": 0.0,
                    "date_first_notice": False,
                    "kpi_first_notice_hours": 0.0,
                    "kpi_resolve_hours": 0.0,
                    "kpi_update_count": 0,
                    "kpi_update_gap_hours": 0.0,
                    "kpi_notified_rate": 0.0,
                    "kpi_compensation_approval_hours": 0.0,
                    "kpi_rating_avg": 0.0,
                    "kpi_rating_response_rate": 0.0,
                }
            ],
        )


@tagged("post_install", "-at_install")
class TestKpiRecompute(KpiCase):
    def test_updates_change_notified_and_gap(self):
        crisis = self._declare()
        c0, c1 = impacts = self._link(crisis, self.customers[:2])
        self.assertEqual(crisis.kpi_notified_rate, 0.0)
        self._notify(crisis, c0, 5, self.template_initial, "initial")
        self.assertRecordValues(
            crisis,
            [
                {
                    "kpi_notified_count": 1,
                    "kpi_notified_rate": 50.0,
                    "kpi_first_notice_hours": 5.0,
                    "kpi_update_gap_hours": 5.0,
                    "kpi_update_count": 1,
                }
            ],
        )
        self._notify(crisis, impacts, 8)
        self.assertRecordValues(
            crisis,
            [{"kpi_notified_rate": 100.0, "kpi_update_gap_hours": 5.0, "kpi_update_count": 2}],
        )
        # the wait since the last notice counts once resolved, up to the resolution
        self._move(crisis, self.stage_resolved, 20)
        self.assertEqual(crisis.kpi_update_gap_hours, 12.0)
        # back to an open stage: the running wait does not count yet
        self._move(crisis, self.stage_responding, 21)
        self.assertEqual(crisis.kpi_update_gap_hours, 5.0)
        # a new affected customer lowers the share notified
        newcomer = self._link(crisis, self.customers[2:3])
        self.assertAlmostEqual(crisis.kpi_notified_rate, 200 / 3)
        # a notified one removed: the share follows
        c1.sudo().unlink()
        self.assertEqual(crisis.kpi_notified_rate, 50.0)
        newcomer.sudo().unlink()
        self.assertEqual(crisis.kpi_notified_rate, 100.0)

    def test_background_send_counts_once_done(self):
        self.company.crisis_send_background_threshold = 2
        crisis = self._declare()
        impacts = self._link(crisis, self.customers)
        update = self._notify(crisis, impacts, 1, self.template_initial, "initial")
        self.assertEqual(update.state, "queued")
        self.assertEqual(crisis.kpi_notified_count, 0, "nobody emailed yet")
        with self.at(2):
            self.env["crisis.update"]._cron_send_updates(batch_size=2)
        self.assertEqual(update.state, "sending")
        # counted once the update is done: no worker writes the crisis while
        # others email its customers
        self.assertEqual(crisis.kpi_notified_count, 0)
        with self.at(2):
            for _call in range(10):
                self.env["crisis.update"]._cron_send_updates(batch_size=2)
                if update.state == "sent":
                    break
        self.assertEqual(update.state, "sent")
        # reached once their mail server accepted the emails, not when queued
        self.assertEqual(crisis.kpi_notified_count, 0)
        with self.at(2):
            self._crisis_send_mail_queue()
        self.assertRecordValues(
            crisis,
            [
                {
                    "kpi_notified_count": 5,
                    "kpi_notified_rate": 100.0,
                    "kpi_update_count": 1,
                    "date_first_notice": T + timedelta(hours=1),
                    "kpi_first_notice_hours": 1.0,
                }
            ],
        )

    def test_compensation_approved_later(self):
        crisis = self._declare()
        impact = self._link(crisis, self.customers[:1])
        compensation = self._request(impact, 80, hours=1)
        with self.at(2):
            compensation.with_user(self.user_crisis).action_submit()
        self.assertRecordValues(
            crisis,
            [
                {
                    "kpi_compensation_proposed_amount": 80.0,
                    "kpi_compensation_approved_count": 0,
                    "kpi_compensation_approved_amount": 0.0,
                }
            ],
        )
        with self.at(14.5):
            compensation.with_user(self.user_manager).action_approve()
        self.assertRecordValues(
            crisis,
            [
                {
                    "kpi_compensation_approved_count": 1,
                    "kpi_compensation_approved_amount": 80.0,
                    "kpi_compensation_approval_hours": 12.5,
                }
            ],
        )
        with self.at(15):
            compensation.with_user(self.user_manager).action_cancel()
        self.assertRecordValues(
            crisis,
            [
                {
                    "kpi_compensation_proposed_count": 0,
                    "kpi_compensation_approved_amount": 0.0,
                    "kpi_compensation_approval_hours": 0.0,
                }
            ],
        )

    def test_customers_and_ratings(self):
        crisis = self._declare()
        c0, c1 = self._link(crisis, self.customers[:2])
        c0.churn_risk = True
        self.assertEqual(crisis.kpi_churn_count, 1)
        c1.contact_status = "lost"
        self.assertEqual(crisis.kpi_lost_count, 1)
        with self.at(3):
            (c0 | c1)._crisis_request_rating(self.template_satisfaction)
        self.assertRecordValues(crisis, [{"kpi_rating_requested_count": 2, "kpi_rating_count": 0}])
        c1.rating_apply(4, rating=c1.rating_ids)
        self.assertRecordValues(
            crisis,
            [{"kpi_rating_count": 1, "kpi_rating_avg": 4.0, "kpi_rating_response_rate": 50.0}],
        )

    def test_steps_overdue_follow_the_clock(self):
        crisis = self._declare()
        plan = self.env["crisis.action.plan"].create({"name": "Plan", "crisis_id": crisis.id})
        with self.at(0):
            first, second = self.env["crisis.action"].create(
                [
                    {"name": "Call", "plan_id": plan.id, "date_deadline": T + timedelta(hours=2)},
                    {"name": "Fix", "plan_id": plan.id, "date_deadline": T + timedelta(hours=6)},
                ]
            )
        self.assertEqual(crisis.kpi_steps_overdue_count, 0)
        cron = self.env.ref("crisis_management_review.ir_cron_crisis_refresh_kpi_steps_overdue")
        with self.at(3):
            cron.method_direct_trigger()
        self.assertEqual(crisis.kpi_steps_overdue_count, 1, "the scheduled job catches up")
        with self.at(4):
            first.action_done()
        self.assertEqual(crisis.kpi_steps_overdue_count, 0, "a step done counts at once")
        with self.at(5):
            second.date_deadline = T + timedelta(hours=4)
        self.assertEqual(crisis.kpi_steps_overdue_count, 1, "a deadline moved to the past")
        with self.at(7):
            second.action_cancel()
        self.assertEqual(crisis.kpi_steps_overdue_count, 0)
        # nothing behind: the job writes nothing
        before = crisis.write_date
        with self.at(8):
            self.env["crisis.crisis"]._cron_refresh_kpi_steps_overdue()
        self.assertEqual(crisis.write_date, before)

    def test_kpis_are_not_written(self):
        crisis = self._declare()
        for name in ("kpi_ack_hours", "kpi_notified_rate", "kpi_steps_overdue_count"):
            with self.assertRaises(UserError):
                crisis.with_user(self.user_manager).write({name: 1})

    def test_query_budget_flat_per_crisis(self):
        """Recomputing the KPIs of 50 crises costs what 5 cost."""

        def make(count):
            crises = self.env["crisis.crisis"]
            for index in range(count):
                crisis = self._declare(hours=index / 10)
                impacts = self._link(crisis, self.customers[:2])
                self._notify(crisis, impacts[:1], 1 + index / 10)
                self._request(impacts[0], 10 + index)
                plan = self.env["crisis.action.plan"].create(
                    {"name": "Plan", "crisis_id": crisis.id}
                )
                self.env["crisis.action"].create(
                    {"name": "Call", "plan_id": plan.id, "date_deadline": T}
                )
                crises |= crisis
            return crises

        def recompute_queries(crises):
            self.env.flush_all()
            self.env.invalidate_all()
            for name in KPI_FIELDS:
                self.env.add_to_compute(crises._fields[name], crises)
            before = self.cr.sql_log_count
            crises.flush_recordset(KPI_FIELDS)
            return self.cr.sql_log_count - before

        few = recompute_queries(make(5))
        many_crises = make(50)
        many = recompute_queries(many_crises)
        self.assertLessEqual(many, few, f"5 crises: {few} queries, 50 crises: {many}")
        self.assertEqual(set(many_crises.mapped("kpi_notified_rate")), {50.0})
        self.assertEqual(set(many_crises.mapped("kpi_steps_overdue_count")), {1})


@tagged("post_install", "-at_install")
class TestKpiAnalysis(KpiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Team = cls.env["crisis.team"]
        cls.team_a = Team.create({"name": "Team A"})
        cls.team_b = Team.create({"name": "Team B"})
        cls.crises = cls.env["crisis.crisis"]

        def declare(month, ack_hours, severity, team, type_, impacts=0, notified=0, **values):
            declared = datetime(2026, month, 10, 8, 0, 0)
            Crisis = cls.env["crisis.crisis"].with_user(cls.user_manager)
            with freeze_time(declared):
                crisis = Crisis.create(
                    {
                        "name": "Analysed",
                        "type_id": type_.id,
                        "severity": severity,
                        "team_id": team.id if team else False,
                        "public_statement": STATEMENT,
                        **values,
                    }
                )
                # approved by someone who did not write it (high crises need a second person)
                crisis.with_env(cls.env).action_approve_statement()
            if ack_hours is not None:
                with freeze_time(declared + timedelta(hours=ack_hours)):
                    crisis.action_acknowledge()
            if impacts:
                partners = cls.env["res.partner"].create(
                    [
                        {"name": f"Analysed {i}", "email": f"a{i}@example.com"}
                        for i in range(impacts)
                    ]
                )
                lines = cls.env["crisis.impact"].create(
                    [{"crisis_id": crisis.id, "partner_id": p.id} for p in partners]
                )
                if notified:
                    with freeze_time(declared + timedelta(hours=1)):
                        update = crisis._crisis_notify(
                            lines[:notified], cls.template_progress, "progress"
                        )
                        cls._accepted(update)
            cls.crises |= crisis.with_env(cls.env)
            return crisis.with_env(cls.env)

        # March: two of type 1 (acknowledged in 1h and 3h, and one never)
        cls.a1 = declare(3, 1, "high", cls.team_a, cls.type_kpi, impacts=4, notified=1)
        cls.a2 = declare(3, 3, "high", cls.team_b, cls.type_kpi, impacts=1, notified=1)
        cls.a3 = declare(3, None, "low", cls.team_a, cls.type_kpi)
        # April: one of type 2
        cls.b1 = declare(4, 5, "low", cls.team_b, cls.type_kpi_2, impacts=2)
        # a drill: never in the analysis by default
        cls.drill = declare(3, 100, "high", cls.team_a, cls.type_kpi, is_drill=True)
        # another company
        with freeze_time(datetime(2026, 4, 1, 8)):
            cls.other = (
                cls.env["crisis.crisis"]
                .with_user(cls.user_manager_2)
                .create(
                    {
                        "name": "Elsewhere",
                        "type_id": cls.type_kpi.id,
                        "company_id": cls.company_2.id,
                    }
                )
            )
        with freeze_time(datetime(2026, 4, 1, 10)):
            cls.other.with_user(cls.user_manager_2).action_acknowledge()
        cls.crises |= cls.other

    def _analysis_domain(self):
        """The domain of the analysis' default filters, as the web client builds it."""
        action = self.env.ref("crisis_management_review.crisis_crisis_action_analysis")
        context = safe_eval(action.context)
        arch = etree.fromstring(
            self.env["crisis.crisis"].get_view(action.search_view_id.id, "search")["arch"]
        )
        domain = []
        for key, value in context.items():
            if key.startswith("search_default_") and value:
                name = key[len("search_default_") :]
                node = arch.xpath(f"//filter[@name='{name}']")[0]
                domain += safe_eval(node.get("domain"))
        return [*domain, ("id", "in", self.crises.ids)]

    def _groups(self, groupby, user=None):
        """{group value (id for relations): group} of the analysis by ``groupby``;
        as the superuser (both companies) unless ``user`` is given."""
        Crisis = self.env["crisis.crisis"]
        if user:
            Crisis = Crisis.with_user(user)
        groups = Crisis.read_group(
            self._analysis_domain(),
            [
                "kpi_ack_hours:avg",
                "affected_count:sum",
                "kpi_notified_count:sum",
                "kpi_notified_rate:avg",
            ],
            [groupby],
            lazy=False,
        )
        result = {}
        for group in groups:
            value = group[groupby]
            result[value[0] if isinstance(value, tuple | list) else value] = group
        return result

    def test_action_shows_the_kpi_views(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management_review.crisis_crisis_action_analysis"
        )
        views = {mode: view_id for view_id, mode in action["views"]}
        pivot = self.env.ref("crisis_management_review.crisis_crisis_view_pivot_analysis")
        graph = self.env.ref("crisis_management_review.crisis_crisis_view_graph_analysis")
        self.assertEqual(views["pivot"], pivot.id)
        self.assertEqual(views["graph"], graph.id)
        self.assertEqual(tuple(action["views"][0]), (graph.id, "graph"))
        self.assertIn("('is_drill', '=', False)", str(self._analysis_domain()))
        # hours as averages, counts and amounts as sums
        fields_info = self.env["crisis.crisis"].fields_get(
            ["kpi_ack_hours", "kpi_notified_rate", "kpi_lost_count"], ["aggregator"]
        )
        self.assertEqual(fields_info["kpi_ack_hours"]["aggregator"], "avg")
        self.assertEqual(fields_info["kpi_notified_rate"]["aggregator"], "avg")
        self.assertEqual(fields_info["kpi_lost_count"]["aggregator"], "sum")

    def test_by_type(self):
        groups = self._groups("type_id")
        type_1 = groups[self.type_kpi.id]
        # the drill left out; the crisis never acknowledged is not "acknowledged at once"
        self.assertEqual(type_1["__count"], 4)  # a1, a2, a3 and the other company's
        self.assertAlmostEqual(type_1["kpi_ack_hours"], (1 + 3 + 2) / 3)
        self.assertEqual(type_1["affected_count"], 5)
        # 2 notified out of 5 affected, not the average of 25% and 100%
        self.assertEqual(type_1["kpi_notified_count"], 2)
        self.assertAlmostEqual(type_1["kpi_notified_rate"], 40.0)
        type_2 = groups[self.type_kpi_2.id]
        self.assertEqual(type_2["__count"], 1)
        self.assertEqual(type_2["kpi_ack_hours"], 5.0)
        self.assertEqual(type_2["kpi_notified_rate"], 0.0)

    def test_by_severity_team_month_company(self):
        severity = self._groups("severity")
        self.assertEqual(severity["high"]["__count"], 2, "the drill left out")
        self.assertEqual(severity["high"]["kpi_ack_hours"], 2.0)
        self.assertEqual(severity["low"]["kpi_ack_hours"], 5.0, "a3 not acknowledged")

        team = self._groups("team_id")
        team_a = team[self.team_a.id]
        self.assertEqual(team_a["__count"], 2)
        self.assertEqual(team_a["kpi_ack_hours"], 1.0)
        team_b = team[self.team_b.id]
        self.assertEqual(team_b["kpi_ack_hours"], 4.0)
        self.assertEqual(team_b["affected_count"], 3)
        self.assertAlmostEqual(team_b["kpi_notified_rate"], 100 / 3)

        month = self._groups("date_declared:month")
        self.assertEqual(
            {key: group["__count"] for key, group in month.items()},
            {"March 2026": 3, "April 2026": 2},
        )
        self.assertEqual(month["April 2026"]["kpi_ack_hours"], 3.5)

        company = self._groups("company_id")
        main = company[self.company.id]
        self.assertEqual(main["__count"], 4)
        self.assertAlmostEqual(main["kpi_ack_hours"], 3.0)
        other = company[self.company_2.id]
        self.assertEqual(other["kpi_ack_hours"], 2.0)

    def test_drills_on_demand(self):
        Crisis = self.env["crisis.crisis"]
        groups = Crisis.read_group(
            [("id", "in", self.crises.ids), ("is_drill", "=", True)],
            ["kpi_ack_hours:avg"],
            ["is_drill"],
        )
        self.assertEqual(groups[0]["kpi_ack_hours"], 100.0)

    def test_crisis_user_reads_the_analysis(self):
        groups = self._groups("type_id", user=self.user_crisis)
        type_2 = groups[self.type_kpi_2.id]
        self.assertEqual(type_2["kpi_ack_hours"], 5.0)


@tagged("post_install", "-at_install")
class TestKpiAccess(KpiCase):
    def test_crisis_user_reads_kpis(self):
        crisis = self._declare()
        impacts = self._link(crisis, self.customers[:2])
        self._notify(crisis, impacts[:1], 4, self.template_initial, "initial")
        as_user = crisis.with_user(self.user_crisis)
        as_user.invalidate_recordset()
        values = as_user.read(KPI_FIELDS)[0]
        self.assertEqual(values["kpi_notified_rate"], 50.0)
        self.assertEqual(values["kpi_first_notice_hours"], 4.0)
        # not the lead nor in its team: reads them all the same
        other = crisis.with_user(self.user_crisis_2)
        self.assertEqual(other.kpi_notified_count, 1)
        for name in ("kpi_notified_rate", "kpi_first_notice_hours", "kpi_lost_count"):
            with self.assertRaises(UserError):
                as_user.write({name: 0})
        # the form shows them, read-only
        arch = etree.fromstring(as_user.get_view(view_type="form")["arch"])
        page = arch.xpath("//page[@name='kpis']")
        self.assertTrue(page, "the KPIs tab")
        for name in ("kpi_ack_hours", "kpi_notified_rate", "kpi_compensation_approved_amount"):
            self.assertTrue(page[0].xpath(f".//field[@name='{name}']"), name)
        self.assertEqual(
            page[0].xpath(".//field[@name='kpi_notified_rate']")[0].get("widget"), "progressbar"
        )
        info = as_user.fields_get(["kpi_notified_rate", "kpi_ack_hours"], ["readonly"])
        self.assertTrue(all(field["readonly"] for field in info.values()))
