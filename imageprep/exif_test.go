package imageprep

import (
	"bytes"
	"encoding/binary"
	"image"
	"testing"
)

// withExif inserts an APP1 Exif segment holding orientation o (in the given
// byte order) right after a JPEG's SOI marker.
func withExif(jpg []byte, o uint16, bigEndian bool) []byte {
	var t bytes.Buffer
	var bo binary.ByteOrder = binary.LittleEndian
	t.WriteString("II*\x00")
	if bigEndian {
		bo = binary.BigEndian
		t.Reset()
		t.WriteString("MM\x00*")
	}
	binary.Write(&t, bo, uint32(8))      // IFD0 offset
	binary.Write(&t, bo, uint16(2))      // two entries
	binary.Write(&t, bo, uint16(0x010F)) // Make, ASCII, 4 bytes inline
	binary.Write(&t, bo, uint16(2))
	binary.Write(&t, bo, uint32(4))
	t.WriteString("abc\x00")
	binary.Write(&t, bo, uint16(0x0112)) // Orientation, SHORT, 1
	binary.Write(&t, bo, uint16(3))
	binary.Write(&t, bo, uint32(1))
	binary.Write(&t, bo, o)
	binary.Write(&t, bo, uint16(0))
	binary.Write(&t, bo, uint32(0)) // no next IFD
	seg := append([]byte("Exif\x00\x00"), t.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2])
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(jpg[2:])
	return out.Bytes()
}

// stored returns what a camera stores for the upright scene d when it
// records orientation o: the scene turned the other way.
func stored(d *image.Gray, o int) *image.Gray {
	w, h := d.Rect.Dx(), d.Rect.Dy()
	sw, sh := w, h
	if o >= 5 {
		sw, sh = h, w
	}
	s := image.NewGray(image.Rect(0, 0, sw, sh))
	for y := range h {
		for x := range w {
			var sx, sy int
			switch o {
			case 1:
				sx, sy = x, y
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6: // shown after a clockwise quarter turn: stored anticlockwise
				sx, sy = y, w-1-x
			case 7:
				sx, sy = h-1-y, w-1-x
			case 8: // shown after an anticlockwise quarter turn: stored clockwise
				sx, sy = h-1-y, x
			}
			s.Pix[sy*s.Stride+sx] = d.Pix[y*d.Stride+x]
		}
	}
	return s
}

func TestPrepareAppliesExifOrientation(t *testing.T) {
	upright := drawGray(240, 320, seven, image.Rect(60, 60, 180, 260), 20, 250, 20)
	ref := mustPrepare(t, "upright", upright)
	for o := 1; o <= 8; o++ {
		for _, big := range []bool{false, true} {
			jpg := withExif(encodeJPEG(t, stored(upright, o), 90), uint16(o), big)
			if got := exifOrientation(jpg); got != o {
				t.Fatalf("exifOrientation(orientation %d, big endian %v) = %d", o, big, got)
			}
			d, err := Prepare(jpg)
			if err != nil {
				t.Fatalf("Prepare(orientation %d) = %v", o, err)
			}
			if diff := meanAbsDiff(d.Pixels, ref.Pixels); diff > 0.02 {
				t.Errorf("Prepare(JPEG with orientation %d): mean |difference| to the upright digit %.4f; want <= 0.02", o, diff)
			}
		}
	}
	// Without the tag the stored pixels are read as they are: the test would
	// notice if orientation were ignored.
	d, err := Prepare(encodeJPEG(t, stored(upright, 6), 90))
	if err != nil {
		t.Fatal(err)
	}
	if diff := meanAbsDiff(d.Pixels, ref.Pixels); diff < 0.05 {
		t.Errorf("a sideways 7 without EXIF matches the upright one (%.4f): the test cannot tell", diff)
	}
}

func TestExifOrientationMalformed(t *testing.T) {
	good := withExif(encodeJPEG(t, image.NewGray(image.Rect(0, 0, 8, 8)), 90), 6, false)
	if exifOrientation(good) != 6 {
		t.Fatal("well-formed EXIF not read")
	}
	// Every truncation and a few corruptions must give 1 (or 6 when the tag
	// survived), never panic.
	for n := range len(good) {
		if o := exifOrientation(good[:n]); o != 1 && o != 6 {
			t.Fatalf("exifOrientation(first %d bytes) = %d", n, o)
		}
	}
	for i := 2; i < 60 && i < len(good); i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0xFF
		if o := exifOrientation(bad); o < 1 || o > 8 {
			t.Fatalf("exifOrientation(byte %d flipped) = %d", i, o)
		}
	}
	for _, b := range [][]byte{nil, {0xFF}, {0xFF, 0xD8}, []byte("\x89PNG")} {
		if o := exifOrientation(b); o != 1 {
			t.Errorf("exifOrientation(%q) = %d; want 1", b, o)
		}
	}
}
