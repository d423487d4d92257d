#!/usr/bin/env bash
# Installs and starts what the test suite needs on a fresh Debian machine (run as root).
# Idempotent: quick when everything is already there.
set -euo pipefail

packages=(openssl postgresql gnutls-bin libnss3-tools libglib2.0-bin lsof xmlsec1 chromium softhsm2 opensc pcscd pcsc-tools libccid default-jre-headless poppler-utils)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# PostgreSQL at 127.0.0.1:5432 with database "test" (trust auth on these machines).
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  version=$(ls /etc/postgresql | sort -n | tail -1)
  if [ -z "$(ls /etc/postgresql/"$version" 2>/dev/null)" ]; then
    pg_createcluster "$version" main
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! psql -h 127.0.0.1 -U postgres -d test -qtAc "select 1" >/dev/null 2>&1; then
  su postgres -c "createdb -h 127.0.0.1 test" 2>/dev/null || true
fi
psql -h 127.0.0.1 -U postgres -d test -qtAc "select 1" >/dev/null
echo "machine ready: $(openssl version), PostgreSQL $(psql -h 127.0.0.1 -U postgres -d test -qtAc 'show server_version')"
