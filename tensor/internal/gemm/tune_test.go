//go:build unix

package gemm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestTuneBlocks prints single-thread GFLOP/s per CPU second (not wall
// time, which other users' load distorts) for several block sizes. It runs
// only with RAKAM_TUNE=1: go test -run TuneBlocks -v ./tensor/internal/gemm
func TestTuneBlocks(t *testing.T) {
	if os.Getenv("RAKAM_TUNE") == "" {
		t.Skip("set RAKAM_TUNE=1 to run")
	}
	withThreads(t, 1)
	oldK, oldM := blockKC, blockMC
	t.Cleanup(func() { blockKC, blockMC = oldK, oldM })
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{128, 128, 784}, {1024, 1024, 1024}} {
		m, n, k := s[0], s[1], s[2]
		a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
		for _, kc := range []int{192, 256, 320, 384, 512} {
			for _, mc := range []int{72, 144, 288} {
				blockKC, blockMC = kc, mc
				Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				best := 0.0
				for rep := 0; rep < 3; rep++ {
					calls := 0
					start := cpuTime()
					for cpuTime()-start < 100*time.Millisecond {
						Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
						calls++
					}
					g := 2 * float64(m*n*k) * float64(calls) / (cpuTime() - start).Seconds() / 1e9
					best = max(best, g)
				}
				fmt.Printf("%dx%dx%d KC=%d MC=%d: %.1f GFLOP/s per CPU second\n", m, n, k, kc, mc, best)
			}
		}
	}
}

// TestTuneKernel prints the micro-kernel's own speed on L1-resident panels.
func TestTuneKernel(t *testing.T) {
	if os.Getenv("RAKAM_TUNE") == "" {
		t.Skip("set RAKAM_TUNE=1 to run")
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, kern := range kernels() {
		for _, kc := range []int{64, 196, 256, 392} {
			a, b := randSlice(r, kern.mr*kc), randSlice(r, kern.nr*kc)
			c := randSlice(r, kern.mr*kern.nr)
			best := 0.0
			for rep := 0; rep < 3; rep++ {
				calls := 0
				start := cpuTime()
				for cpuTime()-start < 50*time.Millisecond {
					for range 100 {
						kern.fn(kc, a, b, c, kern.nr, 1, 1)
					}
					calls += 100
				}
				best = max(best, 2*float64(kern.mr*kern.nr*kc)*float64(calls)/(cpuTime()-start).Seconds()/1e9)
			}
			fmt.Printf("%s kc=%d: %.1f GFLOP/s per CPU second\n", kern.name, kc, best)
		}
	}
}
