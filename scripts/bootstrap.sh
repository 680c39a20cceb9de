# Shared set-up steps for scripts/start, scripts/test and .ci/run.
#
# Source this file, then call `hms_bootstrap` (or the single steps). Every
# step is idempotent and quiet unless it fails. Needs bash, Python >= 3.11
# and Node/npm (for bun) on a Debian-like machine.

set -euo pipefail

HMS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HMS_VENV="$HMS_ROOT/.venv"
HMS_BUN_MIN="1.4.4"
HMS_BUN_PIN="1.4.5"

export REFLEX_USE_SYSTEM_BUN=1
export REFLEX_TELEMETRY_ENABLED=false
export PIP_DISABLE_PIP_VERSION_CHECK=1

hms_log() { printf 'hms: %s\n' "$*" >&2; }
hms_die() {
  printf 'hms: error: %s\n' "$*" >&2
  exit 1
}

# Run a command with its output hidden; show the output only if it fails.
hms_quiet() {
  local out status=0
  out="$(mktemp)"
  "$@" >"$out" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    cat "$out" >&2
    hms_log "failed (exit $status): $*"
  fi
  rm -f "$out"
  return "$status"
}

# Run a command as root: directly when we are root, else through sudo.
hms_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    hms_die "'$*' needs root; run as root or install sudo"
  fi
}

# Install Debian packages non-interactively; `apt-get update` once per run.
hms_apt_install() {
  command -v apt-get >/dev/null 2>&1 || hms_die "apt-get not found; install $* yourself"
  hms_log "installing $* (apt)"
  if [ -z "${HMS_APT_UPDATED:-}" ]; then
    hms_quiet hms_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    HMS_APT_UPDATED=1
  fi
  hms_quiet hms_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@"
}

# True when version $1 >= version $2.
hms_version_ge() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

hms_find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  hms_die "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)"
}

# Create .venv if missing; (re)install requirements.txt when it changed.
hms_ensure_venv() {
  local python stamp want
  if ! "$HMS_VENV/bin/python" -c '' >/dev/null 2>&1; then
    python="$(hms_find_python)"
    hms_log "creating .venv with $python"
    rm -rf "$HMS_VENV"
    if ! "$python" -m venv "$HMS_VENV" >/dev/null 2>&1; then
      # Debian splits venv/ensurepip into its own package.
      rm -rf "$HMS_VENV"
      hms_apt_install "$(basename "$python")-venv"
      hms_quiet "$python" -m venv "$HMS_VENV"
    fi
  fi

  stamp="$HMS_VENV/.hms-requirements.sha256"
  want="$(sha256sum <"$HMS_ROOT/requirements.txt" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    hms_log "installing Python packages from requirements.txt (a few minutes the first time)"
    hms_quiet "$HMS_VENV/bin/python" -m pip install -q -r "$HMS_ROOT/requirements.txt"
    echo "$want" >"$stamp"
  fi

  export VIRTUAL_ENV="$HMS_VENV"
  case ":$PATH:" in
    *":$HMS_VENV/bin:"*) ;;
    *) export PATH="$HMS_VENV/bin:$PATH" ;;
  esac
}

# Reflex compiles the frontend with bun; its own installer needs the internet,
# so take bun from the npm registry instead.
hms_ensure_bun() {
  local have=""
  if command -v bun >/dev/null 2>&1; then
    have="$(bun --version 2>/dev/null || true)"
  fi
  if [ -n "$have" ] && hms_version_ge "$have" "$HMS_BUN_MIN"; then
    return 0
  fi
  command -v npm >/dev/null 2>&1 || hms_die "npm not found; install Node.js 20+ (it brings npm) first"
  hms_log "installing bun $HMS_BUN_PIN from the npm registry${have:+ (found $have, need >= $HMS_BUN_MIN)}"
  hms_quiet hms_as_root npm install -g --no-fund --no-audit "bun@$HMS_BUN_PIN"
  hash -r
  have="$(bun --version 2>/dev/null || true)"
  if [ -z "$have" ] || ! hms_version_ge "$have" "$HMS_BUN_MIN"; then
    hms_die "bun >= $HMS_BUN_MIN still not on PATH after npm install (got '${have:-none}')"
  fi
}

# Bring the configured database up to the latest migration.
hms_migrate() {
  [ -f "$HMS_ROOT/alembic.ini" ] && [ -d "$HMS_ROOT/alembic" ] ||
    hms_die "alembic.ini or alembic/ is missing: the migrations must be in the repository (see README)"
  (cd "$HMS_ROOT" && hms_quiet reflex db migrate) ||
    hms_die "database migration failed (output above)"
}

# Print the number of users in the configured database (0 if no user table).
hms_user_count() {
  (cd "$HMS_ROOT" && python - <<'EOF'
import sqlalchemy as sa

from hms.config import settings

engine = sa.create_engine(settings.database_url)
with engine.connect() as connection:
    if sa.inspect(connection).has_table("user"):
        print(connection.execute(sa.text('SELECT count(*) FROM "user"')).scalar())
    else:
        print(0)
engine.dispose()
EOF
  )
}

# Everything both set-up commands need before they run anything.
hms_bootstrap() {
  cd "$HMS_ROOT"
  hms_ensure_venv
  hms_ensure_bun
  hms_migrate
}
