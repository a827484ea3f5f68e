package serve

import (
	"bytes"
	"github.com/rakam-ml/rakam/imageprep"
	"image"
	"image/color/palette"
	"image/gif"
	"image/png"
	"testing"
)

func zeroGIF() []byte {
	var b bytes.Buffer
	gif.Encode(&b, image.NewPaletted(image.Rect(0, 0, 0, 0), palette.Plan9), nil)
	return b.Bytes()
}

func blankPNG(t testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// imageLimitsForFuzz keeps fuzzed images small so the fuzzer stays fast.
var imageLimitsForFuzz = imageprep.Limits{MaxPixels: 1 << 18, MaxSide: 2048}
