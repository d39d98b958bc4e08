from odoo import Command, fields, models


class CrisisFourEyesMixin(models.AbstractModel):
    """Who prepared what is approved: none of them approves it.

    A model lists in ``_crisis_four_eyes_fields`` the fields that say what is
    approved (a compensation's requester, customer, type and amount, a
    review's author). Whoever writes one of those fields after the creation,
    whatever the path (a form, an import, the external API, the addon's own
    code), is added to ``involved_user_ids`` in the same write; the workflow
    adds the submitter. With the creator (``create_uid``: creating a record
    sets those fields), they are the users ``_crisis_involved_users`` gives,
    whom the approval refuses, whoever the fields name now. Searchable:
    ``['|', ('create_uid', '=', uid), ('involved_user_ids', 'in', uid)]``.

    ``involved_user_ids`` is a workflow field of the models that use the
    mixin (``crisis.workflow.mixin``): nobody sets or clears it. Those models
    check the caller's values themselves (``_crisis_checks_itself``), first
    thing in their ``write``, before this mixin adds the current user to them.
    """

    _name = "crisis.four.eyes.mixin"
    _description = "Crisis Four-Eyes Rule"

    _crisis_four_eyes_fields = ()

    involved_user_ids = fields.Many2many(
        "res.users",
        string="Changed or Submitted By",
        readonly=True,
        copy=False,
        help="Who submitted it or changed what is approved after its creation: none of them, "
        "nor its creator, approves it.",
    )

    def write(self, vals):
        if vals.keys() & set(self._crisis_four_eyes_fields):
            vals = self._crisis_with_involved(vals)
        return super().write(vals)

    def _crisis_with_involved(self, vals):
        """``vals`` that also add the current user to the involved users."""
        return dict(
            vals,
            involved_user_ids=[*(vals.get("involved_user_ids") or ()), Command.link(self.env.uid)],
        )

    def _crisis_involved_users(self):
        """The users who prepared this record: none of them approves it."""
        self.ensure_one()
        return self.involved_user_ids | self.create_uid
