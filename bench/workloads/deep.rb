# SPDX-License-Identifier: MIT
# deep.rb: the Ruby counterpart of deep.c for the BPF cost figure: PROCS processes (forked) each
# recurse DEPTH Ruby frames through descend and spin in a leaf, for SECONDS.
#   ruby deep.rb DEPTH PROCS SECONDS

def leaf(n)
  total = 0
  i = 0
  while i < n
    total += i & 7
    i += 1
  end
  total
end

def descend(d, finish)
  return descend(d - 1, finish) + 1 if d > 1 # work after the call: no tail call

  leaf(2000) while Process.clock_gettime(Process::CLOCK_MONOTONIC) < finish
  0
end

depth = Integer(ARGV[0])
procs = [Integer(ARGV[1]), 1].max
finish = Process.clock_gettime(Process::CLOCK_MONOTONIC) + Float(ARGV[2])
kids = (1...procs).map { fork { descend(depth, finish) } }
descend(depth, finish)
kids.each { |pid| Process.wait(pid) }
