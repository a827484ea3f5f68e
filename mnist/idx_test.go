package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// sizeless hides Len/Stat so the reader cannot know the input size.
type sizeless struct{ r io.Reader }

func (s sizeless) Read(p []byte) (int, error) { return s.r.Read(p) }

func gz(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(raw)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeImages(t testing.TB, pix []uint8, n, rows, cols int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteImages(&b, pix, n, rows, cols); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeLabels(t testing.TB, labels []uint8) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteLabels(&b, labels); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func header(magic uint32, dims ...uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	pix := make([]uint8, 5*3*4)
	for i := range pix {
		pix[i] = uint8(i * 37)
	}
	labels := []uint8{0, 9, 3, 3, 7}
	rawImg := encodeImages(t, pix, 5, 3, 4)
	rawLab := encodeLabels(t, labels)
	if len(rawImg) != 16+60 || len(rawLab) != 8+5 {
		t.Fatalf("encoded sizes %d, %d; want 76, 13", len(rawImg), len(rawLab))
	}
	if !bytes.Equal(rawImg[:16], header(MagicImages, 5, 3, 4)) {
		t.Fatalf("image header = % x; want big-endian magic, count, rows, cols", rawImg[:16])
	}
	for _, tc := range []struct {
		name     string
		img, lab []byte
		wrap     func(io.Reader) io.Reader
	}{
		{"raw", rawImg, rawLab, func(r io.Reader) io.Reader { return r }},
		{"gzip", gz(t, rawImg), gz(t, rawLab), func(r io.Reader) io.Reader { return r }},
		{"raw one byte at a time", rawImg, rawLab, func(r io.Reader) io.Reader { return iotest.OneByteReader(sizeless{r}) }},
		{"gzip unknown size", gz(t, rawImg), gz(t, rawLab), func(r io.Reader) io.Reader { return sizeless{r} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, n, rows, cols, err := ReadImages(tc.wrap(bytes.NewReader(tc.img)), "x")
			if err != nil || n != 5 || rows != 3 || cols != 4 || !bytes.Equal(p, pix) {
				t.Fatalf("ReadImages = %d, %d, %d, %v; want 5, 3, 4, nil and the same pixels", n, rows, cols, err)
			}
			l, err := ReadLabels(tc.wrap(bytes.NewReader(tc.lab)), "y")
			if err != nil || !bytes.Equal(l, labels) {
				t.Fatalf("ReadLabels = %v, %v; want %v", l, err, labels)
			}
		})
	}
	// Empty sets are valid IDX files.
	if p, n, _, _, err := ReadImages(bytes.NewReader(header(MagicImages, 0, 28, 28)), "empty"); err != nil || n != 0 || len(p) != 0 {
		t.Errorf("ReadImages(empty) = %d images, %v; want 0, nil", n, err)
	}
}

func TestCorruptFiles(t *testing.T) {
	good := encodeImages(t, make([]uint8, 3*2*2), 3, 2, 2)
	goodGz := gz(t, good)
	badCRC := bytes.Clone(goodGz)
	badCRC[len(badCRC)-8] ^= 0xff // first byte of the CRC-32 in the trailer
	bomb := gz(t, append(bytes.Clone(good), make([]byte, 8<<20)...))
	// A gzip trailer forged to agree with a header that lies: the exact
	// allocation it earns is bounded by what the file could expand to.
	noise := make([]byte, 1000) // incompressible, so the file may hold 784000 bytes
	for i := range noise {
		noise[i] = byte(i*i*7919 + i>>3)
	}
	forged := gz(t, append(header(MagicImages, 1000, 28, 28), noise...))
	binary.LittleEndian.PutUint32(forged[len(forged)-4:], 16+784000)

	type tc struct {
		name     string
		in       []byte
		sizeless bool
		want     error
		msg      string // substring of the error text
	}
	images := []tc{
		{"empty", nil, false, io.ErrUnexpectedEOF, "truncated header"},
		{"one byte", []byte{0}, false, io.ErrUnexpectedEOF, "truncated header"},
		{"bad magic", header(0x00000802, 3, 2, 2), false, ErrBadMagic, "bad magic 0x00000802, want 0x00000803"},
		{"labels given as images", encodeLabels(t, []uint8{1}), false, ErrBadMagic, "this is a label file"},
		{"truncated header", good[:10], false, io.ErrUnexpectedEOF, "truncated header: 10 of 16 bytes"},
		{"truncated data", good[:20], false, io.ErrUnexpectedEOF, "truncated: 3 images of 2x2 need a file of 28 bytes but it has 20"},
		{"truncated data, unknown size", good[:20], true, io.ErrUnexpectedEOF, "truncated at byte 20"},
		{"truncated gzip", goodGz[:len(goodGz)-12], false, io.ErrUnexpectedEOF, "truncated"},
		{"gzip bad crc", badCRC, false, gzip.ErrChecksum, "corrupt gzip data"},
		{"trailing data", append(bytes.Clone(good), 0), false, ErrTrailingData, "trailing data"},
		{"gzip bomb past the header", bomb, false, ErrTrailingData, "trailing data after the 28 bytes"},
		{"truncated data, one byte at a time", good[:27], true, io.ErrUnexpectedEOF, "truncated at byte 27: 3 images of 2x2 need 28 bytes"},
		{"forged gzip trailer", forged, false, gzip.ErrChecksum, "corrupt gzip data after 1016 bytes"},
		{"zero rows", header(MagicImages, 3, 0, 2), false, ErrBadShape, "image size 0x2"},
		{"huge count", header(MagicImages, 0xffffffff, 28, 28), false, ErrTooLarge, "more than the limit"},
		{"huge image", header(MagicImages, 1, 0xffffffff, 0xffffffff), false, ErrTooLarge, "larger than the limit"},
		{"header larger than file", header(MagicImages, 1000000, 28, 28), false, io.ErrUnexpectedEOF, "need a file of 784000016 bytes but it has 16"},
		{"header larger than gzip can hold", gz(t, header(MagicImages, 1000000, 28, 28)), false, ErrTooLarge, "more than a gzip file of"},
		{"header larger than data, gzip unknown size", gz(t, header(MagicImages, 1000000, 28, 28)), true, io.ErrUnexpectedEOF, "truncated at byte 16"},
		{"not gzip after magic", []byte{0x1f, 0x8b, 1, 2, 3}, false, io.ErrUnexpectedEOF, "bad gzip header"},
	}
	for _, c := range images {
		t.Run("images/"+c.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(c.in)
			if c.sizeless {
				r = sizeless{r}
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, _, _, err := ReadImages(r, "bad.idx")
			runtime.ReadMemStats(&after)
			checkErr(t, err, c.want, c.msg)
			// No test input justifies more than a few MB; the huge headers
			// declare up to 784 MB.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("ReadImages allocated %d bytes for a %d-byte input", grew, len(c.in))
			}
		})
	}
	labels := []tc{
		{"bad magic", header(MagicImages, 1, 1, 1), false, ErrBadMagic, "this is an image file"},
		{"truncated header", header(MagicLabels)[:4], false, io.ErrUnexpectedEOF, "truncated header: 4 of 8 bytes"},
		{"truncated data", header(MagicLabels, 5), false, io.ErrUnexpectedEOF, "truncated"},
		{"label out of range", encodeLabels(t, []uint8{1, 2, 11, 3}), false, ErrLabelRange, "label 11 out of range 0..9 at index 2"},
		{"huge count", header(MagicLabels, 0xffffffff), false, ErrTooLarge, "more than the limit"},
	}
	for _, c := range labels {
		t.Run("labels/"+c.name, func(t *testing.T) {
			_, err := ReadLabels(bytes.NewReader(c.in), "bad.idx")
			checkErr(t, err, c.want, c.msg)
		})
	}
}

func checkErr(t *testing.T, err, want error, msg string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v; want one wrapping %v", err, want)
	}
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != "bad.idx" {
		t.Errorf("error %v is not a *FormatError naming the file", err)
	}
	if !strings.Contains(err.Error(), msg) || !strings.HasPrefix(err.Error(), "mnist: bad.idx: ") {
		t.Errorf("error = %q; want it to start with %q and contain %q", err, "mnist: bad.idx: ", msg)
	}
}

