package gemm

// The sparse-A path. A network's first layer multiplies the input images by
// its weights, and MNIST images are four-fifths zeros; its weight gradient
// multiplies the same images (transposed) by the output gradient. Both are
// products whose op(A) is mostly zeros and whose B is read as stored. For
// those Sgemm lists the non-zero entries of each row of op(A) and
// accumulates only their terms, a row of C at a time in vector registers,
// instead of running the dense kernels over every zero.
//
// The result is bit for bit the dense kernel's: each element of C starts
// from +0 within each k block of the dense blocking (kcFor), takes the
// non-zero terms in increasing k with the same multiply-add as the dense
// kernel (fused on the assembly kernels, separate on the Go one), and is
// stored with the same alpha/beta update. A skipped term is a·b with
// a = ±0, which would have added ±0 to an accumulator that is never -0, so
// it changes nothing, unless b is ±Inf or NaN: there the dense path gives
// NaN and this path leaves the term out, as reference BLAS does when it
// skips zero operands. The choice of path therefore depends only on the
// data, never on threads or timing.

// sparseMinN is the narrowest C worth the sparse path: each listed term
// costs a pass over a row of B whatever its width, and below about 48
// columns the dense kernels' tiles are as cheap.
const sparseMinN = 48

// sparseSample is how many leading values of the stored A (whole rows) the
// density test reads, and sparseMaxDensity the share of them that may be
// non-zero for the sparse path to run.
const (
	sparseSample     = 2048
	sparseMaxDensity = 0.5
)

// sparseStrip is how many rows of op(A) a transposed-A task lists at once
// (its scratch holds sparseStrip·k terms).
const sparseStrip = 64

// sparseOff switches the sparse path off (a test hook).
var sparseOff = false

// sparseRowFunc is a kernel's sparse row update. With acc[j] = Σ_t
// vals[t]·b[ps[t]·ldb + j] in order of t, from +0, with the multiply-add of
// the kernel it belongs to, it sets c[j] = alpha·acc[j] (beta == 0, c
// unread) or the kernel's beta update, for j < len(c). s is scratch of at
// least len(c) floats.
type sparseRowFunc func(vals []float32, ps []int32, b []float32, ldb int, c []float32, alpha, beta float32, s []float32)

// useSparse reports whether Sgemm should take the sparse path: B read as
// stored, C wide enough, op(A) at most half non-zero in a sample of its
// leading stored rows, and offsets that fit the kernels' int32 indices.
func useSparse(kern *kernel, transA, transB bool, m, n, k int, a []float32, lda, ldb int) bool {
	if sparseOff || kern.sparse == nil || transB || n < sparseMinN || k > 1<<24 || k*ldb >= 1<<31 {
		return false
	}
	rows, cols := m, k // stored A
	if transA {
		rows, cols = k, m
	}
	if transA && sparseStrip*k > 1<<22 {
		return false
	}
	take := min(rows, max(1, sparseSample/cols))
	nz := 0
	for i := 0; i < take; i++ {
		for _, v := range a[i*lda : i*lda+cols] {
			if v != 0 {
				nz++
			}
		}
	}
	return float64(nz) <= sparseMaxDensity*float64(take*cols)
}

// sparseBlock computes rows [m0, m1) of C on the sparse path.
func (j *job) sparseBlock(s *scratch, m0, m1 int) {
	k := j.k
	if !j.transA {
		s.ensureSparse(k, j.n)
		for i := m0; i < m1; i++ {
			nz := scanRow(j.a[i*j.lda:i*j.lda+k], 0, s.sv, s.sp)
			j.sparseRow(s, s.sv[:nz], s.sp[:nz], i)
		}
		return
	}
	// op(A) row i is column i of A: list a strip of columns at once, row
	// by row of A, into one bucket of k terms per column.
	s.ensureSparse(sparseStrip*k+sparseStrip, j.n)
	for i0 := m0; i0 < m1; i0 += sparseStrip {
		w := min(sparseStrip, m1-i0)
		cnt := s.cnt[:w]
		clear(cnt)
		tv, tp := s.sv[sparseStrip*k:], s.sp[sparseStrip*k:]
		for p := 0; p < k; p++ {
			nz := scanRow(j.a[p*j.lda+i0:p*j.lda+i0+w], 0, tv, tp)
			for t, ii := range tp[:nz] {
				q := int(ii)*k + int(cnt[ii])
				s.sv[q], s.sp[q] = tv[t], int32(p)
				cnt[ii]++
			}
		}
		for ii := 0; ii < w; ii++ {
			lo := ii * k
			hi := lo + int(cnt[ii])
			j.sparseRow(s, s.sv[lo:hi], s.sp[lo:hi], i0+ii)
		}
	}
}

// sparseRow sets row i of C from the listed terms of op(A)'s row i, one
// k block of the dense blocking at a time so that each element takes the
// dense kernel's sequence of roundings.
func (j *job) sparseRow(s *scratch, vals []float32, ps []int32, i int) {
	c := j.c[i*j.ldc : i*j.ldc+j.n]
	t := 0
	for pc := 0; pc < j.k; pc += j.kc {
		e := t
		for e < len(ps) && int(ps[e]) < pc+j.kc {
			e++
		}
		beta := j.beta
		if pc > 0 {
			beta = 1
		}
		j.kern.sparse(vals[t:e], ps[t:e], j.b, j.ldb, c, j.alpha, beta, s.acc)
		t = e
	}
}

// scanRowGo is scanRow in Go: it writes the non-zero values of row (NaN
// included, ±0 not) to vals and their indices plus p0 to ps, in order, and
// returns how many.
func scanRowGo(row []float32, p0 int32, vals []float32, ps []int32) int {
	n := 0
	for i, v := range row {
		if v != 0 {
			vals[n], ps[n] = v, p0+int32(i)
			n++
		}
	}
	return n
}

// sparseRowGo is the Go kernel's sparse row update: the same separate
// multiply and add per term as kernelGo2x3, and its update3 store.
func sparseRowGo(vals []float32, ps []int32, b []float32, ldb int, c []float32, alpha, beta float32, s []float32) {
	acc := s[:len(c)]
	clear(acc)
	for t, v := range vals {
		row := b[int(ps[t])*ldb:]
		row = row[:len(acc)]
		for jj := range acc {
			acc[jj] += v * row[jj]
		}
	}
	if beta == 0 {
		for jj, x := range acc {
			c[jj] = alpha * x
		}
		return
	}
	for jj, x := range acc {
		c[jj] = alpha*x + beta*c[jj]
	}
}

func (s *scratch) ensureSparse(terms, n int) {
	if cap(s.sv) < terms {
		s.sv = make([]float32, terms)
		s.sp = make([]int32, terms)
	}
	if cap(s.cnt) < sparseStrip {
		s.cnt = make([]int32, sparseStrip)
	}
	if cap(s.acc) < n {
		s.acc = make([]float32, n)
	}
	s.sv, s.sp, s.acc = s.sv[:cap(s.sv)], s.sp[:cap(s.sp)], s.acc[:cap(s.acc)]
}
