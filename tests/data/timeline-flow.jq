# The names of packet $id's slices, in the order Perfetto reads them and its flow
# joins them (by start in ns, the longer first, then as written).
[.traceEvents | to_entries[] | .value + {i: .key} | select(.bind_id == $id)]
| sort_by([(.ts * 1000 | round), -(.dur * 1000 | round), .i])
| map(.name)
| join(" ")
