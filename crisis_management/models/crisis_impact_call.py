"""Phone call campaigns on the affected customers of a crisis.

**Call Customers** (``crisis.call.wizard``) gives a call activity (Odoo's
*Call* activity type) to the agent of each chosen line, or to the
customer-service members of the crisis team in turn, due within the
response time of the crisis's severity; above the company's threshold the
crisis's impact jobs schedule them in the background, in committed batches.

The agent logs the outcome of each call in one click (``action_call_*``):
the open call activity is marked done with the outcome as feedback (the
chatter keeps it), the line gets its call count, last outcome and call date,
and a customer who did not answer or asked to be called back gets the next
try, up to the company's number of tries. Odoo's own *Mark Done* on a call
activity of a line counts as a call that reached the customer.
"""

import ast
from collections import Counter
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, is_html_empty

from .crisis_job import Batch
from .crisis_workflow_mixin import as_workflow

CALL_ACTIVITY = "mail.mail_activity_data_call"
CALL_OUTCOMES = [
    ("reached", "Reached"),
    ("voicemail", "Voicemail"),
    ("no_answer", "No Answer"),
    ("wrong_number", "Wrong Number"),
    ("call_back", "Call Back Later"),
]
CALL_FIELDS = ("call_count", "call_outcome", "date_last_call")
# the outcomes after which the customer is called again (up to the tries)
RETRY_OUTCOMES = ("no_answer", "call_back")
# lines scheduled per call of the background job; the scheduler commits after each
CALL_BATCH_SIZE = 1000
# the context key of the outcome buttons: the activity they close is not counted twice
CALL_LOGGING = "crisis_call_logging"


