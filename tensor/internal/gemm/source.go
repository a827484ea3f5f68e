package gemm

// A Source supplies op(B) of a product by packing it, for an operand that
// is never stored whole: a convolution's patch matrix (im2col), packed
// straight from the images a block at a time, so the matrix never leaves
// the cache (tensor.GemmPatches). The product is computed exactly as if
// op(B) were stored and packed by packCopy or packGather: the same panels
// reach the same kernel in the same order, so the bits are those of Sgemm
// on the stored matrix.
type Source interface {
	// PackB fills dst with op(B)'s columns [j0, j0+nc) at depths
	// [p0, p0+kc) as micro-panels of width w (the layout of PackRows), the
	// last panel zero-padded past column j0+nc. tmp is working space of at
	// least TmpSize(nc, kc, w) values, private to the call.
	PackB(dst, tmp []float32, j0, nc, p0, kc, w int)
	// TmpSize is the working space PackB needs for blocks of up to nc
	// columns and kc depths.
	TmpSize(nc, kc, w int) int
}

// SgemmFrom is SgemmThreads with op(B) (k×n) packed by src. transB says
// how src's matrix is laid out as stored (true: the columns of op(B) are
// contiguous, as rows of a transposed B), which only guides how the
// threads split the work; the bits do not depend on it.
func SgemmFrom(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, src Source, beta float32, c []float32, ldc int) {
	sgemmFrom(threads, transA, transB, m, n, k, alpha, a, lda, nil, 0, src, beta, c, ldc, false)
}

// PackRows packs columns [r0, r0+nr) of a k×n matrix x stored row-major
// with stride ld, at depths [p0, p0+kc), into micro-panels of width w:
// panel q holds columns r0+q·w .. r0+q·w+w-1, depth-major
// (dst[q·kc·w + p·w + r]), zero-padded past the last column. It is how
// Sgemm packs a B stored as is; a Source packs blocks it has built with it.
func PackRows(dst, x []float32, ld, r0, nr, p0, kc, w int) { packCopy(dst, x, ld, r0, nr, p0, kc, w) }

// PackCols is PackRows for a matrix stored transposed: element (p, r) of
// op(B) at x[r·ld + p] (how Sgemm packs a transposed B).
func PackCols(dst, x []float32, ld, r0, nr, p0, kc, w int) { packGather(dst, x, ld, r0, nr, p0, kc, w) }

// PackDepth writes one depth p of a block being packed: row holds op(B)'s
// nr columns at that depth, which go to micro-panels of width w and depth
// kc as PackRows lays them out (dst[q·kc·w + p·w + r]), the last panel's
// slots past nr set to zero.
func PackDepth(dst, row []float32, p, kc, w int) {
	nr := len(row)
	full := nr / w
	if packAVX2 && full > 0 && copyPackable(w) {
		// The assembly writes up to the last full panel's slot p: check it.
		_ = dst[(full-1)*kc*w+p*w+w-1]
		copyPackAVX2(w, &dst[p*w], &row[0], 0, 1, full, 4*kc*w)
	} else if !copyPanels(dst[p*w:], row, full, kc*w, w) {
		for q := 0; q < full; q++ {
			copy(dst[q*kc*w+p*w:q*kc*w+p*w+w], row[q*w:q*w+w])
		}
	}
	if rest := nr - full*w; rest > 0 {
		d := dst[full*kc*w+p*w : full*kc*w+p*w+w]
		copy(d, row[full*w:])
		clear(d[rest:])
	}
}
