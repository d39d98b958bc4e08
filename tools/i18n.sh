#!/usr/bin/env bash
# make pot: exports each addon's .pot (crisis_management and the bridge
# modules) from a fresh install of them all, and merges it into the addon's .po
# files (msgmerge keeps the translations).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
I18N_DB=${I18N_DB:-crisis_i18n}

"$ROOT/tools/setup.sh"
source "$ROOT/tools/pg.sh"
pg_stop_on_exit
pg_start
write_odoo_conf

command -v msgmerge >/dev/null 2>&1 || die "msgmerge is missing (apt-get install gettext)"
db_psql -d postgres -c "DROP DATABASE IF EXISTS \"$I18N_DB\" WITH (FORCE)"
rm -rf "$STATE/data/filestore/$I18N_DB"
addons=("$ADDON" "${MODULES_BESIDE[@]}")
modules=$(IFS=,; echo "${addons[*]}")
"$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$I18N_DB" -i "$modules" \
    --without-demo=all --stop-after-init --logfile="$LOGS/i18n.log" \
    || die "installing $modules failed (see $LOGS/i18n.log)"
for addon in "${addons[@]}"; do
    pot=$ROOT/$addon/i18n/$addon.pot
    mkdir -p "$ROOT/$addon/i18n"
    : >"$LOGS/i18n-export.log"
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$I18N_DB" --modules="$addon" \
        --i18n-export="$pot" --stop-after-init --logfile="$LOGS/i18n-export.log" \
        || die "exporting $pot failed (see $LOGS/i18n-export.log)"
    # a file the extractor cannot read loses all its terms: never silently
    if grep -q "Failed to extract terms" "$LOGS/i18n-export.log"; then
        git -C "$ROOT" checkout -- "$pot" 2>/dev/null || true
        die "terms could not be extracted from a file (see $LOGS/i18n-export.log)"
    fi
    # pip's editable install of an addon (whool) leaves a symlink to the addon
    # in its build/ folder, which Odoo's exporter walks into: drop those
    # duplicate source references.
    "$VENV/bin/python" - "$pot" <<'PY'
import sys

import polib

pot = polib.pofile(sys.argv[1], wrapwidth=78)
for entry in pot:
    entry.occurrences = [o for o in entry.occurrences if "/build/__editable__/" not in o[0]]
pot.save()
PY
    for po in "$ROOT/$addon"/i18n/*.po; do
        [ -e "$po" ] || continue
        msgmerge --quiet --no-fuzzy-matching --update --backup=none "$po" "$pot"
    done
    # the layout OCA's po-pretty-format check (make lint) expects
    "$VENV/bin/oca-checks-po" --fix --no-verbose "$pot" "$ROOT/$addon"/i18n/*.po >/dev/null || true
done
db_psql -d postgres -c "DROP DATABASE IF EXISTS \"$I18N_DB\" WITH (FORCE)"
for addon in "${addons[@]}"; do
    say "updated $addon.pot and its .po file(s); untranslated:"
    for po in "$ROOT/$addon"/i18n/*.po; do
        [ -e "$po" ] || continue
        printf '  %s: ' "$(basename "$po")"
        msgfmt --statistics -o /dev/null "$po" 2>&1
    done
done
