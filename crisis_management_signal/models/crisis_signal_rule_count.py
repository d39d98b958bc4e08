"""How a signal rule counts, and the scheduled job that raises suspected crises.

The rule's definition, its checks and its buttons: ``crisis_signal_rule.py``.
"""

import ast
import logging
import math
from contextlib import contextmanager
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_datetime
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil, safe_eval

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

from .crisis_signal_rule import (
    MAX_DOMAIN_NUMBER,
    OWN_MODEL_PREFIX,
    RECORD_MODEL_FIELDS,
    SIGNAL_ALERT,
    WEEKDAYS,
)

_logger = logging.getLogger(__name__)


class CrisisSignalRule(models.Model):
    _inherit = "crisis.signal.rule"

    # ------------------------------------------------------------------
    # Counting
    # ------------------------------------------------------------------

    def _signal_eval_context(self):
        return {
            "datetime": safe_datetime,
            "dateutil": dateutil,
            "relativedelta": dateutil.relativedelta.relativedelta,
            "context_today": lambda: fields.Date.context_today(self),
            "uid": self.user_id.id,
        }

    def _signal_env(self):
        """The environment the rule counts in: its owner, in its company."""
        self.ensure_one()
        return self.env(
            user=self.user_id.id,
            su=False,
            context=dict(
                self.env.context,
                allowed_company_ids=[self.company_id.id],
                active_test=True,
                lang=self.user_id.lang or self.env.lang,
            ),
        )

    @api.model
    def _signal_domain_helpers(self):
        """What a rule's domain may use beside literal values, by their names in
        ``_signal_eval_context``: ``values`` (names and dotted names used as
        values), ``calls`` (dotted names that may be called) and ``methods``
        (what may be called on the result of a call, of ``+`` or of ``-``:
        whether positional arguments are allowed). A module adding a helper to
        the context adds it here too: nothing else can be evaluated."""
        weekdays = {f"dateutil.relativedelta.{day}" for day in WEEKDAYS}
        return {
            "values": {"uid", *weekdays},
            "calls": {
                "context_today",
                "relativedelta",
                "dateutil.relativedelta.relativedelta",
                "datetime.date",
                "datetime.datetime",
                "datetime.time",
                "datetime.timedelta",
                "datetime.date.today",
                "datetime.datetime.now",
                "datetime.datetime.today",
                "datetime.datetime.combine",
                *weekdays,
            },
            # str.replace() could multiply a text's length: that of dates takes keywords
            "methods": {"strftime": True, "replace": False, "date": False, "isoformat": False},
        }

    @api.model
    def _signal_check_domain_text(self, text):
        """Refuse (``ValidationError``) a domain that is not a literal list of
        conditions with the date helpers of ``_signal_domain_helpers``.

        Such a domain costs about its own length to evaluate: no arithmetic
        but ``+`` and ``-``, no large numbers, no loops, no names or attributes
        but the helpers'. A ``SyntaxError`` is left to the caller.
        """
        try:
            self._signal_check_domain_tree((text or "[]").strip())
        except (RecursionError, MemoryError):
            raise ValidationError(self.env._("the domain is nested too deeply")) from None

    @api.model
    def _signal_check_domain_tree(self, text):
        helpers = self._signal_domain_helpers()
        tree = ast.parse(text, mode="eval")

        def part(node):
            segment = ast.get_source_segment(text, node) or type(node).__name__
            return segment if len(segment) <= 80 else segment[:79] + "…"

        def refuse(node):
            raise ValidationError(
                self.env._(
                    "%(part)s is not allowed: a domain holds conditions of literal values "
                    "(numbers of at most 18 digits) and the date helpers context_today(), "
                    "relativedelta(), datetime.date(), datetime.datetime(), datetime.time(), "
                    "datetime.timedelta(), datetime.datetime.now(), .strftime(), .replace(), "
                    ".date(), .isoformat(), + and -, and uid.",
                    part=part(node),
                )
            )

        def dotted(node):
            names = []
            while isinstance(node, ast.Attribute):
                names.append(node.attr)
                node = node.value
            if not isinstance(node, ast.Name):
                return None
            names.append(node.id)
            return ".".join(reversed(names))

        def literal(node):
            value = node.value
            if value is None or isinstance(value, bool | str):
                return
            if not (
                isinstance(value, int | float)
                and math.isfinite(value)
                and abs(value) < MAX_DOMAIN_NUMBER
            ):
                refuse(node)

        def check(node):
            if isinstance(node, ast.Constant):
                literal(node)
            elif isinstance(node, ast.UnaryOp):
                if not (
                    isinstance(node.op, ast.USub | ast.UAdd)
                    and isinstance(node.operand, ast.Constant)
                    and isinstance(node.operand.value, int | float)
                    and not isinstance(node.operand.value, bool)
                ):
                    refuse(node)
                literal(node.operand)
            elif isinstance(node, ast.List | ast.Tuple):
                for element in node.elts:
                    check(element)
            elif isinstance(node, ast.BinOp):
                if not isinstance(node.op, ast.Add | ast.Sub):
                    refuse(node)
                check(node.left)
                check(node.right)
            elif isinstance(node, ast.Name | ast.Attribute):
                if dotted(node) not in helpers["values"]:
                    refuse(node)
            elif isinstance(node, ast.Call):
                func, path = node.func, dotted(node.func)
                if path in helpers["calls"]:
                    pass
                elif (
                    path is None
                    and isinstance(func, ast.Attribute)
                    and func.attr in helpers["methods"]
                    and (helpers["methods"][func.attr] or not node.args)
                ):
                    check(func.value)
                else:
                    refuse(node)
                for argument in node.args:
                    check(argument)
                for keyword in node.keywords:
                    if keyword.arg is None:
                        refuse(node)
                    check(keyword.value)
            else:
                refuse(node)

        body = tree.body
        if not isinstance(body, ast.List | ast.Tuple):
            raise ValidationError(self.env._("a domain is a list of conditions"))
        for node in body.elts:
            if isinstance(node, ast.Constant) and node.value in ("&", "|", "!"):
                continue
            if (
                isinstance(node, ast.List | ast.Tuple)
                and len(node.elts) == 3
                and isinstance(node.elts[0], ast.Constant)
                and (isinstance(node.elts[0].value, str) or node.elts[0].value in (0, 1))
                and isinstance(node.elts[1], ast.Constant)
                and isinstance(node.elts[1].value, str)
            ):
                check(node.elts[2])
                continue
            raise ValidationError(
                self.env._(
                    "%(part)s is not a condition: write (field, operator, value), e.g. "
                    "('rating', '<=', 1), and combine conditions with '&', '|' and '!'.",
                    part=part(node),
                )
            )

    def _signal_domain(self):
        """The rule's domain, checked (``_signal_check_domain_text``) then evaluated."""
        self.ensure_one()
        text = (self.domain or "[]").strip()
        self._signal_check_domain_text(text)
        return list(safe_eval(text, self._signal_eval_context()))

    def _signal_query(self):
        """The rows of the rule's model matching its domain, as the owner may
        read them (access rights, record rules, active records), less the rows
        of the app's own records: a ``Query``."""
        self.ensure_one()
        Model = self._signal_env()[self.model_name]
        return Model._search(self._signal_domain() + self._signal_own_records_domain(Model))

    @api.model
    def _signal_own_records_domain(self, Model):
        """Leave out the rows that belong to the app's own records (the
        notes it posts on crises, the activities of their lines, the ratings
        of their customers...): a signal never counts its own echo."""
        return [
            (name, "not like", OWN_MODEL_PREFIX)
            for name in RECORD_MODEL_FIELDS
            if name in Model._fields and Model._fields[name].type == "char"
        ]

    def _signal_check_query(self):
        """Build the rule's query, and have PostgreSQL plan it without reading a
        row (``LIMIT 0``): a value it refuses is reported when the rule is
        saved, not by the cron."""
        self.ensure_one()
        query = self._signal_query()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL("%s LIMIT 0", query.select()), log_exceptions=False)
        except psycopg2.OperationalError:
            raise
        except psycopg2.Error as error:
            raise ValueError(self._signal_error_text(error)) from None

    def _signal_condition(self):
        """The SQL condition of the rule on its model's table (no join)."""
        self.ensure_one()
        table = self.env[self.model_name]._table
        query = self._signal_query()
        if query.is_empty():
            return SQL("FALSE")
        if query._ids is not None or query._joins or query.table != table:
            # a known set of ids (models filtering in Python) or joins: a sub-query
            return SQL("%s IN %s", SQL.identifier(table, "id"), query.subselect())
        return query.where_clause if query._where_clauses else SQL("TRUE")

    @api.model
    def _signal_count(self, rules, now):
        """{rule: matching rows in its window} for rules of one model and date
        field: one query, one ``COUNT(*) FILTER`` per rule, over the rows since
        the earliest window start (which an index on the date column finds).

        Each rule is isolated: a rule whose condition cannot be built, or whose
        condition PostgreSQL refuses (then each rule is counted alone, to find
        it), is left out, with its error in ``errors`` (returned second).
        """
        table = self.env[rules[0].model_name]._table
        column = SQL.identifier(table, rules[0].date_field_id.name)
        filters, errors = {}, {}
        for rule in rules:
            with self._signal_isolated(rule, errors):
                bounds_error = self._signal_bounds_error(
                    rule.name, rule.threshold, rule.window_minutes
                )
                if bounds_error:
                    raise ValidationError(bounds_error)
                filters[rule] = SQL(
                    "COUNT(*) FILTER (WHERE %s > %s AND (%s))",
                    column,
                    now - timedelta(minutes=rule.window_minutes),
                    rule._signal_condition(),
                )
        if not filters:
            return {}, errors
        start = now - timedelta(minutes=max(rule.window_minutes for rule in filters))
        self.env.flush_all()
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    self._signal_count_query(table, column, list(filters.values()), start, now),
                    log_exceptions=False,
                )
                return dict(zip(filters, self.env.cr.fetchone(), strict=True)), errors
        except psycopg2.OperationalError:
            raise
        except psycopg2.Error as error:
            # a condition PostgreSQL refuses: each rule alone, to find it
            _logger.info("Signal rules of %s counted one by one: %s", table, error)
        counts = {}
        for rule, count_filter in filters.items():
            with self._signal_isolated(rule, errors):
                self.env.cr.execute(
                    self._signal_count_query(
                        table,
                        column,
                        [count_filter],
                        now - timedelta(minutes=rule.window_minutes),
                        now,
                    ),
                    log_exceptions=False,
                )
                counts[rule] = self.env.cr.fetchone()[0]
        return counts, errors

    @api.model
    def _signal_count_query(self, table, column, filters, start, now):
        return SQL(
            "SELECT %s FROM %s WHERE %s > %s AND %s <= %s",
            SQL(", ").join(filters),
            SQL.identifier(table),
            column,
            start,
            column,
            now,
        )

    @contextmanager
    def _signal_isolated(self, rule, errors):
        """Run the block in a savepoint: an error rolls the block back and is
        recorded in ``errors`` for ``rule``, and the other rules go on.
        Concurrency and server errors (``OperationalError``: serialization
        failure, lock or statement timeout) still stop the run, to be retried."""
        try:
            with self.env.cr.savepoint():
                yield
        except psycopg2.OperationalError:
            raise
        except Exception as error:  # recorded on the rule, shown on its form
            errors[rule] = self._signal_error_text(error)

    @api.model
    def _signal_error_text(self, error):
        """The message of ``error``, for a person fixing the rule."""
        if isinstance(error, UserError):
            return str(error.args[0]) if error.args else type(error).__name__
        if isinstance(error, psycopg2.Error):
            message = error.diag.message_primary or error.pgerror or ""
            return message.strip() or type(error).__name__
        return str(error).strip() or type(error).__name__

    def _signal_partner_ids(self, now):
        """The customers of the rows matching the rule in its window, that may
        be affected customers of its company's crisis (not staff, not of
        another company)."""
        self.ensure_one()
        table = self.env[self.model_name]._table
        column = SQL.identifier(table, self.date_field_id.name)
        partner_column = SQL.identifier(table, self.partner_field_id.name)
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT %s FROM %s"
                " WHERE %s > %s AND %s <= %s AND %s IS NOT NULL AND (%s)",
                partner_column,
                SQL.identifier(table),
                column,
                now - timedelta(minutes=self.window_minutes),
                column,
                now,
                partner_column,
                self._signal_condition(),
            ),
            log_exceptions=False,
        )
        partner_ids = [row[0] for row in self.env.cr.fetchall()]
        if not partner_ids:
            return []
        partners = (
            self.env["res.partner"]
            .sudo()
            .search(
                [("id", "in", partner_ids), ("company_id", "in", [self.company_id.id, False])],
                order="id",
            )
        )
        staff = self.env["crisis.impact"]._crisis_staff_partners(partners.ids)
        return (partners - staff).ids

    # ------------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------------

    @api.model
    def _signal_lock(self, rules=None):
        """Lock the active rules (``self`` or all), skipping those another worker holds.

        ``FOR UPDATE SKIP LOCKED``: two workers never check the same rule at
        once, and the row stays locked until the crisis it raises and its
        ``date_last_fired`` are committed together.
        """
        condition = SQL("active")
        if self.ids:
            condition = SQL("active AND id IN %s", tuple(self.ids))
        return self.sudo()._crisis_lock_due(condition, limit=None)

    @api.model
    def _cron_evaluate_rules(self):
        rules = self._signal_lock()
        self._signal_evaluate(rules)
        self.env["ir.cron"]._notify_progress(done=len(rules), remaining=0)

    @api.model
    def _signal_evaluate(self, rules):
        """Count ``rules`` (locked, as superuser) and raise or merge their crises.

        A rule that fails (its count, or raising its crisis) is rolled back
        alone: its error is recorded on it (``last_error``, cleared by its next
        successful check), logged once as a warning, and the others go on.
        """
        if not rules:
            return
        now = fields.Datetime.now()
        previous_errors = {rule: rule.last_error for rule in rules}
        counts, errors = {}, {}
        for _key, group in rules.grouped(lambda r: (r.model_name, r.date_field_id.id)).items():
            if group[0].model_name not in self.env:
                errors.update(dict.fromkeys(group, self.env._("the model is not installed")))
                continue
            group_counts, group_errors = self._signal_count(group, now)
            counts.update(group_counts)
            errors.update(group_errors)
        firing = rules.filtered(lambda r: r in counts and counts[r] >= r.threshold)
        if firing:
            self._signal_fire(firing, counts, now, errors)
        for rule, error in errors.items():
            # a warning when a rule starts failing (or fails otherwise), not at each run
            log = _logger.warning if error != previous_errors.get(rule) else _logger.info
            log("Signal rule %s (id %s) failed: %s", rule.name, rule.id, error)
        # one write per distinct value, not one per rule
        for (count, error), group in rules.grouped(
            lambda r: (counts.get(r, 0), errors.get(r, False))
        ).items():
            as_workflow(group).write(
                {"date_last_check": now, "last_count": count, "last_error": error}
            )

    @api.model
    def _signal_fire(self, firing, counts, now, errors):
        """Raise the crisis of each rule of ``firing``, or merge the signal into
        its open one; a rule that fails is rolled back, its error in ``errors``."""
        open_crises = self.env["crisis.crisis"].search(
            [
                ("signal_rule_id", "in", firing.ids),
                ("signal_state", "in", ("suspected", "confirmed")),
                ("stage_id.is_resolved", "=", False),
            ],
            order="id desc",
        )
        open_by_rule = {}
        for crisis in open_crises:
            open_by_rule.setdefault(crisis.signal_rule_id, crisis)
        for rule in firing:
            with self._signal_isolated(rule, errors):
                crisis = open_by_rule.get(rule)
                if crisis:
                    rule._signal_merge(crisis, counts[rule], now)
                elif not rule.date_last_fired or rule.date_last_fired <= now - timedelta(
                    minutes=rule.window_minutes
                ):
                    rule._signal_raise(counts[rule], now)

    def _signal_describe(self, count):
        self.ensure_one()
        return self.env._(
            "%(count)s %(model)s matching rule %(rule)s within %(minutes)s minutes "
            "(threshold: %(threshold)s).",
            count=count,
            model=self.model_id.name,
            rule=self.name,
            minutes=self.window_minutes,
            threshold=self.threshold,
        )

    def _signal_raise(self, count, now):
        """One suspected crisis for the rule: first stage, its customers linked,
        its people alerted."""
        self.ensure_one()
        rule = self.with_context(lang=self.user_id.lang or self.env.lang).with_company(
            self.company_id
        )
        stage = self.env["crisis.stage"].search([], order="sequence, id", limit=1)
        crisis = as_workflow(rule.env["crisis.crisis"]).create(
            {
                "name": rule.env._("Suspected: %(rule)s", rule=rule.name),
                "type_id": rule.type_id.id,
                "severity": rule.severity,
                "company_id": rule.company_id.id,
                "user_id": rule.user_id.id,
                "stage_id": stage.id,
                "date_detected": now,
                # the playbook waits for the confirmation
                "playbook_id": False,
                "signal_rule_id": rule.id,
                "signal_state": "suspected",
                "signal_match_count": count,
                "description": rule._signal_describe(count),
            }
        )
        partner_ids = rule._signal_partner_ids(now)
        if partner_ids:
            self.env["crisis.impact"]._link_partners(crisis, partner_ids)
        as_workflow(self).date_last_fired = now
        users = rule.alert_user_ids.filtered(
            lambda u: u.active and rule.company_id in u.company_ids
        )
        self.env["crisis.crisis"]._crisis_schedule_activities(
            [(crisis, user) for user in users],
            lambda c: c.env._("Suspected crisis: confirm or dismiss"),
            lambda c: fields.Date.context_today(c),
            lambda c: c.env._(
                "%(description)s %(customers)s customers linked.",
                description=rule.with_env(c.env)._signal_describe(count),
                customers=len(partner_ids),
            ),
            activity_type_xmlid=SIGNAL_ALERT,
        )
        crisis.message_post(
            body=rule.env._(
                "Raised by signal rule %(rule)s: %(description)s %(customers)s customers "
                "linked. Confirm or dismiss it.",
                rule=rule.name,
                description=rule._signal_describe(count),
                customers=len(partner_ids),
            ),
            subtype_xmlid="mail.mt_note",
        )
        return crisis

    def _signal_merge(self, crisis, count, now):
        """The signal continues: its new customers join the open crisis."""
        self.ensure_one()
        partner_ids = self._signal_partner_ids(now)
        added = self.env["crisis.impact"]._link_partners(crisis, partner_ids)
        if count > crisis.signal_match_count:
            as_workflow(crisis).signal_match_count = count
        if added:
            crisis.message_post(
                body=self.env._(
                    "The signal continues on %(date)s: %(description)s %(added)s new customers "
                    "linked.",
                    date=format_datetime(self.env, now),
                    description=self._signal_describe(count),
                    added=len(added),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return added
