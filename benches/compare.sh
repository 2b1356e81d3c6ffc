#!/usr/bin/env bash
# Whole-process comparison with IBM's network-config-analyzer (NCA).
#
#   benches/compare.sh [WORKLOADS...]     (default: 100 250 500 1000 2000 5000 20000)
#
# For each size, generates a cluster with the seeded generator (half as many
# policies as workloads, one namespace per 40 workloads, as in the README's
# scaling table), then times, on the same directory and in this one run:
#
#   nca --connectivity --resource_list DIR -o json
#   netpol-lint reach DIR --format json
#
# and prints a Markdown table with wall time, CPU time (user + system), peak
# RSS and the ratio NCA / netpol-lint. netpol-lint is timed RUNS times (the
# median is shown); NCA once per size. A size where NCA runs past
# NCA_TIMEOUT seconds is reported as such, with the ratio as a lower bound,
# and larger sizes skip NCA. On a shared machine wall times swing with the
# load; CPU times much less, hence both ratios.
#
# Needs /usr/bin/time (GNU time). NCA is taken from PATH or $NCA; install it
# with `python3 -m venv /tmp/nca-venv && /tmp/nca-venv/bin/pip install
# network-config-analyzer`. Without it only netpol-lint is timed.
#
# Environment: NETPOL_LINT, GEN_CLUSTER (binaries; built in release mode
# when unset), NCA, NCA_TIMEOUT (default 600), RUNS (default 3), KEEP=1 to
# keep the generated directories (printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
    sizes=(100 250 500 1000 2000 5000 20000)
fi
runs=${RUNS:-3}
nca_timeout=${NCA_TIMEOUT:-600}

if [ ! -x /usr/bin/time ]; then
    echo "compare.sh: /usr/bin/time (GNU time) is required" >&2
    exit 2
fi

if [ -z "${NETPOL_LINT:-}" ] || [ -z "${GEN_CLUSTER:-}" ]; then
    cargo build --release --quiet --bin netpol-lint --example gen_cluster
    target=$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    NETPOL_LINT=${NETPOL_LINT:-$target/release/netpol-lint}
    GEN_CLUSTER=${GEN_CLUSTER:-$target/release/examples/gen_cluster}
fi

nca=${NCA:-$(command -v nca || true)}
if [ -z "$nca" ]; then
    echo "compare.sh: nca not found (set NCA or put it on PATH); timing netpol-lint only" >&2
fi

work=$(mktemp -d)
if [ "${KEEP:-0}" != 1 ]; then
    trap 'rm -rf "$work"' EXIT
fi

# Runs a command under GNU time; prints "wall cpu rss_mib exit_code".
# Output goes to $work/out.
measure() {
    local limit=$1
    shift
    local rc=0
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
        timeout "$limit" "$@" >"$work/out" 2>"$work/err" || rc=$?
    # GNU time prefixes a note when the command fails; the numbers are last.
    read -r wall user sys rss < <(tail -n 1 "$work/time")
    awk -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v c="$rc" \
        'BEGIN { printf "%.2f %.2f %.0f %d\n", w, u + s, r / 1024, c }'
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

echo "| workloads | policies | namespaces | MB | NCA wall s | NCA CPU s | NCA MiB \
| netpol-lint wall s | netpol-lint CPU s | netpol-lint MiB | ratio wall | ratio CPU |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"

nca_gave_up=""
for w in "${sizes[@]}"; do
    p=$((w / 2))
    n=$((w / 40))
    [ "$n" -lt 1 ] && n=1
    dir="$work/w$w"
    "$GEN_CLUSTER" "$dir" "$n" "$w" "$p" 1 2>/dev/null
    mb=$(du -sb "$dir" | awk '{ printf "%.1f", $1 / 1e6 }')

    walls=() cpus=() rsss=()
    for _ in $(seq "$runs"); do
        read -r wall cpu rss rc < <(measure 600 "$NETPOL_LINT" reach "$dir" --format json)
        if [ "$rc" != 0 ]; then
            echo "compare.sh: netpol-lint failed on $dir (exit $rc):" >&2
            cat "$work/err" >&2
            exit 2
        fi
        walls+=("$wall") cpus+=("$cpu") rsss+=("$rss")
    done
    ours_wall=$(printf '%s\n' "${walls[@]}" | median)
    ours_cpu=$(printf '%s\n' "${cpus[@]}" | median)
    ours_rss=$(printf '%s\n' "${rsss[@]}" | median)
    ours_lines=$(grep -c '"src"' "$work/out" || true)

    nca_wall="-" nca_cpu="-" nca_rss="-" ratio_wall="-" ratio_cpu="-"
    if [ -n "$nca" ] && [ -n "$nca_gave_up" ]; then
        nca_wall="skipped"
    elif [ -n "$nca" ]; then
        read -r wall cpu rss rc < <(measure "$nca_timeout" "$nca" --connectivity \
            --resource_list "$dir" -o json)
        if [ "$rc" = 124 ]; then
            nca_wall=">$nca_timeout"
            nca_gave_up=1
            ratio_wall=$(awk -v a="$nca_timeout" -v b="$ours_wall" \
                'BEGIN { printf ">%.0fx", a / (b > 0.005 ? b : 0.005) }')
        elif [ "$rc" != 0 ]; then
            nca_wall="failed ($rc)"
            tail -n 3 "$work/err" >&2
        else
            nca_wall=$wall nca_cpu=$cpu nca_rss=$rss
            ratio_wall=$(awk -v a="$wall" -v b="$ours_wall" \
                'BEGIN { printf "%.0fx", a / (b > 0.005 ? b : 0.005) }')
            # GNU time counts CPU in hundredths: below that there is no ratio.
            ratio_cpu=$(awk -v a="$cpu" -v b="$ours_cpu" \
                'BEGIN { if (b >= 0.02) printf "%.0fx", a / b; else print "-" }')
            cp "$work/out" "$work/nca-w$w.json"
        fi
    fi
    echo "| $w | $p | $n | $mb | $nca_wall | $nca_cpu | $nca_rss \
| $ours_wall | $ours_cpu | $ours_rss | $ratio_wall | $ratio_cpu |"
    echo "compare.sh: $w workloads: netpol-lint printed $ours_lines connections" >&2
done

if [ "${KEEP:-0}" = 1 ]; then
    echo "compare.sh: inputs and NCA outputs kept in $work" >&2
fi
