// Command gemm times float32 matrix products for bench/gemm/run.sh: rakam's
// tensor.Gemm and gonum's blas32 Sgemm on the same shapes, in one process,
// printing one JSON object per (implementation, shape) with every
// repetition's GFLOP/s and their median.
//
//	go run ./bench/gemm -impl rakam,gonum -threads 1 -reps 7
//
// Thread counts: rakam uses tensor.SetThreads; gonum's Sgemm uses
// GOMAXPROCS goroutines, so run.sh sets GOMAXPROCS to the same number.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/rakam-ml/rakam/tensor"
)

type result struct {
	Impl    string    `json:"impl"`
	Shape   string    `json:"shape"`
	Threads int       `json:"threads"`
	Reps    []float64 `json:"gflops"`
	Median  float64   `json:"median"`
}

func main() {
	impls := flag.String("impl", "rakam,gonum", "comma-separated implementations: rakam, gonum")
	shapes := flag.String("shapes", "1024x1024x1024,128x784x128", "comma-separated MxKxN[:TN|:NT|:TT] shapes: A is MxK, B is KxN, T marks an operand stored transposed")
	threads := flag.Int("threads", 1, "threads for rakam (gonum follows GOMAXPROCS)")
	reps := flag.Int("reps", 7, "timed repetitions per shape")
	minTime := flag.Duration("mintime", 150*time.Millisecond, "minimum duration of one repetition")
	label := flag.String("label", "", "suffix for the implementation name (e.g. -purego)")
	flag.Parse()
	tensor.SetThreads(*threads)
	enc := json.NewEncoder(os.Stdout)
	for _, shape := range strings.Split(*shapes, ",") {
		m, k, n, tA, tB, err := parseShape(shape)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gemm:", err)
			os.Exit(2)
		}
		r := rand.New(rand.NewPCG(1, 2))
		a, b, c := fill(r, m*k), fill(r, k*n), make([]float32, m*n)
		for _, impl := range strings.Split(*impls, ",") {
			var f func()
			// A stored (M, K), or (K, M) when transposed; B (K, N) or (N, K).
			lda, ldb := k, n
			ta, tb := tensor.NoTrans, tensor.NoTrans
			ga := blas32.General{Rows: m, Cols: k, Stride: k, Data: a}
			gb := blas32.General{Rows: k, Cols: n, Stride: n, Data: b}
			oa, ob := blas.NoTrans, blas.NoTrans
			if tA {
				lda, ta, oa = m, tensor.Trans, blas.Trans
				ga = blas32.General{Rows: k, Cols: m, Stride: m, Data: a}
			}
			if tB {
				ldb, tb, ob = k, tensor.Trans, blas.Trans
				gb = blas32.General{Rows: n, Cols: k, Stride: k, Data: b}
			}
			switch impl {
			case "rakam":
				f = func() { tensor.Gemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n) }
			case "gonum":
				gc := blas32.General{Rows: m, Cols: n, Stride: n, Data: c}
				f = func() { blas32.Gemm(oa, ob, 1, ga, gb, 0, gc) }
			default:
				fmt.Fprintf(os.Stderr, "gemm: unknown implementation %q\n", impl)
				os.Exit(2)
			}
			f() // warm-up: packing buffers, worker pool, page faults
			res := result{Impl: impl + *label, Shape: shape, Threads: *threads}
			if impl == "gonum" {
				res.Threads = runtime.GOMAXPROCS(0)
			}
			flops := 2 * float64(m) * float64(n) * float64(k)
			for range *reps {
				calls := 0
				start := time.Now()
				for calls == 0 || time.Since(start) < *minTime {
					f()
					calls++
				}
				res.Reps = append(res.Reps, flops*float64(calls)/time.Since(start).Seconds()/1e9)
			}
			s := slices.Clone(res.Reps)
			slices.Sort(s)
			res.Median = s[len(s)/2]
			if err := enc.Encode(res); err != nil {
				os.Exit(1)
			}
		}
	}
}

// parseShape reads "MxKxN", the NumPy way of naming (M×K)·(K×N), with an
// optional ":TN", ":NT" or ":TT" saying which operand is stored transposed
// (A as K×M, B as N×K; ":NN" is the default).
func parseShape(s string) (m, k, n int, tA, tB bool, err error) {
	dims, trans, ok := strings.Cut(s, ":")
	if ok {
		switch trans {
		case "NN":
		case "TN":
			tA = true
		case "NT":
			tB = true
		case "TT":
			tA, tB = true, true
		default:
			return 0, 0, 0, false, false, fmt.Errorf("shape %q: want :NN, :TN, :NT or :TT after the dimensions", s)
		}
	}
	parts := strings.Split(dims, "x")
	if len(parts) != 3 {
		return 0, 0, 0, false, false, fmt.Errorf("shape %q: want MxKxN", s)
	}
	var d [3]int
	for i, p := range parts {
		if d[i], err = strconv.Atoi(p); err != nil || d[i] < 1 {
			return 0, 0, 0, false, false, fmt.Errorf("shape %q: bad dimension %q", s, p)
		}
	}
	return d[0], d[1], d[2], tA, tB, nil
}

func fill(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32() - 0.5
	}
	return s
}
