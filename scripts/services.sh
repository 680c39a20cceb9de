# Services the test suite needs: Chromium, PostgreSQL and Redis on loopback.
#
# Sourced by scripts/test after scripts/bootstrap.sh. Each `hms_ensure_*`
# starts what is down and installs (via apt) what a fresh machine lacks.

HMS_WAIT_SECONDS=30

# Retry a command once a second until it succeeds or the wait is over.
hms_wait_for() {
  local i
  for ((i = 0; i < HMS_WAIT_SECONDS; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}

hms_ensure_chromium() {
  [ -x /usr/bin/chromium ] || hms_apt_install chromium
  [ -x /usr/bin/chromium ] || hms_die "/usr/bin/chromium is still missing after apt-get install chromium"
}

hms_pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432; }

# Let the postgres user in over loopback without a password, as the tests
# expect. Only done for a cluster this script installed itself.
hms_pg_trust_loopback() {
  local hba="/etc/postgresql/$1/main/pg_hba.conf"
  hms_as_root sed -i \
    -e '0,/^[[:space:]]*host/s//host all postgres 127.0.0.1\/32 trust\nhost all postgres ::1\/128 trust\n&/' \
    "$hba"
}

hms_ensure_postgres() {
  local fresh=0 version
  if command -v pg_isready >/dev/null 2>&1 && hms_pg_ready; then
    return 0
  fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    hms_apt_install postgresql
    fresh=1
  fi
  # shellcheck disable=SC2012  # version directory names are plain numbers
  version="$(ls /etc/postgresql | sort -V | tail -n1)"
  if [ "$fresh" = "1" ]; then
    hms_pg_trust_loopback "$version"
  fi

  if pg_ctlcluster "$version" main status >/dev/null 2>&1; then
    if [ "$fresh" = "1" ]; then
      hms_quiet hms_as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    fi
  else
    hms_log "starting PostgreSQL $version"
    hms_quiet hms_as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  hms_wait_for hms_pg_ready ||
    hms_die "PostgreSQL $version did not accept connections on 127.0.0.1:5432 within ${HMS_WAIT_SECONDS}s"
}

# psql understands postgresql:// but not SQLAlchemy's +driver suffix.
hms_psql_url() { printf '%s' "$TEST_DATABASE_URL" | sed -E 's|^postgres(ql)?(\+[a-z0-9]+)?://|postgresql://|'; }

# The slot table's exclusion constraint needs btree_gist (shipped by Debian's
# postgresql package; contrib elsewhere).
hms_ensure_btree_gist() {
  local url query="SELECT count(*) FROM pg_available_extensions WHERE name = 'btree_gist'"
  url="$(hms_psql_url)"
  psql "$url" -Atqc 'SELECT 1' >/dev/null 2>&1 ||
    hms_die "cannot connect to TEST_DATABASE_URL as its user; it must be a superuser allowed over loopback (e.g. trust auth in pg_hba.conf)"
  if [ "$(psql "$url" -Atqc "$query")" != "1" ]; then
    hms_apt_install postgresql-contrib
    [ "$(psql "$url" -Atqc "$query")" = "1" ] ||
      hms_die "the PostgreSQL extension btree_gist is not available; install your distribution's postgresql contrib package"
  fi
}

hms_redis_ready() { redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG; }

hms_ensure_redis() {
  if command -v redis-cli >/dev/null 2>&1 && hms_redis_ready 2>/dev/null; then
    return 0
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    hms_apt_install redis-server
    # The package may have started its own service already.
    hms_redis_ready 2>/dev/null && return 0
  fi
  hms_log "starting Redis"
  hms_as_root mkdir -p /var/lib/redis /var/log/redis
  hms_quiet hms_as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
    --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  hms_wait_for hms_redis_ready ||
    hms_die "Redis did not answer on 127.0.0.1:6379 within ${HMS_WAIT_SECONDS}s (see /var/log/redis/ci.log)"
}

# Everything scripts/test needs beyond hms_bootstrap.
hms_ensure_test_services() {
  export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql+psycopg2://postgres@127.0.0.1:5432/postgres}"
  export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
  hms_ensure_chromium
  hms_ensure_postgres
  hms_ensure_btree_gist
  hms_ensure_redis
}
