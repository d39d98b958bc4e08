from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.crisis_management.models.crisis_type import SEVERITIES

# the alert of the people a rule names: a suspected crisis to confirm or dismiss
SIGNAL_ALERT = "crisis_management_signal.mail_act_crisis_signal"
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
# the app's own models: never watched, and their rows never counted where a
# watched model points to records (the notes the app posts, its activities...)
OWN_MODEL_PREFIX = "crisis."
# the fields of a watched model naming the model of the record a row belongs to
RECORD_MODEL_FIELDS = ("model", "res_model")
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
        help="Which rows count, e.g. the ratings of 1: a list of at least one condition (field, "
        "operator, value) of literal values, combined with '&', '|' and '!'. Rows of the crisis "
        "app's own records (its notes, activities, ratings of its lines) never count. Beside "
        "them, only the date "
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
            if model.model.startswith(OWN_MODEL_PREFIX):
                raise ValidationError(
                    self.env._(
                        "Signal rule %(rule)s: %(model)s is a record of the crisis app itself; "
                        "a signal rule watches what customers do (ratings, messages, tickets, "
                        "orders...), never the app's own records.",
                        rule=rule.name,
                        model=model.name,
                    )
                )
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
            if not rule._signal_domain():
                raise ValidationError(
                    self.env._(
                        "Signal rule %(rule)s has no condition: it would count every %(model)s "
                        "record. Add at least one condition of what signals a crisis, e.g. the "
                        "ratings of 1.",
                        rule=rule.name,
                        model=model.name,
                    )
                )

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