class CrisisImpact(models.Model):
    _inherit = "crisis.impact"

    call_count = fields.Integer(
        string="Calls",
        readonly=True,
        copy=False,
        help="The calls made to this customer in the call campaigns of this crisis.",
    )
    call_outcome = fields.Selection(
        CALL_OUTCOMES,
        string="Last Call",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="The outcome of the last call to this customer.",
    )
    date_last_call = fields.Datetime(string="Last Called On", readonly=True, copy=False)
    partner_mobile = fields.Char(related="partner_id.mobile", string="Mobile")
    call_open = fields.Boolean(
        string="To Call",
        compute="_compute_call_open",
        search="_search_call_open",
        help="A call to this customer is scheduled (an open call activity).",
    )

    def _compute_call_open(self):
        # one query for the lines shown
        open_ids = {
            res_id
            for (res_id,) in self.env["mail.activity"]
            .sudo()
            ._read_group(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "=", self.env.ref(CALL_ACTIVITY).id),
                ],
                ["res_id"],
            )
        }
        for line in self:
            line.call_open = line.id in open_ids

    def _search_call_open(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        domain = [("activity_ids.activity_type_id", "=", self.env.ref(CALL_ACTIVITY).id)]
        return domain if (operator == "=") == value else ["!", *domain]

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(dict.fromkeys(CALL_FIELDS, True))
        return guarded

    # ------------------------------------------------------------------
    # Who to call
    # ------------------------------------------------------------------

    @api.model
    def _crisis_call_states(self, domain, audience, after_id=0, upto_id=None, limit=None):
        """[(line id, state)] of the lines of ``domain``, in id order, in one query.

        The state says what a call campaign does with the line: ``call``;
        ``out`` (not in ``audience``); ``scheduled`` (an open call activity
        already); ``no_phone`` (the customer has no phone nor mobile).

        :param audience: ``all``, or ``priority``: the priority customers and
            those emails do not reach (no valid address, or blacklisted);
            customers who unsubscribed from this crisis's notices are left
            out of it unless they are priority customers: they asked not to
            hear of it any more
        :param after_id: only the lines of a higher id (keyset batches)
        :param upto_id: only the lines up to this id
        """
        query = self._search(domain)
        conditions = [SQL("impact.id IN %s", query.subselect())]
        if after_id:
            conditions.append(SQL("impact.id > %s", after_id))
        if upto_id is not None:
            conditions.append(SQL("impact.id <= %s", upto_id))
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT impact.id, %s FROM %s WHERE %s ORDER BY impact.id %s",
                self._crisis_call_state(audience),
                self._crisis_recipient_tables(),
                SQL(" AND ").join(conditions),
                SQL("LIMIT %s", limit) if limit else SQL(),
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _crisis_count_call_states(self, domain, audience):
        """{``call`` | ``out`` | ``scheduled`` | ``no_phone``: number of lines} of ``domain``."""
        query = self._search(domain)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT %s, COUNT(*) FROM %s WHERE impact.id IN %s GROUP BY 1",
                self._crisis_call_state(audience),
                self._crisis_recipient_tables(),
                query.subselect(),
            )
        )
        return Counter(dict(self.env.cr.fetchall()))

    @api.model
    def _crisis_call_state(self, audience):
        if audience == "priority":
            in_audience = SQL(
                # lines made before the flag existed, or by SQL, hold NULL: not priority
                "(COALESCE(impact.is_priority, FALSE) OR (%s) IN ('no_email', 'blacklisted'))",
                self._crisis_recipient_state(),
            )
        else:
            in_audience = SQL("TRUE")
        return SQL(
            """CASE WHEN NOT %(in_audience)s THEN 'out'
                    WHEN EXISTS (SELECT 1 FROM mail_activity activity
                                  WHERE activity.res_model = %(model)s
                                    AND activity.res_id = impact.id
                                    AND activity.activity_type_id = %(type_id)s
                                    AND activity.active) THEN 'scheduled'
                    WHEN COALESCE(TRIM(partner.phone), '') = ''
                         AND COALESCE(TRIM(partner.mobile), '') = '' THEN 'no_phone'
                    ELSE 'call' END""",
            in_audience=in_audience,
            model=self._name,
            type_id=self.env.ref(CALL_ACTIVITY).id,
        )

    # ------------------------------------------------------------------
    # Scheduling the calls
    # ------------------------------------------------------------------

    def _crisis_schedule_calls(self, date_deadline, turn=0):
        """A call activity for each of these lines (of one crisis), in one batch.

        Assigned to the line's agent; for a line without one, to the
        customer-service members of the crisis team in turn (in id order,
        starting at ``turn``), else to the crisis lead, else to the current
        user. The agent of a line is not changed: the activity makes its
        assignee follow the line, the customer's replies reach them.

        :return: (the activities, the next ``turn``)
        """
        if not self:
            return self.env["mail.activity"], turn
        lines = self.sorted("id")
        crisis = lines.crisis_id
        crisis.ensure_one()
        callers = crisis._crisis_call_callers()
        fallback = crisis.sudo().user_id.with_env(self.env) or self.env.user
        pairs = []
        for line in lines:
            user = line.user_id
            if not user and callers:
                user = callers[turn % len(callers)]
                turn += 1
            pairs.append((line, user or fallback))
        # what the notes read, in batch
        lines.partner_id.mapped("display_name")
        lines.partner_id.mapped("mobile")
        activities = self._crisis_schedule_activities(
            pairs,
            summary_of=lambda line: line._crisis_call_summary(),
            date_of=lambda _line: date_deadline,
            note_of=lambda line: line._crisis_call_note(),
            activity_type_xmlid=CALL_ACTIVITY,
        )
        return activities, turn

    def _crisis_call_summary(self):
        customer = self.partner_id.display_name
        if self.crisis_id.sudo().is_drill:
            return self.env._("Drill: call %(customer)s", customer=customer)
        return self.env._("Call %(customer)s", customer=customer)

    def _crisis_call_note(self):
        """The phones of the customer (clickable) and the talking points of the crisis."""
        partner = self.partner_id
        parts = []
        for label, number in (
            (self.env._("Phone"), partner.phone),
            (self.env._("Mobile"), partner.mobile),
        ):
            if number and number.strip():
                parts.append(
                    Markup('<p>%s: <a href="tel:%s">%s</a></p>')
                    % (label, "".join(number.split()), number)
                )
        crisis = self.crisis_id.sudo()
        if crisis.is_drill:
            parts.append(
                Markup("<p><b>%s</b></p>")
                % self.env._("This is a drill: rehearse the call, do not call the customer.")
            )
        if not is_html_empty(crisis.talking_points):
            parts.append(Markup("<p><b>%s</b></p>") % self.env._("Talking points:"))
            parts.append(Markup(crisis.talking_points))
        return Markup("").join(parts)

    # ------------------------------------------------------------------
    # Outcomes
    # ------------------------------------------------------------------

    def action_call_reached(self):
        """The customer was reached on the phone."""
        return self._crisis_log_call("reached")

    def action_call_voicemail(self):
        """A message was left on the customer's voicemail."""
        return self._crisis_log_call("voicemail")

    def action_call_no_answer(self):
        """Nobody answered: the customer is called again tomorrow, up to the tries."""
        return self._crisis_log_call("no_answer")

    def action_call_wrong_number(self):
        """The number is not the customer's: no more calls to it."""
        return self._crisis_log_call("wrong_number")

    def action_call_back_later(self, date=False):
        """The customer asked to be called back: on ``date`` (tomorrow by default)."""
        if date:
            date = fields.Date.to_date(date)
            if date < fields.Date.context_today(self):
                raise UserError(self.env._("The call back date cannot be in the past."))
        return self._crisis_log_call("call_back", next_date=date)

    def _crisis_log_call(self, outcome, next_date=False):
        """Record a call of ``outcome`` to the customer of each line.

        :param next_date: the day of the next try (tomorrow by default)
        """
        self.check_access("write")
        now = fields.Datetime.now()
        label = dict(self._fields["call_outcome"]._description_selection(self.env))[outcome]
        call_type = self.env.ref(CALL_ACTIVITY)
        open_calls = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "=", call_type.id),
                ]
            )
            .grouped("res_id")
        )
        retries = []
        for line in self:
            activities = open_calls.get(line.id, self.env["mail.activity"])
            caller = activities[:1].user_id.with_env(self.env) or line.user_id or self.env.user
            values = line._crisis_call_values(outcome, now)
            count = values["call_count"]
            note = self.env._(
                "Call %(count)s: %(outcome)s.",
                count=count,
                outcome=label,
            )
            if outcome in RETRY_OUTCOMES:
                if count < line.company_id.crisis_call_max_tries:
                    day = next_date or fields.Date.context_today(line) + timedelta(days=1)
                    retries.append((line, caller, day))
                    note += " " + self.env._(
                        "Next try on %(date)s.", date=fields.Date.to_string(day)
                    )
                else:
                    note += " " + self.env._(
                        "%(count)s tries made: no more calls are scheduled.", count=count
                    )
            elif outcome == "wrong_number":
                note += " " + self.env._(
                    "The phone number of %(customer)s must be corrected before calling again.",
                    customer=line.partner_id.display_name,
                )
            if activities:
                activities.with_user(self.env.user).with_context(
                    **{CALL_LOGGING: True}
                ).action_feedback(feedback=note)
            else:
                line.message_post(body=note, subtype_xmlid="mail.mt_note")
            as_workflow(line).write(values)
        for (caller, day), group in _group_retries(retries).items():
            lines = self.browse(line.id for line in group)
            lines._crisis_schedule_activities(
                [(line, caller) for line in lines],
                summary_of=lambda line: line._crisis_call_summary(),
                date_of=lambda _line, day=day: day,
                note_of=lambda line: line._crisis_call_note(),
                activity_type_xmlid=CALL_ACTIVITY,
            )
        return True

    def _crisis_call_values(self, outcome, now):
        """What a call of ``outcome`` at ``now`` changes on this line: one more
        try, the outcome, and for a reached customer or a voicemail the last
        contact and the contact status."""
        self.ensure_one()
        values = {
            "call_count": self.call_count + 1,
            "call_outcome": outcome,
            "date_last_call": now,
        }
        if outcome in ("reached", "voicemail"):
            values["date_last_contact"] = now
            if outcome == "reached" and self.contact_status in (
                "to_contact",
                "unreachable",
                "notified",
            ):
                values["contact_status"] = "in_discussion"
            elif outcome == "voicemail" and self.contact_status in ("to_contact", "unreachable"):
                values["contact_status"] = "notified"
        return values

    def _crisis_calls_done_elsewhere(self):
        """Odoo's *Mark Done* closed a call activity of these lines: the call
        reached the customer (the activity's message in the chatter says it)."""
        now = fields.Datetime.now()
        for line in self.sudo():
            as_workflow(line).write(line._crisis_call_values("reached", now))


