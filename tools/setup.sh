#!/usr/bin/env bash
# Sets up whatever is missing for running and testing the addon: Odoo's
# source, system packages (PostgreSQL 15, Chromium), the virtual environment.
# Idempotent: a second call with nothing changed returns in about a second.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$ROOT/tools/odoo_src.sh"

ensure_system_packages() {
    local missing=()
    if [ -z "${PGHOST:-}" ] && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
        missing+=(postgresql-15)
    fi
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    [ ${#missing[@]} -eq 0 ] && return 0
    if as_root && command -v apt-get >/dev/null 2>&1; then
        say "installing ${missing[*]} with apt-get"
        apt-get update -qq >"$LOGS/apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >>"$LOGS/apt.log" 2>&1 \
            || die "apt-get install ${missing[*]} failed (see $LOGS/apt.log)"
    else
        die "missing system packages: ${missing[*]} (install them, e.g. sudo apt-get install ${missing[*]})"
    fi
}

venv_stamp() {
    {
        echo "$ODOO_SRC"
        "$PYTHON" --version
        cat "$ROOT/constraints.txt" "$ROOT/requirements-dev.txt" \
            "$ODOO_SRC/requirements.txt" "$ROOT/$ADDON/pyproject.toml"
        for bridge in "${MODULES_BESIDE[@]}"; do cat "$ROOT/$bridge/pyproject.toml"; done
    } 2>&1 | sha256sum | cut -d' ' -f1
}

ensure_venv() {
    local stamp
    stamp=$(venv_stamp)
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.stamp" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    say "preparing the Python environment in $VENV (log: $LOGS/pip.log)"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    local pip=("$VENV/bin/python" -m pip --disable-pip-version-check --no-input)
    {
        "${pip[@]}" install -c "$ROOT/constraints.txt" packaging
        # Odoo's requirements by name, at the versions of constraints.txt
        mapfile -t names < <("$VENV/bin/python" "$ROOT/tools/odoo_requirements.py" "$ODOO_SRC/requirements.txt")
        "${pip[@]}" install -c "$ROOT/constraints.txt" "${names[@]}" -r "$ROOT/requirements-dev.txt"
        # Odoo itself, from its source tree (a plain path entry: odoo.addons
        # must stay an extendable package)
        "${pip[@]}" install --no-deps --config-settings editable_mode=compat -e "$ODOO_SRC"
        # the addon and its bridges, from their pyproject.toml (whool)
        "${pip[@]}" install --no-deps -e "$ROOT/$ADDON"
        for bridge in "${MODULES_BESIDE[@]}"; do
            "${pip[@]}" install --no-deps -e "$ROOT/$bridge"
        done
    } >"$LOGS/pip.log" 2>&1 || die "installing Python packages failed (see $LOGS/pip.log)"
    echo "$stamp" >"$VENV/.stamp"
}

mkdir -p "$LOGS"
ensure_odoo_src
ensure_system_packages
ensure_venv
