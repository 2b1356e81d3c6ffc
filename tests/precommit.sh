#!/usr/bin/env bash
# Tests the pre-commit hooks of .pre-commit-hooks.yaml for real: installs
# pre-commit from PyPI into a temporary virtualenv, snapshots this work tree
# (committed or not) into a temporary hook repository, and in a temporary
# project repository checks that
#   1. `pre-commit try-repo ... netpol-lint` fails on a bad policy,
#   2. with the hook installed, `git commit` of a bad policy is refused and
#      the commit of the fixed policy goes through,
#   3. `args: [deploy/]` restricts the check to that folder,
#   4. the `netpol-lint-system` hook runs the binary found on PATH.
#
# Not part of `cargo test`: the `language: rust` hook builds the crate in
# release mode, twice (try-repo uses a store of its own), which takes
# several minutes each on two cores, and it needs PyPI and crates.io. Run
# it from anywhere:
#
#   bash tests/precommit.sh
#
# CARGO_TARGET_DIR=DIR lets the builds share compiled dependencies;
# KEEP=1 leaves the temporary directory for inspection.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
if [ "${KEEP:-0}" = 1 ]; then
  echo "temporary files in $WORK"
else
  trap 'rm -rf "$WORK"' EXIT
fi
export PRE_COMMIT_HOME="${PRE_COMMIT_HOME:-$WORK/pre-commit-home}"
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

step() { printf '\n=== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

step "pre-commit from PyPI"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet pre-commit
PRE_COMMIT="$WORK/venv/bin/pre-commit"
"$PRE_COMMIT" --version

step "hook repository: a snapshot of $ROOT"
# `try-repo` on the work tree itself would leave out files git does not
# track yet; a snapshot of what is tracked plus what is not ignored is what
# the next commit will hold.
HOOKS="$WORK/hooks"
mkdir -p "$HOOKS"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard) |
  (cd "$ROOT" && xargs -0 cp --parents -t "$HOOKS" 2>/dev/null || true)
git -C "$HOOKS" init -q
git -C "$HOOKS" add -A
git -C "$HOOKS" commit -q -m snapshot
REV="$(git -C "$HOOKS" rev-parse HEAD)"
echo "$HOOKS at $REV"

BAD='apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
        - podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - {protocol: UDP, port: 53}
        - {protocol: TCP, port: 53}
'
GOOD='apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
'

PROJECT="$WORK/project"
mkdir -p "$PROJECT/deploy" "$PROJECT/policies"
cd "$PROJECT"
git init -q
printf '%s' "$BAD" > policies/np.yaml
git add -A

step "1. try-repo netpol-lint on a bad policy must fail (the first run builds the hook)"
set +e
"$PRE_COMMIT" try-repo "$HOOKS" netpol-lint --ref "$REV" --all-files > "$WORK/try.log" 2>&1
rc=$?
set -e
cat "$WORK/try.log"
[ "$rc" -eq 1 ] || fail "try-repo exited $rc, expected 1"
grep -q 'split-peer-selector' "$WORK/try.log" || fail "no split-peer-selector finding"

step "2. installed hook: the commit of a bad policy is refused, the fixed one passes"
# `try-repo` built the hook in a store of its own, so installing it for
# real builds it a second time.
cat > .pre-commit-config.yaml <<EOF
repos:
  - repo: $HOOKS
    rev: $REV
    hooks:
      - id: netpol-lint
EOF
git add -A
"$PRE_COMMIT" install
if git commit -q -m bad > "$WORK/commit-bad.log" 2>&1; then
  cat "$WORK/commit-bad.log"; fail "the commit of a bad policy went through"
fi
cat "$WORK/commit-bad.log"
grep -q 'split-peer-selector' "$WORK/commit-bad.log" || fail "no finding in the refused commit"
printf '%s' "$GOOD" > policies/np.yaml
git add -A
git commit -q -m good > "$WORK/commit-good.log" 2>&1 || {
  cat "$WORK/commit-good.log"; fail "the commit of a good policy was refused"
}
cat "$WORK/commit-good.log"
git log --oneline | grep -q good || fail "no commit"

step "3. args: [deploy/] checks only deploy/"
printf '%s' "${GOOD/deny-all/deny-all-deploy}" > deploy/np.yaml
printf '%s' "$BAD" > policies/np.yaml
cat > .pre-commit-config.yaml <<EOF
repos:
  - repo: $HOOKS
    rev: $REV
    hooks:
      - id: netpol-lint
        args: [deploy/]
EOF
git add -A
git commit -q -m 'bad policy outside deploy/' > "$WORK/commit-args.log" 2>&1 || {
  cat "$WORK/commit-args.log"; fail "a finding outside deploy/ refused the commit"
}
cat "$WORK/commit-args.log"

step "4. netpol-lint-system runs the binary on PATH"
BIN="$(find "$PRE_COMMIT_HOME" -path '*/bin/netpol-lint' -type f | head -1)"
[ -n "$BIN" ] || fail "the rust hook's binary was not found under $PRE_COMMIT_HOME"
set +e
PATH="$(dirname "$BIN"):$PATH" "$PRE_COMMIT" try-repo "$HOOKS" netpol-lint-system \
  --ref "$REV" --all-files > "$WORK/system.log" 2>&1
rc=$?
set -e
cat "$WORK/system.log"
[ "$rc" -eq 1 ] || fail "netpol-lint-system exited $rc on the bad policy, expected 1"
printf '%s' "$GOOD" > policies/np.yaml
# pre-commit checks what is staged and stashes the rest.
git add -A
PATH="$(dirname "$BIN"):$PATH" "$PRE_COMMIT" try-repo "$HOOKS" netpol-lint-system \
  --ref "$REV" --all-files || fail "netpol-lint-system failed on good policies"

printf '\n4 passed, 0 failed\n'
