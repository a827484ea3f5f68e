package gemm

// The two packing primitives fill micro-panels of width w (MR for A, NR for
// B) and depth kc: panel q holds rows q·w .. q·w+w-1 of the operand, stored
// p-major (dst[q·kc·w + p·w + r]), zero-padded past the last row so the
// micro-kernel never needs an edge case.
//
// For A (m×k) the "rows" are the rows of op(A); for B (k×n) they are the
// columns of op(B). Which primitive applies depends on which way the operand
// is stored:
//
//	A NoTrans, B Trans:  element (r, p) at x[r·ld + p]  → packGather
//	A Trans,   B NoTrans: element (r, p) at x[p·ld + r] → packCopy

// packGather packs rows r0..r0+nr-1, depths p0..p0+kc-1 of x where element
// (r, p) is x[r*ld+p]: each source row is contiguous and is scattered with
// stride w into the panel.
func packGather(dst []float32, x []float32, ld, r0, nr, p0, kc, w int) {
	for q := 0; q*w < nr; q++ {
		panel := dst[q*kc*w : (q+1)*kc*w]
		rows := min(w, nr-q*w)
		for r := 0; r < rows; r++ {
			off := (r0+q*w+r)*ld + p0
			src := x[off : off+kc]
			d := panel[r:]
			for p, v := range src {
				d[p*w] = v
			}
		}
		for r := rows; r < w; r++ {
			for p := 0; p < kc; p++ {
				panel[p*w+r] = 0
			}
		}
	}
}

// packCopy packs rows r0..r0+nr-1, depths p0..p0+kc-1 of x where element
// (r, p) is x[p*ld+r]: each depth is a contiguous run of w values.
func packCopy(dst []float32, x []float32, ld, r0, nr, p0, kc, w int) {
	for q := 0; q*w < nr; q++ {
		panel := dst[q*kc*w : (q+1)*kc*w]
		rows := min(w, nr-q*w)
		for p := 0; p < kc; p++ {
			off := (p0+p)*ld + r0 + q*w
			d := panel[p*w : p*w+w]
			copy(d, x[off:off+rows])
			clear(d[rows:])
		}
	}
}
