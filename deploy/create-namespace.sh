#!/bin/sh
# One-shot namespace setup (temporalio/admin-tools image, `temporal` CLI): the chains' namespace and the
# search attributes they set (src/chain/search-attributes.ts; test/compose.test.ts checks the list).
# Safe to run again: what exists is left alone, but for the retention, which follows CHAIN_RETENTION_DAYS.
set -eu

NAMESPACE=${TEMPORAL_NAMESPACE:-default}
# Closed chains are kept at least as long as the provider keeps their files (14 days): default 30 days.
DAYS=${CHAIN_RETENTION_DAYS:-30}
case "$DAYS" in
'' | *[!0-9]* | 0*)
  echo "CHAIN_RETENTION_DAYS must be a whole number of days (1 or more), not '$DAYS'" >&2
  exit 2
  ;;
esac
RETENTION="$((DAYS * 24))h"
export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
ATTEMPTS=${SETUP_ATTEMPTS:-60}

# Run a command until it succeeds, 2 s apart: the server may still be starting, and a namespace just
# created is unknown to the search-attribute API until the server's namespace cache refreshes.
retry() {
  n=1
  until "$@"; do
    if [ "$n" -ge "$ATTEMPTS" ]; then
      echo "gave up after $n attempts: $*" >&2
      return 1
    fi
    n=$((n + 1))
    sleep 2
  done
}

echo "waiting for Temporal at $TEMPORAL_ADDRESS"
retry temporal operator cluster health >/dev/null 2>&1

if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
  retry temporal operator namespace update --namespace "$NAMESPACE" --retention "$RETENTION"
else
  retry temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
fi
echo "namespace $NAMESPACE keeps closed chains $DAYS days"

ATTRIBUTES=$(mktemp)
trap 'rm -f "$ATTRIBUTES"' EXIT
list_search_attributes() {
  temporal operator search-attribute list --namespace "$NAMESPACE" >"$ATTRIBUTES" 2>&1
}

ensure_search_attribute() {
  retry list_search_attributes
  if grep -qw "$1" "$ATTRIBUTES"; then
    echo "search attribute $1 exists"
  else
    retry temporal operator search-attribute create --namespace "$NAMESPACE" --name "$1" --type "$2"
  fi
}

ensure_search_attribute LongVideoState Keyword
ensure_search_attribute LongVideoSegmentsDone Int
ensure_search_attribute LongVideoSegmentsTotal Int
echo "namespace $NAMESPACE ready"