func writeSet(t testing.TB, dir, imagesName, labelsName string, s *Set, compress bool) {
	t.Helper()
	img := encodeImages(t, s.Images, s.N, s.Rows, s.Cols)
	lab := encodeLabels(t, s.Labels)
	if compress {
		img, lab = gz(t, img), gz(t, lab)
	}
	if err := os.WriteFile(filepath.Join(dir, imagesName), img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, labelsName), lab, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	s := &Set{Images: make([]uint8, 3*28*28), Labels: []uint8{1, 2, 3}, N: 3, Rows: 28, Cols: 28}
	writeSet(t, dir, TrainImagesFile+".gz", TrainLabelsFile, s, true) // labels raw: mixed is fine
	if err := os.Rename(filepath.Join(dir, TrainLabelsFile), filepath.Join(dir, TrainLabelsFile+".raw")); err != nil {
		t.Fatal(err)
	}
	// The gzip labels (named .gz) are missing: a clear not-found error.
	if _, err := LoadTrain(dir); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), TrainLabelsFile) {
		t.Errorf("LoadTrain(missing labels) = %v; want ErrNotFound naming %s", err, TrainLabelsFile)
	}
	os.Rename(filepath.Join(dir, TrainLabelsFile+".raw"), filepath.Join(dir, TrainLabelsFile))
	got, err := LoadTrain(dir)
	if err != nil || got.N != 3 || !bytes.Equal(got.Labels, s.Labels) {
		t.Fatalf("LoadTrain = %+v, %v; want 3 images", got, err)
	}

	// 3 images but 2 labels.
	bad := &Set{Images: s.Images, Labels: []uint8{1, 2}, N: 3, Rows: 28, Cols: 28}
	dir2 := t.TempDir()
	img := encodeImages(t, bad.Images, 3, 28, 28)
	os.WriteFile(filepath.Join(dir2, TestImagesFile), img, 0o644)
	os.WriteFile(filepath.Join(dir2, TestLabelsFile), encodeLabels(t, bad.Labels), 0o644)
	_, err = LoadTest(dir2)
	if !errors.Is(err, ErrCountMismatch) || !strings.Contains(err.Error(), "3 images in "+TestImagesFile+" but 2 labels") {
		t.Errorf("LoadTest(count mismatch) = %v; want ErrCountMismatch with \"3 images ... but 2 labels\"", err)
	}

	// Valid IDX, but not 28x28: ReadImages accepts it, LoadTest does not.
	dir3 := t.TempDir()
	small := &Set{Images: make([]uint8, 2*4*4), Labels: []uint8{0, 1}, N: 2, Rows: 4, Cols: 4}
	writeSet(t, dir3, TestImagesFile, TestLabelsFile, small, false)
	if _, err := LoadTest(dir3); !errors.Is(err, ErrBadShape) || !strings.Contains(err.Error(), "images are 4x4") {
		t.Errorf("LoadTest(4x4) = %v; want ErrBadShape", err)
	}
	if s, err := LoadFiles(filepath.Join(dir3, TestImagesFile), filepath.Join(dir3, TestLabelsFile)); err != nil || s.Rows != 4 {
		t.Errorf("LoadFiles(4x4) = %v; want a 4x4 set", err)
	}
}

func TestWriteErrors(t *testing.T) {
	if err := WriteImages(io.Discard, make([]uint8, 5), 1, 2, 2); err == nil {
		t.Error("WriteImages(5 pixels as 1 image of 2x2) = nil; want an error")
	}
	if err := WriteImages(io.Discard, nil, 0, 0, 2); err == nil {
		t.Error("WriteImages(rows 0) = nil; want an error")
	}
	if err := WriteLabels(failWriter{}, []uint8{1}); err == nil {
		t.Error("WriteLabels(failing writer) = nil; want an error")
	}
}

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 0, errors.New("disk full") }
