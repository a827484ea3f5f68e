package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sparseSlice returns n values of which about density are non-zero
// (uniform in [-1, 1)); the zeros are +0 and -0 alike.
func sparseSlice(r *rand.Rand, n int, density float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		switch {
		case r.Float64() < density:
			s[i] = r.Float32()*2 - 1
		case r.IntN(2) == 0:
			s[i] = float32(math.Copysign(0, -1))
		}
	}
	return s
}

// sgemmPath runs Sgemm with the sparse path allowed or not and reports
// whether it was taken.
func sgemmPath(sparse, tA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	old := sparseOff
	sparseOff = !sparse
	defer func() { sparseOff = old }()
	Sgemm(tA, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	return useSparse(active, tA, false, m, n, k, a, lda, ldb)
}

// TestSparseMatchesDense checks that the sparse-A path gives C bit for bit
// as the dense kernels do, on every kernel, for A as stored and
// transposed, widths that exercise each column chunk (64, 32, 16, 8, 1),
// depths across several k blocks, padded strides, alpha and beta, NaN and
// ±Inf in A, rows with no non-zero at all, and 1 or 2 threads.
func TestSparseMatchesDense(t *testing.T) {
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			r := rand.New(rand.NewPCG(21, 22))
			shapes := [][3]int{{1, 48, 1}, {5, 57, 7}, {64, 128, 784}, {130, 64, 196}, {3, 249, 1100}, {70, 100, 33}, {17, 128, 2100}}
			for _, sh := range shapes {
				m, n, k := sh[0], sh[1], sh[2]
				for _, tA := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {0.75, 1}, {-1.5, 0.5}} {
						for _, th := range []int{1, 2} {
							withThreads(t, th)
							name := fmt.Sprintf("%dx%dx%d tA=%v alpha=%v beta=%v threads=%d", m, n, k, tA, ab[0], ab[1], th)
							rows, cols := m, k
							if tA {
								rows, cols = k, m
							}
							lda, ldb, ldc := cols+3, n+5, n+2
							a := sparseSlice(r, rows*lda, 0.2)
							if rows > 2 && cols > 2 {
								a[lda+1] = float32(math.NaN())
								a[2*lda] = float32(math.Inf(-1))
								a[lda+2] = 1e-40 // subnormal, non-zero
							}
							if tA {
								for p := 0; p < k; p++ { // op(A) row m-1 is all zeros
									a[p*lda+m-1] = 0
								}
							} else {
								clear(a[(m-1)*lda : (m-1)*lda+k])
							}
							b := randSlice(r, k*ldb)
							c0 := randSlice(r, m*ldc)
							want := append([]float32(nil), c0...)
							got := append([]float32(nil), c0...)
							if sgemmPath(false, tA, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc) {
								t.Fatalf("%s: dense run took the sparse path", name)
							}
							if !sgemmPath(true, tA, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc) {
								t.Fatalf("%s: density 0.2 did not take the sparse path", name)
							}
							for i := range got {
								if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
									t.Fatalf("%s: C[%d] = %v (%#x) sparse, %v (%#x) dense", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestSparseSkipsZeroTimesInf pins the one documented difference from the
// dense path: a zero in A times ±Inf or NaN in B adds nothing.
func TestSparseSkipsZeroTimesInf(t *testing.T) {
	const m, n, k = 4, 64, 40
	r := rand.New(rand.NewPCG(23, 24))
	a := sparseSlice(r, m*k, 0.2)
	a[0*k+5] = 0
	b := randSlice(r, k*n)
	b[5*n+3] = float32(math.Inf(1))
	b[5*n+9] = float32(math.NaN())
	for _, kern := range kernels() {
		withKernel(t, kern)
		c := make([]float32, m*n)
		if !sgemmPath(true, false, m, n, k, 1, a, k, b, n, 0, c, n) {
			t.Fatal("sparse path not taken")
		}
		want := make([]float32, m*n)
		refGemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
		if math.IsNaN(float64(c[3])) || math.IsNaN(float64(c[9])) || math.Abs(float64(c[3]-want[3])) > 1e-5 {
			t.Errorf("%s: row 0 with a zero against Inf/NaN: C[0][3] = %v, C[0][9] = %v; want finite (%v)", kern.name, c[3], c[9], want[3])
		}
	}
}

// TestUseSparse checks the path choice: dense operands, transposed B and
// narrow C stay dense; a mostly-zero A goes sparse.
func TestUseSparse(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	dense, sparse := randSlice(r, 128*784), sparseSlice(r, 128*784, 0.19)
	kern := &goKernel
	cases := []struct {
		name     string
		a        []float32
		tA, tB   bool
		m, n, k  int
		lda, ldb int
		want     bool
	}{
		{"images·W", sparse, false, false, 128, 128, 784, 784, 128, true},
		{"imagesᵀ·dY", sparse, true, false, 784, 128, 128, 784, 128, true},
		{"dense A", dense, false, false, 128, 128, 784, 784, 128, false},
		{"B transposed", sparse, false, true, 128, 128, 784, 784, 784, false},
		{"C too narrow", sparse, false, false, 128, 10, 784, 784, 10, false},
	}
	for _, c := range cases {
		if got := useSparse(kern, c.tA, c.tB, c.m, c.n, c.k, c.a, c.lda, c.ldb); got != c.want {
			t.Errorf("%s: useSparse = %v; want %v", c.name, got, c.want)
		}
	}
}

// TestScanRow checks the AVX2 scan against the Go loop: NaN counts as
// non-zero, ±0 does not, subnormals do, every length to 40, index offsets.
func TestScanRow(t *testing.T) {
	if !scanAVX2 {
		t.Skip("no AVX2 scan on this build")
	}
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), 1e-45, -3}
	r := rand.New(rand.NewPCG(27, 28))
	for n := 0; n <= 40; n++ {
		for rep := 0; rep < 20; rep++ {
			row := make([]float32, n)
			for i := range row {
				if r.IntN(2) == 0 {
					row[i] = specials[r.IntN(len(specials))]
				}
			}
			p0 := int32(r.IntN(1000))
			wv, wp := make([]float32, n), make([]int32, n)
			gv, gp := make([]float32, n), make([]int32, n)
			nw := scanRowGo(row, p0, wv, wp)
			ng := scanRow(row, p0, gv, gp)
			if ng != nw {
				t.Fatalf("len %d: scanRow found %d non-zeros, Go loop %d (row %v)", n, ng, nw, row)
			}
			for i := 0; i < nw; i++ {
				if math.Float32bits(gv[i]) != math.Float32bits(wv[i]) || gp[i] != wp[i] {
					t.Fatalf("len %d: term %d = (%v, %d); Go loop (%v, %d)", n, i, gv[i], gp[i], wv[i], wp[i])
				}
			}
		}
	}
	// The Go loop itself, against a hand count.
	row := []float32{0, 2, float32(math.Copysign(0, -1)), float32(math.NaN()), 0, 1e-45}
	v, p := make([]float32, 6), make([]int32, 6)
	if n := scanRowGo(row, 10, v, p); n != 3 || p[0] != 11 || p[1] != 13 || p[2] != 15 || v[0] != 2 {
		t.Errorf("scanRowGo = %d terms %v at %v; want 3 at [11 13 15]", n, v[:n], p[:n])
	}
}

// TestSparseNoAllocs checks that a warm sparse-path Sgemm allocates nothing.
func TestSparseNoAllocs(t *testing.T) {
	const m, n, k = 64, 128, 784
	r := rand.New(rand.NewPCG(29, 30))
	a, b, c := sparseSlice(r, m*k, 0.2), randSlice(r, k*n), make([]float32, m*n)
	dy, dw := randSlice(r, m*n), make([]float32, k*n)
	for _, th := range []int{1, 2} {
		withThreads(t, th)
		f := func() {
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			Sgemm(true, false, k, n, m, 1, a, k, dy, n, 0, dw, n)
		}
		f()
		if got := testing.AllocsPerRun(10, f); got != 0 {
			t.Errorf("threads=%d: sparse Sgemm allocates %v times per call; want 0", th, got)
		}
	}
}
