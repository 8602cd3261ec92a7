# The names of the slices packet $id's flow steps bind to, in time order.
.traceEvents as $ev
| [$ev[] | select(.ph == "X")] as $x
| [$ev[] | select((.ph == "s" or .ph == "t" or .ph == "f") and .id == $id)]
| sort_by(.ts)
| map(. as $f | [$x[] | select(.pid == $f.pid and .tid == $f.tid and .ts <= $f.ts and $f.ts <= .ts + .dur)][0].name)
| join(" ")
