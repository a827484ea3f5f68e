package imageprep

import (
	"image"
	"testing"
)

// BenchmarkPrepareCanvas measures what the server does per drawing: decode a
// 280x280 PNG from the page and prepare it.
func BenchmarkPrepareCanvas(b *testing.B) {
	data := encodePNG(b, drawRGBA(280, 280, seven, image.Rect(70, 40, 210, 240), 18, white, black))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Prepare(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFromImagePhoto measures a 12-megapixel photo-sized image,
// already decoded (decoding is the standard library's cost).
func BenchmarkFromImagePhoto(b *testing.B) {
	img := drawRGBA(4000, 3000, zero, image.Rect(1500, 700, 2300, 2300), 60, white, black)
	b.SetBytes(int64(len(img.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromImage(img); err != nil {
			b.Fatal(err)
		}
	}
}
