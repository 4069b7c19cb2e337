#!/usr/bin/env bash
# test_certs: a private certificate authority and a certificate it signed for the test servers
# on this machine (localhost, 127.0.0.1), made once into DONNA_TEST_CERTS: ca.pem, server.pem
# and server.key. PostgreSQL and Redis serve TLS with them, and the TLS tests tell Donna to
# trust ca.pem (DONNA_TLS_CA_FILE); nothing else trusts it. Exports DONNA_TEST_TLS_CA.
export DONNA_TEST_CERTS="${DONNA_TEST_CERTS:-${TMPDIR:-/tmp}/donna-test-certs}"
test_certs() {
  local dir=$DONNA_TEST_CERTS
  export DONNA_TEST_TLS_CA="$dir/ca.pem"
  [ -f "$dir/server.pem" ] && [ -f "$dir/ca.pem" ] && return 0
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Donna test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null || return 1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
    >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 3650 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null || return 1
  chmod 600 "$dir/server.key" "$dir/ca.key"
}
