<?php
// SPDX-License-Identifier: MIT
// CPU-bound PHP workload for flamed's PHP frames: drive() calls Burner::spin_xyz() for DURATION
// seconds (argv[1]); spin_xyz runs three parts, each timed by the script itself (getrusage:
// the process's one PHP thread), so the test can compare flamed's shares with its own:
//   spin_x  a hot loop in a method                     (Burner::spin_x)
//   spin_y  array_map with a closure                   (Burner::spin_y -> array_map -> {closure})
//   spin_z  an internal function called in a loop      (Burner::spin_z -> sqrt)
// It prints "phase_ms spin_x=N spin_y=N spin_z=N" and the lines of its marked hot lines
// ("line spin_x N", ...).

function cpu_ms()
{
    $r = getrusage();
    return ($r["ru_utime.tv_sec"] + $r["ru_stime.tv_sec"]) * 1000.0
        + ($r["ru_utime.tv_usec"] + $r["ru_stime.tv_usec"]) / 1000.0;
}

class Burner
{
    public $spent = ["spin_x" => 0.0, "spin_y" => 0.0, "spin_z" => 0.0];

    public function spin_x($n)
    {
        $s = 0;
        for ($i = 0; $i < $n; $i++) {
            $s = ($s + $i * $i) % 1000003; // LINE spin_x
        }
        return $s;
    }

    public function spin_y($data)
    {
        $out = array_map(function ($v) {
            return ($v * 31 + 7) % 1013; // LINE closure
        }, $data);
        return count($out);
    }

    public function spin_z($n)
    {
        $s = 0.0;
        for ($i = 1; $i < $n; $i++) {
            $s += sqrt($i) + sqrt($i + 0.5); // LINE spin_z
        }
        return $s;
    }

    public function spin_xyz($n, $data)
    {
        $t = cpu_ms();
        $this->spin_x($n);
        $u = cpu_ms();
        $this->spin_y($data);
        $v = cpu_ms();
        $this->spin_z($n / 4);
        $w = cpu_ms();
        $this->spent["spin_x"] += $u - $t;
        $this->spent["spin_y"] += $v - $u;
        $this->spent["spin_z"] += $w - $v;
    }
}

function drive($duration)
{
    $b = new Burner();
    $data = range(1, 30000);
    $end = microtime(true) + $duration;
    while (microtime(true) < $end) {
        $b->spin_xyz(100000, $data);
    }
    printf("phase_ms spin_x=%d spin_y=%d spin_z=%d\n", $b->spent["spin_x"], $b->spent["spin_y"],
           $b->spent["spin_z"]);
    foreach (file(__FILE__) as $no => $text) {
        if (preg_match('/LINE (\w+)$/', rtrim($text), $m)) {
            printf("line %s %d\n", $m[1], $no + 1);
        }
    }
}

drive($argc > 1 ? (float)$argv[1] : 5.0);
