"""Early warning (预警): signal rules raise a suspected crisis when enough
matching rows come in within a window, once per window; a continuing signal
joins the open crisis; a Crisis Manager confirms or dismisses it."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import SQL

from .common import CrisisCase

NOW = datetime(2025, 3, 10, 12, 0, 0)
ALERT = "crisis_management.mail_act_crisis_signal"


@tagged("post_install", "-at_install")
class TestSignalRules(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rating_model = cls.env.ref("rating.model_rating_rating")
        cls.partner_model = cls.env.ref("base.model_res_partner")
        # the demo rule, if any, watches the same ratings
        cls.env["crisis.signal.rule"].search([]).action_archive()
        cls.rule = cls._create_rule()

    @classmethod
    def _create_rule(cls, user=None, **values):
        user = user or cls.user_manager
        return (
            cls.env["crisis.signal.rule"]
            .with_user(user)
            .create(
                {
                    "name": "Wave of 1-star ratings",
                    "model_id": cls.rating_model.id,
                    "domain": "[('rating', '<=', 1)]",
                    "threshold": 3,
                    "window_minutes": 60,
                    "type_id": cls.type_outage.id,
                    "severity": "high",
                    "alert_user_ids": [Command.set(cls.user_crisis.ids)],
                    **values,
                }
            )
            .with_env(cls.env)
        )

    def _rate(self, partners, when, rating=1):
        """Ratings of ``partners``, made at ``when``."""
        ratings = self.env["rating.rating"].create(
            [
                {
                    "res_model_id": self.partner_model.id,
                    "res_id": partner.id,
                    "partner_id": partner.id,
                    "rating": rating,
                    "consumed": True,
                }
                for partner in partners
            ]
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE rating_rating SET create_date = %s WHERE id IN %s",
                when,
                tuple(ratings.ids),
            )
        )
        ratings.invalidate_recordset(["create_date"])
        return ratings

    def _check(self, when):
        with freeze_time(when):
            self.env["crisis.signal.rule"]._cron_evaluate_rules()

    def _raised(self, rule=None):
        return (
            self.env["crisis.crisis"]
            .with_context(active_test=False)
            .search([("signal_rule_id", "=", (rule or self.rule).id)])
        )

    def _alerts(self, crises):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crisis.crisis"),
                ("res_id", "in", crises.ids),
                ("activity_type_id", "=", self.env.ref(ALERT).id),
            ]
        )

    def test_defaults(self):
        """The customer and date fields are found for the model."""
        self.assertEqual(self.rule.partner_field_id.name, "partner_id")
        self.assertEqual(self.rule.date_field_id.name, "create_date")
        self.assertEqual(self.rule.user_id, self.user_manager, "counted as its creator")
        self.assertEqual(self.rule.company_id, self.company)

    def test_below_threshold(self):
        self._rate(self.customers[:2], NOW - timedelta(minutes=10))
        self._rate(self.customers[2:], NOW - timedelta(minutes=10), rating=5)
        # out of the window
        self._rate(self.customers[2:4], NOW - timedelta(minutes=61))
        self._check(NOW)
        self.assertFalse(self._raised())
        self.assertEqual(self.rule.last_count, 2)
        self.assertEqual(self.rule.date_last_check, NOW)

    def test_fires_once_per_window(self):
        self._rate(self.customers[:3], NOW - timedelta(minutes=10))
        self._check(NOW)
        crisis = self._raised()
        self.assertEqual(len(crisis), 1)
        self.assertEqual(crisis.signal_state, "suspected")
        self.assertEqual(crisis.stage_id, self.env["crisis.stage"].search([], limit=1))
        self.assertEqual(crisis.stage_id, self.stage_new)
        self.assertEqual(crisis.type_id, self.type_outage)
        self.assertEqual(crisis.severity, "high")
        self.assertEqual(crisis.company_id, self.company)
        self.assertEqual(crisis.user_id, self.user_manager)
        self.assertEqual(crisis.signal_match_count, 3)
        self.assertEqual(crisis.impact_ids.partner_id, self.customers[:3])
        self.assertFalse(crisis.is_drill)
        self.assertEqual(self.rule.date_last_fired, NOW)
        alert = self._alerts(crisis)
        self.assertEqual(alert.user_id, self.user_crisis)
        # the "Suspected" filter finds it
        suspected = self.env["crisis.crisis"].search([("signal_state", "=", "suspected")])
        self.assertIn(crisis, suspected)
        # the next checks of the same window: no second crisis, no second alert
        self._check(NOW + timedelta(minutes=5))
        self._check(NOW + timedelta(minutes=10))
        self.assertEqual(self._raised(), crisis)
        self.assertEqual(len(self._alerts(crisis)), 1)

    def test_staff_and_other_company_not_linked(self):
        foreign = self.env["res.partner"].create(
            {"name": "Foreign customer", "company_id": self.company_2.id}
        )
        staff = self.user_crisis_2.partner_id
        self._rate(self.customers[:2] | foreign | staff, NOW - timedelta(minutes=1))
        self._check(NOW)
        crisis = self._raised()
        self.assertEqual(crisis.signal_match_count, 4)
        self.assertEqual(crisis.impact_ids.partner_id, self.customers[:2])

    def test_merge_continuing_signal(self):
        self._rate(self.customers[:3], NOW - timedelta(minutes=10))
        self._check(NOW)
        crisis = self._raised()
        self._rate(self.customers[3:], NOW + timedelta(minutes=2))
        self._check(NOW + timedelta(minutes=5))
        self.assertEqual(self._raised(), crisis, "merged, not a second crisis")
        self.assertEqual(crisis.impact_ids.partner_id, self.customers)
        self.assertEqual(crisis.signal_match_count, 5)
        self.assertEqual(len(self._alerts(crisis)), 1, "no new alert for a merge")
        self.assertIn("new customers linked", crisis.message_ids[0].body)

    def test_confirm(self):
        self.type_outage.playbook_id = self.env["crisis.playbook"].create({"name": "Outage"})
        self._rate(self.customers[:3], NOW - timedelta(minutes=10))
        self._check(NOW)
        crisis = self._raised()
        self.assertFalse(crisis.playbook_id, "the playbook waits for the confirmation")
        with self.assertRaises(AccessError):
            crisis.with_user(self.user_crisis).action_signal_confirm()
        with self.assertRaises(UserError):
            crisis.with_user(self.user_crisis).write({"signal_state": "confirmed"})
        self.assertIs(crisis.with_user(self.user_manager).action_signal_confirm(), True)
        self.assertEqual(crisis.signal_state, "confirmed")
        self.assertEqual(crisis.signal_decided_by_id, self.user_manager)
        self.assertTrue(crisis.active)
        self.assertEqual(crisis.playbook_id, self.type_outage.playbook_id)
        self.assertFalse(self._alerts(crisis), "the alert is done")
        with self.assertRaises(UserError):
            crisis.with_user(self.user_manager).action_signal_confirm()
        # the signal continues: the confirmed open crisis gets the new customers
        self._rate(self.customers[3:], NOW + timedelta(minutes=90))
        self._rate(self.customers[:1], NOW + timedelta(minutes=90))
        self._check(NOW + timedelta(minutes=95))
        self.assertEqual(self._raised(), crisis)
        self.assertEqual(crisis.impact_ids.partner_id, self.customers)

    def test_dismiss(self):
        self._rate(self.customers[:3], NOW - timedelta(minutes=10))
        self._check(NOW)
        crisis = self._raised()
        with self.assertRaises(AccessError):
            crisis.with_user(self.user_crisis).action_signal_dismiss()
        with self.assertRaises(AccessError):
            self.env["crisis.signal.dismiss.wizard"].with_user(self.user_crisis).create(
                {"crisis_ids": crisis.ids, "reason": "no"}
            )
        action = crisis.with_user(self.user_manager).action_signal_dismiss()
        wizard_form = Form(
            self.env[action["res_model"]]
            .with_user(self.user_manager)
            .with_context(**action["context"])
        )
        wizard_form.reason = "A test campaign sent the ratings."
        result = wizard_form.save().action_dismiss()
        self.assertEqual(result["type"], "ir.actions.act_window_close")
        self.assertEqual(crisis.signal_state, "dismissed")
        self.assertFalse(crisis.active)
        self.assertEqual(crisis.signal_dismiss_reason, "A test campaign sent the ratings.")
        self.assertFalse(self._alerts(crisis), "the alert is gone")
        # kept on the rule for tuning
        self.assertEqual(self.rule.dismissed_crisis_ids, crisis)
        self.assertEqual(self.rule.dismissed_count, 1)
        # the same window does not raise it again, even with more rows
        self._rate(self.customers[3:], NOW + timedelta(minutes=20))
        self._check(NOW + timedelta(minutes=30))
        self.assertEqual(self._raised(), crisis)
        # the next window does, when the signal is still there
        self._rate(self.customers[:3], NOW + timedelta(minutes=65))
        self._check(NOW + timedelta(minutes=70))
        new = self._raised() - crisis
        self.assertEqual(len(new), 1)
        self.assertEqual(new.signal_state, "suspected")
        # an empty reason is refused
        with self.assertRaises(UserError):
            new.with_user(self.user_manager)._signal_dismiss("  ")

    def test_access(self):
        """Crisis Users read the rules; only Crisis Managers manage them."""
        rule = self.rule.with_user(self.user_crisis)
        self.assertEqual(rule.read(["name"])[0]["name"], "Wave of 1-star ratings")
        with self.assertRaises(AccessError):
            rule.write({"threshold": 10})
        with self.assertRaises(AccessError):
            self._create_rule(user=self.user_crisis)
        with self.assertRaises(AccessError):
            rule.unlink()
        with self.assertRaises(AccessError):
            rule.action_check_now()
        with self.assertRaises(AccessError):
            self.rule.with_user(self.user_internal).read(["name"])
        # nobody writes what the cron records
        with self.assertRaises(UserError):
            self.rule.with_user(self.user_manager).write({"date_last_fired": NOW})
        self.rule.with_user(self.user_manager).write({"threshold": 10})
        self.assertEqual(self.rule.threshold, 10)

    def test_bad_input(self):
        cases = [
            ({"model_id": self.env.ref("crisis_management.model_crisis_stage").id}, "customer"),
            ({"domain": "[('no_such_field', '=', 1)]"}, "domain"),
            ({"domain": "[('rating', '<='"}, "domain"),
            ({"domain": "42"}, "domain"),
            ({"threshold": 0}, "threshold"),
            ({"threshold": -3}, "threshold"),
            ({"window_minutes": 0}, "window"),
            ({"window_minutes": -60}, "window"),
            ({"alert_user_ids": [Command.set(self.user_internal.ids)]}, "Crisis Users"),
        ]
        for values, word in cases:
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, word):
                self._create_rule(**values)
        with self.assertRaisesRegex(ValidationError, "threshold"):
            self.rule.with_user(self.user_manager).write({"threshold": 0})

    def test_multi_company(self):
        """A rule counts, raises and is seen in its own company only."""
        rule_2 = self._create_rule(
            user=self.user_manager_2,
            name="New contacts of company two",
            model_id=self.partner_model.id,
            domain="[('name', 'ilike', 'Signal')]",
            alert_user_ids=[Command.set(self.user_manager_2.ids)],
        )
        self.assertEqual(rule_2.company_id, self.company_2)
        self.assertEqual(rule_2.partner_field_id.name, "commercial_partner_id")
        with self.assertRaises(AccessError):
            rule_2.with_user(self.user_manager).read(["name"])
        self.assertNotIn(
            rule_2, self.env["crisis.signal.rule"].with_user(self.user_manager).search([])
        )
        partners = self.env["res.partner"].create(
            [{"name": f"Signal customer {i}", "company_id": self.company_2.id} for i in range(3)]
            + [{"name": f"Signal other {i}", "company_id": self.company.id} for i in range(3)]
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET create_date = %s WHERE id IN %s",
                NOW - timedelta(minutes=5),
                tuple(partners.ids),
            )
        )
        partners.invalidate_recordset(["create_date"])
        # counted as its owner, in its company: the contacts of company one are not seen
        self._check(NOW)
        self.assertEqual(rule_2.last_count, 3)
        crisis = self._raised(rule_2)
        self.assertEqual(crisis.company_id, self.company_2)
        self.assertEqual(crisis.impact_ids.partner_id, partners[:3])
        self.assertEqual(self._alerts(crisis).user_id, self.user_manager_2)
        self.assertFalse(crisis.with_user(self.user_manager).search([("id", "=", crisis.id)]))
        # the same rule in company one counts the other three
        rule_1 = self._create_rule(
            name="New contacts of company one",
            model_id=self.partner_model.id,
            domain="[('name', 'ilike', 'Signal')]",
        )
        self._check(NOW + timedelta(minutes=1))
        self.assertEqual(rule_1.last_count, 3)
        self.assertEqual(self._raised(rule_1).impact_ids.partner_id, partners[3:])
        self.assertEqual(self._raised(rule_1).company_id, self.company)

    def test_failing_rule_does_not_stop_others(self):
        """A rule that cannot count is skipped with its error; the others count."""
        other = self._create_rule(name="Second")
        self.env.flush_all()
        # a domain broken since it was saved (a field of an uninstalled module)
        self.env.cr.execute(
            SQL(
                "UPDATE crisis_signal_rule SET domain = %s WHERE id = %s",
                "[('no_such_field', '=', 1)]",
                self.rule.id,
            )
        )
        self.rule.invalidate_recordset(["domain"])
        self._rate(self.customers[:3], NOW - timedelta(minutes=1))
        self._check(NOW)
        self.assertTrue(self.rule.last_error)
        self.assertFalse(self._raised())
        self.assertFalse(other.last_error)
        self.assertEqual(len(self._raised(other)), 1)

    def test_queries_do_not_grow_with_rows(self):
        """The check of rules below their threshold costs the same queries for
        few or many matching rows."""
        self.rule.threshold = 1000
        self._create_rule(name="Second", threshold=1000)
        self._rate(self.customers[:2], NOW - timedelta(minutes=1))
        self._check(NOW)  # warm the caches
        queries = []
        for count in (1, 50):
            partners = self.env["res.partner"].create(
                [{"name": f"Rater {count}-{i}"} for i in range(count)]
            )
            self._rate(partners, NOW - timedelta(minutes=1))
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._check(NOW)
            queries.append(self.env.cr.sql_log_count - before)
        self.assertEqual(queries[0], queries[1])
        self.assertEqual(self.rule.last_count, 53)
