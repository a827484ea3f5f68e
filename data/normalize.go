package data

// scale255 maps a pixel byte to float32(v)/255, the value the division gives
// (computed once; the table makes Normalize a load per pixel).
var scale255 = func() (t [256]float32) {
	for v := range t {
		t[v] = float32(v) / 255
	}
	return t
}()

// Normalize writes src[i]/255 as float32 to dst[i], so pixels lie in [0, 1]
// with 0 the background. It is the one normalisation every rakam model uses,
// in training and inference alike. dst must be at least as long as src.
func Normalize(dst []float32, src []uint8) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = scale255[v]
	}
}
