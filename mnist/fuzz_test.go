package mnist

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"testing"
)

// decompressed returns the IDX bytes of in (gunzipped if gzip), or nil.
func decompressed(in []byte) []byte {
	if len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(in))
		if err != nil {
			return nil
		}
		zr.Multistream(false)
		out, err := io.ReadAll(io.LimitReader(zr, MaxBytes))
		if err != nil {
			return nil
		}
		return out
	}
	return in
}

func FuzzReadImages(f *testing.F) {
	good := encodeImages(f, []uint8{0, 255, 3, 4, 5, 6, 7, 8}, 2, 2, 2)
	f.Add(good)
	f.Add(gz(f, good))
	f.Add(good[:11])
	f.Add(header(MagicImages, 1000000, 28, 28))
	f.Add(header(MagicImages, 1, 0xffffffff, 0xffffffff))
	f.Add(gz(f, header(MagicImages, 0xffffffff, 28, 28)))
	f.Add(append(bytes.Clone(good), 1))
	f.Add(header(MagicLabels, 3))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, sized := range []bool{true, false} {
			var r io.Reader = bytes.NewReader(in)
			if !sized {
				r = sizeless{r}
			}
			pix, n, rows, cols, err := ReadImages(r, "fuzz")
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v is not a *FormatError", err)
				}
				continue
			}
			if rows <= 0 || cols <= 0 || len(pix) != n*rows*cols {
				t.Fatalf("ReadImages = %d pixels for %d images of %dx%d", len(pix), n, rows, cols)
			}
			// A file that decodes re-encodes to the same bytes.
			var out bytes.Buffer
			if err := WriteImages(&out, pix, n, rows, cols); err != nil {
				t.Fatal(err)
			}
			if want := decompressed(in); !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("re-encoding gives %d bytes; the input held %d", out.Len(), len(want))
			}
		}
	})
}

func FuzzReadLabels(f *testing.F) {
	good := encodeLabels(f, []uint8{0, 1, 9})
	f.Add(good)
	f.Add(gz(f, good))
	f.Add(good[:6])
	f.Add(encodeLabels(f, []uint8{10}))
	f.Add(header(MagicLabels, 0xffffffff))
	f.Add(gz(f, header(MagicLabels, 0xffffff)))
	f.Add(header(MagicImages, 1, 1, 1))
	f.Fuzz(func(t *testing.T, in []byte) {
		labels, err := ReadLabels(bytes.NewReader(in), "fuzz")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		for i, l := range labels {
			if l >= NumClasses {
				t.Fatalf("label %d at %d accepted", l, i)
			}
		}
		var out bytes.Buffer
		if err := WriteLabels(&out, labels); err != nil {
			t.Fatal(err)
		}
		if want := decompressed(in); !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("re-encoding gives %d bytes; the input held %d", out.Len(), len(want))
		}
	})
}
