//go:build !amd64 || purego

package vec

// useAVX2 is always false here; the functions below only satisfy the
// compiler and are never called.
var useAVX2 = false

func axpyAVX2(alpha float32, x, y []float32)   { axpyGo(alpha, x, y) }
func scaleAVX2(alpha float32, x []float32)     { scaleGo(alpha, x) }
func mulAddAVX2(alpha float32, x, y []float32) { mulAddGo(alpha, x, y) }
func reluAVX2(y, x []float32)                  { reluGo(y, x) }
func addReLUAVX2(x, b []float32)               { addReLUGo(x, b) }
func reluBackwardAVX2(dx, dy, y []float32)     { reluBackwardGo(dx, dy, y) }
func adamAVX2(p, g, m, v []float32, l2, c1, c2, alpha, eps float32) {
	adamGo(p, g, m, v, l2, c1, c2, alpha, eps)
}

func bytesToFloatAVX2(dst []float32, src []uint8, div float32) { bytesToFloatGo(dst, src, div) }

func bnNormalizeAVX2(x, xh, y []float32, mean, k, g, b float32) {
	bnNormalizeGo(x, xh, y, mean, k, g, b)
}
func bnNormalizeYAVX2(x, y []float32, mean, k, g, b float32) {
	bnNormalizeYGo(x, y, mean, k, g, b)
}
func bnBackwardAVX2(dx, dy, xh []float32, k, mdb, mdg float32) { bnBackwardGo(dx, dy, xh, k, mdb, mdg) }
func bnBackwardNAVX2(dx, dy, x []float32, k, mdb, mdg, mean, is float32) {
	bnBackwardNGo(dx, dy, x, k, mdb, mdg, mean, is)
}
func dotsumnAVX2(g, x []float32, mean, k float32) (dot, sum float32) {
	return dotsumnGo(g, x, mean, k)
}
func addsumAVX2(v []float32, c float32) float32    { return addsumGo(v, c) }
func sumAVX2(v []float32) float32                  { return sumGo(v) }
func sqdevAVX2(v []float32, mu float32) float32    { return sqdevGo(v, mu) }
func dotsumAVX2(g, h []float32) (dot, sum float32) { return dotsumGo(g, h) }
func addConstAVX2(dst, src []float32, c float32)   { addConstGo(dst, src, c) }

func maxPool2x2AVX2(out []float32, arg []int32, r0, r1 []float32, base, w int32) {
	maxPool2x2Go(out, arg, r0, r1, base, w)
}

func sgdAVX2(p, g []float32, lr, wd float32) { sgdGo(p, g, lr, wd) }

func rowsCopyAVX2(dst, src []float32, rows, width, ds, ss int) {
	rowsCopyGo(dst, src, rows, width, ds, ss)
}

func rowsAddConstAVX2(dst, src []float32, rows, width, ds, ss int, c float32) {
	rowsAddConstGo(dst, src, rows, width, ds, ss, c)
}

func rowsAddAVX2(dst, src []float32, rows, width, ds, ss int) {
	rowsAddGo(dst, src, rows, width, ds, ss)
}

func maxPool2x2PlanesAVX2(out []float32, arg []int32, x []float32, planes, rows, ow, w, plane int) {
	panic("vec: no assembly on this platform")
}

func maxUnpool2x2RowsAVX2(dx, g []float32, arg []int32, y []float32, rows, ow, w int, relu bool) {
	panic("vec: no assembly on this platform")
}

func rowsCopyBlocksAVX2(dst, src []float32, blocks, rows, width, ss, bs int) {
	panic("vec: no assembly on this platform")
}

func rowSums8AVX2(out, y []float32, ld, n, rows int) {
	panic("vec: no assembly on this platform")
}

func maskedCopyBlocksAVX2(dst, src []float32, mask []uint32, blocks, n, a, b, ss int) {
	panic("vec: no assembly on this platform")
}

func maskedAddBlocksAVX2(dst, src []float32, mask []uint32, blocks, n, ds, ss int) {
	panic("vec: no assembly on this platform")
}
