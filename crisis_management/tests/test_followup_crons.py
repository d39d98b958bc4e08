"""The crons that follow a crisis up with its customers, as their users see them.

The customer-update cadence reminds the communications owner when the affected
customers are due an update; the satisfaction survey asks the notified
customers, some days after resolution, how the crisis was handled, and their
answers come back through Odoo's rating links.
"""

import re
from datetime import date, datetime

from freezegun import freeze_time

import odoo
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
SURVEY_SUBJECT = "how did we handle Checkout down?"


class FollowupCase(CrisisCase):
    def _activities(self, records):
        return self.env["mail.activity"].search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        )

    def _notify(self, crisis, user=None):
        """What a Crisis User does with Notify Customers: email every affected customer."""
        return (
            self.env["crisis.notify.wizard"]
            .with_user(user or self.user_crisis)
            .with_context(default_crisis_id=crisis.id)
            .create({})
            .action_send()
        )


@tagged("post_install", "-at_install")
class TestUpdateCadenceCron(FollowupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls._create_team(
            "Checkout response",
            cls.user_manager,
            [(cls.user_crisis, "technical"), (cls.user_crisis_2, "communications")],
        )
        cls.team_without_communications = cls._create_team(
            "Back office", cls.user_manager, [(cls.user_crisis_2, "technical")]
        )

    def _declare(self, **values):
        return self._create_crisis(user=self.user_crisis, **values)

    def test_interval_by_severity_follows_the_settings(self):
        with freeze_time("2026-04-01 08:00:00"):
            crises = {
                severity: self._declare(severity=severity)
                for severity in ("critical", "high", "medium", "low")
            }
        self.assertEqual(
            {severity: crisis.update_interval_hours for severity, crisis in crises.items()},
            {"critical": 4, "high": 12, "medium": 24, "low": 72},
        )
        self.assertEqual(
            {severity: crisis.date_next_update for severity, crisis in crises.items()},
            {
                "critical": datetime(2026, 4, 1, 12, 0),
                "high": datetime(2026, 4, 1, 20, 0),
                "medium": datetime(2026, 4, 2, 8, 0),
                "low": datetime(2026, 4, 4, 8, 0),
            },
        )

        # a Crisis Manager changes the cadence in the Crisis Settings
        settings = self.env["crisis.config.settings"].with_user(self.user_manager).create({})
        self.assertEqual(
            (settings.crisis_update_critical_hours, settings.crisis_update_low_hours), (4, 72)
        )
        settings.crisis_update_critical_hours = 2
        settings.crisis_update_high_hours = 6
        settings.action_save()
        self.assertEqual(self.company.crisis_update_high_hours, 6)
        with freeze_time("2026-04-01 09:00:00"):
            high = self._declare(severity="high")
        self.assertEqual(high.update_interval_hours, 6)
        self.assertEqual(high.date_next_update, datetime(2026, 4, 1, 15, 0))
        # a crisis that becomes critical takes the critical cadence of the settings
        crises["medium"].severity = "critical"
        self.assertEqual(crises["medium"].update_interval_hours, 2)
        self.assertEqual(crises["medium"].date_next_update, datetime(2026, 4, 1, 10, 0))
        # the crisis' own interval can still be changed by hand
        crises["low"].update_interval_hours = 48
        self.assertEqual(crises["low"].date_next_update, datetime(2026, 4, 3, 8, 0))

        # each company its own cadence
        self.company_2.crisis_update_high_hours = 3
        other = self._create_crisis(user=self.user_manager_2, type_id=False, severity="high")
        self.assertEqual(other.company_id, self.company_2)
        self.assertEqual(other.update_interval_hours, 3)
        with self.assertRaises(ValidationError):
            self.company.crisis_update_low_hours = 0

    def test_owner_is_communications_member_else_lead(self):
        with freeze_time("2026-04-01 08:00:00"):
            with_comms = self._declare(severity="critical", team_id=self.team.id)
            without_comms = self._declare(
                severity="critical", team_id=self.team_without_communications.id
            )
            without_team = self._declare(severity="critical")
        self.assertEqual(with_comms.communication_user_id, self.user_crisis_2)
        self.assertEqual(without_comms.communication_user_id, self.user_crisis)
        self.assertEqual(without_team.communication_user_id, self.user_crisis)
        with freeze_time("2026-04-01 12:30:00"):
            self.env["crisis.crisis"]._cron_remind_updates()
        self.assertEqual(self._activities(with_comms).user_id, self.user_crisis_2)
        self.assertEqual(self._activities(without_comms).user_id, self.user_crisis)
        self.assertEqual(self._activities(without_team).user_id, self.user_crisis)

    def test_one_reminder_per_due_update(self):
        Crisis = self.env["crisis.crisis"]
        with freeze_time("2026-04-01 08:00:00"):
            crisis = self._declare(
                severity="critical", team_id=self.team.id, public_statement=STATEMENT
            )
            crisis.with_user(self.user_manager).action_approve_statement()
            self.env["crisis.impact"]._link_partners(crisis, self.customers[:2].ids)
        self.assertEqual(crisis.date_next_update, datetime(2026, 4, 1, 12, 0))

        with freeze_time("2026-04-01 11:55:00"):
            Crisis._cron_remind_updates()
            self.assertFalse(self._activities(crisis), "not yet due")
        with freeze_time("2026-04-01 12:05:00"):
            Crisis._cron_remind_updates()
            Crisis._cron_remind_updates()
        activity = self._activities(crisis)
        self.assertEqual(len(activity), 1, "one reminder, not one per cron run")
        self.assertEqual(activity.user_id, self.user_crisis_2)
        self.assertEqual(activity.date_deadline, date(2026, 4, 1))
        self.assertEqual(
            activity.activity_type_id, self.env.ref("crisis_management.mail_act_crisis_update_due")
        )
        self.assertTrue(activity.automated)
        self.assertEqual(activity.summary, f"Customer update due for {crisis.reference}")
        with freeze_time("2026-04-01 20:00:00"):
            Crisis._cron_remind_updates()
            self.assertEqual(len(self._activities(crisis)), 1, "still overdue: not again")

        # the next morning the update goes out: the reminder is done, the next
        # update is due 4 hours later
        with freeze_time("2026-04-02 08:00:00"):
            self._notify(crisis)
        self.assertFalse(activity.exists())
        self.assertEqual(crisis.date_last_update, datetime(2026, 4, 2, 8, 0))
        self.assertEqual(crisis.date_next_update, datetime(2026, 4, 2, 12, 0))
        with freeze_time("2026-04-02 11:00:00"):
            Crisis._cron_remind_updates()
            self.assertFalse(self._activities(crisis))
        with freeze_time("2026-04-02 12:01:00"):
            Crisis._cron_remind_updates()
            Crisis._cron_remind_updates()
        new = self._activities(crisis)
        self.assertEqual(len(new), 1, "one reminder for the new due time")
        self.assertEqual(new.date_deadline, date(2026, 4, 2))
        self.assertEqual(new.user_id, self.user_crisis_2)

        # an update sent before it is due: no reminder at all for that due time
        with freeze_time("2026-04-02 14:00:00"):
            self._notify(crisis)
        with freeze_time("2026-04-02 17:30:00"):
            self._notify(crisis)
        self.assertFalse(new.exists(), "done with the update of 14:00")
        with freeze_time("2026-04-02 18:30:00"):
            Crisis._cron_remind_updates()
            self.assertFalse(self._activities(crisis))

    def test_no_reminder_for_drills_and_resolved_crises(self):
        with freeze_time("2026-04-01 08:00:00"):
            drill = self._declare(severity="critical", is_drill=True)
            resolved = self._declare(severity="critical")
            open_crisis = self._declare(severity="critical")
        self.assertFalse(drill.date_next_update, "drills never speak to customers")
        with freeze_time("2026-04-01 10:00:00"):
            resolved.stage_id = self.stage_resolved
        with freeze_time("2026-04-03 08:00:00"):
            self.env["crisis.crisis"]._cron_remind_updates()
        self.assertFalse(self._activities(drill))
        self.assertFalse(self._activities(resolved))
        self.assertEqual(len(self._activities(open_crisis)), 1)

    def test_two_workers_at_once(self):
        """A second worker skips the crises the first one holds: one reminder each.

        It runs on a real second connection, which sees only committed data:
        the crises of the demo data, installed with the addon, whose update is due.
        """
        due_sql = (
            "SELECT id FROM crisis_crisis WHERE active AND is_drill IS NOT TRUE"
            " AND date_next_update <= (now() AT TIME ZONE 'UTC')"
            " AND COALESCE(communication_user_id, user_id) IS NOT NULL"
            " AND reminded_update IS DISTINCT FROM date_next_update"
            " AND stage_id IN (SELECT id FROM crisis_stage WHERE is_resolved IS NOT TRUE)"
        )
        with odoo.sql_db.db_connect(self.env.cr.dbname).cursor() as other_cr:
            other_cr.execute(due_sql)
            committed_due = [row[0] for row in other_cr.fetchall()]
            self.assertTrue(committed_due, "the demo data holds crises due an update")
            other_cr.rollback()

            # the first worker (this test's transaction) reminds their owners
            self.env["crisis.crisis"]._cron_remind_updates()
            crises = self.env["crisis.crisis"].browse(committed_due)
            activities = self._activities(crises)
            self.assertEqual(len(activities), len(crises))
            self.assertEqual(
                {(a.res_id, a.user_id) for a in activities},
                {(c.id, c.communication_user_id or c.user_id) for c in crises},
            )

            # the second worker, at the same time, finds them locked (were it to
            # wait for them instead, it would fail after 5 s instead of hanging)
            other_cr.execute("SET lock_timeout = '5s'")
            other = odoo.api.Environment(other_cr, odoo.SUPERUSER_ID, {})
            other["crisis.crisis"]._cron_remind_updates()
            other_cr.execute(
                "SELECT COUNT(*) FROM mail_activity WHERE res_model = 'crisis.crisis'"
                " AND res_id = ANY(%s)",
                [committed_due],
            )
            self.assertEqual(other_cr.fetchone()[0], 0, "nothing created twice")
            other_cr.rollback()


class SatisfactionCase(FollowupCase):
    """A crisis resolved on 2026-04-02 10:00 whose customers were notified.

    Customers 0-3 and Bob were emailed the initial notice, then Bob put his
    address on the blacklist; Nora has no email address and was called
    instead; customer 4 was found later and never contacted.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.no_email = cls.env["res.partner"].create({"name": "Nora No-Email"})
        cls.unsubscribed = cls.env["res.partner"].create(
            {"name": "Bob Unsubscribed", "email": "bob@example.com"}
        )
        Impact = cls.env["crisis.impact"]
        with freeze_time("2026-04-01 08:00:00"):
            cls.crisis = cls._create_crisis(
                user=cls.user_crisis, severity="high", public_statement=STATEMENT
            )
            cls.crisis.with_user(cls.user_manager).action_approve_statement()
            Impact._link_partners(
                cls.crisis,
                (cls.customers[:4] | cls.no_email | cls.unsubscribed).ids,
                user=cls.user_crisis_2,
            )
        with freeze_time("2026-04-01 09:00:00"):
            cls.env["crisis.notify.wizard"].with_user(cls.user_crisis).with_context(
                default_crisis_id=cls.crisis.id
            ).create({}).action_send()
        cls.line = {impact.partner_id: impact for impact in cls.crisis.impact_ids}
        with freeze_time("2026-04-01 10:00:00"):
            # Nora has no email address: her agent called her
            cls.line[cls.no_email].write(
                {"date_last_contact": "2026-04-01 10:00:00", "contact_status": "in_discussion"}
            )
            Impact._link_partners(cls.crisis, cls.customers[4].ids, user=cls.user_crisis_2)
            cls.env["mail.blacklist"].create({"email": "bob@example.com"})
        cls.line = {impact.partner_id: impact for impact in cls.crisis.impact_ids}
        cls.notified = cls.crisis.impact_ids.filtered(lambda i: i.partner_id in cls.customers[:4])
        with freeze_time("2026-04-02 10:00:00"):
            cls.crisis.with_user(cls.user_crisis).stage_id = cls.stage_resolved
            # the resolution date is computed when saved: now
            cls.env.flush_all()

    def _ratings(self, impacts):
        return self.env["rating.rating"].search(
            [("res_model", "=", "crisis.impact"), ("res_id", "in", impacts.ids)]
        )

    def _surveys(self, impacts):
        return self.env["mail.message"].search(
            [
                ("model", "=", "crisis.impact"),
                ("res_id", "in", impacts.ids),
                ("subject", "ilike", SURVEY_SUBJECT),
            ]
        )


@tagged("post_install", "-at_install")
class TestSatisfactionCron(SatisfactionCase, MockEmail):
    def test_before_the_survey(self):
        self.assertEqual(self.crisis.date_resolved, datetime(2026, 4, 2, 10, 0))
        # notified once their mail server accepted the notice of 09:00
        self._crisis_send_mail_queue()
        self.assertEqual(
            {p.name: i.contact_status for p, i in self.line.items()},
            {
                **{c.name: "notified" for c in self.customers[:4]},
                "Nora No-Email": "in_discussion",
                "Bob Unsubscribed": "notified",
                "Customer 4": "to_contact",
            },
        )

    def test_survey_once_after_the_delay(self):
        Crisis = self.env["crisis.crisis"]
        everybody = self.crisis.impact_ids
        with freeze_time("2026-04-05 09:50:00"):  # 3 days after resolution, minus 10 minutes
            Crisis._cron_request_satisfaction()
        self.assertFalse(self._ratings(everybody))
        self.assertFalse(self._surveys(everybody))
        self.assertFalse(self.crisis.date_satisfaction_requested)

        with freeze_time("2026-04-05 10:10:00"):
            Crisis._cron_request_satisfaction()
        self.assertEqual(self.crisis.date_satisfaction_requested, datetime(2026, 4, 5, 10, 10))
        ratings = self._ratings(everybody)
        self.assertEqual(
            sorted(ratings.partner_id.mapped("name")),
            sorted(self.customers[:4].mapped("name")),
            "one rating per emailed customer: not for the one never contacted, "
            "nor for those without email or blacklisted",
        )
        for impact in self.notified:
            rating = impact.rating_ids
            self.assertEqual(len(rating), 1)
            self.assertFalse(rating.consumed)
            self.assertEqual(rating.partner_id, impact.partner_id)
            self.assertEqual(rating.rated_partner_id, self.user_crisis_2.partner_id)
            self.assertEqual(
                (rating.parent_res_model, rating.parent_res_id),
                (
                    "crisis.crisis",
                    self.crisis.id,
                ),
            )
            self.assertEqual(impact.date_rating_requested, datetime(2026, 4, 5, 10, 10))
            # the email is a message on the line, with the customer's own rating links
            message = self._surveys(impact)
            self.assertEqual(len(message), 1)
            self.assertEqual(message.partner_ids, impact.partner_id)
            for rate in (5, 3, 1):
                self.assertIn(f"/rate/{rating.access_token}/{rate}", message.body)
        others = (
            self.line[self.no_email] | self.line[self.unsubscribed] | self.line[self.customers[4]]
        )
        self.assertFalse(any(others.mapped("date_rating_requested")))
        self.assertFalse(self._surveys(others))

        update = self.crisis.update_ids.filtered(lambda u: u.kind == "satisfaction")
        self.assertEqual(len(update), 1)
        self.assertEqual(
            (update.queued_count, update.no_email_count, update.blacklisted_count), (4, 1, 1)
        )
        self.assertIn(SURVEY_SUBJECT, update.name)
        self.assertEqual(self.crisis.rating_request_count, 4)
        self.assertEqual(self.crisis.rating_response_rate, 0)

        # the mail queue sends them: each customer gets their own link
        mails = self.env["mail.mail"].search(
            [("mail_message_id", "in", self._surveys(everybody).ids)]
        )
        self.assertEqual(len(mails), 4)
        with self.mock_mail_gateway():
            mails.send()
        self.assertEqual(len(self._mails), 4)
        sent = next(m for m in self._mails if "customer0@" in m["email_to"][0])
        token = self.line[self.customers[0]].rating_ids.access_token
        self.assertIn(SURVEY_SUBJECT, sent["subject"])
        self.assertIn(f"/rate/{token}/5", sent["body"])

        # later runs ask nobody again
        with freeze_time("2026-04-06 10:00:00"):
            Crisis._cron_request_satisfaction()
            Crisis._cron_request_satisfaction()
        self.assertEqual(self._ratings(everybody), ratings)
        self.assertEqual(len(self._surveys(everybody)), 4)
        self.assertEqual(
            len(self.crisis.update_ids.filtered(lambda u: u.kind == "satisfaction")), 1
        )

    def test_drills_and_unapproved_statements_wait(self):
        Crisis = self.env["crisis.crisis"]
        Impact = self.env["crisis.impact"]
        with freeze_time("2026-04-01 08:00:00"):
            drill = self._create_crisis(
                user=self.user_crisis, is_drill=True, public_statement=STATEMENT
            )
            drill.with_user(self.user_manager).action_approve_statement()
            Impact._link_partners(drill, self.customers[:2].ids)
        with freeze_time("2026-04-01 09:00:00"):
            # drills send nothing: the customers were "called"
            drill.impact_ids.date_last_contact = "2026-04-01 09:00:00"
        with freeze_time("2026-04-02 10:00:00"):
            drill.stage_id = self.stage_resolved
            self.env.flush_all()
        with freeze_time("2026-04-03 10:00:00"):
            # after resolution, the statement is edited: it goes back to draft
            self.crisis.with_user(
                self.user_crisis
            ).public_statement = (
                "<p>The checkout works again; orders placed during the outage are kept.</p>"
            )
        self.assertEqual(self.crisis.statement_state, "draft")

        with freeze_time("2026-04-06 10:00:00"):
            Crisis._cron_request_satisfaction()
        self.assertFalse(self._ratings(self.crisis.impact_ids | drill.impact_ids))
        self.assertFalse(self.crisis.date_satisfaction_requested, "waits for the statement")
        self.assertFalse(drill.date_satisfaction_requested)

        with freeze_time("2026-04-06 11:00:00"):
            self.crisis.with_user(self.user_manager).action_approve_statement()
            Crisis._cron_request_satisfaction()
        self.assertEqual(self.crisis.date_satisfaction_requested, datetime(2026, 4, 6, 11, 0))
        self.assertEqual(len(self._ratings(self.crisis.impact_ids)), 4)
        self.assertFalse(self._ratings(drill.impact_ids), "drills never ask customers")
        self.assertFalse(self._surveys(drill.impact_ids))
        self.assertFalse(drill.date_satisfaction_requested)
        self.assertFalse(drill.update_ids)

    def test_delay_is_a_company_setting(self):
        Crisis = self.env["crisis.crisis"]
        settings = self.env["crisis.config.settings"].with_user(self.user_manager).create({})
        self.assertEqual(settings.crisis_satisfaction_days, 3)
        settings.crisis_satisfaction_days = 7
        settings.action_save()
        self.assertEqual(self.company.crisis_satisfaction_days, 7)
        with freeze_time("2026-04-05 10:30:00"):
            Crisis._cron_request_satisfaction()
        with freeze_time("2026-04-09 09:30:00"):
            Crisis._cron_request_satisfaction()
        self.assertFalse(self._ratings(self.crisis.impact_ids))
        with freeze_time("2026-04-09 10:30:00"):
            Crisis._cron_request_satisfaction()
        self.assertEqual(self.crisis.date_satisfaction_requested, datetime(2026, 4, 9, 10, 30))
        self.assertEqual(len(self._ratings(self.crisis.impact_ids)), 4)
        with self.assertRaises(ValidationError):
            self.company.crisis_satisfaction_days = -1


@tagged("post_install", "-at_install")
class TestSatisfactionRatingLinks(HttpCase, SatisfactionCase):
    """The customers click the links of the survey email, as anybody on the web."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # after HttpCase's setup: the emails link to this test server
        with freeze_time("2026-04-05 10:30:00"):
            cls.env["crisis.crisis"]._cron_request_satisfaction()
        cls.token = {impact.partner_id: impact.rating_ids.access_token for impact in cls.notified}

    def _link(self, customer, rate):
        """The link of the survey email of ``customer`` for ``rate``."""
        body = self._surveys(self.line[customer]).body
        url = f"{self.base_url()}/rate/{self.token[customer]}/{rate}"
        self.assertIn(f'href="{url}"', body)
        return url

    def test_satisfied_customers(self):
        line = self.line[self.customers[0]]
        response = self.url_open(self._link(self.customers[0], 5))
        self.assertEqual(response.status_code, 200)
        self.assertIn("Thank you for rating our services!", response.text)
        rating = line.rating_ids
        self.assertTrue(rating.consumed)
        self.assertEqual(rating.rating, 5)
        self.assertEqual(line.rating_last_value, 5)
        self.assertEqual((self.crisis.rating_count, self.crisis.rating_avg), (1, 5))
        self.assertEqual(self.crisis.rating_request_count, 4)
        self.assertEqual(self.crisis.rating_response_rate, 25)
        self.assertFalse(line.churn_risk)
        self.assertFalse(self._activities(line))
        # the rating shows on the customer's line
        self.assertTrue(line.message_ids.filtered(lambda m: rating in m.rating_ids))

        # "okay" is no churn risk either
        line = self.line[self.customers[2]]
        response = self.url_open(f"/rate/{self.token[self.customers[2]]}/3")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(line.rating_ids.rating, 3)
        self.assertFalse(line.churn_risk)
        self.assertFalse(self._activities(line))
        self.assertEqual((self.crisis.rating_count, self.crisis.rating_avg), (2, 4))
        self.assertEqual(self.crisis.rating_response_rate, 50)

    def test_unhappy_customer_called_back_once(self):
        customer = self.customers[1]
        line = self.line[customer]
        self.authenticate(None, None)
        response = self.url_open(self._link(customer, 1))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(line.rating_ids.rating, 1)
        self.assertTrue(line.churn_risk)
        activity = self._activities(line)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_crisis_2, "the line's agent")
        self.assertEqual(activity.summary, "Unhappy customer: call Customer 1")
        self.assertEqual((self.crisis.rating_count, self.crisis.rating_avg), (1, 1))
        self.assertEqual(self.crisis.rating_response_rate, 25)

        # the customer clicks the link again
        response = self.url_open(f"/rate/{self.token[customer]}/1")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._activities(line), activity)

        # then sends the feedback form of the page
        csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
        response = self.url_open(
            f"/rate/{self.token[customer]}/submit_feedback",
            data={
                "rate": 1,
                "feedback": "Nobody answered the phone for two days.",
                "csrf_token": csrf_token,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(line.rating_ids.feedback, "Nobody answered the phone for two days.")
        self.assertEqual(self._activities(line), activity, "still one call to make")
        self.assertEqual(self.crisis.rating_count, 1, "one answer, changed")

    def test_customer_changes_their_mind(self):
        """Satisfied first, then "dissatisfied" in the feedback form of the page."""
        customer = self.customers[3]
        line = self.line[customer]
        self.authenticate(None, None)
        response = self.url_open(self._link(customer, 5))
        self.assertFalse(line.churn_risk)
        csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
        response = self.url_open(
            f"/rate/{self.token[customer]}/submit_feedback",
            data={"rate": 1, "feedback": "Two days without news.", "csrf_token": csrf_token},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(line.rating_ids.rating, 1)
        self.assertTrue(line.churn_risk)
        self.assertEqual(len(self._activities(line)), 1)
        self.assertEqual(self._activities(line).user_id, self.user_crisis_2)
        self.assertEqual((self.crisis.rating_count, self.crisis.rating_avg), (1, 1))
