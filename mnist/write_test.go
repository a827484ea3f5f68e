package mnist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// randomSet is n seeded 28x28 images with labels 0..9.
func randomSet(n int, seed uint64) *Set {
	r := rand.New(rand.NewPCG(seed, 0))
	s := &Set{Images: make([]uint8, n*Rows*Cols), Labels: make([]uint8, n), N: n, Rows: Rows, Cols: Cols}
	for i := range s.Images {
		s.Images[i] = uint8(r.Uint32())
	}
	for i := range s.Labels {
		s.Labels[i] = uint8(r.IntN(NumClasses))
	}
	return s
}

func sameSet(a, b *Set) bool {
	return a.N == b.N && a.Rows == b.Rows && a.Cols == b.Cols && bytes.Equal(a.Images, b.Images) && bytes.Equal(a.Labels, b.Labels)
}

// TestWriteDirRoundTrip: what WriteDir writes, Locate finds, LoadTrain,
// LoadTest and the stream reader read back unchanged, and its SumsFile is
// the listing DatasetSHA256 hashes.
func TestWriteDirRoundTrip(t *testing.T) {
	dir := t.TempDir()
	train, test := randomSet(37, 1), randomSet(5, 2)
	sums, err := WriteDir(dir, train, test)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Locate(dir); err != nil || got != dir {
		t.Fatalf("Locate(%s) = %q, %v; want the directory", dir, got, err)
	}
	gotTrain, err := LoadTrain(dir)
	if err != nil {
		t.Fatal(err)
	}
	gotTest, err := LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(gotTrain, train) || !sameSet(gotTest, test) {
		t.Error("LoadTrain/LoadTest do not give back the sets WriteDir wrote")
	}
	// The reader without a known size (the fuzzed path) agrees.
	b, err := os.ReadFile(filepath.Join(dir, TrainImagesFile))
	if err != nil {
		t.Fatal(err)
	}
	pix, n, rows, cols, err := ReadImages(sizeless{bytes.NewReader(b)}, "stream")
	if err != nil || n != train.N || rows != Rows || cols != Cols || !bytes.Equal(pix, train.Images) {
		t.Errorf("ReadImages(stream) = %d images of %dx%d, %v; want the training images", n, rows, cols, err)
	}

	found, err := Checksums(dir)
	if err != nil {
		t.Fatal(err)
	}
	read, err := ReadSums(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, from, err := ExpectedSHA256(dir)
	if err != nil || from != SumsFile {
		t.Fatalf("ExpectedSHA256 = from %q, %v; want from %s", from, err, SumsFile)
	}
	for _, base := range Files {
		if sums[base] == "" || found[base] != sums[base] || read[base] != sums[base] || want[base] != sums[base] {
			t.Errorf("%s: WriteDir says %s, the file hashes to %s, %s lists %s", base, sums[base], found[base], SumsFile, read[base])
		}
	}
	listing, err := os.ReadFile(filepath.Join(dir, SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256(listing)
	if ds, err := DatasetSHA256(dir); err != nil || ds != hex.EncodeToString(d[:]) {
		t.Errorf("DatasetSHA256 = %s, %v; want the SHA-256 of %s, %x", ds, err, SumsFile, d)
	}

	// The same sets give the same bytes; another label gives another digest.
	dir2 := t.TempDir()
	test.Labels[0] = (test.Labels[0] + 1) % NumClasses
	sums2, err := WriteDir(dir2, train, test)
	if err != nil {
		t.Fatal(err)
	}
	if sums2[TrainImagesFile] != sums[TrainImagesFile] || sums2[TestLabelsFile] == sums[TestLabelsFile] {
		t.Errorf("digests after changing one test label: %v, before %v", sums2, sums)
	}
}

func TestWriteDirRefusesUnloadableSets(t *testing.T) {
	good := randomSet(3, 1)
	short := randomSet(3, 1)
	short.Images = short.Images[:100]
	badLabel := randomSet(3, 1)
	badLabel.Labels[2] = 10
	wide := &Set{Images: make([]uint8, 2*28*29), Labels: []uint8{1, 2}, N: 2, Rows: 28, Cols: 29}
	fewLabels := randomSet(3, 1)
	fewLabels.Labels = fewLabels.Labels[:2]
	for _, tc := range []struct {
		name        string
		train, test *Set
		want        string
	}{
		{"nil test", good, nil, "test set: no images"},
		{"empty train", &Set{Rows: 28, Cols: 28}, good, "training set: no images"},
		{"short pixels", short, good, "100 pixels for 3 images"},
		{"label 10", good, badLabel, "label 10 of image 2"},
		{"28x29", wide, good, "28x29"},
		{"labels", good, fewLabels, "2 labels for 3 images"},
	} {
		dir := t.TempDir()
		_, err := WriteDir(dir, tc.train, tc.test)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("WriteDir(%s) = %v; want an error saying %q", tc.name, err, tc.want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("WriteDir(%s) failed but left %d files", tc.name, len(entries))
		}
	}
	// A directory that does not exist: an error naming the file.
	if _, err := WriteDir(filepath.Join(t.TempDir(), "missing"), good, good); err == nil || !strings.Contains(err.Error(), TrainImagesFile) {
		t.Errorf("WriteDir(missing dir) = %v; want an error naming %s", err, TrainImagesFile)
	}
}

func TestReadSums(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, content string
		want          map[string]string // nil: an ErrBadSums error
	}{
		{"text mode", h + "  a\n" + strings.ToUpper(h) + "  b\n", map[string]string{"a": h, "b": h}},
		{"binary mode", h + " *a\n", map[string]string{"a": h}},
		{"no final newline", h + "  a", map[string]string{"a": h}},
		{"one space", h + " a\n", nil},
		{"short digest", h[:62] + "  a\n", nil},
		{"not hex", strings.Repeat("zz", 32) + "  a\n", nil},
		{"no name", h + "  \n", nil},
		{"path", h + "  ../a\n", nil},
		{"blank line", h + "  a\n\n", nil},
		{"empty", "", nil},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, SumsFile), []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadSums(dir)
		if tc.want == nil {
			var fe *FormatError
			if !errors.Is(err, ErrBadSums) || !errors.As(err, &fe) || !strings.Contains(err.Error(), SumsFile) {
				t.Errorf("ReadSums(%s) = %v, %v; want a FormatError wrapping ErrBadSums", tc.name, got, err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("ReadSums(%s) = %v, %v; want %v", tc.name, got, err, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("ReadSums(%s)[%s] = %s; want %s", tc.name, k, got[k], v)
			}
		}
	}
	if _, err := ReadSums(t.TempDir()); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadSums(dir without %s) = %v; want ErrNotFound", SumsFile, err)
	}
	sums, from, err := ExpectedSHA256(t.TempDir())
	if err != nil || from != "the original" || sums[TrainImagesFile] != KnownSHA256[TrainImagesFile] {
		t.Errorf("ExpectedSHA256(dir without %s) = from %q, %v; want the original digests", SumsFile, from, err)
	}
}
