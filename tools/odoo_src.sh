# Finds (or obtains) the Odoo 18.0 source tree. Sourced by setup.sh.
# shellcheck shell=bash

is_odoo18_tree() {
    [ -f "$1/odoo-bin" ] && [ -f "$1/requirements.txt" ] \
        && grep -q '^version_info = (18, 0,' "$1/odoo/release.py" 2>/dev/null
}

ensure_odoo_src() {
    if is_odoo18_tree "$ODOO_SRC"; then
        return 0
    fi
    if [ -e "$ODOO_SRC" ] && [ -n "$(ls -A "$ODOO_SRC" 2>/dev/null)" ]; then
        die "$ODOO_SRC is not an Odoo 18.0 source tree: set ODOO_SRC to the path of one"
    fi
    say "no Odoo source at $ODOO_SRC: cloning branch $ODOO_BRANCH of $ODOO_GIT_URL"
    # Clone beside the target and move it in place only when complete, so a
    # failed or interrupted clone leaves nothing behind.
    local parent partial log made_parent=""
    parent=$(dirname "$ODOO_SRC")
    [ -d "$parent" ] || { mkdir -p "$parent" 2>/dev/null && made_parent=$parent; }
    partial="$ODOO_SRC.partial.$$"
    log=$(mktemp)
    if GIT_TERMINAL_PROMPT=0 git clone --quiet --depth 1 --branch "$ODOO_BRANCH" "$ODOO_GIT_URL" "$partial" >"$log" 2>&1 \
        && is_odoo18_tree "$partial"; then
        rmdir "$ODOO_SRC" 2>/dev/null || true  # an empty folder may stand there
        if mv -T "$partial" "$ODOO_SRC" 2>/dev/null; then
            rm -f "$log"
            return 0
        fi
    fi
    rm -rf "$partial" "$log"
    [ -z "$made_parent" ] || rmdir "$made_parent" 2>/dev/null || true
    die "no Odoo 18.0 source at $ODOO_SRC and cloning it failed: set ODOO_SRC to the path of an Odoo 18.0 source tree"
}
