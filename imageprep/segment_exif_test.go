package imageprep

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

// TestSegmentAppliesExifOrientation: a row of three bars, stored as a
// camera stores it for each EXIF orientation (on its side for 5 to 8), is
// segmented upright by Limits.Segment: three parts left to right, each
// taller than wide. Without the orientation, a row stored on its side is
// one stack of bars, not three digits.
func TestSegmentAppliesExifOrientation(t *testing.T) {
	row := image.NewGray(image.Rect(0, 0, 240, 120))
	for i := range row.Pix {
		row.Pix[i] = 235
	}
	for _, x0 := range []int{30, 105, 180} {
		for y := 20; y < 100; y++ {
			for x := x0; x < x0+30; x++ {
				row.Pix[y*row.Stride+x] = 20
			}
		}
	}
	for o := 1; o <= 8; o++ {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, stored(row, o), &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		data := withExif(b.Bytes(), uint16(o), o%2 == 0)
		if got := Orientation(data); got != o {
			t.Fatalf("Orientation(a JPEG stored with orientation %d) = %d", o, got)
		}
		seg, err := DefaultLimits.Segment(data)
		if err != nil {
			t.Fatalf("orientation %d: Segment = %v", o, err)
		}
		if len(seg.Parts) != 3 {
			t.Fatalf("orientation %d: Segment found %d parts; want 3", o, len(seg.Parts))
		}
		for i, p := range seg.Parts {
			if p.Box.Dy() <= p.Box.Dx() || i > 0 && p.Box.Min.X <= seg.Parts[i-1].Box.Max.X {
				t.Errorf("orientation %d: part %d box %v; want bars standing left to right", o, i, p.Box)
			}
		}
		if o >= 5 {
			img, _, err := DefaultLimits.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if seg, err := Segment(img); err == nil && len(seg.Parts) == 3 {
				t.Errorf("orientation %d: the image as stored gives 3 parts too; the test shows nothing", o)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, row); err != nil {
		t.Fatal(err)
	}
	if got := Orientation(b.Bytes()); got != 1 {
		t.Errorf("Orientation(a PNG) = %d; want 1", got)
	}
}
