#!/bin/sh
# Run libFuzzer harnesses one after the other, each for SECONDS on a fresh
# copy of its seed corpus, and print a summary of executions.
#
#   run.sh SECONDS SRCDIR BUILDDIR NAME...
#
# SRCDIR holds corpus/NAME/ and NAME.dict; BUILDDIR holds NAME_fuzz and gets
# work/NAME/ (corpus copy, log, crash artifacts). Exits non-zero when a
# harness crashed, leaked, hit a sanitizer report or a broken invariant.

seconds=$1 srcdir=$2 builddir=$3
shift 3
summary=
failed=
# UBSan reports with a stack; the caller's options still win.
UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export UBSAN_OPTIONS

for name in "$@"; do
    work=$builddir/work/$name
    rm -rf "$work"
    mkdir -p "$work/corpus" || exit 1
    cp "$srcdir/corpus/$name"/* "$work/corpus/" || exit 1
    chmod -R u+w "$work/corpus"
    # The loop's list was expanded already: "$@" is free to hold the options.
    # -timeout: an input takes microseconds; one that takes seconds is a hang.
    set -- -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$work/"
    if test -f "$srcdir/$name.dict"; then
        set -- "$@" -dict="$srcdir/$name.dict"
    fi
    echo "fuzz: $name for ${seconds}s ($work/log)"
    # TMPDIR: a harness's scratch files (config's sandbox) stay in $work
    # even when it dies.
    TMPDIR=$work "$builddir/${name}_fuzz" "$@" "$work/corpus" >"$work/log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
    units=$(ls "$work/corpus" | wc -l)
    status=ok
    # UBSan aborts (-fno-sanitize-recover), so any report also sets rc; the
    # grep is a second net for reports that would not.
    if test "$rc" -ne 0 || grep -q -e '^==[0-9]*==ERROR:' -e 'runtime error:' \
        -e 'invariant broken' "$work/log"; then
        status=FAILED
        failed="$failed $name"
        echo "fuzz: $name FAILED (exit $rc); the report:"
        grep -v -e '^INFO:' -e '^#[0-9]' "$work/log" | tail -60
        for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
            test -f "$a" && echo "fuzz: reproduce with: $builddir/${name}_fuzz $a"
        done
    fi
    summary="$summary
$(printf '%-16s %12s %10s %8s  %s' "$name" "${execs:-?}" "${rate:-?}" "$units" "$status")"
done

echo
echo "fuzz summary (${seconds}s each)"
printf '%-16s %12s %10s %8s  %s' harness executions "exec/s" corpus status
echo "$summary"
if test -n "$failed"; then
    echo "fuzz: failed:$failed"
    exit 1
fi
exit 0
