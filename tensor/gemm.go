package tensor

import "fmt"

// Transpose says whether a Gemm operand is used as stored or transposed.
type Transpose bool

const (
	NoTrans Transpose = false
	Trans   Transpose = true
)

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ. C is m×n, op(A) is m×k and op(B) is k×n. lda, ldb and ldc
// are the row strides of A, B and C as stored. When beta is 0, C is not read,
// so it may hold NaN or garbage.
//
// This is the one entry point (with GemmThreads) every matrix product in
// rakam goes through; the kernels behind it are chosen once from the CPU's
// features. A large product runs on Threads() threads.
func Gemm(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	GemmThreads(0, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmThreads is Gemm with a thread budget: the product runs on at most
// threads goroutines, the caller's included (threads < 1: Threads()). A
// model trained beside others passes 1 so each keeps to its core, without
// changing the process-wide default. The bits do not depend on threads.
func GemmThreads(threads int, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	gemm(threads, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func checkGemm(tA, tB Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkSizes("Gemm", m, n, k)
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	checkMatrix("Gemm", "a", a, ar, ac, lda)
	checkMatrix("Gemm", "b", b, br, bc, ldb)
	checkMatrix("Gemm", "c", c, m, n, ldc)
}

// checkAC checks A (m×k) and C (m×n) of a product whose B is not stored.
func checkAC(fn string, m, n, k int, a []float32, lda int, c []float32, ldc int) {
	checkSizes(fn, m, n, k)
	checkMatrix(fn, "a", a, m, k, lda)
	checkMatrix(fn, "c", c, m, n, ldc)
}

func checkSizes(fn string, m, n, k int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("tensor: %s: negative size m=%d n=%d k=%d", fn, m, n, k))
	}
}

// checkMatrix panics unless s holds a rows×cols matrix with row stride ld.
func checkMatrix(fn, name string, s []float32, rows, cols, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("tensor: %s: ld%s=%d < %d columns", fn, name, ld, cols))
	}
	if len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("tensor: %s: %s has %d values; a %dx%d matrix with stride %d needs %d", fn, name, len(s), rows, cols, ld, (rows-1)*ld+cols))
	}
}

// MatMul sets dst = op(a)·op(b) for 2-D tensors (or tensors viewed as
// Rows×Cols), resizing dst with EnsureShape. It returns dst.
func MatMul(dst *Tensor, a *Tensor, tA Transpose, b *Tensor, tB Transpose) *Tensor {
	m, k := a.Rows(), a.Cols()
	if tA {
		m, k = k, m
	}
	kb, n := b.Rows(), b.Cols()
	if tB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("tensor: MatMul: inner dimensions differ: %v (trans=%v) and %v (trans=%v)", a.Shape, tA, b.Shape, tB))
	}
	dst = EnsureShape(dst, m, n)
	Gemm(tA, tB, m, n, k, 1, a.Data, a.Cols(), b.Data, b.Cols(), 0, dst.Data, n)
	return dst
}
