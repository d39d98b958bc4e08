from ast import literal_eval

import psycopg2

from odoo import api, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

# what a malformed domain may raise while Odoo reads it (without running it)
DOMAIN_ERRORS = (ValueError, KeyError, TypeError, AssertionError, IndexError)


class CrisisDomainMixin(models.AbstractModel):
    """Customer filters typed by users (a domain as text), checked before use.

    Odoo raises a traceback on a malformed domain and silently ignores the
    conditions on fields it cannot search (computed, not stored): such a
    filter would match every contact. Both give a clear error here instead.
    """

    _name = "crisis.domain.mixin"
    _description = "Crisis Customer Filter Validation"

    @api.model
    def _crisis_parse_domain(self, text, model_name):
        """The domain written in ``text``, checked against model ``model_name``.

        :raise UserError: "The customer filter is not valid: <why>"
        """
        try:
            domain = literal_eval((text or "").strip() or "[]")
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as error:
            raise self._crisis_domain_error(
                self.env._("it cannot be read (%(error)s).", error=error)
            ) from error
        if not isinstance(domain, list | tuple):
            raise self._crisis_domain_error(self.env._("it must be a list of conditions."))
        domain = list(domain)
        model = self.env[model_name]
        self._crisis_check_domain(domain, model)
        try:
            with self.env.cr.savepoint(flush=False):
                # Odoo's own checks of the operators and values, then PostgreSQL's
                # (a value of the wrong type): EXPLAIN plans the query, runs nothing
                query = model._search(domain)
                if not query.is_empty():
                    self.env.cr.execute(SQL("EXPLAIN %s", query.select()), log_exceptions=False)
        except DOMAIN_ERRORS as error:
            raise self._crisis_domain_error(str(error)) from error
        except psycopg2.Error as error:
            raise self._crisis_domain_error(error.diag.message_primary or str(error)) from error
        return domain

    @api.model
    def _crisis_domain_error(self, reason):
        return UserError(self.env._("The customer filter is not valid: %(reason)s", reason=reason))

    @api.model
    def _crisis_check_domain(self, domain, model):
        """Check the structure of ``domain`` and that each condition searches a
        field of ``model`` (or of the models its dotted paths lead to) that
        Odoo can search."""
        try:
            expression.normalize_domain(domain)
        except DOMAIN_ERRORS as error:
            raise self._crisis_domain_error(
                self.env._("its conditions and operators (&, |, !) do not fit together.")
            ) from error
        for item in domain:
            if expression.is_operator(item):
                continue
            if not expression.is_leaf(item):
                raise self._crisis_domain_error(
                    self.env._(
                        "%(item)s is not a condition (field, operator, value).", item=repr(item)
                    )
                )
            if expression.is_boolean(tuple(item)):
                continue
            self._crisis_check_domain_leaf(model, *item)

    @api.model
    def _crisis_check_domain_leaf(self, model, path, operator, value):
        names = path.split(".")
        field = None
        for index, name in enumerate(names):
            field = model._fields.get(name)
            if field is None or not field.is_accessible(self.env):
                raise self._crisis_domain_error(
                    self.env._(
                        "there is no field %(field)s on %(model)s.",
                        field=".".join(names[: index + 1]),
                        model=model._description,
                    )
                )
            # what odoo.osv.expression ignores (with an error in the log)
            if not (field.store or field.search):
                raise self._crisis_domain_error(
                    self.env._(
                        "the field %(field)s (%(label)s) cannot be used in a filter: it is "
                        "computed on the fly, not stored.",
                        field=".".join(names[: index + 1]),
                        label=field._description_string(self.env),
                    )
                )
            if index == len(names) - 1 or field.type == "properties":
                break
            if not field.relational:
                raise self._crisis_domain_error(
                    self.env._(
                        "the field %(field)s has no sub-field %(subfield)s.",
                        field=".".join(names[: index + 1]),
                        subfield=names[index + 1],
                    )
                )
            model = self.env[field.comodel_name]
        if operator in ("any", "not any"):
            if not field.relational or not isinstance(value, list | tuple):
                raise self._crisis_domain_error(
                    self.env._(
                        "%(operator)s needs a relational field and a list of conditions, in "
                        "%(item)s.",
                        operator=operator,
                        item=repr((path, operator, value)),
                    )
                )
            self._crisis_check_domain(list(value), self.env[field.comodel_name])
