# SPDX-License-Identifier: MIT
# The offsets table (src/ruby/rb_offsets_table.h, given as KEY=VALUE arguments) checked against
# the running interpreter: this script walks its own thread's control frames the way flamed's
# walker and name reader do, reading its own memory with Fiddle, and compares what it finds
# with what Ruby says about itself (its methods, their lines, its classes' names, symbols).
# Prints one line per check and exits 1 if one fails.
#   ruby rb_live_offsets.rb major=3 minor=1 vm_main_ractor=32 ...
require "fiddle"

O = ARGV.to_h { |a| k, v = a.split("=", 2); [k.to_sym, Integer(v)] }
LIB = Fiddle.dlopen(nil)
$failed = false

def check(what, ok)
  puts "#{ok ? 'ok  ' : 'FAIL'} #{what}"
  $failed ||= !ok
end

def mem(addr, len) = Fiddle::Pointer.new(addr)[0, len]
def q(addr) = mem(addr, 8).unpack1("Q<")
def u32(addr) = mem(addr, 4).unpack1("L<")
def value(obj) = Fiddle.dlwrap(obj)

def str(v)
  flags = q(v)
  return nil unless flags & O[:t_mask] == O[:t_string]
  if (flags & O[:str_noembed]).zero?
    mem(v + O[:str_embed], (flags & O[:str_len_mask]) >> O[:str_len_shift])
  else
    mem(q(v + O[:str_heap_ptr]), q(v + O[:str_heap_len]))
  end
end

def ary(v, i)
  flags = q(v)
  return nil unless flags & O[:t_mask] == O[:t_array]
  if (flags & O[:ary_embed]).zero?
    i < q(v + O[:ary_heap_len]) ? q(q(v + O[:ary_heap_ptr]) + 8 * i) : nil
  else
    i < ((flags & O[:ary_len_mask]) >> O[:ary_len_shift]) ? q(v + O[:ary_embed_ptr] + 8 * i) : nil
  end
end

def ivar(klass, id)
  tbl = q(q(klass + O[:class_ext]) + O[:ext_iv_tbl])
  start, bound, entries = q(tbl + O[:st_entries_start]), q(tbl + O[:st_entries_bound]),
                          q(tbl + O[:st_entries])
  (start...bound).each do |i|
    e = entries + i * O[:st_entry_size]
    return q(e + O[:st_entry_record]) if q(e + O[:st_entry_key]) == id && q(e) != 2**64 - 1
  end
  nil
end

# the line of instruction index pos, by the succinct table's rank (iseq.c succ_index_lookup)
def line_at(body, pos)
  nr = u32(body + O[:body_insns_size])
  info = q(body + O[:body_insns_info])
  entry = if nr == 1 then 0
          else
            sd = q(body + O[:body_succ_table])
            rank = if pos < 54
                     (q(sd + (pos / 9) * 8) >> (7 * (pos % 9))) & 0x7f
                   else
                     x = pos - 54
                     blk = sd + 48 + (x / 512) * 80
                     small = (x % 512) / 64
                     ranks = q(blk + 8)
                     sr = small.zero? ? 0 : (ranks >> ((small - 1) * 9)) & 0x1ff
                     bits = q(blk + 16 + small * 8) & ((2 << (x % 64)) - 1)
                     u32(blk) + sr + bits.to_s(2).count("1")
                   end
            rank - 1
          end
  mem(info + entry * O[:insn_info_size] + O[:insn_info_line], 4).unpack1("l<")
end

def frames
  self_id = Fiddle::Function.new(LIB["pthread_self"], [], Fiddle::TYPE_UINTPTR_T).call
  vm = q(LIB["ruby_current_vm_ptr"])
  head = q(vm + O[:vm_main_ractor]) + O[:ractor_threads]
  node = q(head)
  th = nil
  while node != head
    t = node - O[:th_node]
    th = t if q(t + O[:th_thread_id]) == self_id
    node = q(node)
  end
  check("this thread in the main ractor's list, by pthread_self", th)
  ec = q(th + O[:th_ec])
  stack, size = q(ec + O[:ec_vm_stack]), q(ec + O[:ec_vm_stack_size])
  cfp, last = q(ec + O[:ec_cfp]), stack + size * 8
  out = []
  while cfp < last - O[:cfp_size] # the base frame is the VM's own
    ep = q(cfp + O[:cfp_ep])
    flags = q(ep)
    me = q(ep - 16)
    if (flags & O[:frame_cframe]).zero?
      local = ep
      hops = 0
      while me.zero? && (q(local) & O[:env_local]).zero? && hops < 4
        local = q(local - 8) & ~3
        me = q(local - 16)
        hops += 1
      end
      out << [:ruby, q(cfp + O[:cfp_iseq]), q(cfp + O[:cfp_pc]), me, flags]
    elsif flags & O[:magic_mask] == O[:magic_cfunc]
      out << [:c, me]
    end
    cfp += O[:cfp_size]
  end
  out
