# SPDX-License-Identifier: MIT
# CPU-bound Ruby workload for flamed's Ruby frames: drive calls Burner#spin_xyz for DURATION
# seconds (ARGV[0]); spin_xyz runs three parts, each timed by the script itself (the thread's
# CPU clock), so the test can compare flamed's shares with its own:
#   spin_x  a hot loop in a method                   (Burner#spin_x)
#   spin_y  Array#map with a block                   (Burner#spin_y -> Array#map -> block)
#   spin_z  a C function called in a loop            (Burner#spin_z -> Math.sqrt)
# It prints "phase_ms spin_x=N spin_y=N spin_z=N" and the lines of its marked hot lines
# ("line spin_x N", ...).

def cpu_ms
  Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID, :float_millisecond)
end

class Burner
  attr_reader :spent

  def initialize
    @spent = { spin_x: 0.0, spin_y: 0.0, spin_z: 0.0 }
  end

  def spin_x(n)
    s = 0
    i = 0
    while i < n
      s = (s + i * i) % 1_000_003 # LINE spin_x
      i += 1
    end
    s
  end

  def spin_y(data)
    out = data.map do |v|
      (v * 31 + 7) % 1013 # LINE block
    end
    out.size
  end

  def spin_z(n)
    s = 0.0
    i = 1
    while i < n
      s += Math.sqrt(i) + Math.sqrt(i + 0.5) # LINE spin_z
      i += 1
    end
    s
  end

  def spin_xyz(n, data)
    t = cpu_ms
    spin_x(n)
    u = cpu_ms
    spin_y(data)
    v = cpu_ms
    spin_z(n / 4)
    w = cpu_ms
    @spent[:spin_x] += u - t
    @spent[:spin_y] += v - u
    @spent[:spin_z] += w - v
  end
end

def drive(duration)
  b = Burner.new
  data = (1..30_000).to_a
  finish = Process.clock_gettime(Process::CLOCK_MONOTONIC) + duration
  b.spin_xyz(100_000, data) while Process.clock_gettime(Process::CLOCK_MONOTONIC) < finish
  puts format("phase_ms spin_x=%d spin_y=%d spin_z=%d", b.spent[:spin_x], b.spent[:spin_y],
              b.spent[:spin_z])
  File.foreach(__FILE__).with_index(1) do |text, no|
    puts "line #{Regexp.last_match(1)} #{no}" if text =~ /LINE (\w+)$/
  end
end

drive(Float(ARGV[0] || 5))
