package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGoKernel checks the Go micro-kernel alone for every depth from 1 to
// past two whole unrolled iterations, so both the unrolled loop and the
// remainder loop run with every remainder. Operands are multiples of 2⁻⁴
// between -½ and ½, so every product and partial sum is exact in float32
// and the result must equal the float64 reference exactly. C has row stride
// ldc > NR with guard values between the rows that must stay untouched, and
// with beta == 0 it is full of NaN, which must not be read.
func TestGoKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	mr, nr := goKernel.mr, goKernel.nr
	const ldc = 7
	small := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.IntN(17)-8) / 16
		}
		return s
	}
	for kc := 1; kc <= 70; kc++ {
		for _, ab := range [][2]float32{{1, 0}, {0.5, 0}, {1, 1}, {-2, 1.5}} {
			alpha, beta := ab[0], ab[1]
			a, b := small(mr*kc), small(nr*kc)
			c := make([]float32, (mr-1)*ldc+nr+3)
			for i := range c {
				c[i] = guard
			}
			for i := 0; i < mr; i++ {
				for j := 0; j < nr; j++ {
					if beta == 0 {
						c[i*ldc+j] = float32(math.NaN())
					} else {
						c[i*ldc+j] = float32(r.IntN(17)-8) / 16
					}
				}
			}
			want := append([]float32(nil), c...)
			for i := 0; i < mr; i++ {
				for j := 0; j < nr; j++ {
					var s float64
					for p := 0; p < kc; p++ {
						s += float64(a[p*mr+i]) * float64(b[p*nr+j])
					}
					v := float64(alpha) * s
					if beta != 0 {
						v += float64(beta) * float64(want[i*ldc+j])
					}
					want[i*ldc+j] = float32(v)
				}
			}
			goKernel.fn(kc, a, b, c, ldc, alpha, beta)
			for i := range c {
				if c[i] != want[i] {
					t.Fatalf("%s kc=%d alpha=%g beta=%g: c[%d] = %g; want %g", goKernel.name, kc, alpha, beta, i, c[i], want[i])
				}
			}
		}
	}
}
