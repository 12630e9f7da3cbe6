# SPDX-License-Identifier: MIT
# Two Ruby threads for flamed's Ruby frames, each timed by its own CPU clock for DURATION seconds
# (ARGV[0]): "hasher" spins in Ruby (Hasher#churn), "packer" compresses with a C extension
# (Packer#squeeze -> Zlib::Deflate#deflate -> zlib's deflate, which runs without the GVL). Each
# names itself (Thread#name=, the thread's name in the kernel too) and prints
# "thread NAME TID CPU_MS" when done.
require "zlib"

def mono
  Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

def cpu_ms
  Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID, :float_millisecond)
end

class Hasher
  def churn(finish)
    h = 0
    while mono < finish
      i = 0
      while i < 20_000
        h = (h * 31 + i) & 0xffffffff
        i += 1
      end
    end
    h
  end
end

class Packer
  def squeeze(finish, data)
    z = Zlib::Deflate.new(Zlib::BEST_COMPRESSION)
    n = 0
    n += z.deflate(data, Zlib::SYNC_FLUSH).bytesize while mono < finish
    z.close
    n
  end
end

duration = Float(ARGV[0] || 5)
finish = mono + duration
words = %w[alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu]
rng = Random.new(42)
data = Array.new(40_000) { words[rng.rand(words.size)] }.join(" ")
out = Queue.new
workers = {
  "hasher" => -> { Hasher.new.churn(finish) },
  "packer" => -> { Packer.new.squeeze(finish, data) },
}.map do |name, work|
  Thread.new do
    Thread.current.name = name
    work.call
    out << format("thread %s %d %d", name, Thread.current.native_thread_id, cpu_ms)
  end
end
workers.each(&:join)
puts out.pop until out.empty?
