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
		if gatherFast(panel, x, (r0+q*w)*ld+p0, ld, kc, w, rows) {
			continue
		}
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
// (r, p) is x[p*ld+r]: each depth is a contiguous run that is cut into the
// panels. Depth is the outer loop so the source is read in order, one row
// after another (walking a column of panels instead touches a new page on
// every step when ld is large).
func packCopy(dst []float32, x []float32, ld, r0, nr, p0, kc, w int) {
	full := nr / w
	asm := packAVX2 && full > 0 && kc > 0 && copyPackable(w)
	if asm {
		// The assembly reads up to the last full run of the last row and
		// writes up to the end of the last full panel: check both here.
		_ = x[(p0+kc-1)*ld+r0+full*w-1]
		_ = dst[full*kc*w-1]
		copyPackAVX2(w, &dst[0], &x[p0*ld+r0], 4*ld, kc, full, 4*kc*w)
	}
	rest := nr - full*w
	if asm && rest == 0 {
		return
	}
	for p := 0; p < kc; p++ {
		src := x[(p0+p)*ld+r0 : (p0+p)*ld+r0+nr]
		if !asm && !copyPanels(dst[p*w:], src, full, kc*w, w) {
			for q := 0; q < full; q++ {
				copy(dst[q*kc*w+p*w:q*kc*w+p*w+w], src[q*w:q*w+w])
			}
		}
		if rest > 0 {
			d := dst[full*kc*w+p*w : full*kc*w+p*w+w]
			copy(d, src[full*w:])
			clear(d[rest:])
		}
	}
}

// copyPackable reports whether copyPackAVX2 takes panels of width w.
func copyPackable(w int) bool { return w == 16 || w == 6 || w == 24 }

// copyPackAVX2 is the AVX2 copying pack of width w (copyPackable).
func copyPackAVX2(w int, dst, src *float32, ld, kc, full, panel int) {
	switch w {
	case 16:
		copyPack16AVX2(dst, src, ld, kc, full, panel)
	case 24:
		copyPack24AVX2(dst, src, ld, kc, full, panel)
	default:
		copyPack6AVX2(dst, src, ld, kc, full, panel)
	}
}

