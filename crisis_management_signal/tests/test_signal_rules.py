"""Early warning (预警): signal rules raise a suspected crisis when enough
matching rows come in within a window, once per window; a continuing signal
joins the open crisis; a Crisis Manager confirms or dismisses it."""

from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch
from xmlrpc.client import Fault

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import SQL

from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.crisis_management_signal.models.crisis_signal_rule_count import CrisisSignalRule

NOW = datetime(2025, 3, 10, 12, 0, 0)
ALERT = "crisis_management_signal.mail_act_crisis_signal"
LOGGER = "odoo.addons.crisis_management_signal.models.crisis_signal_rule_count"


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

    @contextmanager
    def _refused(self, exception, message):
        """``assertRaisesRegex`` in a savepoint, as Odoo's ``assertRaises``: the
        refused write leaves nothing behind, in the cache or the database."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), message)

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
            ({"window_minutes": 527041}, "window"),
            ({"threshold": 1000001}, "threshold"),
            ({"alert_user_ids": [Command.set(self.user_internal.ids)]}, "Crisis Users"),
        ]
        for values, word in cases:
            with self.subTest(values=values), self._refused(ValidationError, word):
                self._create_rule(**values)
        with self._refused(ValidationError, "threshold"):
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

    def _break(self, rule, column, value):
        """Store ``value`` past the ORM's checks, as an older version or a
        since-uninstalled module could have left it."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crisis_signal_rule SET %s = %s WHERE id = %s",
                SQL.identifier(column),
                value,
                rule.id,
            )
        )
        rule.invalidate_recordset([column])

    def test_failing_rule_does_not_stop_others(self):
        """A rule that cannot count is skipped with its error; the others count."""
        other = self._create_rule(name="Second")
        # a domain broken since it was saved (a field of an uninstalled module)
        self._break(self.rule, "domain", "[('no_such_field', '=', 1)]")
        broken = {
            self.rule: "no_such_field",
            # a window past any date: "date value out of range"
            self._create_rule(name="Huge window"): "window",
            # a value PostgreSQL refuses: the whole count query of the model fails
            self._create_rule(name="Bad date"): "not a date",
            # what a domain may not hold, though it is valid Python
            self._create_rule(name="Arithmetic"): "not allowed",
        }
        rules = list(broken)
        self._break(rules[1], "window_minutes", 2_000_000_000)
        self._break(rules[2], "domain", "[('create_date', '>', 'not a date')]")
        self._break(rules[3], "domain", "[('rating', '<=', 7 ** 2)]")
        self._rate(self.customers[:3], NOW - timedelta(minutes=1))
        with self.assertLogs(LOGGER, "WARNING") as logs:
            self._check(NOW)
        self.assertEqual(len(logs.records), 4, "one warning line per broken rule")
        self.assertFalse(any(record.exc_info for record in logs.records), "no traceback")
        for rule, word in broken.items():
            self.assertIn(word, rule.last_error)
            self.assertEqual(rule.date_last_check, NOW, "checked, and the failure recorded")
            self.assertFalse(self._raised(rule))
        self.assertFalse(other.last_error)
        self.assertEqual(other.last_count, 3)
        self.assertEqual(len(self._raised(other)), 1)
        # a rule that keeps failing is not logged as a warning again
        with self.assertNoLogs(LOGGER, "WARNING"):
            self._check(NOW + timedelta(minutes=5))
        self.assertIn("not a date", rules[2].last_error)
        # fixed, the next check clears the error and counts the rule
        self._break(rules[1], "window_minutes", 60)
        self._check(NOW + timedelta(minutes=10))
        self.assertFalse(rules[1].last_error)
        self.assertEqual(rules[1].last_count, 3)
        self.assertEqual(len(self._raised(rules[1])), 1)

    def test_failing_raise_does_not_stop_others(self):
        """A rule whose suspected crisis cannot be raised records why; the
        other rules still raise theirs."""
        other = self._create_rule(name="Second")
        self._rate(self.customers[:3], NOW - timedelta(minutes=1))
        partner_ids = CrisisSignalRule._signal_partner_ids

        def failing(rule, now):
            if rule == self.rule:
                raise ValueError("the customers could not be read")
            return partner_ids(rule, now)

        with (
            patch.object(CrisisSignalRule, "_signal_partner_ids", failing),
            self.assertLogs(LOGGER, "WARNING"),
        ):
            self._check(NOW)
        self.assertFalse(self._raised(), "nothing half-raised")
        self.assertFalse(self.rule.date_last_fired)
        self.assertIn("the customers could not be read", self.rule.last_error)
        self.assertEqual(self.rule.last_count, 3)
        self.assertEqual(len(self._raised(other)), 1)
        # the next check raises it
        self._check(NOW + timedelta(minutes=5))
        self.assertEqual(len(self._raised()), 1)
        self.assertFalse(self.rule.last_error)

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

    # ------------------------------------------------------------------
    # Counted As: never more rights than the person who saves the rule
    # ------------------------------------------------------------------

    def test_counted_as_is_who_saves_the_rule(self):
        admin, odoobot = self.env.ref("base.user_admin"), self.env.ref("base.user_root")
        Rule = self.env["crisis.signal.rule"].with_user(self.user_manager)
        # a Crisis Manager counts as nobody but themselves
        for user in (admin, odoobot, self.user_crisis):
            with (
                self.subTest(user=user.login),
                self._refused(AccessError, "Only a Settings administrator"),
            ):
                self._create_rule(user_id=user.id)
        # nor through a default of the context
        rule = Rule.with_context(default_user_id=admin.id).create(
            {
                "name": "Context default",
                "model_id": self.rating_model.id,
                "domain": "[('rating', '<=', 1)]",
                "type_id": self.type_outage.id,
            }
        )
        self.assertEqual(rule.user_id, self.user_manager)
        rule = self.rule.with_user(self.user_manager)
        for values in (
            {"user_id": admin.id},
            {"user_id": odoobot.id, "domain": "[('id', '>', 0)]"},
            {"user_id": False},
        ):
            with (
                self.subTest(values=values),
                self._refused(AccessError, "Only a Settings administrator"),
            ):
                rule.write(values)
        self.assertEqual(self.rule.user_id, self.user_manager)
        rule.write({"user_id": self.user_manager.id, "threshold": 4})
        self.assertEqual(self.rule.threshold, 4)

    def test_changing_what_is_counted_counts_as_who_changes_it(self):
        admin = self.env.ref("base.user_admin")
        rule = self._create_rule(user=admin, name="Set up by the administrator")
        self.assertEqual(rule.user_id, admin)
        as_manager = rule.with_user(self.user_manager)
        # what is counted stays: so does whom it is counted as
        as_manager.write({"name": "Renamed", "threshold": 7, "severity": "low", "sequence": 3})
        as_manager.action_archive()
        as_manager.action_unarchive()
        self.assertEqual(rule.user_id, admin)
        for values in (
            {"domain": "[('rating', '<=', 2)]"},
            {"window_minutes": 600},
            {"model_id": self.partner_model.id, "domain": "[('id', '>', 0)]"},
            {"date_field_id": self.env.ref("rating.field_rating_rating__write_date").id},
            {"partner_field_id": self.env.ref("rating.field_rating_rating__rated_partner_id").id},
        ):
            with self.subTest(values=values):
                rule.write(
                    {
                        "user_id": admin.id,
                        "model_id": self.rating_model.id,
                        "domain": "[('id', '>', 0)]",
                        "date_field_id": self.env.ref(
                            "rating.field_rating_rating__create_date"
                        ).id,
                    }
                )
                self.assertEqual(rule.user_id, admin)
                as_manager.write(values)
                self.assertEqual(rule.user_id, self.user_manager)
        # a copy counts as who makes it
        rule.user_id = admin
        self.assertEqual(as_manager.copy().user_id, self.user_manager)

    def test_counted_as_in_the_form(self):
        admin = self.env.ref("base.user_admin")
        rule = self._create_rule(user=admin, name="Set up by the administrator")
        with Form(rule.with_user(self.user_manager)) as form:
            with self.assertRaises(AssertionError, msg="read-only for a Crisis Manager"):
                form.user_id = self.user_crisis
            form.domain = "[('rating', '<=', 2)]"
            self.assertEqual(form.user_id, self.user_manager, "shown before saving")
        self.assertEqual(rule.user_id, self.user_manager)
        with Form(rule.with_user(admin)) as form:
            form.user_id = self.user_crisis
        self.assertEqual(rule.user_id, self.user_crisis)

    def test_settings_admin_chooses_counted_as(self):
        admin = self.env.ref("base.user_admin")
        rule = self._create_rule(user=admin, user_id=self.user_manager.id)
        self.assertEqual(rule.user_id, self.user_manager)
        rule.with_user(admin).write({"user_id": self.user_crisis.id, "domain": "[('id', '>', 0)]"})
        self.assertEqual(rule.user_id, self.user_crisis)
        # the superuser (data files, scripts) too
        rule.write({"user_id": admin.id})
        self.assertEqual(rule.user_id, admin)
        # never a user who may not read what is watched
        log_model = self.env.ref("base.model_res_users_log")
        with self._refused(ValidationError, "Carol Crisis-User, whom the rule counts"):
            self._create_rule(user=admin, user_id=self.user_crisis.id, model_id=log_model.id)

    def test_watched_model_readable_by_who_saves_the_rule(self):
        # bank accounts, here without the read right of every employee: a model
        # the Crisis Manager may not read (as invoices without invoicing rights)
        self.env.ref("base.access_res_partner_bank_group_user").perm_read = False
        bank_model = self.env.ref("base.model_res_partner_bank")
        admin = self.env.ref("base.user_admin")
        with self._refused(AccessError, "Only a Settings administrator"):
            self._create_rule(model_id=bank_model.id, domain="[('id', '>', 0)]", user_id=admin.id)
        for model in (bank_model, self.env.ref("base.model_res_users_log")):
            with (
                self.subTest(model=model.model),
                self._refused(ValidationError, "you may not read"),
            ):
                self._create_rule(model_id=model.id, domain="[('id', '>', 0)]")
        with self._refused(ValidationError, "you may not read"):
            self.rule.with_user(self.user_manager).write(
                {"model_id": bank_model.id, "domain": "[('id', '>', 0)]"}
            )
        # an administrator's rule on it: a Crisis Manager changing what it
        # counts would count as themselves, which they may not
        rule = self._create_rule(user=admin, model_id=bank_model.id, domain="[('id', '>', 0)]")
        self.assertEqual(rule.partner_field_id.name, "partner_id")
        with self._refused(ValidationError, "you may not read"):
            rule.with_user(self.user_manager).write({"domain": "[('id', '>', 0)]"})
        self.assertEqual(rule.user_id, admin)
        self.assertEqual(rule.domain, "[('id', '>', 0)]")

    def test_fields_readable_by_who_the_rule_counts_as(self):
        # a field of the watched model for Settings administrators only
        field = self.env["rating.rating"]._fields["rated_partner_id"]
        rated_partner = self.env.ref("rating.field_rating_rating__rated_partner_id")
        with patch.object(field, "groups", "base.group_system"):
            with self._refused(ValidationError, "may not read the field Rated Operator"):
                self._create_rule(partner_field_id=rated_partner.id)
            with self._refused(ValidationError, "rated_partner_id"):
                self._create_rule(domain="[('rated_partner_id', '!=', False)]")
            rule = self._create_rule(
                user=self.env.ref("base.user_admin"), partner_field_id=rated_partner.id
            )
        self.assertEqual(rule.partner_field_id, rated_partner)

    # ------------------------------------------------------------------
    # Domains: conditions and date helpers, nothing else
    # ------------------------------------------------------------------

    def test_domain_refuses_what_is_not_a_domain(self):
        cases = {
            "[('rating', '<=', 7 ** (3 * 10 ** 6))]": "7 \\*\\* \\(3",
            "[('rating', '<=', 2 ** 2)]": "2 \\*\\* 2",
            "[('rating', '<=', 3 * 2)]": "is not allowed",
            "[('rating', '<=', 10000000000000000000000)]": "is not allowed",
            "[('rating', '<=', -10000000000000000000000)]": "is not allowed",
            "[('rating', '<=', 1e999)]": "is not allowed",
            "[('rating', '<=', (lambda: 1)())]": "is not allowed",
            "[('rating', 'in', [n for n in (1, 2)])]": "is not allowed",
            "[('rating', 'in', list((1, 2)))]": "is not allowed",
            "[('rating', '=', ().__class__)]": "is not allowed",
            "[('rating', '=', uid.__class__)]": "is not allowed",
            "[('rating', '=', relativedelta.__init__)]": "is not allowed",
            "[('rating', '=', relativedelta)]": "is not allowed",
            "[('rating', '=', {'a': 1})]": "is not allowed",
            "[('rating', '=', 1 if uid else 2)]": "is not allowed",
            "[('rating', '=', f'{uid}')]": "is not allowed",
            "[('rating', '=', (n := 1))]": "is not allowed",
            "[('rating', '=', not uid)]": "is not allowed",
            "[('feedback', '=', 'a' * 9)]": "is not allowed",
            "[('feedback', '=', 'ab'.replace('a', 'aaaa'))]": "is not allowed",
            "[('feedback', '=', context_today().strftime('%Y').replace('2', 'xx'))]": (
                "is not allowed"
            ),
            "[('create_date', '>', dateutil.rrule.rrule(3, count=1000000000).count())]": (
                "is not allowed"
            ),
            "[('create_date', '>', datetime.datetime.now().to_utc())]": "is not allowed",
            "[('create_date', '>', datetime.datetime.now(**{}))]": "is not allowed",
            "[('create_date', '>', datetime.sys)]": "is not allowed",
            "[('rating', '<=', 1)] + [('rating', '>=', 0)]": "list of conditions",
            "42": "list of conditions",
            "[('rating', '<=', 1), 42]": "is not a condition",
            "[('rating', '<=')]": "is not a condition",
            "[('rating', '<=', 1, 2)]": "is not a condition",
            "[(uid, '=', 1)]": "is not a condition",
            "[('rating', uid, 1)]": "is not a condition",
            "['^', ('rating', '<=', 1)]": "is not a condition",
            "[('rating', '=', " + " + ".join(["1"] * 5000) + ")]": "nested too deeply",
            # a value PostgreSQL refuses is found when the rule is saved
            "[('create_date', '>', 'not a date')]": "not a date",
        }
        for domain, message in cases.items():
            with self.subTest(domain=domain), self._refused(ValidationError, message):
                self._create_rule(domain=domain)
        with self._refused(ValidationError, "is not allowed"):
            self.rule.with_user(self.user_manager).write({"domain": "[('rating', '<=', 9 ** 9)]"})
        self.assertEqual(self.rule.domain, "[('rating', '<=', 1)]")

    def test_a_rule_starts_empty_and_needs_a_condition(self):
        """A new rule counts nothing until told what: saved untouched, or with
        an empty domain, it is refused (it would count every row)."""
        Rule = self.env["crisis.signal.rule"].with_user(self.user_manager)
        self.assertEqual(Rule.default_get(["domain"])["domain"], "[]")
        for domain in ("[]", "  [ ]  ", "()"):
            with self.subTest(domain=domain), self._refused(ValidationError, "has no condition"):
                self._create_rule(domain=domain)
        with self._refused(ValidationError, "has no condition"):
            self.rule.with_user(self.user_manager).write({"domain": "[]"})
        with self._refused(ValidationError, "has no condition"):
            Rule.create(
                {
                    "name": "Untouched",
                    "model_id": self.rating_model.id,
                    "type_id": self.type_outage.id,
                }
            )
        with Form(Rule) as form:
            form.name = "From the form"
            form.model_id = self.rating_model
            form.type_id = self.type_outage
            with self._refused(ValidationError, "has no condition"):
                form.save()
            form.domain = "[('rating', '<=', 1)]"
        self.assertEqual(form.record.domain, "[('rating', '<=', 1)]")

    def test_own_records_never_counted(self):
        """A rule over messages does not count the notes the app posts on its
        crises and lines (its own echo): only what customers wrote."""
        message_model = self.env.ref("mail.model_mail_message")
        rule = self._create_rule(
            name="Complaints by message",
            model_id=message_model.id,
            domain="[('body', 'ilike', 'lamp melted')]",
            threshold=1,
        )
        self.assertEqual(rule.partner_field_id.name, "author_id")
        crisis = self._create_crisis()
        crisis.message_post(body="Raised by signal rule: lamp melted (3 messages)")
        self.env["crisis.impact"]._link_partners(crisis, self.customers[0].ids).message_post(
            body="Called back: the lamp melted, a refund is on its way."
        )
        self.customers[1].message_post(
            body="My lamp melted last night!", author_id=self.customers[1].id
        )
        counts, errors = rule._signal_count(rule, fields.Datetime.now())
        self.assertFalse(errors)
        self.assertEqual(counts[rule], 1, "the customer's message, not the app's notes")
        self.assertEqual(rule._signal_partner_ids(fields.Datetime.now()), self.customers[1].ids)
        # nor does a rule watch the app's own records
        with self._refused(ValidationError, "record of the crisis app itself"):
            self._create_rule(
                model_id=self.env.ref("crisis_management.model_crisis_impact").id,
                domain="[('impact_level', '=', 'critical')]",
            )

    def test_domain_date_helpers(self):
        accepted = [
            "  [('rating', '<=', 1), ('consumed', '=', True)]  ",
            '["|", ("rating", "<=", -1), "!", ("rating", "in", [2, 3.5, +4])]',
            "['&', (1, '=', 1), ('partner_id.user_ids', 'in', [uid])]",
            "[('partner_id', 'any', [('name', 'ilike', 'x')]), ('feedback', '!=', None)]",
            "[('partner_id', '!=', False), ('rating', '<=', 1_000)]",
            "[('create_date', '>=', "
            "(context_today() - relativedelta(days=7)).strftime('%Y-%m-%d'))]",
            "[('create_date', '>=', datetime.datetime.combine(context_today() + "
            "relativedelta(days=-1), datetime.time(0, 0, 0)).strftime('%Y-%m-%d %H:%M:%S'))]",
            "[('create_date', '>=', datetime.datetime.now() - datetime.timedelta(hours=1))]",
            "[('create_date', '<', datetime.date.today().isoformat())]",
            "[('create_date', '<', datetime.datetime.today().replace(hour=0, minute=0))]",
            "[('create_date', '<', datetime.datetime(2030, 1, 1).date())]",
            "[('create_date', '>=', dateutil.relativedelta.relativedelta(months=-1) + "
            "context_today())]",
            "[('create_date', '>=', context_today() + "
            "relativedelta(weekday=dateutil.relativedelta.MO(-1)))]",
        ]
        for domain in accepted:
            with self.subTest(domain=domain):
                rule = self._create_rule(domain=domain)
                self.assertIsInstance(rule._signal_domain(), list)
        # the rules already there (demo data, other tests) still validate
        rules = self.env["crisis.signal.rule"].with_context(active_test=False).search([])
        for rule in rules:
            with self.subTest(rule=rule.name):
                rule._check_model_fields_domain()
        # the helpers count what they say: since yesterday, in a window of a week
        self.rule.write(
            {
                "window_minutes": 7 * 24 * 60,
                "domain": "[('rating', '<=', 1), ('create_date', '>=', "
                "(context_today() - relativedelta(days=1)).strftime('%Y-%m-%d'))]",
            }
        )
        self._rate(self.customers[:3], NOW - timedelta(minutes=10))
        self._rate(self.customers[3:], NOW - timedelta(days=3))
        self._check(NOW)
        self.assertEqual(self.rule.last_count, 3)
        self.assertFalse(self.rule.last_error)


