package imageprep

import (
	"fmt"
	"image"
	"testing"

	xdraw "golang.org/x/image/draw"
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

// BenchmarkFromImageSmallScan measures soft ink, which is unsharp-masked
// before the ramp: a 0 written 8 pixels tall, enlarged to 80 (the mask's
// Gaussian sampled tap by tap) and to 800 pixels (three box filters).
func BenchmarkFromImageSmallScan(b *testing.B) {
	small := drawGray(8, 8, zero, image.Rect(2, 1, 6, 7), 1.6, 255, 0)
	for _, n := range []int{80, 800} {
		scan := image.NewGray(image.Rect(0, 0, n, n))
		xdraw.BiLinear.Scale(scan, scan.Bounds(), small, small.Bounds(), xdraw.Src, nil)
		b.Run(fmt.Sprintf("%dpx", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := FromImage(scan); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
