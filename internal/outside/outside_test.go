package outside_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/internal/outside"
	"github.com/rakam-ml/rakam/mnist"
)

// fakeMNIST is a tiny stand-in source set: a bar per image, labels 0..9.
func fakeMNIST() *mnist.Set {
	s := &mnist.Set{N: 10, Rows: 28, Cols: 28, Images: make([]uint8, 10*784), Labels: make([]uint8, 10)}
	for i := range 10 {
		s.Labels[i] = uint8(i)
		for y := 6; y < 22; y++ {
			for x := 12; x < 12+1+i%3; x++ {
				s.Images[i*784+y*28+x] = 255
			}
		}
	}
	return s
}

func source(k outside.Kind) *mnist.Set {
	if outside.FromMNIST(k) {
		return fakeMNIST()
	}
	return nil
}

// TestSetDeterministic: the same arguments give the same bytes, the first
// k samples do not depend on n, and another seed gives other images.
func TestSetDeterministic(t *testing.T) {
	for _, k := range append(outside.Digits(), outside.NonDigits()...) {
		t.Run(string(k), func(t *testing.T) {
			a, err := outside.Set(k, 6, outside.TuneSeed, source(k))
			if err != nil {
				t.Fatal(err)
			}
			b, err := outside.Set(k, 4, outside.TuneSeed, source(k))
			if err != nil {
				t.Fatal(err)
			}
			c, err := outside.Set(k, 4, outside.GradeSeed, source(k))
			if err != nil {
				t.Fatal(err)
			}
			same := 0
			for i := range b {
				if !bytes.Equal(a[i].Data, b[i].Data) || a[i].Name != b[i].Name || a[i].Label != b[i].Label || a[i].Detail != b[i].Detail {
					t.Errorf("Set(%q, 6)[%d] differs from Set(%q, 4)[%d]", k, i, k, i)
				}
				if bytes.Equal(b[i].Data, c[i].Data) {
					same++
				}
			}
			if k != outside.Blank && same > 0 {
				t.Errorf("Set(%q) with TuneSeed and GradeSeed share %d of 4 images", k, same)
			}
		})
	}
}

// TestLowResDetail: a low-resolution scan names the size its digit was
// shrunk to, each of the three about as often, and the other kinds name
// none.
func TestLowResDetail(t *testing.T) {
	for _, k := range append(outside.Digits(), outside.NonDigits()...) {
		set, err := outside.Set(k, 60, outside.TuneSeed, source(k))
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, s := range set {
			count[s.Detail]++
		}
		if k != outside.LowRes {
			if len(count) != 1 || count[""] != 60 {
				t.Errorf("%s: details %v; want none", k, count)
			}
			continue
		}
		for _, d := range []string{"8x8", "12x12", "16x16"} {
			if c := count[d]; c < 10 {
				t.Errorf("lowres: %d of 60 samples shrunk to %s; want about 20", c, d)
			}
			delete(count, d)
		}
		if len(count) > 0 {
			t.Errorf("lowres: unexpected details %v", count)
		}
	}
}

