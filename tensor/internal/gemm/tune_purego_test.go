//go:build unix

package gemm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// tuneGoKernels lists the Go kernels TestTuneGoVsGonum compares; an
// experiment adds candidates here.
var tuneGoKernels = []*kernel{&goKernel}

// TestTuneGoVsGonum prints single-thread GFLOP/s per CPU second of whole
// products through the Go kernel and Go packing (the -tags purego path)
// next to gonum's blas32 Sgemm, interleaved over rounds so that load from
// other users spreads over both, with the median and best round. It runs
// only with RAKAM_TUNE=1:
//
//	RAKAM_TUNE=1 GOMAXPROCS=1 go test -tags purego -run TuneGoVsGonum -v ./tensor/internal/gemm
func TestTuneGoVsGonum(t *testing.T) {
	if os.Getenv("RAKAM_TUNE") == "" {
		t.Skip("set RAKAM_TUNE=1 to run")
	}
	withThreads(t, 1)
	old, oldPack := active, packAVX2
	t.Cleanup(func() { active, packAVX2 = old, oldPack })
	packAVX2 = false
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{1024, 1024, 1024}, {128, 784, 128}} {
		m, k, n := s[0], s[1], s[2]
		a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
		type impl struct {
			name string
			f    func()
		}
		var impls []impl
		for _, kern := range tuneGoKernels {
			impls = append(impls, impl{kern.name, func() {
				active = kern
				Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			}})
		}
		ga := blas32.General{Rows: m, Cols: k, Stride: k, Data: a}
		gb := blas32.General{Rows: k, Cols: n, Stride: n, Data: b}
		gc := blas32.General{Rows: m, Cols: n, Stride: n, Data: c}
		impls = append(impls, impl{"gonum", func() { blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ga, gb, 0, gc) }})
		res := make([][]float64, len(impls))
		for round := 0; round < 5; round++ {
			for i, im := range impls {
				im.f()
				calls := 0
				start := cpuTime()
				for cpuTime()-start < 150*time.Millisecond {
					im.f()
					calls++
				}
				res[i] = append(res[i], 2*float64(m*n*k)*float64(calls)/(cpuTime()-start).Seconds()/1e9)
			}
		}
		for i, im := range impls {
			slices.Sort(res[i])
			fmt.Printf("%dx%dx%d %-8s median %.2f best %.2f GFLOP/s per CPU second\n", m, k, n, im.name, res[i][len(res[i])/2], res[i][len(res[i])-1])
		}
	}
}
