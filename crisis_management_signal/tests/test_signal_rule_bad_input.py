"""Bad input on signal rules: bounds refused with a clear message, and a
rule stored past them reported by the scheduled job, never a traceback."""

from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged, users

from odoo.addons.crisis_management.tests.common import CrisisCase

NOW = datetime(2026, 6, 1, 12, 0, 0)


@tagged("post_install", "-at_install")
class TestSignalRuleBadInput(CrisisCase):
    def _signal_rule_values(self):
        return {
            "name": "Low ratings",
            "model_id": self.env.ref("rating.model_rating_rating").id,
            "domain": "[('rating', '<=', 1)]",
            "type_id": self.env.ref("crisis_management.crisis_type_service_outage").id,
        }

    @users("crisis_manager")
    def test_signal_rule_window_and_threshold_bounds(self):
        Rule = self.env["crisis.signal.rule"]
        for fname, bad, good, words in (
            (
                "window_minutes",
                (2_000_000_000, 2**31, 1e12, 527_041, 0, -1),
                527_040,
                "between 1 minute and 527040 minutes (366 days)",
            ),
            ("threshold", (1_000_001, 2**31, 1e12, 0, -1), 1_000_000, "between 1 and 1000000"),
        ):
            for value in bad:
                with self.subTest(fname=fname, value=value):
                    with self.assertRaises(ValidationError) as error:
                        Rule.create({**self._signal_rule_values(), fname: value})
                    self.assertIn(words, str(error.exception))
            rule = Rule.create({**self._signal_rule_values(), fname: good})
            self.assertEqual(rule[fname], good)
            with self.assertRaises(ValidationError):
                rule.write({fname: bad[0]})
            self.assertEqual(rule[fname], good)

    def test_signal_rule_window_overflow_is_no_traceback(self):
        """A window stored past the bounds (before them, or past the ORM) is
        reported on its rule by the cron, which goes on: no crash, no traceback."""
        rule = self.env["crisis.signal.rule"].create(self._signal_rule_values())
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crisis_signal_rule SET window_minutes = 2000000000 WHERE id = %s", [rule.id]
        )
        rule.invalidate_recordset(["window_minutes"])
        logger = "odoo.addons.crisis_management_signal.models.crisis_signal_rule_count"
        with freeze_time(NOW), self.assertLogs(logger, "WARNING") as logs:
            self.env["crisis.signal.rule"]._cron_evaluate_rules()
        self.assertEqual(rule.date_last_check, NOW)
        self.assertIn("the window must be between 1 minute", rule.last_error)
        self.assertEqual([record.levelname for record in logs.records], ["WARNING"])
        self.assertFalse(logs.records[0].exc_info)
