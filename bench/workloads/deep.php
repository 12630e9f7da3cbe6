<?php
// SPDX-License-Identifier: MIT
// deep.php: the PHP counterpart of deep.c for the BPF cost figure: PROCS processes (forked with
// pcntl) each recurse DEPTH PHP frames through descend() and spin in a leaf, for SECONDS.
//   php deep.php DEPTH PROCS SECONDS

function leaf($n)
{
    $total = 0;
    for ($i = 0; $i < $n; $i++) {
        $total += $i & 7;
    }
    return $total;
}

function descend($d, $end)
{
    if ($d > 1) {
        return descend($d - 1, $end) + 1; // work after the call: no tail call
    }
    while (microtime(true) < $end) {
        leaf(2000);
    }
    return 0;
}

$depth = (int)$argv[1];
$procs = max((int)$argv[2], 1);
$end = microtime(true) + (float)$argv[3];
$kids = [];
for ($i = 1; $i < $procs; $i++) {
    $pid = pcntl_fork();
    if ($pid === 0) {
        descend($depth, $end);
        exit(0);
    }
    $kids[] = $pid;
}
descend($depth, $end);
foreach ($kids as $pid) {
    pcntl_waitpid($pid, $status);
}
