package data

import "github.com/rakam-ml/rakam/tensor"

// Normalize writes src[i]/255 as float32 to dst[i] (float32(v)/255, rounded
// as the division rounds), so pixels lie in [0, 1] with 0 the background. It
// is the one normalisation every rakam model uses, in training and inference
// alike. dst must be at least as long as src. On amd64 it runs as AVX2
// (eight pixels widened, converted and divided at once).
func Normalize(dst []float32, src []uint8) {
	tensor.BytesToFloat(dst[:len(src)], src, 255)
}
