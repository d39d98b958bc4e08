"""Compensations many at once: a bulk action tells each person once, large
selections go to the background jobs, the approvers get one activity per
crisis for many requests, and one compensation is proposed to many
customers."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import clean_context, format_amount, split_every

from .crisis_compensation import BATCH_TO_APPROVE, TOLD_LATER
from .crisis_workflow_mixin import as_workflow

# compensations made per create() call when many are proposed at once
PROPOSE_BATCH_SIZE = 1000


class CrisisCompensation(models.Model):
    _inherit = "crisis.compensation"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------
    # Many at once: one summary per person, never one per record
    # ------------------------------------------------------------------

    def _crisis_told_later(self):
        """A batch of a background job: everyone is told when the job ends."""
        return self.env.context.get("crisis_bulk_told_later") is TOLD_LATER

    def _crisis_is_bulk(self):
        """Many at once: more than one, or a batch of a background job."""
        return len(self) > 1 or self._crisis_told_later()

    def _crisis_bulk_quiet(self):
        """These compensations, written without a tracking message (and its
        email to each follower) per record when they are many: the bulk
        action logs each record and tells each person once."""
        return self.with_context(tracking_disable=True) if self._crisis_is_bulk() else self

    def _crisis_bulk_log(self, action):
        """The chatter of each compensation of a bulk action says what
        happened, as a log (nobody notified)."""
        if not self._crisis_is_bulk():
            return
        texts = {
            "submit": self.env._("Submitted for approval by %(user)s, with %(count)s others."),
            "approve": self.env._("Approved by %(user)s, with %(count)s others."),
            "reject": self.env._("Rejected by %(user)s, with %(count)s others."),
        }
        body = texts[action] % {"user": self.env.user.name, "count": max(len(self) - 1, 0)}
        self.sudo()._message_log_batch(bodies=dict.fromkeys(self.ids, body))

    def _crisis_bulk_tell_requesters(self, action):
        """One message per crisis to the requesters of the compensations a
        bulk action approved or rejected (with their numbers), instead of one
        email per compensation; the background job tells once at its end."""
        if not self._crisis_is_bulk() or self._crisis_told_later():
            return
        self._crisis_tell_requesters(action, self.env.user)

    def _crisis_tell_requesters(self, action, user):
        """A note on each crisis of these compensations naming the requesters
        (notified once each): how many of their requests ``user`` approved or
        rejected."""
        for crisis, compensations in self.sudo().grouped("crisis_id").items():
            requesters = compensations.user_id | compensations.submitted_by_id
            partners = (requesters - user).partner_id
            if not partners:
                continue
            in_lang = crisis.with_context(lang=user.lang or self.env.lang)
            texts = {
                "approve": in_lang.env._(
                    "%(user)s approved %(count)s compensation request(s) of %(crisis)s at once "
                    "(%(amount)s): they can be offered to the customers.",
                ),
                "reject": in_lang.env._(
                    "%(user)s rejected %(count)s compensation request(s) of %(crisis)s at once "
                    "(%(amount)s).",
                ),
            }
            amount = format_amount(
                self.env,
                sum(compensations.mapped("amount_company")),
                crisis.company_id.currency_id,
            )
            body = texts[action] % {
                "user": user.name,
                "count": len(compensations),
                "crisis": crisis.reference,
                "amount": amount,
            }
            crisis.message_post(
                body=body,
                partner_ids=partners.ids,
                author_id=user.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    def _crisis_check_action(self, action):
        """Raise unless the current user may do ``action`` (``submit``,
        ``approve``, ``reject``, ``deliver``) on all of these now."""
        if action == "submit":
            self._check_state(("draft",), self.env._("%(reference)s is not a draft."))
            self.check_access("write")
        elif action in ("approve", "reject"):
            self._check_state(
                ("to_approve",), self.env._("%(reference)s is not waiting for approval.")
            )
            self._check_approval_rights()
        else:
            self._crisis_check_deliverable()

    # ------------------------------------------------------------------
    # In the background
    # ------------------------------------------------------------------

    def _crisis_above_threshold(self):
        """Whether these compensations are more than the threshold of one of
        their companies: then a button works on them in the background."""
        companies = self.company_id or self.env.company
        return len(self) > min(companies.mapped("crisis_compensation_background_threshold"))

    def _crisis_in_background(self, action):
        """Queue ``action`` on these compensations if they are above the
        threshold (``crisis.compensation.bulk.job``), after the checks of the
        click: the job makes them again, batch by batch.

        :return: the notification telling so, or ``False`` (not above)
        """
        if not self._crisis_above_threshold():
            return False
        self._crisis_check_action(action)
        self._crisis_queue_bulk(action)
        actions = dict(
            self.env["crisis.compensation.bulk.job"]
            ._fields["action"]
            ._description_selection(self.env)
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": actions[action],
                "message": self.env._(
                    "%(count)s compensation(s) are being processed in the background. The "
                    "chatter of their crisis says when it is done; Crisis > Background Jobs "
                    "shows the progress.",
                    count=len(self),
                ),
                "type": "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _crisis_queue_bulk(self, action):
        """One ``crisis.compensation.bulk.job`` of ``action`` per company of these."""
        Job = self.env["crisis.compensation.bulk.job"]
        jobs = Job.browse()
        for company, compensations in self.grouped("company_id").items():
            jobs |= Job._crisis_queue(compensations, action=action, company_id=company.id)
        return jobs

    def _crisis_due_for(self, action):
        """Those of these compensations that ``action`` still works on."""
        if action == "deliver":
            return self._crisis_ready_to_deliver()
        state = "draft" if action == "submit" else "to_approve"
        return self.filtered(lambda c: c.state == state)

    def _crisis_do(self, action):
        """Do ``action`` on these compensations now, as the current user."""
        if not self:
            return True
        if action == "deliver":
            return self.action_deliver()
        return getattr(self, f"_crisis_{action}")()

    def _crisis_delivery_waiting_text(self):
        """What these compensations, delivered but not yet in the delivered
        state, wait for (a bridge names its document)."""
        return self.env._("%(count)s waiting for their delivery to complete.", count=len(self))

    def _crisis_check_deliverable(self):
        """Raise unless the current user may deliver all of these now."""
        delivered = self.filtered(lambda c: c.state == "delivered")
        if delivered:
            raise UserError(
                self.env._("%(reference)s is already delivered.", reference=delivered[0].reference)
            )
        self._check_state(("approved",), self.env._("%(reference)s is not approved."))
        self.check_access("write")

    def action_deliver_selection(self):
        """The *Deliver* button of the list: the approved compensations of the
        selection, the others skipped and counted.

        They are delivered at once, but those the modules that deliver
        compensations (accounting, loyalty) send to the background
        (``_crisis_deliver_later``).

        :return: a notification (an action dict)
        """
        if not self:
            raise UserError(self.env._("Select the compensations to deliver."))
        ready = self._crisis_ready_to_deliver()
        if not ready:
            raise UserError(
                self.env._(
                    "None of the selected compensations is approved and waiting for delivery."
                )
            )
        ready.check_access("write")
        later = ready._crisis_deliver_later()
        now = ready - later
        if now._crisis_above_threshold():
            # the others of a large selection: in the background too
            now._crisis_check_deliverable()
            now._crisis_queue_bulk("deliver")
            later |= now
            now = now.browse()
        if now:
            now.action_deliver()
        # what really happened: delivered, or waiting for their document (a
        # draft credit note is delivered when it is posted)
        delivered = now.filtered(lambda c: c.state == "delivered")
        if later:
            message = self.env._(
                "%(now)s compensation(s) delivered; %(later)s being delivered in the "
                "background: you will get a message when it is done.",
                now=len(delivered),
                later=len(later),
            )
        else:
            message = self.env._("%(count)s compensation(s) delivered.", count=len(delivered))
        if now - delivered:
            message = f"{message} {(now - delivered)._crisis_delivery_waiting_text()}"
        skipped = len(self) - len(ready)
        if skipped:
            message = self.env._(
                "%(message)s %(skipped)s not approved or already being delivered: skipped.",
                message=message,
                skipped=skipped,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Deliver Compensations"),
                "message": message,
                "type": "info" if later else "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _crisis_ready_to_deliver(self):
        """The compensations of a selection that *Deliver* delivers: approved ones."""
        return self.filtered(lambda c: c.state == "approved")

    def _crisis_deliver_later(self):
        """Those of these compensations (approved, selected together) that are
        delivered in the background, queued here; none in the core, where
        delivering is a state. The bridge modules queue the large selections
        they make documents for (credit notes, gift cards).

        :return: the compensations queued
        """
        return self.browse()

    # ------------------------------------------------------------------
    # The approvers of many requests
    # ------------------------------------------------------------------

    def _schedule_batch_approval_activities(self):
        """One "Compensations to Approve" activity per crisis and approver for
        requests submitted many at once, on the crisis, saying how many wait
        (an open one is brought up to date, not doubled)."""
        managers = self._crisis_approvers()
        crises = self.crisis_id
        waiting = self._crisis_waiting_by_crisis(crises)
        Activity = self.env["mail.activity"].sudo()
        activity_type = self.env.ref(BATCH_TO_APPROVE)
        open_activities = Activity.search(
            [
                ("res_model", "=", "crisis.crisis"),
                ("res_id", "in", crises.ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        existing = {(a.res_id, a.user_id.id): a for a in open_activities}
        pairs = []
        for crisis, compensations in self.grouped("crisis_id").items():
            for manager in managers:
                if crisis.company_id not in manager.company_ids:
                    continue
                if all(manager in c._requesters() for c in compensations):
                    continue
                if (crisis.id, manager.id) not in existing:
                    pairs.append((crisis, manager))
        self.env["crisis.reminder.mixin"]._crisis_schedule_activities(
            pairs,
            summary_of=lambda crisis: crisis.env._(
                "%(count)s compensations to approve", count=waiting.get(crisis.id, 0)
            ),
            date_of=lambda crisis: fields.Date.context_today(crisis),
            note_of=lambda crisis: crisis.env._(
                "Compensation requests of %(crisis)s wait for your approval: open "
                "Compensations > To Approve, select them and Approve (or Reject).",
                crisis=crisis.reference,
            ),
            activity_type_xmlid=BATCH_TO_APPROVE,
        )
        self._crisis_refresh_batch_activities(open_activities, waiting)

    @api.model
    def _crisis_waiting_by_crisis(self, crises):
        """{crisis id: its compensations waiting for approval}."""
        return {
            crisis.id: count
            for crisis, count in self.sudo()._read_group(
                [("crisis_id", "in", crises.ids), ("state", "=", "to_approve")],
                ["crisis_id"],
                ["__count"],
            )
        }

    @api.model
    def _crisis_refresh_batch_activities(self, activities, waiting):
        """The crisis-level approval ``activities`` say how many requests
        still wait; done (by the current user's) or gone when none does."""
        for activity in activities.sudo():
            count = waiting.get(activity.res_id, 0)
            if count:
                crisis = self.env["crisis.crisis"].browse(activity.res_id)
                in_lang = crisis.with_context(lang=activity.user_id.lang or self.env.lang)
                activity.summary = in_lang.env._("%(count)s compensations to approve", count=count)
            elif activity.user_id == self.env.user:
                activity.action_feedback()
            else:
                activity.unlink()

    # ------------------------------------------------------------------
    # One compensation for many affected customers
    # ------------------------------------------------------------------

    @api.model
    def _crisis_check_propose(self, impacts, values):
        """Raise unless the current user may propose compensations of
        ``values`` to ``impacts``: the checks of the click, made again by each
        batch of a background proposal (``crisis.compensation.propose.job``)."""
        self._check_currency_active(self.env["res.currency"].browse(values.get("currency_id")))
        self.check_access("create")
        if not impacts:
            return
        self._crisis_check_amount(values.get("amount") or 0)
        if len(impacts.company_id) > 1:
            raise UserError(self.env._("Propose compensations for one company at a time."))
        # the caller's values go through the workflow guard; the workflow
        # values _propose_to adds are ours
        self._crisis_check_values([values], create=True)

    def _propose_to(self, impacts, values, submit=False):
        """The same compensation for many affected customers: new lines, drafts
        or (``submit``) waiting for approval.

        Made by ``create()``, ``PROPOSE_BATCH_SIZE`` per call, so that
        automated actions, audit logs, company checks and record rules see them
        as any other; ``create`` draws their references in one query per
        batch. Submitted ones are created waiting for approval, as
        ``action_submit`` leaves them, with the approvers' activities.
        """
        self._crisis_check_propose(impacts, values)
        if not impacts:
            return self.browse()
        values = dict(values)
        if submit:
            values.update(
                state="to_approve",
                submitted_by_id=self.env.uid,
                date_submitted=fields.Datetime.now(),
            )
        # tracking_disable, the flag Odoo's imports set for large files: none of
        # mail.thread's per-record work on creation (auto-subscriptions, the
        # "created" message: the caller logs one on the crisis); the requester
        # follows them below, in one go, as create() would subscribe them.
        # clean_context: the caller's default_* keys (a wizard's) are not
        # values for the compensations (nor the related fields they would write).
        Compensation = as_workflow(
            self.with_context(clean_context(self.env.context), tracking_disable=True)
        )
        compensation_ids = []
        for batch in split_every(PROPOSE_BATCH_SIZE, impacts.ids):
            compensation_ids += Compensation.create(
                [dict(values, impact_id=impact_id) for impact_id in batch]
            ).ids
        compensations = self.browse(compensation_ids)
        if self.env.user.active:
            self.env["mail.followers"]._insert_followers(
                self._name,
                compensations.ids,
                self.env.user.partner_id.ids,
                customer_ids=[],
                check_existing=False,
            )
        # each chatter logs its creation, as create() does without the flag:
        # one batch of messages, no notification
        compensations._message_log_batch(
            bodies={
                compensation.id: compensation._creation_message() for compensation in compensations
            }
        )
        if submit:
            # the approvers' "Compensation to Approve" activities, as on a submission
            compensations._schedule_approval_activities()
        return compensations
