from odoo import api, models
from odoo.exceptions import UserError

# The marker the workflow methods put in the context when they write the
# fields they own. A Python object: nothing that comes through the external
# API (JSON-RPC, XML-RPC, imports) can be it, whatever the caller's context.
WORKFLOW = object()


def as_workflow(records):
    """``records`` with the right to write their workflow fields.

    For the addon's own methods only, with values they decided themselves:
    never pass values that came from a caller through it.
    """
    return records.with_context(crisis_workflow=WORKFLOW)


class CrisisWorkflowMixin(models.AbstractModel):
    """Fields only the workflow writes, whatever the caller sends.

    A model lists in ``_crisis_workflow_fields`` the fields that change only
    through its workflow methods (states, approvers, dates of events,
    sequence references, markers of the scheduled jobs). Together with the
    stored fields the model computes itself (related fields included), they
    are refused in ``create`` and ``write`` unless the addon's own workflow
    writes them (``as_workflow``) or the superuser does, and whatever the path
    the values come through: a direct call, one2many commands of a parent, an
    import, ``default_*`` keys of the context. On creation, a workflow field
    may only hold its initial value (empty, or the field's default).

    The mixin's ``create`` and ``write`` check the values. A model whose own
    ``create`` or ``write`` adds workflow values sets ``_crisis_checks_itself``
    and calls ``_crisis_check_values`` first thing in them, before it adds
    its own values.
    """

    _name = "crisis.workflow.mixin"
    _description = "Crisis Workflow Guard"

    _crisis_workflow_fields = ()
    _crisis_checks_itself = False

    @api.model_create_multi
    def create(self, vals_list):
        if not self._crisis_checks_itself:
            self = self._crisis_check_values(vals_list, create=True)
        return super().create(vals_list)

    def write(self, vals):
        if not self._crisis_checks_itself:
            self._crisis_check_values([vals])
        return super().write(vals)

    def _crisis_is_workflow(self):
        return self.env.su or self.env.context.get("crisis_workflow") is WORKFLOW

    @api.model
    def _crisis_guarded_fields(self):
        """{field name: True if a workflow field, False if computed} of this model."""
        guarded = dict.fromkeys(self._crisis_workflow_fields, True)
        for name, field in self._fields.items():
            if (
                field.store
                and field.compute
                and field.readonly
                and not field.inverse
                and name not in guarded
                and name not in models.MAGIC_COLUMNS
            ):
                guarded[name] = False
        return guarded

    def _crisis_initial_value_ok(self, name, value):
        if not value:
            return True
        field = self._fields[name]
        if not field.default:
            return False
        default = field.convert_to_write(field.convert_to_cache(field.default(self), self), self)
        return value == default

    def _crisis_check_values(self, vals_list, create=False):
        """Refuse the guarded fields of ``vals_list`` (see the class).

        :return: ``self``, for ``create`` without the context defaults of the
            computed fields (Odoo computes them)
        """
        if self._crisis_is_workflow():
            return self
        guarded = self._crisis_guarded_fields()
        refused = set()
        for vals in vals_list:
            for name in guarded.keys() & vals.keys():
                if not (
                    create and guarded[name] and self._crisis_initial_value_ok(name, vals[name])
                ):
                    refused.add(name)
        computed_defaults = []
        if create:
            for name, is_workflow in guarded.items():
                key = f"default_{name}"
                if key not in self.env.context:
                    continue
                if not is_workflow:
                    computed_defaults.append(key)
                elif not self._crisis_initial_value_ok(name, self.env.context[key]):
                    refused.add(name)
        if refused:
            labels = sorted(self._fields[name]._description_string(self.env) for name in refused)
            raise UserError(
                self.env._(
                    "%(model)s: %(fields)s cannot be set directly. They change only through "
                    "the workflow buttons (or are computed), for the people those buttons "
                    "allow.",
                    model=self.env["ir.model"]._get(self._name).name,
                    fields=", ".join(labels),
                )
            )
        if computed_defaults:
            context = {k: v for k, v in self.env.context.items() if k not in computed_defaults}
            return self.with_env(self.env(context=context))
        return self

    def _crisis_moving(self, field_name, vals):
        """The records that ``vals`` moves to another parent (``field_name``), checked.

        The user must be allowed to change the target, and records never move
        to another company. The caller checks the record rules on the moved
        records after the write (they must still allow the user there).
        """
        if not vals.get(field_name) or self._crisis_is_workflow():
            return self.browse()
        target = self.env[self._fields[field_name].comodel_name].browse(vals[field_name])
        target.check_access("write")
        moved = self.filtered(lambda record: record[field_name] != target)
        other = moved.filtered(lambda record: record.company_id != target.company_id)
        if other:
            raise UserError(
                self.env._(
                    "%(record)s belongs to %(company)s: it cannot move to %(target)s of "
                    "another company.",
                    record=other[0].display_name,
                    company=other[0].company_id.name,
                    target=target.display_name,
                )
            )
        return moved