// gatherFast packs one panel of width w with rows ≤ w source rows for
// packGather, zero-padding the missing rows, or reports false for the
// generic loop. With AVX2, for every kernel's width (a multiple of 8, or 4,
// 6 or 14 = 8k+6), it transposes 8×8 blocks of up to 8 source rows in
// registers (transposePackAVX2; 4-wide panels 4×8 blocks,
// transposePack4AVX2) and finishes the last kc mod 8 depths in Go.
// Without, full 6- and 16-wide panels read their source rows side by side
// so the panel is written in order.
func gatherFast(panel, x []float32, off, ld, kc, w, rows int) bool {
	asm := packAVX2 && (w%8 == 0 || w%8 == 6 || w == 4)
	if !asm && (rows < w || w != 6 && w != 16) {
		return false
	}
	// Slicing the source first checks the bounds the assembly relies on.
	_ = x[off : off+(rows-1)*ld+kc]
	p0 := 0
	switch {
	case asm && kc >= 8 && w == 4:
		// The 4×8 transpose stores exactly each depth's 4 values: no spill.
		transposePack4AVX2(&panel[0], &x[off], 4*ld, 4*w, rows, kc/8)
		p0 = kc / 8 * 8
	case asm && kc >= 8:
		blocks := kc / 8
		// In a 6- or 14-wide panel the last group's 8-float stores spill
		// 8 - w mod 8 floats (zeros) into the next depth's slot. Groups run
		// last first, so the groups below overwrite every spill but the
		// last one's, which needs that room inside panel's backing array.
		if spill := (8 - w%8) % 8; spill > 0 && cap(panel) < blocks*8*w+spill {
			blocks--
		}
		for h := (w - 1) / 8 * 8; h >= 0 && blocks > 0; h -= 8 {
			n := min(max(rows-h, 0), 8)
			src := &x[off] // never read when n == 0
			if n > 0 {
				src = &x[off+h*ld]
			}
			transposePackAVX2(&panel[h], src, 4*ld, 4*w, n, blocks)
		}
		p0 = blocks * 8
	}
	if rows < w || w != 6 && w != 16 {
		for p := p0; p < kc; p++ {
			d := panel[p*w : p*w+w]
			for r := 0; r < rows; r++ {
				d[r] = x[off+r*ld+p]
			}
			clear(d[rows:])
		}
		return true
	}
	switch w {
	case 6:
		r0 := x[off : off+kc]
		r1 := x[off+ld : off+ld+kc][:len(r0)]
		r2 := x[off+2*ld : off+2*ld+kc][:len(r0)]
		r3 := x[off+3*ld : off+3*ld+kc][:len(r0)]
		r4 := x[off+4*ld : off+4*ld+kc][:len(r0)]
		r5 := x[off+5*ld : off+5*ld+kc][:len(r0)]
		for p := p0; p < len(r0); p++ {
			d := (*[6]float32)(panel[p*6:])
			d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
		}
	case 16:
		// Eight rows at a time keep the live slices in registers.
		for h := 0; h < 16; h += 8 {
			o := off + h*ld
			r0 := x[o : o+kc]
			r1 := x[o+ld : o+ld+kc][:len(r0)]
			r2 := x[o+2*ld : o+2*ld+kc][:len(r0)]
			r3 := x[o+3*ld : o+3*ld+kc][:len(r0)]
			r4 := x[o+4*ld : o+4*ld+kc][:len(r0)]
			r5 := x[o+5*ld : o+5*ld+kc][:len(r0)]
			r6 := x[o+6*ld : o+6*ld+kc][:len(r0)]
			r7 := x[o+7*ld : o+7*ld+kc][:len(r0)]
			for p := p0; p < len(r0); p++ {
				d := (*[8]float32)(panel[p*16+h:])
				d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
				d[4], d[5], d[6], d[7] = r4[p], r5[p], r6[p], r7[p]
			}
		}
	}
	return true
}

// copyPanels copies n runs of w values from src into dst at stride
// panel, for w ∈ {2, 4, 6, 8, 12, 14, 16, 24, 32, 48} (every kernel's), with fixed-size array copies (no
// memmove call per run); it reports false for other widths.
func copyPanels(dst, src []float32, n, panel, w int) bool {
	switch w {
	case 2:
		for q := 0; q < n; q++ {
			v := *(*[2]float32)(src[q*2:])
			*(*[2]float32)(dst[q*panel:]) = v
		}
	case 4:
		for q := 0; q < n; q++ {
			v := *(*[4]float32)(src[q*4:])
			*(*[4]float32)(dst[q*panel:]) = v
		}
	case 6:
		for q := 0; q < n; q++ {
			v := *(*[6]float32)(src[q*6:])
			*(*[6]float32)(dst[q*panel:]) = v
		}
	case 8:
		for q := 0; q < n; q++ {
			v := *(*[8]float32)(src[q*8:])
			*(*[8]float32)(dst[q*panel:]) = v
		}
	case 12:
		for q := 0; q < n; q++ {
			v := *(*[12]float32)(src[q*12:])
			*(*[12]float32)(dst[q*panel:]) = v
		}
	case 14:
		for q := 0; q < n; q++ {
			v := *(*[14]float32)(src[q*14:])
			*(*[14]float32)(dst[q*panel:]) = v
		}
	case 16:
		for q := 0; q < n; q++ {
			v := *(*[16]float32)(src[q*16:])
			*(*[16]float32)(dst[q*panel:]) = v
		}
	case 24:
		for q := 0; q < n; q++ {
			v := *(*[24]float32)(src[q*24:])
			*(*[24]float32)(dst[q*panel:]) = v
		}
	case 32:
		for q := 0; q < n; q++ {
			v := *(*[32]float32)(src[q*32:])
			*(*[32]float32)(dst[q*panel:]) = v
		}
	case 48:
		for q := 0; q < n; q++ {
			v := *(*[48]float32)(src[q*48:])
			*(*[48]float32)(dst[q*panel:]) = v
		}
	default:
		return false
	}
	return true
}
