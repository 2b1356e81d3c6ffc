#!/usr/bin/env bash
# Whole-process wall time and peak memory at growing cluster sizes.
#
#   benches/scale.sh [BASE_WORKLOADS] [FACTORS...]   (default: 2500 1 2 4 8)
#
# For each factor, generates a cluster of BASE_WORKLOADS x factor workloads,
# half as many policies and one namespace per 40 workloads (8 x 2500 is the
# 20,000-workload, 10,000-policy, 500-namespace target of issue 7), then
# times with GNU time, RUNS times each (median shown):
#
#   netpol-lint check DIR                   (human output, to /dev/null)
#   netpol-lint check DIR --format json
#   netpol-lint reach DIR --format json
#
# and prints a Markdown table: wall seconds, CPU seconds (user + system),
# peak RSS in MiB, and the growth of each against the first size.
#
# Environment: NETPOL_LINT, GEN_CLUSTER (binaries; built in release mode
# when unset), RUNS (default 3), KEEP=1 to keep the generated directories.
set -euo pipefail
cd "$(dirname "$0")/.."

base=${1:-2500}
shift || true
factors=("$@")
if [ ${#factors[@]} -eq 0 ]; then
    factors=(1 2 4 8)
fi
runs=${RUNS:-3}

if [ -z "${NETPOL_LINT:-}" ] || [ -z "${GEN_CLUSTER:-}" ]; then
    cargo build --release --quiet --bin netpol-lint --example gen_cluster
    target=$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    NETPOL_LINT=${NETPOL_LINT:-$target/release/netpol-lint}
    GEN_CLUSTER=${GEN_CLUSTER:-$target/release/examples/gen_cluster}
fi

work=$(mktemp -d)
if [ "${KEEP:-0}" != 1 ]; then
    trap 'rm -rf "$work"' EXIT
fi

# Median over RUNS of "wall cpu rss_mib" for one command; exit codes 0 and
# 1 (findings) are success.
measure() {
    local rows=()
    for _ in $(seq "$runs"); do
        local rc=0
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || rc=$?
        if [ "$rc" -gt 1 ]; then
            echo "scale.sh: '$*' failed (exit $rc):" >&2
            cat "$work/err" >&2
            exit 2
        fi
        rows+=("$(tail -n 1 "$work/time" |
            awk '{ printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }')")
    done
    # The median of each column on its own.
    printf '%s\n' "${rows[@]}" | awk '
        { w[NR] = $1; c[NR] = $2; r[NR] = $3 }
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
                if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return a[int((n + 1) / 2)]
        }
        END { print med(w, NR), med(c, NR), med(r, NR) }'
}

echo "| factor | workloads | policies | namespaces | MB | command | wall s | CPU s \
| peak MiB | wall growth | RSS growth |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
declare -A first_wall first_rss
for f in "${factors[@]}"; do
    w=$((base * f))
    p=$((w / 2))
    n=$((w / 40))
    [ "$n" -lt 1 ] && n=1
    dir="$work/x$f"
    "$GEN_CLUSTER" "$dir" "$n" "$w" "$p" 1 2>/dev/null
    mb=$(du -sb "$dir" | awk '{ printf "%.1f", $1 / 1e6 }')
    for cmd in "check" "check --format json" "reach --format json"; do
        # shellcheck disable=SC2086 # the command is split on purpose
        read -r wall cpu rss < <(measure "$NETPOL_LINT" $cmd "$dir")
        if [ -z "${first_wall[$cmd]:-}" ]; then
            first_wall[$cmd]=$wall
            first_rss[$cmd]=$rss
        fi
        growth=$(awk -v a="$wall" -v b="${first_wall[$cmd]}" \
            'BEGIN { printf "x%.1f", (b > 0 ? a / b : 0) }')
        rss_growth=$(awk -v a="$rss" -v b="${first_rss[$cmd]}" \
            'BEGIN { printf "x%.1f", (b > 0 ? a / b : 0) }')
        echo "| $f | $w | $p | $n | $mb | \`$cmd\` | $wall | $cpu | $rss | $growth | $rss_growth |"
    done
done

if [ "${KEEP:-0}" = 1 ]; then
    echo "scale.sh: inputs kept in $work" >&2
fi
