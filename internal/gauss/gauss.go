// Package gauss holds the sampled Gaussian kernel that data's elastic
// distortion and blur, imageprep's unsharp mask and the outside sets' blur
// share.
package gauss

import "math"

// Kernel returns a Gaussian of sigma sampled at the integers -r..r,
// r = ⌈3 sigma⌉, normalised to sum 1; tap i is at offset i - r.
func Kernel(sigma float64) []float64 {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}
