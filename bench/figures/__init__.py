# SPDX-License-Identifier: MIT
"""bench/run's figures, one module each, named by what it measures; run(bench) returns the
figure's (title, markdown table)."""

from figures import (agent_cost, bpf_cost, busy_host, daemon, direct_cost,  # noqa: F401
                     dwarf_frames, end_to_end, host_names, kubernetes, overhead,
                     stack_quality, symbolization)

# figure number -> module, in the numbering bench/RESULTS.md uses
BY_NUMBER = {1: overhead, 2: agent_cost, 3: bpf_cost, 4: stack_quality, 5: symbolization,
             6: end_to_end, 7: daemon, 8: dwarf_frames, 9: direct_cost, 10: host_names,
             11: busy_host, 12: kubernetes}
