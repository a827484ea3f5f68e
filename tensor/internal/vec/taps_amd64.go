//go:build amd64 && !purego

package vec

// The tap kernels by shape: tapShapes in tensor/_asm/vec/taps.go emits one
// per (rows, taps per row) listed here. Direct calls (no table of function
// values) keep the slices from escaping.

// dotTapsAVX2 runs the dotTaps kernel of r rows of t taps, if there is
// one (ok), and returns its sum.
func dotTapsAVX2(r, t int, g, x []float32, rows []int, out []float32) (sum float32, ok bool) {
	switch r<<4 | t {
	case 1<<4 | 1:
		return dotTaps1x1AVX2(g, x, rows, out), true
	case 1<<4 | 2:
		return dotTaps1x2AVX2(g, x, rows, out), true
	case 1<<4 | 3:
		return dotTaps1x3AVX2(g, x, rows, out), true
	case 1<<4 | 4:
		return dotTaps1x4AVX2(g, x, rows, out), true
	case 1<<4 | 5:
		return dotTaps1x5AVX2(g, x, rows, out), true
	case 1<<4 | 6:
		return dotTaps1x6AVX2(g, x, rows, out), true
	case 1<<4 | 7:
		return dotTaps1x7AVX2(g, x, rows, out), true
	case 1<<4 | 8:
		return dotTaps1x8AVX2(g, x, rows, out), true
	case 2<<4 | 1:
		return dotTaps2x1AVX2(g, x, rows, out), true
	case 2<<4 | 2:
		return dotTaps2x2AVX2(g, x, rows, out), true
	case 2<<4 | 3:
		return dotTaps2x3AVX2(g, x, rows, out), true
	case 2<<4 | 4:
		return dotTaps2x4AVX2(g, x, rows, out), true
	case 2<<4 | 5:
		return dotTaps2x5AVX2(g, x, rows, out), true
	case 2<<4 | 6:
		return dotTaps2x6AVX2(g, x, rows, out), true
	case 3<<4 | 1:
		return dotTaps3x1AVX2(g, x, rows, out), true
	case 3<<4 | 2:
		return dotTaps3x2AVX2(g, x, rows, out), true
	case 3<<4 | 3:
		return dotTaps3x3AVX2(g, x, rows, out), true
	case 3<<4 | 4:
		return dotTaps3x4AVX2(g, x, rows, out), true
	}
	return 0, false
}

// mulAddTapsAVX2 runs the mulAddTaps kernel of r rows of t taps and
// reports whether there is one.
func mulAddTapsAVX2(r, t int, y, x []float32, rows []int, w []float32, set bool) bool {
	switch r<<4 | t {
	case 1<<4 | 1:
		mulAddTaps1x1AVX2(y, x, rows, w, set)
	case 1<<4 | 2:
		mulAddTaps1x2AVX2(y, x, rows, w, set)
	case 1<<4 | 3:
		mulAddTaps1x3AVX2(y, x, rows, w, set)
	case 1<<4 | 4:
		mulAddTaps1x4AVX2(y, x, rows, w, set)
	case 1<<4 | 5:
		mulAddTaps1x5AVX2(y, x, rows, w, set)
	case 1<<4 | 6:
		mulAddTaps1x6AVX2(y, x, rows, w, set)
	case 1<<4 | 7:
		mulAddTaps1x7AVX2(y, x, rows, w, set)
	case 1<<4 | 8:
		mulAddTaps1x8AVX2(y, x, rows, w, set)
	case 2<<4 | 1:
		mulAddTaps2x1AVX2(y, x, rows, w, set)
	case 2<<4 | 2:
		mulAddTaps2x2AVX2(y, x, rows, w, set)
	case 2<<4 | 3:
		mulAddTaps2x3AVX2(y, x, rows, w, set)
	case 2<<4 | 4:
		mulAddTaps2x4AVX2(y, x, rows, w, set)
	case 2<<4 | 5:
		mulAddTaps2x5AVX2(y, x, rows, w, set)
	case 2<<4 | 6:
		mulAddTaps2x6AVX2(y, x, rows, w, set)
	case 3<<4 | 1:
		mulAddTaps3x1AVX2(y, x, rows, w, set)
	case 3<<4 | 2:
		mulAddTaps3x2AVX2(y, x, rows, w, set)
	case 3<<4 | 3:
		mulAddTaps3x3AVX2(y, x, rows, w, set)
	case 3<<4 | 4:
		mulAddTaps3x4AVX2(y, x, rows, w, set)
	default:
		return false
	}
	return true
}
