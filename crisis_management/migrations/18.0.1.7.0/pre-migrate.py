"""18.0.1.7.0: the status page, early warning and reviews become modules of their own.

Their records were the addon's: ``crisis_management_status`` (the public
status page and its subscriptions), ``crisis_management_signal`` (signal
rules) and ``crisis_management_review`` (post-incident reviews, KPIs and the
Crisis Analysis) now hold them. Before the addon is loaded, each external id
of what moved (models, fields, selections, SQL constraints, many2many tables,
views, actions, menus, rules, access rights, scheduled jobs, templates, demo
records) is given to its new module, and the new modules are marked to be
installed in the same upgrade: no table, column, row or setting is dropped or
made again, and the database carries on with the new modules installed.

What moved is read from the new modules themselves: the models and fields
their Python classes declare, the ids of their data and demo files. Their
demo data is not loaded again (the records are there); ``end-migrate.py``
marks them as having it when the addon has it.
"""

import ast
import csv
import logging
import re
from pathlib import Path

from odoo.modules.module import get_manifest, get_module_path

_logger = logging.getLogger(__name__)

OLD_MODULE = "crisis_management"
NEW_MODULES = ("crisis_management_status", "crisis_management_signal", "crisis_management_review")
XML_ID = re.compile(r'<(?:record|template|menuitem)\b[^>]*?\bid="([\w]+)"')


def migrate(cr, version):
    if not version:
        return
    for module in NEW_MODULES:
        path = get_module_path(module, display_warning=False)
        if not path:
            _logger.warning(
                "%s is not in the addons path: its records stay in %s", module, OLD_MODULE
            )
            continue
        move_module(cr, module, Path(path))


def move_module(cr, module, path):
    models, fields, constraints = declared(path)
    names = record_ids(path, module) | {model_xmlid(model) for model in models}
    # the server action of each scheduled job (its _inherits parent)
    names |= {f"{name}_ir_actions_server" for name in set(names)}
    for model in models:
        cr.execute("SELECT name FROM ir_model_fields WHERE model = %s", [model])
        fields.setdefault(model, set()).update(name for (name,) in cr.fetchall())
    # the inheritance of the models it defines (mail.thread, ...)
    patterns = [f"model\\_inherit\\_\\_{model.replace('.', '_')}\\_\\_%" for model in models]
    for model, field_names in fields.items():
        for field in field_names:
            names.add(field_xmlid(model, field))
            patterns.append(f"selection\\_\\_{model.replace('.', '_')}\\_\\_{field}\\_\\_%")
    names |= {f"constraint_{name}" for name in constraints}
    cr.execute(
        """
        UPDATE ir_model_data SET module = %s
         WHERE module = %s AND (name = ANY(%s) OR name LIKE ANY(%s))
        """,
        [module, OLD_MODULE, sorted(names), patterns or [""]],
    )
    moved = cr.rowcount
    cr.execute("SELECT id FROM ir_module_module WHERE name = %s", [module])
    row = cr.fetchone()
    if not row:
        _logger.warning("%s is not in the module list: nothing marked to install", module)
        return
    module_id = row[0]
    # the SQL constraints and many2many tables the module now owns (dropped
    # with it if it is ever uninstalled, as they were with the addon)
    cr.execute(
        """
        UPDATE ir_model_constraint SET module = %s
         WHERE module = (SELECT id FROM ir_module_module WHERE name = %s) AND name = ANY(%s)
        """,
        [module_id, OLD_MODULE, sorted(constraints)],
    )
    cr.execute(
        """
        UPDATE ir_model_relation SET module = %s
         WHERE module = (SELECT id FROM ir_module_module WHERE name = %s)
           AND (model IN (SELECT id FROM ir_model WHERE model = ANY(%s))
                OR name IN (SELECT relation_table FROM ir_model_fields
                             WHERE ttype = 'many2many' AND model = ANY(%s) AND name = ANY(%s)))
        """,
        [
            module_id,
            OLD_MODULE,
            sorted(models),
            sorted(fields),
            sorted({field for field_names in fields.values() for field in field_names}),
        ],
    )
    # installed in this upgrade, after the addon; its demo data is already here
    cr.execute(
        """
        UPDATE ir_module_module SET state = 'to install', demo = false
         WHERE id = %s AND state IN ('uninstalled', 'to remove')
        """,
        [module_id],
    )
    _logger.info("%s: %s external ids moved from %s", module, moved, OLD_MODULE)


def declared(path):
    """({models the module defines}, {model: {fields it declares}}, {SQL
    constraint names}) read from the Python files of ``path``."""
    models, fields, constraints = set(), {}, set()
    for file in sorted(path.glob("*/*.py")):
        if file.parent.name not in ("models", "wizard", "report"):
            continue
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.ClassDef):
                read_class(node, models, fields, constraints)
    return models, fields, constraints


def read_class(node, models, fields, constraints):
    attributes = {}
    field_names = set()
    for statement in node.body:
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            continue
        target = statement.targets[0]
        if not isinstance(target, ast.Name):
            continue
        value = statement.value
        if target.id in ("_name", "_inherit", "_table", "_sql_constraints"):
            try:
                attributes[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
        elif (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id == "fields"
        ):
            field_names.add(target.id)
    name = attributes.get("_name")
    inherit = attributes.get("_inherit")
    model = name or (inherit if isinstance(inherit, str) else None)
    if not model:
        return
    if name and name != inherit:
        models.add(name)
    fields.setdefault(model, set()).update(field_names)
    table = attributes.get("_table") or model.replace(".", "_")
    for constraint in attributes.get("_sql_constraints", ()):
        constraints.add(f"{table}_{constraint[0]}")


def record_ids(path, module):
    """The ids of the records of the module's data and demo files."""
    manifest = get_manifest(module)
    ids = set()
    for name in [*manifest.get("data", ()), *manifest.get("demo", ())]:
        file = path / name
        if file.suffix == ".xml":
            ids.update(XML_ID.findall(file.read_text()))
        elif file.suffix == ".csv":
            with file.open(newline="") as handle:
                ids.update(row["id"] for row in csv.DictReader(handle) if "." not in row["id"])
    return ids


def model_xmlid(model):
    return f"model_{model.replace('.', '_')}"


def field_xmlid(model, field):
    return f"field_{model.replace('.', '_')}__{field}"