end

class Probe
  def walk_in_block
    [1].map { frames } # LINE walk
  end
end

def live_check
  Probe.new.walk_in_block.first
end

src = File.readlines(__FILE__)
walk_line = src.index { |l| l.include?("# LINE walk") } + 1
stack = live_check
kinds = stack.map(&:first)
check("frames recorded: #{kinds.size} (#{kinds.join(' ')})", kinds.size >= 5)

# Ruby frames: label, path, first line, line at pc, and the method entry's iseq
classpath = nil
object = q(LIB["rb_cObject"])
tbl = q(q(object + O[:class_ext]) + O[:ext_iv_tbl])
(q(tbl + O[:st_entries_start])...q(tbl + O[:st_entries_bound])).each do |i|
  e = q(tbl + O[:st_entries]) + i * O[:st_entry_size]
  classpath = q(e + O[:st_entry_key]) if str(q(e + O[:st_entry_record])) == "Object"
end
check("the __classpath__ ID from rb_cObject's own entry", classpath)
rubies = stack.select { |k, *| k == :ruby }.map do |_, iseq, pc, me, _flags|
  body = q(iseq + O[:iseq_body])
  pathobj = q(body + O[:body_path])
  path = str(pathobj) || str(ary(pathobj, 0))
  pos = (pc - q(body + O[:body_iseq_encoded])) / 8
  { label: str(q(body + O[:body_label])), base: str(q(body + O[:body_base_label])), path: path,
    first: q(body + O[:body_first_lineno]) >> 1, line: line_at(body, pos.zero? ? 0 : pos - 1),
    me: me, local: q(body + O[:body_local_iseq]),
    method: (u32(body + O[:body_type]) == O[:iseq_type_method]) }
end
blk = rubies.find { |r| r[:label] == "block in walk_in_block" }
walk = rubies.find { |r| r[:label] == "walk_in_block" }
check("block frame: #{blk&.slice(:label, :base, :line)}",
      blk && blk[:base] == "walk_in_block" && blk[:line] == walk_line &&
      File.basename(blk[:path].to_s) == File.basename(__FILE__))
check("method frame: #{walk&.slice(:label, :first, :line)}",
      walk && walk[:method] && walk[:first] == Probe.instance_method(:walk_in_block).source_location[1] &&
      walk[:line] == walk_line)
[blk, walk].compact.each do |r|
  me = r[:me]
  imemo = (q(me) >> O[:fl_ushift]) & O[:imemo_mask]
  me = q(me + O[:svar_cref_or_me]) if imemo == O[:imemo_svar]
  d = q(me + O[:cme_def])
  owner = q(me + O[:cme_owner])
  check("#{r[:label]}: its method entry runs the method's iseq, owner Probe",
        (q(d) & O[:def_type_mask]) == O[:method_iseq] && q(d + O[:def_iseqptr]) == r[:local] &&
        owner == value(Probe) && str(ivar(owner, classpath)) == "Probe")
end

# C functions: Array#map's frame, its name from the symbol table, its class's path
map = stack.find do |k, me|
  k == :c && q(me + O[:cme_owner]) == value(Array)
end
check("a C function's frame owned by Array", map)
if map
  d = q(map[1] + O[:cme_def])
  id = q(d + O[:def_original_id])
  check("its method's ID is :map's", id == value(:map) >> 8)
  check("Array's path from its __classpath__ ivar", str(ivar(value(Array), classpath)) == "Array")
  code = mem(LIB["rb_sym_immortal_count"], 8).bytes
  if code[0] == 0x8b && code[1] == 0x05 && code[6] == 0xc3
    symbols = LIB["rb_sym_immortal_count"] + 6 + code[2, 4].pack("C4").unpack1("l<")
    serial = id > O[:last_op_id] ? id >> O[:id_scope_shift] : id
    chunk = ary(q(symbols + O[:symbols_ids]), serial / O[:id_entry_unit])
    name = chunk && str(ary(chunk, (serial % O[:id_entry_unit]) * O[:id_entry_size]))
    check("its name from the symbol table: #{name.inspect}", name == "map")
  else
    check("rb_sym_immortal_count is mov eax, [rip + X]; ret", false)
  end
end
# a singleton class's attached object
attached = ivar(value(Math.singleton_class), O[:id_attached])
check("a singleton class's __attached__ ivar is its object", attached == value(Math))
exit($failed ? 1 : 0)