def _group_retries(retries):
    """{(caller, date): [lines]} of the next tries to schedule."""
    groups = {}
    for line, caller, day in retries:
        groups.setdefault((caller, day), []).append(line)
    return groups


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        # Odoo's "Mark Done" on the call of an affected customer: a call that
        # reached them (the outcome buttons log their own outcome)
        lines = self.env["crisis.impact"]
        if not self.env.context.get(CALL_LOGGING):
            call_type = self.env.ref(CALL_ACTIVITY, raise_if_not_found=False)
            calls = self.filtered(
                lambda activity: (
                    activity.res_model == "crisis.impact"
                    and activity.activity_type_id == call_type
                )
            )
            lines = lines.browse(calls.mapped("res_id")).exists()
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if lines:
            lines._crisis_calls_done_elsewhere()
        return result


class CrisisImpactJob(models.Model):
    """Call campaigns too large for one click, scheduled a batch at a time.

    A job of type ``call`` holds the lines of the campaign (a filter on the
    lines, and the highest id at the click) and its audience; each call of
    the scheduler gives call activities to the next ``CALL_BATCH_SIZE`` lines,
    as the user who clicked, and commits with the line id it reached.
    """

    _inherit = "crisis.impact.job"

    job_type = fields.Selection(
        [("add", "Add Customers"), ("call", "Call Customers")],
        required=True,
        default="add",
        readonly=True,
    )
    call_domain = fields.Text(string="Lines to Call", readonly=True)
    call_audience = fields.Selection(
        [("priority", "Priority customers and those without email"), ("all", "All")],
        readonly=True,
    )
    call_date_deadline = fields.Date(string="Calls Due On", readonly=True)
    call_turn = fields.Integer(readonly=True)
    max_impact_id = fields.Integer(readonly=True)
    last_impact_id = fields.Integer(readonly=True)

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(
            dict.fromkeys(
                (
                    "job_type",
                    "call_domain",
                    "call_audience",
                    "call_date_deadline",
                    "call_turn",
                    "max_impact_id",
                    "last_impact_id",
                ),
                True,
            )
        )
        return guarded

    @api.model
    def _crisis_queue_calls(self, crisis, domain, audience, total, date_deadline):
        """Record the call campaign of the lines of ``domain``; start the job."""
        last = self.env["crisis.impact"].search(domain, order="id desc", limit=1)
        return self._crisis_job_queue(
            {
                "crisis_id": crisis.id,
                "job_type": "call",
                "call_domain": repr(domain),
                "call_audience": audience,
                "call_date_deadline": date_deadline,
                "max_impact_id": last.id,
                "total_count": total,
            }
        )

    @api.depends("job_type")
    def _compute_display_name(self):
        calls = self.filtered(lambda job: job.job_type == "call")
        for job in calls:
            job.display_name = self.env._(
                "%(crisis)s: call campaign of %(count)s customers",
                crisis=job.crisis_id.reference,
                count=job.total_count,
            )
        return super(CrisisImpactJob, self - calls)._compute_display_name()

    def _crisis_job_batch(self, batch_size):
        if self.job_type != "call":
            return super()._crisis_job_batch(batch_size)
        env = self._crisis_job_user_env(self.company_id)
        Impact = env["crisis.impact"]
        crisis = env["crisis.crisis"].browse(self.crisis_id.id)
        if crisis.is_closed:
            raise UserError(env._("%(crisis)s was closed.", crisis=crisis.sudo().display_name))
        crisis.check_access("write")
        states = Impact._crisis_call_states(
            ast.literal_eval(self.call_domain or "[]"),
            self.call_audience,
            after_id=self.last_impact_id,
            upto_id=self.max_impact_id,
            limit=batch_size,
        )
        to_call = Impact.browse(id_ for id_, state in states if state == "call")
        activities, turn = to_call._crisis_schedule_calls(
            self.call_date_deadline, turn=self.call_turn
        )
        values = {"added_count": self.added_count + len(activities), "call_turn": turn}
        if states:
            values["last_impact_id"] = states[-1][0]
        return Batch(len(states), values, len(states) < batch_size)

    def _crisis_job_message(self, state):
        if self.job_type != "call":
            return super()._crisis_job_message(state)
        if state == "done":
            return self.env._(
                "Call campaign scheduled: %(count)s calls, due on %(date)s.",
                count=self.added_count,
                date=fields.Date.to_string(self.call_date_deadline),
            )
        if state == "failed":
            return self.env._(
                "Scheduling the calls stopped after %(count)s: %(error)s",
                count=self.added_count,
                error=self.error,
            )
        return self.env._(
            "Scheduling the calls was stopped by %(user)s after %(count)s calls, "
            "%(processed)s of %(total)s customers processed.",
            user=self.stopped_by_id.name,
            count=self.added_count,
            processed=self.processed_count,
            total=self.total_count,
        )
