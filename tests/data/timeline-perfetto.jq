# The rules of Perfetto's JSON importer (google/perfetto,
# src/trace_processor/importers/json/ and importers/common/slice_tracker.cc,
# flow_tracker.cc) that a timeline keeps to: one line per rule, "rule<TAB>how many
# events break it<TAB>the first one". Times are taken the way Perfetto takes them: a
# value in us times 1000, rounded to a whole ns, ts and dur each on its own.
def ns: . * 1000 | round;
# Perfetto reads events in this order: by ts, then the longer X first, then as written.
def read_order: sort_by([.s, -.d, .i]);
def rule($name; bad): [$name, (bad | length), (bad | first // "" | tojson)] | @tsv;
# The X slices of one thread track that start inside an open slice and end after it
# (Perfetto moves them to an overflow track): a slice is closed once the next one starts
# at or after its end (two 0 ns slices at one ns stack).
def partial_overlaps:
    read_order
    | reduce .[] as $x ({open: [], bad: []};
        .open |= until(length == 0 or (last | (.s + .d) > $x.s
                                              or (.s + .d == $x.s and .d == 0 and $x.d == 0));
                       .[:-1])
        | if (.open | length) > 0 and (.open | last | .s + .d) as $top_end
             | $x.s < $top_end and $x.s + $x.d > $top_end
          then .bad += [$x] else .open += [$x] end)
    | .bad;
[.traceEvents | to_entries[] | .value + {i: .key}] as $ev
| [$ev[] | select(.ph == "X") | . + {s: (.ts | ns), d: (.dur | ns)}] as $x
| [$ev[] | select(.ph == "M" and .name == "process_sort_index") | .pid] as $sorted_pids
| [$ev[] | select(.ph == "M" and .name == "thread_sort_index") | [.pid, .tid]] as $sorted_tids
| rule("times are whole ns (Perfetto keeps no more, and rounds ts and dur apart)";
       [$ev[] | select(.ph == "X" or .ph == "i")
        | select([.ts, .dur // 0][] | . * 1000 - (. | ns) | fabs > 1e-6)]),
  rule("no negative dur"; [$x[] | select(.d < 0)]),
  rule("the slices of each thread track nest or follow one another, in ns";
       [$x | group_by([.pid, .tid])[] | partial_overlaps[]]),
  rule("no version-1 flow events (s, t, f: bound to whatever slice is on top)";
       [$ev[] | select(.ph == "s" or .ph == "t" or .ph == "f")]),
  rule("each bind_id has one flow_out-only slice first and one flow_in-only slice last";
       [$x | map(select(.bind_id != null)) | group_by(.bind_id)[] | read_order
        | select(length < 2 or (map(select(.flow_out and (.flow_in | not))) | length) != 1
                 or (map(select(.flow_in and (.flow_out | not))) | length) != 1
                 or (first | .flow_out and (.flow_in | not) | not)
                 or (last | .flow_in and (.flow_out | not) | not)
                 or any(.[]; (.flow_in or .flow_out) | not))
        | first]),
  rule("every group has a process_sort_index";
       [$ev[] | select(.pid != null and (.pid as $p | $sorted_pids | index($p) | not))]),
  rule("every track has a thread_sort_index";
       [$ev[] | select(.tid != null and ([.pid, .tid] as $t | $sorted_tids | index([$t]) | not))])