// TestSetSamples: every sample decodes, has the label its kind promises
// and a unique name that carries the label.
func TestSetSamples(t *testing.T) {
	digit := map[outside.Kind]bool{}
	for _, k := range outside.Digits() {
		digit[k] = true
	}
	for _, k := range append(outside.Digits(), outside.NonDigits()...) {
		t.Run(string(k), func(t *testing.T) {
			set, err := outside.Set(k, 20, 1, source(k))
			if err != nil {
				t.Fatal(err)
			}
			if len(set) != 20 {
				t.Fatalf("Set(%q, 20) gave %d samples", k, len(set))
			}
			names := map[string]bool{}
			seen := map[int]bool{}
			for _, s := range set {
				img, format, err := image.Decode(bytes.NewReader(s.Data))
				if err != nil {
					t.Fatalf("%s: %v", s.Name, err)
				}
				if b := img.Bounds(); b.Dx() < 24 || b.Dy() < 24 || b.Dx() > 2000 || b.Dy() > 2000 {
					t.Errorf("%s: %dx%d", s.Name, b.Dx(), b.Dy())
				}
				if ext := filepath.Ext(s.Name); (format == "png") != (ext == ".png") {
					t.Errorf("%s holds a %s image", s.Name, format)
				}
				if names[s.Name] {
					t.Errorf("name %s given twice", s.Name)
				}
				names[s.Name] = true
				switch {
				case digit[k] && (s.Label < 0 || s.Label > 9):
					t.Errorf("%s: label %d; want 0..9", s.Name, s.Label)
				case !digit[k] && s.Label != -1:
					t.Errorf("%s: label %d; want -1", s.Name, s.Label)
				}
				want := "x"
				if s.Label >= 0 {
					want = string(rune('0' + s.Label))
				}
				if !strings.HasPrefix(s.Name, want+"_"+string(k)+"_") {
					t.Errorf("name %s; want it to start %s_%s_", s.Name, want, k)
				}
				seen[s.Label] = true
			}
			if digit[k] && len(seen) < 5 {
				t.Errorf("Set(%q, 20) shows only %d different digits", k, len(seen))
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	for _, c := range []struct {
		kind outside.Kind
		n    int
		src  *mnist.Set
		want error
	}{
		{"cursive", 1, nil, outside.ErrKind},
		{outside.LowRes, 1, nil, outside.ErrSource},
		{outside.Thin, 1, &mnist.Set{Rows: 28, Cols: 28}, outside.ErrSource},
		{outside.Pen, -1, nil, outside.ErrCount},
	} {
		if _, err := outside.Set(c.kind, c.n, 1, c.src); !errors.Is(err, c.want) {
			t.Errorf("Set(%q, %d) = %v; want %v", c.kind, c.n, err, c.want)
		}
	}
	if s, err := outside.Set(outside.Pen, 0, 1, nil); err != nil || len(s) != 0 {
		t.Errorf("Set(pen, 0) = %d samples, %v; want none", len(s), err)
	}
}

// TestGalleryIsTestdata: generate.go writes what Gallery draws; the files
// in testdata/digits must be those bytes.
func TestGalleryIsTestdata(t *testing.T) {
	g, err := outside.Gallery()
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != 42 {
		t.Errorf("Gallery() drew %d images; want 42", len(g))
	}
	for _, s := range g {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "digits", s.Name))
		if err != nil {
			t.Error(err)
			continue
		}
		if !bytes.Equal(b, s.Data) {
			t.Errorf("testdata/digits/%s differs from Gallery's; run go run testdata/digits/generate.go", s.Name)
		}
	}
}

func encodePNG(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTextbook: a dark bar on light paper comes out white on black, 20 px
// tall, centred by mass; a light bar on dark the same; a flat image fails.
func TestTextbook(t *testing.T) {
	bar := func(paper, ink uint8) []byte {
		img := image.NewGray(image.Rect(0, 0, 90, 60))
		for i := range img.Pix {
			img.Pix[i] = paper
		}
		for y := 10; y < 50; y++ {
			for x := 5; x < 15; x++ {
				img.SetGray(x, y, color.Gray{ink})
			}
		}
		return encodePNG(t, img)
	}
	for _, c := range []struct {
		name       string
		paper, ink uint8
	}{{"dark on light", 240, 20}, {"light on dark", 10, 200}} {
		px, err := outside.Textbook(bar(c.paper, c.ink))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var m, mx, my float64
		rows := map[int]bool{}
		for i, v := range px {
			if v > 0.5 {
				rows[i/28] = true
			}
			m += float64(v)
			mx += float64(v) * float64(i%28)
			my += float64(v) * float64(i/28)
		}
		if len(rows) != 20 {
			t.Errorf("%s: ink spans %d rows; want 20", c.name, len(rows))
		}
		if cx, cy := mx/m, my/m; cx < 13 || cx > 15 || cy < 13 || cy > 15 {
			t.Errorf("%s: centre of mass (%.1f, %.1f); want about (14, 14)", c.name, cx, cy)
		}
		if px[0] != 0 {
			t.Errorf("%s: corner %v; want 0 (black background)", c.name, px[0])
		}
	}
	if _, err := outside.Textbook(bar(128, 128)); !errors.Is(err, outside.ErrNoInk) {
		t.Errorf("Textbook(flat grey) = %v; want ErrNoInk", err)
	}
	if _, err := outside.Textbook([]byte("not an image")); err == nil {
		t.Error("Textbook(garbage) = nil error")
	}
}
