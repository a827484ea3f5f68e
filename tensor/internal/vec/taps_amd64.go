//go:build amd64 && !purego

package vec

// The tap kernels by shape: tapShapes in tensor/_asm/vec/taps.go emits one
// per (rows, taps per row) listed here. Direct calls (no table of function
// values) keep the slices from escaping.

// dotTapsAVX2 runs the dotTaps kernel of r rows of t taps and reports
// whether there is one.
func dotTapsAVX2(r, t int, g, x []float32, rows []int, out []float32) bool {
	switch r<<4 | t {
	case 1<<4 | 1:
		dotTaps1x1AVX2(g, x, rows, out)
	case 1<<4 | 2:
		dotTaps1x2AVX2(g, x, rows, out)
	case 1<<4 | 3:
		dotTaps1x3AVX2(g, x, rows, out)
	case 1<<4 | 4:
		dotTaps1x4AVX2(g, x, rows, out)
	case 1<<4 | 5:
		dotTaps1x5AVX2(g, x, rows, out)
	case 1<<4 | 6:
		dotTaps1x6AVX2(g, x, rows, out)
	case 1<<4 | 7:
		dotTaps1x7AVX2(g, x, rows, out)
	case 1<<4 | 8:
		dotTaps1x8AVX2(g, x, rows, out)
	case 2<<4 | 1:
		dotTaps2x1AVX2(g, x, rows, out)
	case 2<<4 | 2:
		dotTaps2x2AVX2(g, x, rows, out)
	case 2<<4 | 3:
		dotTaps2x3AVX2(g, x, rows, out)
	case 2<<4 | 4:
		dotTaps2x4AVX2(g, x, rows, out)
	case 2<<4 | 5:
		dotTaps2x5AVX2(g, x, rows, out)
	case 2<<4 | 6:
		dotTaps2x6AVX2(g, x, rows, out)
	case 3<<4 | 1:
		dotTaps3x1AVX2(g, x, rows, out)
	case 3<<4 | 2:
		dotTaps3x2AVX2(g, x, rows, out)
	case 3<<4 | 3:
		dotTaps3x3AVX2(g, x, rows, out)
	case 3<<4 | 4:
		dotTaps3x4AVX2(g, x, rows, out)
	default:
		return false
	}
	return true
}

// mulAddTapsAVX2 runs the mulAddTaps kernel of r rows of t taps and
// reports whether there is one.
func mulAddTapsAVX2(r, t int, y, x []float32, rows []int, w []float32) bool {
	switch r<<4 | t {
	case 1<<4 | 1:
		mulAddTaps1x1AVX2(y, x, rows, w)
	case 1<<4 | 2:
		mulAddTaps1x2AVX2(y, x, rows, w)
	case 1<<4 | 3:
		mulAddTaps1x3AVX2(y, x, rows, w)
	case 1<<4 | 4:
		mulAddTaps1x4AVX2(y, x, rows, w)
	case 1<<4 | 5:
		mulAddTaps1x5AVX2(y, x, rows, w)
	case 1<<4 | 6:
		mulAddTaps1x6AVX2(y, x, rows, w)
	case 1<<4 | 7:
		mulAddTaps1x7AVX2(y, x, rows, w)
	case 1<<4 | 8:
		mulAddTaps1x8AVX2(y, x, rows, w)
	case 2<<4 | 1:
		mulAddTaps2x1AVX2(y, x, rows, w)
	case 2<<4 | 2:
		mulAddTaps2x2AVX2(y, x, rows, w)
	case 2<<4 | 3:
		mulAddTaps2x3AVX2(y, x, rows, w)
	case 2<<4 | 4:
		mulAddTaps2x4AVX2(y, x, rows, w)
	case 2<<4 | 5:
		mulAddTaps2x5AVX2(y, x, rows, w)
	case 2<<4 | 6:
		mulAddTaps2x6AVX2(y, x, rows, w)
	case 3<<4 | 1:
		mulAddTaps3x1AVX2(y, x, rows, w)
	case 3<<4 | 2:
		mulAddTaps3x2AVX2(y, x, rows, w)
	case 3<<4 | 3:
		mulAddTaps3x3AVX2(y, x, rows, w)
	case 3<<4 | 4:
		mulAddTaps3x4AVX2(y, x, rows, w)
	default:
		return false
	}
	return true
}
