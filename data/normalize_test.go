package data

import (
	"math"
	"testing"
)

// TestNormalizeEveryByte checks all 256 pixel values, at lengths that use
// the wide and the one-at-a-time loops, against float32(v)/255 bit for bit.
func TestNormalizeEveryByte(t *testing.T) {
	src := make([]uint8, 256+37)
	for i := range src {
		src[i] = uint8(i)
	}
	dst := make([]float32, len(src))
	Normalize(dst, src)
	for i, v := range src {
		if w := float32(v) / 255; math.Float32bits(dst[i]) != math.Float32bits(w) {
			t.Fatalf("Normalize(%d) = %v; want %v", v, dst[i], w)
		}
	}
}
