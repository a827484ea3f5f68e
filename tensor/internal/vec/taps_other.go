//go:build !amd64 || purego

package vec

// No tap kernels here: DotTaps and MulAddTaps run their Go loops.

func dotTapsAVX2(r, t int, g, x []float32, rows []int, out []float32) (float32, bool) {
	return 0, false
}

func mulAddTapsAVX2(r, t int, y, x []float32, rows []int, w []float32, set bool) bool {
	return false
}
