#!/usr/bin/env bash
# Writes the files the workers' Secrets are made from into DIR (default: the example
# overlay's secrets/; compose.yaml uses deploy/secrets): a random worker token, a self-signed
# TLS certificate (the extension pins its sha256, read from the Secret, so no CA is needed),
# and the Anthropic API key from $ANTHROPIC_API_KEY. Existing files are kept: delete one and
# run again to replace it. Never commit DIR (.gitignore covers both places).
#   usage: deploy/make-secrets.sh [DIR]
set -euo pipefail
dir="${1:-$(dirname "$0")/kubernetes/overlays/example/secrets}"
mkdir -p "$dir"
cd "$dir"
umask 077
if [[ ! -s token ]]; then
  openssl rand -base64 48 | tr -d '\n=' | tr '/+' '_-' >token
fi
if [[ ! -s tls.crt || ! -s tls.key ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj /CN=tavern-worker -addext "subjectAltName=DNS:tavern-worker" \
    -keyout tls.key -out tls.crt 2>/dev/null
fi
if [[ ! -s anthropic-api-key ]]; then
  if [[ -z "${ANTHROPIC_API_KEY:-}" ]]; then
    echo "Set ANTHROPIC_API_KEY (the workers' key for the claude and anthropic engines), then run again." >&2
    exit 1
  fi
  printf '%s' "$ANTHROPIC_API_KEY" >anthropic-api-key
fi
echo "$(pwd) is ready."
