package imageprep

import (
	"bytes"
	"image"
	"image/color/palette"
	"image/gif"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/internal/testbad"
)

// FuzzPrepare feeds arbitrary bytes to Prepare: it must return a digit that
// satisfies the invariants or an error, never panic, and never take more
// memory than the limits allow.
func FuzzPrepare(f *testing.F) {
	f.Add(encodePNG(f, reference(one)))
	f.Add(encodePNG(f, drawGray(9, 13, seven, image.Rect(2, 1, 8, 11), 1.6, 255, 0)))
	f.Add(encodeJPEG(f, drawRGBA(60, 40, zero, image.Rect(20, 5, 40, 35), 4, white, black), 50))
	var g bytes.Buffer
	gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 3, 2), palette.Plan9), nil)
	f.Add(g.Bytes())
	f.Add(withExif(encodeJPEG(f, drawGray(30, 40, one, image.Rect(5, 5, 25, 35), 3, 255, 0), 60), 6, true))
	f.Add(testbad.PNGBomb(100000, 100000))
	f.Add(testbad.PNGBomb(0, 0))
	f.Add([]byte("BM"))
	f.Add([]byte("II*\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 18, MaxSide: 2048}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		d, err := lim.Prepare(data)
		if el := time.Since(start); el > 5*time.Second { // a slow input would be a denial of service
			t.Fatalf("Prepare took %v", el)
		}
		if err != nil {
			if d != nil {
				t.Fatalf("Prepare returned a digit and error %v", err)
			}
			return
		}
		if len(d.Pixels) != Size*Size {
			t.Fatalf("Prepare returned %d pixels; want %d", len(d.Pixels), Size*Size)
		}
		for i, v := range d.Pixels {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("pixel %d = %v; want 0..1", i, v)
			}
		}
	})
}
