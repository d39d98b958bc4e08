# PostgreSQL for the scripts. Sourced; defines db_* settings, pg_start, pg_stop.
#
# When PGHOST is set, the server it names is used (with PGPORT, PGUSER,
# PGPASSWORD). Otherwise the project runs its own cluster of Debian's
# PostgreSQL 15 in .state/pg, listening on 127.0.0.1 only, on a port derived
# from the checkout's path (CM_PGPORT overrides it).
# shellcheck shell=bash

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_STARTED_HERE=0

if [ -n "${PGHOST:-}" ]; then
    PG_OWN=0
    db_host=$PGHOST
    db_port=${PGPORT:-5432}
    db_user=${PGUSER:-$(id -un)}
    db_password=${PGPASSWORD:-}
else
    PG_OWN=1
    PGDATA_DIR=$STATE/pg
    db_host=127.0.0.1
    db_port=${CM_PGPORT:-$((54000 + $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 900))}
    db_user=odoo
    db_password=odoo
fi

# Runs a PostgreSQL program as the cluster's owner (initdb refuses root).
pg_as_owner() {
    if as_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_superuser_psql() {
    PGPASSWORD=$(cat "$STATE/pg-superuser-password") "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
        -h "$db_host" -p "$db_port" -U postgres -d postgres "$@"
}

pg_init() {
    [ -f "$PGDATA_DIR/PG_VERSION" ] && return 0
    say "creating a PostgreSQL cluster in $PGDATA_DIR (port $db_port)"
    local partial=$STATE/pg.partial
    rm -rf "$partial"
    mkdir -p "$partial"
    umask 077
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$STATE/pg-superuser-password"
    umask 022
    if as_root; then
        chown postgres: "$partial" "$STATE/pg-superuser-password"
        runuser -u postgres -- test -w "$partial" \
            || die "the postgres user cannot write to $STATE: move the checkout to a folder it can reach, or set PGHOST"
    fi
    pg_as_owner "$PG_BIN/initdb" -D "$partial" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 --pwfile="$STATE/pg-superuser-password" \
        >"$LOGS/initdb.log" 2>&1 || { rm -rf "$partial"; die "initdb failed (see $LOGS/initdb.log)"; }
    # A throw-away development cluster: speed over durability.
    cat >>"$partial/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $db_port
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
CONF
    mv "$partial" "$PGDATA_DIR"
}

pg_start() {
    if [ "$PG_OWN" = 0 ]; then
        return 0
    fi
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 is not installed in $PG_BIN"
    pg_init
    if ! pg_as_owner "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1; then
        pg_as_owner "$PG_BIN/pg_ctl" start -w -t 60 -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" \
            >/dev/null || die "PostgreSQL did not start (see $PGDATA_DIR/server.log)"
        PG_STARTED_HERE=1
    fi
    pg_superuser_psql -c "DO \$\$BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$db_user') THEN
            CREATE ROLE $db_user LOGIN CREATEDB PASSWORD '$db_password';
        END IF; END\$\$;" || die "could not create the database role $db_user"
}

# Stops the cluster if this script started it.
pg_stop() {
    if [ "$PG_OWN" = 1 ] && [ "$PG_STARTED_HERE" = 1 ]; then
        pg_as_owner "$PG_BIN/pg_ctl" stop -m fast -D "$PGDATA_DIR" >/dev/null 2>&1 || true
        PG_STARTED_HERE=0
    fi
}

# Stops the cluster when the calling script ends, Ctrl-C and kill included.
pg_stop_on_exit() {
    trap pg_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# psql as the Odoo role.
db_psql() {
    PGOPTIONS='-c client_min_messages=warning' PGPASSWORD=$db_password "$PG_BIN/psql" -X -q -At -h "$db_host" -p "$db_port" -U "$db_user" "$@"
}

write_odoo_conf() {
    mkdir -p "$STATE/data"
    cat >"$ODOO_CONF" <<CONF
[options]
addons_path = $ODOO_SRC/addons,$ODOO_SRC/odoo/addons
data_dir = $STATE/data
db_host = $db_host
db_port = $db_port
db_user = $db_user
db_password = $db_password
admin_passwd = admin
list_db = True
CONF
}
