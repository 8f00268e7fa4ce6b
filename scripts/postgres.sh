#!/usr/bin/env bash
# Makes a local PostgreSQL available for the tests and the replica examples: installs it from
# Debian's packages when missing, starts the cluster, and creates the role `kpimatch`
# (password `kpimatch`, allowed to create databases: each test creates its own).
# Prints the admin URL; `scripts/test.sh` exports it as KPIMATCH_TEST_DATABASE_URL.
# Usage: eval "$(scripts/postgres.sh)"
set -euo pipefail

if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "installing PostgreSQL (Debian package postgresql)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
fi

cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
    echo "no PostgreSQL cluster; creating one" >&2
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    pg_createcluster "$version" main >&2
    cluster="$version main"
fi
read -r version name <<<"$cluster"
port=$(pg_lsclusters --no-header | awk -v v="$version" -v n="$name" '$1==v && $2==n {print $3}')
if ! pg_lsclusters --no-header | awk -v v="$version" -v n="$name" '$1==v && $2==n {print $4}' | grep -q online; then
    pg_ctlcluster "$version" "$name" start >&2
fi

as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -c "$1"
    else
        sudo -u postgres sh -c "$1"
    fi
}
for _ in $(seq 1 50); do
    as_postgres "psql -p $port -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
    sleep 0.2
done
as_postgres "psql -p $port -v ON_ERROR_STOP=1 -qtA" >&2 <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kpimatch') THEN
    CREATE ROLE kpimatch LOGIN CREATEDB PASSWORD 'kpimatch';
  END IF;
END $$;
SELECT 'CREATE DATABASE kpimatch OWNER kpimatch' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'kpimatch')\gexec
SQL
echo "export KPIMATCH_TEST_DATABASE_URL=postgres://kpimatch:kpimatch@127.0.0.1:${port}/kpimatch"
