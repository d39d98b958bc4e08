import ast
import logging
import math
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_datetime
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil, safe_eval

from .crisis_type import SEVERITIES
from .crisis_workflow_mixin import as_workflow

_logger = logging.getLogger(__name__)

# the alert of the people a rule names: a suspected crisis to confirm or dismiss
SIGNAL_ALERT = "crisis_management.mail_act_crisis_signal"
# the fields a rule usually finds the customer and the date of a row in
PARTNER_FIELD_NAMES = ("partner_id", "author_id", "commercial_partner_id", "customer_id")
DATE_FIELD_NAMES = ("create_date",)
# the bounds of a rule: a window of at most 366 days, a threshold of at most a
# million rows (more is no early warning)
MAX_WINDOW_MINUTES = 366 * 24 * 60
MAX_THRESHOLD = 1_000_000
# what decides which rows a rule counts: whoever changes it, the rule counts as
# them (unless they are a Settings administrator)
COUNTING_FIELDS = frozenset(
    ("model_id", "partner_field_id", "date_field_id", "domain", "company_id", "window_minutes")
)
# the numbers a domain may hold: 18 digits (PostgreSQL's bigint holds 19)
MAX_DOMAIN_NUMBER = 10**18
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class CrisisSignalRule(models.Model):
    """An early warning: "at least N rows of a model matching a domain in the
    last M minutes" raises a suspected crisis before it grows.

    The cron (``_cron_evaluate_rules``) counts every active rule of a watched
    model in one SQL query (``COUNT(*) FILTER (WHERE ...)``, one filter per
    rule), each rule's condition built by the ORM (``_search``) as the rule's
    owner in the rule's company: the owner's access rights and record rules
    apply, so a rule never counts, nor links, rows its owner could not read.

    When a rule reaches its threshold, it raises one suspected crisis (first
    stage, marked as raised by the rule, the customers of the matching rows
    linked as affected) and gives its people an activity. While that crisis is
    open (suspected, or confirmed and not resolved), a continuing signal links
    the new matching customers to it instead of raising another one. A rule
    raises at most one crisis per window: after a dismissal, the rows of the
    same window do not raise it again.
    """

    _name = "crisis.signal.rule"
    _description = "Crisis Signal Rule"
    _inherit = ["mail.thread", "crisis.workflow.mixin", "crisis.reminder.mixin"]
    _order = "sequence, name, id"
    _check_company_auto = True
    _crisis_workflow_fields = (
        "date_last_check",
        "last_count",
        "date_last_fired",
        "last_error",
    )

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
        help="The rule counts the data of this company and raises its crises in it.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Counted As",
        required=True,
        check_company=True,
        default=lambda self: self.env.user,
        copy=False,
        domain="[('share', '=', False)]",
        tracking=True,
        help="The rule counts the rows this user may read (access rights and record rules, in "
        "the rule's company), and leads the suspected crises it raises. It is whoever last set "
        "up what the rule counts (model, fields, domain, window, company): only Settings "
        "administrators choose another user.",
    )
    model_id = fields.Many2one(
        "ir.model",
        string="Watched Model",
        required=True,
        ondelete="cascade",
        domain="[('transient', '=', False), ('field_id', 'any', "
        "[('ttype', '=', 'many2one'), ('relation', '=', 'res.partner'), ('store', '=', True)])]",
        tracking=True,
        help="The records to watch: customer ratings, messages, leads, tickets... Any model "
        "with a field linking to a customer.",
    )
    model_name = fields.Char(related="model_id.model", string="Model Name", store=True)
    partner_field_id = fields.Many2one(
        "ir.model.fields",
        string="Customer Field",
        compute="_compute_partner_field_id",
        store=True,
        precompute=True,
        readonly=False,
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', '=', 'many2one'), "
        "('relation', '=', 'res.partner'), ('store', '=', True)]",
        help="The customer of a matching row: linked to the suspected crisis as affected.",
    )
    date_field_id = fields.Many2one(
        "ir.model.fields",
        string="Counted On",
        compute="_compute_date_field_id",
        store=True,
        precompute=True,
        readonly=False,
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', '=', 'datetime'), ('store', '=', True)]",
        help="The date the window is counted on (usually Created on). On large tables, an "
        "index on this column keeps the count fast.",
    )
    domain = fields.Char(
        default="[]",
        required=True,
        tracking=True,
        help="Which rows count, e.g. the ratings of 1: a list of conditions (field, operator, "
        "value) of literal values, combined with '&', '|' and '!'. Beside them, only the date "
        "helpers context_today(), relativedelta(), datetime.date(), datetime.datetime(), "
        "datetime.time(), datetime.timedelta(), datetime.datetime.now(), .strftime(), "
        ".replace(), .date(), .isoformat(), + and -, and uid.",
    )
    threshold = fields.Integer(
        string="At Least",
        default=20,
        required=True,
        tracking=True,
        help="The rule fires when at least this many rows match within the window (1 to "
        "1,000,000).",
    )
    window_minutes = fields.Integer(
        string="Within (Minutes)",
        default=60,
        required=True,
        tracking=True,
        help="The window the rows are counted in, up to now: 1 minute to 366 days (527,040 "
        "minutes).",
    )
    type_id = fields.Many2one(
        "crisis.type",
        string="Crisis Type",
        required=True,
        tracking=True,
        help="The type of the suspected crisis the rule raises.",
    )
    severity = fields.Selection(
        SEVERITIES,
        required=True,
        default="medium",
        tracking=True,
        help="The severity of the suspected crisis the rule raises.",
    )
    alert_user_ids = fields.Many2many(
        "res.users",
        "crisis_signal_rule_alert_user_rel",
        "rule_id",
        "user_id",
        string="Alert",
        check_company=True,
        domain="[('share', '=', False)]",
        help="Crisis Users who get an activity to confirm or dismiss each suspected crisis.",
    )
    crisis_ids = fields.One2many(
        "crisis.crisis",
        "signal_rule_id",
        string="Raised Crises",
        context={"active_test": False},
    )
    dismissed_crisis_ids = fields.One2many(
        "crisis.crisis",
        "signal_rule_id",
        string="Dismissals",
        domain=[("signal_state", "=", "dismissed")],
        context={"active_test": False},
        help="The suspected crises dismissed, with their reasons: what to tune the rule on.",
    )
    crisis_count = fields.Integer(compute="_compute_crisis_counts", string="Crises Raised")
    suspected_count = fields.Integer(compute="_compute_crisis_counts", string="Suspected")
    dismissed_count = fields.Integer(compute="_compute_crisis_counts", string="Dismissed")
    date_last_check = fields.Datetime(string="Last Checked On", readonly=True, copy=False)
    last_count = fields.Integer(
        readonly=True,
        copy=False,
        help="Matching rows in the window at the last check.",
    )
    date_last_fired = fields.Datetime(
        string="Last Fired On",
        readonly=True,
        copy=False,
        help="When the rule last raised a suspected crisis: it raises no other one within "
        "the same window.",
    )
    last_error = fields.Text(
        readonly=True,
        copy=False,
        help="Why the last check could not count (the rule is skipped until it is fixed).",
    )

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------

    @api.depends("model_id")
    def _compute_partner_field_id(self):
        for rule in self:
            if rule.partner_field_id.model_id == rule.model_id and rule.partner_field_id:
                continue
            candidates = rule.model_id.field_id.filtered(
                lambda f: f.ttype == "many2one" and f.relation == "res.partner" and f.store
            )
            preferred = [f for name in PARTNER_FIELD_NAMES for f in candidates if f.name == name]
            rule.partner_field_id = (preferred or candidates or [False])[0]

    @api.depends("model_id")
    def _compute_date_field_id(self):
        for rule in self:
            if rule.date_field_id.model_id == rule.model_id and rule.date_field_id:
                continue
            rule.date_field_id = rule.model_id.field_id.filtered(
                lambda f: f.name in DATE_FIELD_NAMES
            )[:1]

    def _compute_crisis_counts(self):
        counts = defaultdict(int)
        groups = (
            self.env["crisis.crisis"]
            .with_context(active_test=False)
            ._read_group(
                [("signal_rule_id", "in", self.ids)],
                ["signal_rule_id", "signal_state"],
                ["__count"],
            )
        )
        for rule, state, count in groups:
            counts[rule.id, state] = count
            counts[rule.id, None] += count
        for rule in self:
            rule.crisis_count = counts[rule.id, None]
            rule.suspected_count = counts[rule.id, "suspected"]
            rule.dismissed_count = counts[rule.id, "dismissed"]

    @api.constrains("threshold", "window_minutes")
    def _check_threshold_window(self):
        for rule in self:
            error = self._signal_bounds_error(rule.name, rule.threshold, rule.window_minutes)
            if error:
                raise ValidationError(error)

    @api.model
    def _signal_bounds_error(self, name, threshold, window_minutes):
        """Why ``threshold`` or ``window_minutes`` is out of bounds, or ``False``."""
        if not 1 <= threshold <= MAX_THRESHOLD:
            return self.env._(
                "Signal rule %(rule)s: the threshold must be between 1 and %(max)s rows (it is "
                "%(threshold)s).",
                rule=name,
                max=MAX_THRESHOLD,
                threshold=threshold,
            )
        if not 1 <= window_minutes <= MAX_WINDOW_MINUTES:
            return self.env._(
                "Signal rule %(rule)s: the window must be between 1 minute and %(max)s minutes "
                "(366 days) (it is %(minutes)s).",
                rule=name,
                max=MAX_WINDOW_MINUTES,
                minutes=window_minutes,
            )
        return False

    @api.constrains("model_id", "partner_field_id", "date_field_id", "domain", "user_id")
    def _check_model_fields_domain(self):
        for rule in self:
            model = rule.model_id
            if model.model not in self.env or model.transient:
                raise ValidationError(
                    self.env._(
                        "Signal rule %(rule)s: %(model)s cannot be watched (it is not a model "
                        "whose records are kept).",
                        rule=rule.name,
                        model=model.name,
                    )
                )
            try:
                rule._signal_env()[model.model].check_access("read")
            except AccessError:
                raise ValidationError(rule._signal_unreadable_message()) from None
            partner_field = rule.partner_field_id
            if not (
                partner_field
                and partner_field.model_id == model
                and partner_field.ttype == "many2one"
                and partner_field.relation == "res.partner"
                and partner_field.store
            ):
                raise ValidationError(
                    self.env._(
                        "Signal rule %(rule)s: %(model)s has no field linking to a customer "
                        "(a stored field to Contacts), so its rows name no customer to link to "
                        "a suspected crisis. Choose a model with one, and that field.",
                        rule=rule.name,
                        model=model.name,
                    )
                )
            date_field = rule.date_field_id
            if not (
                date_field
                and date_field.model_id == model
                and date_field.ttype == "datetime"
                and date_field.store
            ):
                raise ValidationError(
                    self.env._(
                        "Signal rule %(rule)s: choose a stored date and time field of %(model)s "
                        "to count the window on (usually Created on).",
                        rule=rule.name,
                        model=model.name,
                    )
                )
            Model = rule._signal_env()[model.model]
            for field in (partner_field, date_field):
                if not Model._fields[field.name].is_accessible(Model.env):
                    raise ValidationError(
                        self.env._(
                            "Signal rule %(rule)s: %(user)s, whom the rule counts as, may not "
                            "read the field %(field)s of %(model)s.",
                            rule=rule.name,
                            user=rule.user_id.name,
                            field=field.field_description,
                            model=model.name,
                        )
                    )
            try:
                rule._signal_check_query()
            except (
                ValueError,
                SyntaxError,
                TypeError,
                KeyError,
                NameError,
                AttributeError,
                ArithmeticError,
                UserError,
            ) as error:
                domain = rule.domain or ""
                raise ValidationError(
                    self.env._(
                        "Signal rule %(rule)s: the domain %(domain)s is not valid for "
                        "%(model)s: %(error)s",
                        rule=rule.name,
                        domain=domain if len(domain) <= 200 else domain[:199] + "…",
                        model=model.name,
                        error=self._signal_error_text(error),
                    )
                ) from None

    def _signal_unreadable_message(self):
        self.ensure_one()
        if self.user_id == self.env.user:
            return self.env._(
                "Signal rule %(rule)s: you may not read %(model)s, so no rule of yours can "
                "count it.",
                rule=self.name,
                model=self.model_id.name,
            )
        return self.env._(
            "Signal rule %(rule)s: %(user)s, whom the rule counts as, may not read %(model)s.",
            rule=self.name,
            user=self.user_id.name,
            model=self.model_id.name,
        )

    @api.constrains("alert_user_ids")
    def _check_alert_users(self):
        for rule in self:
            outsiders = rule.alert_user_ids.filtered(
                lambda u: not u.has_group("crisis_management.group_crisis_user")
            )
            if outsiders:
                raise ValidationError(
                    self.env._(
                        "Signal rule %(rule)s: %(users)s cannot confirm or dismiss a suspected "
                        "crisis: alert Crisis Users only.",
                        rule=rule.name,
                        users=", ".join(outsiders.mapped("name")),
                    )
                )

    @api.onchange(*COUNTING_FIELDS)
    def _onchange_counted_as(self):
        if not self._signal_may_choose_user():
            self.user_id = self.env.user

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]
        may_choose = self._signal_may_choose_user()
        for vals in vals_list:
            self._signal_check_bounds_values(vals, vals.get("name"))
            if may_choose:
                continue
            if vals.get("user_id") and vals["user_id"] != self.env.uid:
                raise self._signal_counted_as_error(vals.get("name"))
            # not left to a default (of the context, or a module's): the saver
            vals["user_id"] = self.env.uid
        return super().create(vals_list)

    def write(self, vals):
        self._signal_check_bounds_values(vals, vals.get("name") or self[:1].name)
        if not self._signal_may_choose_user():
            if "user_id" in vals and vals["user_id"] != self.env.uid:
                raise self._signal_counted_as_error(self[:1].name)
            if COUNTING_FIELDS & vals.keys() and any(
                rule.user_id != self.env.user for rule in self
            ):
                # who changes what the rule counts: the rule counts as them
                vals = {**vals, "user_id": self.env.uid}
        return super().write(vals)

    @api.model
    def _signal_may_choose_user(self):
        """Whether the current user may make a rule count as someone else:
        Settings administrators, and the superuser (data files, scripts).
        Anyone else's rules count as them: a rule never counts with more rights
        than the person who sets it up."""
        return self.env.su or self.env.user.has_group("base.group_system")

    @api.model
    def _signal_counted_as_error(self, name):
        return AccessError(
            self.env._(
                "Only a Settings administrator may choose whom signal rule %(rule)s counts as: "
                "a rule counts the rows the person who sets it up may read, so it counts as you.",
                rule=name or "",
            )
        )

    @api.model
    def _signal_check_bounds_values(self, vals, name):
        """The bounds of the threshold and window, on the values themselves: a
        clear error before PostgreSQL refuses a number too large for it."""

        def number(value):
            if isinstance(value, int | float):
                return value
            try:
                return float(value)
            except (TypeError, ValueError):
                return None  # not a number: the field refuses it

        threshold = number(vals.get("threshold", 1))
        window = number(vals.get("window_minutes", 1))
        error = self._signal_bounds_error(
            name, 1 if threshold is None else threshold, 1 if window is None else window
        )
        if error:
            raise ValidationError(error)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_crises(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crisis_management.crisis_crisis_action"
        )
        action.update(
            name=self.env._("Raised by %(rule)s", rule=self.name),
            domain=[("signal_rule_id", "=", self.id)],
            context={"active_test": False, "default_signal_rule_id": False},
        )
        return action

    def action_check_now(self):
        """Check the rules at once, as the cron does (Crisis Managers)."""
        self.check_access("write")
        self.sudo()._signal_evaluate(self._signal_lock())
        return True

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
        read them (access rights, record rules, active records): a ``Query``."""
        self.ensure_one()
        Model = self._signal_env()[self.model_name]
        return Model._search(self._signal_domain())

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
