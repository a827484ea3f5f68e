//go:build unix

package tensor

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time. Benchmarks report GFLOP/s
// per CPU second next to wall-clock GFLOP/s: on a machine shared with other
// work, time slices lost to other processes do not count against it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