@tagged("post_install", "-at_install")
class TestSignalRulesExternalApi(HttpCase, CrisisCase):
    """The rules of who a signal rule counts as hold through XML-RPC."""

    def _call(self, user, method, *args):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, "crisis.signal.rule", method, list(args), {}
        )

    def test_counted_as_over_xmlrpc(self):
        admin = self.env.ref("base.user_admin")
        values = {
            "name": "Over XML-RPC",
            "model_id": self.env.ref("rating.model_rating_rating").id,
            "domain": "[('rating', '<=', 1)]",
            "type_id": self.type_outage.id,
        }
        with self.assertRaisesRegex(Fault, "Only a Settings administrator"):
            self._call(self.user_manager, "create", [{**values, "user_id": admin.id}])
        rule_id = self._call(self.user_manager, "create", [values])[0]
        rule = self.env["crisis.signal.rule"].browse(rule_id)
        self.assertEqual(rule.user_id, self.user_manager)
        with self.assertRaisesRegex(Fault, "Only a Settings administrator"):
            self._call(self.user_manager, "write", [rule_id], {"user_id": admin.id})
        with self.assertRaisesRegex(Fault, "is not allowed"):
            self._call(self.user_manager, "write", [rule_id], {"domain": "[('id', '=', 9**9)]"})
        with self.assertRaisesRegex(Fault, "window"):
            self._call(self.user_manager, "write", [rule_id], {"window_minutes": 2_000_000_000})
        rule.invalidate_recordset()
        self.assertEqual(rule.user_id, self.user_manager)
        self.assertEqual(rule.window_minutes, 60)
